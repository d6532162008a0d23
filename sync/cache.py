"""The cached snapshot: a delta from an incremental fetch merged into what was seen before.

Rules need the whole project; trackers answer only what changed since the
cursor. Records are replaced by key (issues by key, comments by id), changes
are a set, milestones and people come whole with every fetch. A kind of
record the delta does not touch keeps the cached tuple as it is (a steady
state cycle copies nothing), and :func:`to_write` says which records the
state store must write: those the fetch returned and those forewarn's own
writes changed, never the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from connectors.model import Comment, Issue, Snapshot
from sync.store.snapshot import CacheWrite, people_changed


def merge(base: Snapshot | None, delta: Snapshot) -> Snapshot:
    if base is None:
        return delta
    issues = base.issues
    if delta.issues:
        by_key = {issue.key: issue for issue in base.issues}
        by_key.update((issue.key, issue) for issue in delta.issues)
        issues = tuple(by_key.values())
    comments = base.comments
    if delta.comments:
        by_id = {comment.id: comment for comment in base.comments}
        by_id.update((comment.id, comment) for comment in delta.comments)
        comments = tuple(by_id.values())
    changes = base.changes
    if delta.changes:
        unique = dict.fromkeys(base.changes)
        unique.update(dict.fromkeys(delta.changes))
        changes = tuple(unique)
    people = dict(base.people)
    people.update(delta.people)
    return Snapshot(
        project=delta.project or base.project,
        fetched_at=delta.fetched_at,
        issues=issues,
        milestones=delta.milestones or base.milestones,
        comments=comments,
        changes=changes,
        people=people,
    )


def to_write(
    *, previous: Snapshot | None, delta: Snapshot, after: Snapshot, replace_all: bool,
    labelled: Iterable[str] = (), comments: Iterable[Comment] = (),
) -> CacheWrite:
    """What the state store writes of ``after``: the records ``delta`` (the fetch) returned
    and those forewarn's writes changed (labels on ``labelled`` issues, its ``comments``).

    ``replace_all`` (a fetch of the whole project) or no ``previous`` writes it whole.
    """
    if replace_all or previous is None:
        return CacheWrite.whole(after)
    keys = {issue.key for issue in delta.issues}
    keys.update(labelled)
    written = {comment.id: comment for comment in delta.comments}
    written.update((comment.id, comment) for comment in comments)
    return CacheWrite(
        fetched_at=after.fetched_at,
        issues=[issue for issue in after.issues if issue.key in keys] if keys else [],
        comments=list(written.values()),
        changes=delta.changes,
        milestones=after.milestones if delta.milestones else None,
        people=people_changed(previous.people, after.people),
    )


def with_writes(
    snapshot: Snapshot, *, added: Iterable[tuple[str, str]], removed: Iterable[tuple[str, str]],
    comments: Iterable[Comment], now: datetime,
) -> Snapshot:
    """Apply forewarn's own writes to the cache so the next plan starts from the truth."""
    add: dict[str, list[str]] = {}
    drop: dict[str, set[str]] = {}
    for target, label in added:
        add.setdefault(target, []).append(label)
    for target, label in removed:
        drop.setdefault(target, set()).add(label.casefold())
    issues = snapshot.issues
    if add or drop:
        issues = tuple(_labelled(issue, add, drop, now) for issue in snapshot.issues)
    comments = list(comments)
    if not comments:
        return replace(snapshot, issues=issues)
    by_id = {comment.id: comment for comment in snapshot.comments}
    by_id.update((comment.id, comment) for comment in comments)
    return replace(snapshot, issues=issues, comments=tuple(by_id.values()))


def _labelled(
    issue: Issue, add: dict[str, list[str]], drop: dict[str, set[str]], now: datetime
) -> Issue:
    if issue.key not in add and issue.key not in drop:
        return issue
    names = [n for n in issue.labels if n.casefold() not in drop.get(issue.key, set())]
    folded = {n.casefold() for n in names}
    names += [n for n in add.get(issue.key, []) if n.casefold() not in folded]
    return replace(issue, labels=tuple(names), updated_at=now)
