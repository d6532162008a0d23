"""What changed since the previous period's summary: health, progress, dates, scope, waits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from connectors.codec import iso
from sync.summary.model import ChangeItem, Changes, Progress, ProjectSummary


def compare(current: ProjectSummary, previous: Mapping[str, Any] | None) -> Changes:
    """The differences with a stored summary row (``StateStore.previous_summary``)."""
    if previous is None:
        return Changes()
    try:
        before = ProjectSummary.model_validate(previous.get("payload") or {})
    except ValidationError:
        return Changes()  # a summary of an older format: start comparing afresh
    items: list[ChangeItem] = []
    old = {m.key: m for m in before.milestones}
    new = {m.key: m for m in current.milestones}
    for key, milestone in new.items():
        was = old.get(key)
        if was is None:
            items.append(ChangeItem(kind="milestone_added", subject=key, title=milestone.title))
            continue
        pairs: list[tuple[Any, Any, Any]] = [
            ("health", was.health, milestone.health),
            ("done", _done(was.progress), _done(milestone.progress)),
            ("due_on", iso(was.due.due_on), iso(milestone.due.due_on)),
            ("scope_added", was.scope.added_count if was.scope else None,
             milestone.scope.added_count if milestone.scope else None),
        ]
        items += [ChangeItem(kind=kind, subject=key, title=milestone.title, before=a, after=b)
                  for kind, a, b in pairs if a != b]
    items += [ChangeItem(kind="milestone_removed", subject=key, title=m.title)
              for key, m in old.items() if key not in new]
    waits = (len(before.feedback.awaiting), len(current.feedback.awaiting))
    breaches = tuple(sum(item.status == "breach" for item in summary.feedback.awaiting)
                     for summary in (before, current))
    if waits[0] != waits[1]:
        items.append(ChangeItem(kind="awaiting", before=waits[0], after=waits[1]))
    if breaches[0] != breaches[1]:
        items.append(ChangeItem(kind="breaches", before=breaches[0], after=breaches[1]))
    at = previous.get("updated_at")
    return Changes(
        previous_period=before.period,
        previous_at=at.astimezone(ZoneInfo(current.timezone)) if isinstance(at, datetime)
        else before.generated_at,
        items=items,
    )


def _done(progress: Progress) -> str:
    return f"{progress.issues_done}/{progress.issues_total}"
