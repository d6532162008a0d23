"""The cached snapshot, kept by record: what a cycle reads at start and writes as it ends.

Rules need the whole project; trackers answer what changed. The store keeps
each issue, comment, change, milestone and person as a row of its own
(``sync/store/tables.py``), so a cycle writes only the records its fetch
returned or its writes changed (:class:`CacheWrite`), in the transaction that
moves the cursor and the memo, and a restart reads the rows back in bulk
(:func:`load`): no per-cycle blob to parse, rebuild and rewrite.

A row that cannot be read is skipped with a warning (the next fetch that
returns the record replaces it); a cache that cannot be read at all (a table
that fails to answer) is dropped by the caller and the project re-synced.
Each save stamps the project anew (``cached_projects.stamp``): a daemon that
holds the snapshot in memory compares stamps to know whether another replica
wrote since.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from sqlalchemy import Select, Table, bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from connectors.model import (
    PUBLIC,
    Change,
    Comment,
    Issue,
    Milestone,
    MilestoneKind,
    Person,
    Snapshot,
    Visibility,
)
from sync.store.tables import (
    CACHE_TABLES,
    cached_changes,
    cached_comments,
    cached_issues,
    cached_milestones,
    cached_people,
    cached_projects,
)

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS = 1_000_000
#: Rows fetched and turned into records at a time: bounds the rows held beside the records.
BATCH = 20_000
_from_timestamp = datetime.fromtimestamp


# -- values ----------------------------------------------------------------------------------


def micros(value: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact, unlike a float)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _MICROS + delta.microseconds


def _micros_or_none(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def instant(value: int) -> datetime:
    """Back from :func:`micros`; whole seconds (all a tracker gives) take the fast path."""
    seconds, rest = divmod(value, _MICROS)
    return _from_timestamp(seconds, UTC) if not rest else _EPOCH + timedelta(microseconds=value)


def _instant_or_none(value: int | None) -> datetime | None:
    return None if value is None else instant(value)


def _names(values: Sequence[str]) -> str | None:
    return json.dumps(list(values), ensure_ascii=False) if values else None


def _names_from(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    values = json.loads(text)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        msg = "expected a JSON list of strings"
        raise TypeError(msg)
    return tuple(values)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def change_id(change: Change) -> str:
    """A change's identity: a digest of every field (two equal changes are one)."""
    text = "\x1f".join((change.issue_key, change.field, str(micros(change.at)),
                        change.before or "\x00", change.after or "\x00", change.actor or "\x00"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# -- records to rows -------------------------------------------------------------------------


def issue_row(issue: Issue) -> dict[str, Any]:
    return {
        "key": issue.key, "title": issue.title, "url": issue.url, "state": issue.state,
        "created_at": micros(issue.created_at), "author": issue.author,
        "closed_at": _micros_or_none(issue.closed_at),
        "updated_at": _micros_or_none(issue.updated_at),
        "assignees": _names(issue.assignees), "labels": _names(issue.labels),
        "milestone_keys": _names(issue.milestone_keys),
        "due_on": issue.due_on.isoformat() if issue.due_on else None,
        "estimate": issue.estimate, "priority": issue.priority,
        "blocked_by": _names(issue.blocked_by), "open_blockers": issue.open_blockers,
        "flagged": issue.flagged or None, "status_category": issue.status_category,
    }


def comment_row(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id, "issue_key": comment.issue_key, "author": comment.author,
        "created_at": micros(comment.created_at),
        "updated_at": _micros_or_none(comment.updated_at), "excerpt": comment.body_excerpt,
        "is_ours": comment.is_ours, "marker": comment.marker, "acked": comment.acked,
        "visibility": _visibility_text(comment.visibility),
    }


def change_row(change: Change) -> dict[str, Any]:
    return {"id": change_id(change), "issue_key": change.issue_key, "field": change.field,
            "at": micros(change.at), "before": change.before, "after": change.after,
            "actor": change.actor}


def milestone_row(milestone: Milestone) -> dict[str, Any]:
    return {
        "key": milestone.key, "title": milestone.title, "kind": milestone.kind,
        "state": milestone.state, "created_at": _micros_or_none(milestone.created_at),
        "start_on": _micros_or_none(milestone.start_on),
        "due_on": milestone.due_on.isoformat() if milestone.due_on else None,
        "closed_at": _micros_or_none(milestone.closed_at),
    }


def person_row(person: Person) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "kind": person.kind, "email": person.email,
            "association": person.association, "account_type": person.account_type}


def _visibility_text(visibility: Visibility) -> str | None:
    """NULL for public (nearly every comment), else ``internal`` or ``role:NAME``."""
    if visibility.kind == "public":
        return None
    return f"{visibility.kind}:{visibility.name}" if visibility.name else visibility.kind


def _visibility(text: str | None) -> Visibility:
    if text is None:
        return PUBLIC
    kind, _, name = text.partition(":")
    if kind not in ("role", "group", "internal"):
        msg = f"unknown comment visibility {text!r}"
        raise ValueError(msg)
    return Visibility(kind, name)  # type: ignore[arg-type]  # checked just above


# -- rows to records -------------------------------------------------------------------------


class _Pool(dict[str, str]):
    """One string object per distinct value: a million comments name 100,000 issues; one
    tuple per distinct list of names (issues share labels, milestones and assignees)."""

    def __init__(self) -> None:
        super().__init__()
        self._lists: dict[str, tuple[str, ...]] = {}

    def __missing__(self, key: str) -> str:
        self[key] = key
        return key

    def names(self, text: str | None) -> tuple[str, ...]:
        if not text:
            return ()
        found = self._lists.get(text)
        if found is None:
            found = self._lists[text] = tuple(self[name] for name in _names_from(text))
        return found


def _issue(row: Sequence[Any], pool: _Pool) -> Issue:
    (key, title, url, state, created, author, closed, updated, assignees, labels, milestones,
     due, estimate, priority, blocked_by, open_blockers, flagged, category) = row
    if state not in ("open", "closed") or category not in (None, "new", "indeterminate", "done"):
        msg = f"unknown issue state {state!r} or status category {category!r}"
        raise ValueError(msg)
    return Issue(
        pool[key], title, url, state, instant(created), pool[author],
        None if closed is None else instant(closed),
        None if updated is None else instant(updated),
        pool.names(assignees), pool.names(labels), pool.names(milestones),
        None if due is None else date.fromisoformat(due), estimate, priority,
        pool.names(blocked_by), open_blockers, bool(flagged), category,
    )


def _comment(row: Sequence[Any], pool: _Pool) -> Comment:
    # The hottest loop of a cold start (a million comments): instant()'s fast path inline.
    ident, issue_key, author, created, updated, excerpt, ours, marker, acked, seen_by = row
    seconds, rest = divmod(created, _MICROS)
    return Comment(
        ident, pool[issue_key], pool[author],
        _from_timestamp(seconds, UTC) if not rest else instant(created), excerpt, bool(ours),
        marker, bool(acked), None if updated is None else instant(updated),
        PUBLIC if seen_by is None else _visibility(seen_by),
    )


def _change(row: Sequence[Any], pool: _Pool) -> Change:
    issue_key, field_name, at, before, after, actor = row
    if field_name not in ("milestone", "due_on", "label", "state", "title"):
        msg = f"unknown change field {field_name!r}"
        raise ValueError(msg)
    return Change(pool[issue_key], field_name, instant(at), before, after,
                  None if actor is None else pool[actor])


def _milestone(row: Sequence[Any], _pool: _Pool) -> Milestone:
    key, title, kind, state, created, start, due, closed = row
    if kind not in get_args(MilestoneKind) or state not in ("open", "closed"):
        msg = f"unknown milestone kind or state {kind!r}/{state!r}"
        raise ValueError(msg)
    return Milestone(key, title, kind, state, _instant_or_none(created),
                     _instant_or_none(start), _day(due), _instant_or_none(closed))


def _person(row: Sequence[Any], pool: _Pool) -> Person:
    ident, name, kind, email, association, account_type = row
    if kind not in ("team", "client", "bot", "unknown"):
        msg = f"unknown person kind {kind!r}"
        raise ValueError(msg)
    return Person(pool[ident], name, kind, email, association, account_type)


#: The columns each record is rebuilt from, in its constructor's order.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "cached_issues": ("key", "title", "url", "state", "created_at", "author", "closed_at",
                      "updated_at", "assignees", "labels", "milestone_keys", "due_on",
                      "estimate", "priority", "blocked_by", "open_blockers", "flagged",
                      "status_category"),
    "cached_comments": ("id", "issue_key", "author", "created_at", "updated_at", "excerpt",
                        "is_ours", "marker", "acked", "visibility"),
    "cached_changes": ("issue_key", "field", "at", "before", "after", "actor"),
    "cached_milestones": ("key", "title", "kind", "state", "created_at", "start_on", "due_on",
                          "closed_at"),
    "cached_people": ("id", "name", "kind", "email", "association", "account_type"),
}


