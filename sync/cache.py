"""The cached snapshot: a delta from an incremental fetch merged into what was seen before.

Rules need the whole project; trackers answer only what changed since the
cursor. Records are replaced by key (issues by key, comments by id), changes
are a set, milestones and people come whole with every fetch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from connectors.model import Comment, Snapshot


def merge(base: Snapshot | None, delta: Snapshot) -> Snapshot:
    if base is None:
        return delta
    issues = {issue.key: issue for issue in base.issues}
    issues.update((issue.key, issue) for issue in delta.issues)
    comments = {comment.id: comment for comment in base.comments}
    comments.update((comment.id, comment) for comment in delta.comments)
    changes = dict.fromkeys(base.changes)
    changes.update(dict.fromkeys(delta.changes))
    people = dict(base.people)
    people.update(delta.people)
    return Snapshot(
        project=delta.project or base.project,
        fetched_at=delta.fetched_at,
        issues=tuple(issues.values()),
        milestones=delta.milestones or base.milestones,
        comments=tuple(comments.values()),
        changes=tuple(changes),
        people=people,
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
    issues = []
    for issue in snapshot.issues:
        if issue.key in add or issue.key in drop:
            names = [n for n in issue.labels if n.casefold() not in drop.get(issue.key, set())]
            folded = {n.casefold() for n in names}
            names += [n for n in add.get(issue.key, []) if n.casefold() not in folded]
            issue = replace(issue, labels=tuple(names), updated_at=now)
        issues.append(issue)
    by_id = {comment.id: comment for comment in snapshot.comments}
    by_id.update((comment.id, comment) for comment in comments)
    return replace(snapshot, issues=tuple(issues), comments=tuple(by_id.values()))
