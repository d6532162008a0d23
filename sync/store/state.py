"""The state store: what forewarn wrote, what it saw, where it stopped.

SQLAlchemy Core over SQLite (a file by default) or PostgreSQL. Every write
to the tracker is recorded in its own transaction right after it succeeds,
so a run that dies mid-way resumes cleanly; what a lost record would
duplicate (a comment) is recovered from the marker in the tracker instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from config.model import redact_url
from connectors.markers import Marker
from connectors.model import Snapshot
from rules.base import DueDateSeen
from sync.store import snapshot as cache
from sync.store.errors import Fence, check_fence, describe_failure
from sync.store.errors import StateStoreUnavailable as StateStoreUnavailable  # its old home
from sync.store.ledger import (
    GONE,
    CommentRecord,
    FindingRecord,
    Ledger,
    aware,
    changed,
    comment_updated,
    comment_written,
    evidence_json,
)
from sync.store.migrations import NewerSchema, upgrade
from sync.store.snapshot import CacheWrite, Loaded
from sync.store.tables import (
    comments,
    cursors,
    due_dates,
    findings,
    labels,
    leases,
    memos,
    metadata,
    runs,
    summaries,
)

__all__ = [
    "GONE",
    "CacheWrite",
    "CommentRecord",
    "FindingRecord",
    "Loaded",
    "StateStore",
    "StateStoreUnavailable",
    "comments",
    "cursors",
    "due_dates",
    "evidence_json",
    "findings",
    "labels",
    "leases",
    "memos",
    "metadata",
    "runs",
    "summaries",
]

log = logging.getLogger(__name__)


_aware = aware  # the name this module and sync/store/notifications.py use


class StateStore:
    """One database; every method is a unit of work in its own transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        #: What this process read and wrote of each project's findings, comments and labels.
        self.ledger = Ledger()
        options: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False}
            if url in ("sqlite://", "sqlite:///:memory:"):
                options["poolclass"] = StaticPool
        try:
            self.engine: Engine = create_engine(url, **options)
            if url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            # Alembic, not create_all: an older database is upgraded in place, keeping its rows.
            upgrade(self.engine)
        except (SQLAlchemyError, OSError, ValueError, NewerSchema) as error:
            reason = getattr(error, "orig", None) or error
            text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
            msg = f"cannot open the state store {redact_url(url)}: {redact_url(text)}"
            raise StateStoreUnavailable(msg) from None

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raises when the database cannot be reached (the daemon's readiness check)."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # -- cursor and cached snapshot ---------------------------------------------

    def cursor(self, project: str) -> str | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(cursors.c.cursor).where(cursors.c.project == project)
            ).first()
        return row[0] if row else None

    def load_snapshot(self, project: str) -> Snapshot | None:
        loaded = self.load_cache(project)
        return loaded.snapshot if loaded is not None else None

    def load_cache(self, project: str) -> Loaded | None:
        """The cached snapshot and its stamp; None when nothing (readable) is cached.

        A row that cannot be read is skipped with a warning. A cache that cannot be read
        at all (its head row, a format this forewarn does not know) is dropped with a
        warning and the project fetched whole again: else it would fail every cycle.
        """
        try:
            with self.engine.connect() as connection:
                return cache.load(connection, project)
        except SQLAlchemyError:
            raise  # the database, not the rows: nothing to drop
        except Exception as error:
            log.warning("%s: the cached snapshot cannot be read (%s: %s); dropping it and "
                        "fetching the whole project again", project, type(error).__name__,
                        describe_failure(error), extra={"project": project})
        self.drop_cache(project)
        return None

    def cache_stamp(self, project: str) -> str | None:
        """Which save wrote the cached snapshot (one small query, asked every cycle)."""
        with self.engine.connect() as connection:
            return cache.stamp_of(connection, project)

    def drop_cache(self, project: str) -> None:
        """Forget the cached snapshot and the cursor: the next cycle syncs the project anew."""
        with self.transaction() as connection:
            cache.drop(connection, project)
            connection.execute(delete(cursors).where(cursors.c.project == project))

    def save_progress(
        self, project: str, *, cursor: str | None, memo: Mapping[str, str], now: datetime,
        snapshot: Snapshot | None = None, write: CacheWrite | None = None,
        fence: Fence | None = None,
    ) -> str:
        """Cursor, cached records and connector memo move together, once the cycle succeeded.

        ``write`` says which records changed; without it ``snapshot`` is written whole.
        ``fence``: refused (``LeaseLost``) when another process took the project over.
        Returns the cache's new stamp.
        """
        if write is None:
            assert snapshot is not None, "save_progress needs a snapshot or a write"
            write = CacheWrite.whole(snapshot)
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            _upsert(connection, cursors, {"project": project},
                    {"cursor": cursor, "updated_at": now})
            stamp = cache.save(connection, project, write, now=now)
            kept = dict(connection.execute(
                select(memos.c.key, memos.c.value).where(memos.c.project == project)).all())
            for key, value in memo.items():
                if kept.get(key) != value:  # an unchanged memo costs no write
                    _upsert(connection, memos, {"project": project, "key": key}, {"value": value})
        return stamp

    def memo(self, project: str) -> dict[str, str]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(memos.c.key, memos.c.value).where(memos.c.project == project)
            )
            return {key: value for key, value in rows}

    # -- due-date history ---------------------------------------------------------

    def due_date_history(self, project: str) -> dict[str, tuple[DueDateSeen, ...]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(due_dates.c.milestone_key, due_dates.c.seen_at, due_dates.c.due_on)
                .where(due_dates.c.project == project)
                .order_by(due_dates.c.id)
            ).all()
        history: dict[str, list[DueDateSeen]] = {}
        for key, seen_at, due_on in rows:
            seen = _aware(seen_at)
            assert seen is not None
            history.setdefault(key, []).append(
                DueDateSeen(seen, date.fromisoformat(due_on) if due_on else None)
            )
        return {key: tuple(values) for key, values in history.items()}

    def record_due_dates(
        self, project: str, observed: Mapping[str, date | None], now: datetime
    ) -> None:
        """Append an observation only when a milestone's due date differs from the last one."""
        history = self.due_date_history(project)
        rows = [
            {"project": project, "milestone_key": key, "seen_at": now,
             "due_on": due.isoformat() if due else None}
            for key, due in observed.items()
            if not history.get(key) or history[key][-1].due_on != due
        ]
        if rows:
            with self.transaction() as connection:
                connection.execute(insert(due_dates), rows)

    # -- findings, comments, labels -------------------------------------------------

    def findings(self, project: str) -> dict[str, FindingRecord]:
        with self.engine.connect() as connection:
            return dict(self.ledger.read(connection, project).findings)

    def save_findings(
        self, project: str, current: list[FindingRecord], now: datetime
    ) -> None:
        """The active findings replace the previous set; first_seen survives.

        Only findings that are new, changed or gone are written (a steady-state cycle
        writes none): ``last_seen`` is the last cycle that wrote the finding's row.
        """
        with self.transaction() as connection:
            held = self.ledger.read(connection, project)
            stored = held.findings
            kept: dict[str, FindingRecord] = {}
            rows = []
            for record in current:
                before = stored.get(record.fingerprint)
                if before is record:  # reconcile kept the record: unchanged (sync/reconcile.py)
                    kept[record.fingerprint] = record
                    continue
                if before is not None and before.first_seen != record.first_seen:
                    record = replace(record, first_seen=before.first_seen)
                kept[record.fingerprint] = record
                if before is None or changed(before, record):
                    rows.append(_finding_row(project, record, now))
            gone = [{"p": project, "f": fp} for fp in stored if fp not in kept]
            gone += [{"p": project, "f": row["fingerprint"]} for row in rows
                     if row["fingerprint"] in stored]
            if not rows and not gone:
                self.ledger.keep_findings(project, held.stamp, kept)
                return
            touch = self.ledger.touch(connection, project)
            if gone:
                connection.execute(delete(findings).where(
                    findings.c.project == bindparam("p"), findings.c.fingerprint == bindparam("f")),
                    gone)
            if rows:
                connection.execute(insert(findings), rows)
        self.ledger.written(touch, lambda copy: setattr(copy, "findings", kept))

    def comments(self, project: str) -> dict[str, CommentRecord]:
        with self.engine.connect() as connection:
            return dict(self.ledger.read(connection, project).comments)

    def record_comment(self, project: str, record: CommentRecord, *, now: datetime,
                       fence: Fence | None = None) -> None:
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            _upsert(connection, comments, {"project": project, "marker": str(record.marker)}, {
                "fingerprint": record.fingerprint, "kind": record.kind, "target": record.target,
                "comment_id": record.comment_id, "body_hash": record.body_hash,
                "created_at": now, "resolved_at": now if record.resolved else None,
                "input_hash": record.input_hash or None,
            })
            touch = self.ledger.touch(connection, project)
        self.ledger.written(touch, comment_written(record, now))

    def update_comment(
        self, project: str, *, marker: Marker, body_hash: str, resolved: bool, now: datetime,
        input_hash: str | None = None, fence: Fence | None = None,
    ) -> None:
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            connection.execute(
                update(comments)
                .where(comments.c.project == project, comments.c.marker == str(marker))
                .values(body_hash=body_hash, resolved_at=now if resolved else None,
                        input_hash=input_hash or None)
            )
            touch = self.ledger.touch(connection, project)
        self.ledger.written(touch, comment_updated(marker, body_hash=body_hash, resolved=resolved,
                                                   now=now, input_hash=input_hash))

    def labels(self, project: str) -> set[tuple[str, str]]:
        with self.engine.connect() as connection:
            return set(self.ledger.read(connection, project).labels)

    def record_label(self, project: str, target: str, label: str, now: datetime, *,
                     fence: Fence | None = None) -> None:
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            _upsert(connection, labels, {"project": project, "target": target, "label": label},
                    {"applied_at": now})
            touch = self.ledger.touch(connection, project)
        self.ledger.written(touch, lambda copy: copy.labels.add((target, label)))

    def forget_label(self, project: str, target: str, label: str, *,
                     fence: Fence | None = None) -> None:
        self.forget_labels(project, [(target, label)], fence=fence)

    def forget_labels(self, project: str, pairs: Sequence[tuple[str, str]], *,
                      fence: Fence | None = None) -> None:
        """(target, label) pairs no longer forewarn's, in one transaction: forgetting asks
        nothing of the tracker, so a cycle's forgets are one write to the store."""
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            connection.execute(delete(labels).where(
                labels.c.project == project, labels.c.target == bindparam("t"),
                labels.c.label == bindparam("l")), [{"t": t, "l": label} for t, label in pairs])
            touch = self.ledger.touch(connection, project)
        self.ledger.written(touch, lambda copy: copy.labels.difference_update(pairs))

    # -- summaries ----------------------------------------------------------------------

    def summary(self, project: str, period: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(summaries).where(
                summaries.c.project == project, summaries.c.period == period)).first()
        return _summary_row(row)

    def previous_summary(self, project: str, before_period: str) -> dict[str, Any] | None:
        """The latest summary of an earlier period: what "changed since" compares with."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(summaries)
                .where(summaries.c.project == project, summaries.c.period < before_period)
                .order_by(summaries.c.period.desc()).limit(1)
            ).first()
        return _summary_row(row)

    def record_summary(
        self, project: str, period: str, *, payload: Mapping[str, Any], now: datetime,
        fence: Fence | None = None,
    ) -> None:
        """What the summary of a period said (its comment is in ``comments``)."""
        with self.transaction() as connection:
            check_fence(connection, fence, leases)
            existing = connection.execute(select(summaries.c.created_at).where(
                summaries.c.project == project, summaries.c.period == period)).first()
            _upsert(connection, summaries, {"project": project, "period": period}, {
                "payload": json.dumps(payload, sort_keys=True, default=str),
                "created_at": existing[0] if existing else now, "updated_at": now,
            })

    # -- run log ----------------------------------------------------------------------

    def start_run(self, project: str, now: datetime) -> int:
        with self.transaction() as connection:
            result = connection.execute(
                insert(runs).values(project=project, started_at=now, status="running",
                                    findings=0, writes=0, skipped=0)
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(
        self, run_id: int, *, status: str, now: datetime, findings: int = 0, writes: int = 0,
        skipped: int = 0, message: str | None = None,
    ) -> None:
        with self.transaction() as connection:
            connection.execute(update(runs).where(runs.c.id == run_id).values(
                status=status, finished_at=now, findings=findings, writes=writes,
                skipped=skipped, message=message,
            ))

    def first_run(self, project: str) -> datetime | None:
        """When this database's memory of the project begins: its first cycle's start."""
        return self._run_time(project, func.min(runs.c.started_at))

    def last_finished(self, project: str) -> datetime | None:
        """When the newest finished cycle of the project ended, whichever replica ran it."""
        return self._run_time(project, func.max(runs.c.finished_at))

    def _run_time(self, project: str, aggregate: Any) -> datetime | None:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(aggregate).where(runs.c.project == project)).scalar()
        return _aware(value)


def _summary_row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    data = dict(row._mapping)
    data["payload"] = json.loads(data["payload"])
    data["created_at"] = _aware(data["created_at"])
    data["updated_at"] = _aware(data["updated_at"])
    return data


def _finding_row(project: str, record: FindingRecord, now: datetime) -> dict[str, Any]:
    return {"project": project, "fingerprint": record.fingerprint, "rule_id": record.rule_id,
            "kind": record.kind, "cause": record.cause, "subject_key": record.subject_key,
            "severity": record.severity, "evidence": evidence_json(record.evidence),
            "backfilled": record.backfilled, "first_seen": record.first_seen,
            "last_seen": now}


def _upsert(
    connection: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Portable upsert (SQLite and PostgreSQL): update, insert when nothing matched."""
    condition = [table.c[name] == value for name, value in key.items()]
    result = connection.execute(update(table).where(*condition).values(**values))
    if result.rowcount == 0:
        connection.execute(insert(table).values(**key, **values))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