@dataclass
class Loaded:
    """A cached snapshot as read, with the stamp of the save that wrote it."""

    snapshot: Snapshot
    stamp: str
    #: Rows that could not be read (each also logged as a warning).
    skipped: list[str] = field(default_factory=list)


def stamp_of(connection: Connection, project: str) -> str | None:
    """The stamp of the project's cached snapshot; None when nothing is cached."""
    return connection.execute(
        select(cached_projects.c.stamp).where(cached_projects.c.project == project)
    ).scalar()


def load(connection: Connection, project: str) -> Loaded | None:
    """The project's cached snapshot, in bulk; None when nothing is cached.

    The cyclic garbage collector is off meanwhile: building two million
    long-lived records would otherwise set off full collections that walk all
    of them again and again (a quarter of the load's time at 100,000 issues).
    """
    with _collector_paused():
        return _load(connection, project)


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(connection: Connection, project: str) -> Loaded | None:
    head = connection.execute(
        select(cached_projects.c.stamp, cached_projects.c.fetched_at)
        .where(cached_projects.c.project == project)
    ).first()
    if head is None:
        return None
    pool = _Pool()
    skipped: list[str] = []

    def read(table: Table, build: Callable[[Sequence[Any], _Pool], Any]) -> list[Any]:
        return _records(connection, table, project, build, pool, skipped)

    people = read(cached_people, _person)
    snapshot = Snapshot(
        project=project, fetched_at=instant(head.fetched_at),
        people={person.id: person for person in people},
        milestones=tuple(read(cached_milestones, _milestone)),
        issues=tuple(read(cached_issues, _issue)),
        comments=tuple(read(cached_comments, _comment)),
        changes=tuple(read(cached_changes, _change)),
    )
    return Loaded(snapshot=snapshot, stamp=head.stamp, skipped=skipped)


def _records(
    connection: Connection, table: Table, project: str,
    build: Callable[[Sequence[Any], _Pool], Any], pool: _Pool, skipped: list[str],
) -> list[Any]:
    columns = [table.c[name] for name in _COLUMNS[table.name]]
    query = select(*columns).where(table.c.project == project)
    what = table.name.removeprefix("cached_").rstrip("s")
    records: list[Any] = []
    append = records.append
    for row in _driver_rows(connection, query):
        try:
            append(build(row, pool))
        except (TypeError, ValueError, OverflowError) as error:
            reason = f"cached {what} {row[0]!r}: {error}"
            log.warning("%s: skipped %s", project, reason)
            skipped.append(reason)
    return records


def _driver_rows(connection: Connection, query: Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows as the database driver hands them (plain tuples), ``BATCH`` at a time.

    SQLAlchemy's result rows cost a third more to fetch and to unpack, a second
    at a million comments; the query is still SQLAlchemy's, compiled for the
    dialect. PostgreSQL streams through a server-side cursor, so the rows are
    never all in memory beside the records built from them.
    """
    compiled = query.compile(dialect=connection.dialect)
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor(name=f"forewarn_load_{uuid.uuid4().hex[:8]}")
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(BATCH):
            yield from rows
    finally:
        cursor.close()


# -- writes ----------------------------------------------------------------------------------


@dataclass
class CacheWrite:
    """What one save changes in a project's cached snapshot.

    ``replace``: the snapshot is the whole project (a first sync): every row is
    written anew. Otherwise only these records are written (each replacing the
    row of its key), and ``milestones``, when not None, is the whole list (the
    trackers send it whole: a milestone no longer in it is deleted).
    """

    fetched_at: datetime
    replace: bool = False
    issues: Sequence[Issue] = ()
    comments: Sequence[Comment] = ()
    changes: Sequence[Change] = ()
    milestones: Sequence[Milestone] | None = None
    people: Sequence[Person] = ()

    @classmethod
    def whole(cls, snapshot: Snapshot) -> CacheWrite:
        return cls(fetched_at=snapshot.fetched_at, replace=True, issues=snapshot.issues,
                   comments=snapshot.comments, changes=snapshot.changes,
                   milestones=snapshot.milestones, people=tuple(snapshot.people.values()))

    @property
    def rows(self) -> int:
        """Records written (milestones counted whole)."""
        return (len(self.issues) + len(self.comments) + len(self.changes)
                + len(self.milestones or ()) + len(self.people))


def save(connection: Connection, project: str, write: CacheWrite, *, now: datetime) -> str:
    """Write ``write`` in the caller's transaction; returns the project's new stamp."""
    if write.replace:
        for table in CACHE_TABLES:
            connection.execute(delete(table).where(table.c.project == project))
    _put(connection, cached_people, project, "id", [person_row(p) for p in write.people],
         fresh=write.replace)
    if write.milestones is not None:
        _milestones(connection, project, write.milestones, fresh=write.replace)
    _put(connection, cached_issues, project, "key", [issue_row(i) for i in write.issues],
         fresh=write.replace)
    _put(connection, cached_comments, project, "id", [comment_row(c) for c in write.comments],
         fresh=write.replace)
    rows = {row["id"]: row for row in map(change_row, write.changes)}
    _put(connection, cached_changes, project, "id", list(rows.values()), fresh=write.replace)
    stamp = uuid.uuid4().hex
    values = {"stamp": stamp, "fetched_at": micros(write.fetched_at), "updated_at": now}
    done = connection.execute(cached_projects.update()
                              .where(cached_projects.c.project == project).values(**values))
    if done.rowcount == 0:
        connection.execute(insert(cached_projects).values(project=project, **values))
    return stamp


def _milestones(
    connection: Connection, project: str, milestones: Sequence[Milestone], *, fresh: bool
) -> None:
    """The whole list: rows that differ are written, rows no longer listed deleted."""
    if not fresh:
        kept = {row[0]: row for row in connection.execute(
            select(*[cached_milestones.c[name] for name in _COLUMNS["cached_milestones"]])
            .where(cached_milestones.c.project == project))}
        listed = {m.key for m in milestones}
        gone = [key for key in kept if key not in listed]
        _drop(connection, cached_milestones, project, "key", gone)
        rows = [row for row in map(milestone_row, milestones)
                if tuple(row.values()) != tuple(kept.get(row["key"], ()))]
    else:
        rows = [milestone_row(m) for m in milestones]
    _put(connection, cached_milestones, project, "key", rows, fresh=fresh)


def _put(
    connection: Connection, table: Table, project: str, key: str, rows: list[dict[str, Any]],
    *, fresh: bool,
) -> None:
    """Insert ``rows``, replacing those of the same key (portable: delete, then insert)."""
    if not rows:
        return
    if not fresh:
        _drop(connection, table, project, key, [row[key] for row in rows])
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), [{"project": project, **row}
                                           for row in rows[start:start + BATCH]])


def _drop(
    connection: Connection, table: Table, project: str, key: str, keys: Iterable[str]
) -> None:
    params = [{"p": project, "k": value} for value in keys]
    if params:
        connection.execute(
            delete(table).where(table.c.project == bindparam("p"), table.c[key] == bindparam("k")),
            params,
        )


def drop(connection: Connection, project: str) -> None:
    """Forget the project's cached snapshot (the next cycle syncs it again)."""
    for table in (*CACHE_TABLES, cached_projects):
        connection.execute(delete(table).where(table.c.project == project))


def people_changed(before: Mapping[str, Person], after: Mapping[str, Person]) -> list[Person]:
    """People whose record is new or differs (a fetch names everyone it met)."""
    return [person for pid, person in after.items() if before.get(pid) != person]
