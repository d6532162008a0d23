"""When a pause label stopped a rule's clock (``pause_labels``: waiting on the client).

``unanswered_feedback`` and ``follow_up`` count business time less the time an
issue carried a pause label; both learn the periods here, from the label history
that the tracker's changes carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from connectors.model import Change


def paused_periods(
    changes: Iterable[Change], issue_keys: Iterable[str], paused: frozenset[str]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per issue, the periods a pause label was on it: the clock stood still."""
    found = pause_changes(changes, dict.fromkeys(issue_keys), paused)
    return {key: intervals(items, paused) for key, items in found.items()}


def pause_changes(
    changes: Iterable[Change], anchors: Mapping[str, object], paused: frozenset[str]
) -> dict[str, list[Change]]:
    """Pause-label changes of the issues in ``anchors``, indexed by issue."""
    found: dict[str, list[Change]] = {}
    if not paused:
        return found
    for change in changes:
        if change.field != "label" or change.issue_key not in anchors:
            continue
        if (change.after or "").casefold() in paused or (change.before or "").casefold() in paused:
            found.setdefault(change.issue_key, []).append(change)
    return found


def intervals(
    changes: Iterable[Change], paused: frozenset[str]
) -> list[tuple[datetime, datetime]]:
    """The periods during which at least one pause label was on the issue, in order.

    A label removed with no earlier addition in the history was on from the
    start (the interval opens at ``datetime.min``); a label added and never
    removed, on an issue that does not carry it now, is a gap in the history
    and is ignored.
    """
    events: list[tuple[datetime, int, str]] = []  # (at, 0 = removed / 1 = added, label)
    first: dict[str, int] = {}
    for change in sorted(changes, key=lambda c: (c.at, c.before or "", c.after or "")):
        removed = (change.before or "").casefold()
        added = (change.after or "").casefold()
        if removed in paused:
            events.append((change.at, 0, removed))
            first.setdefault(removed, 0)
        if added in paused:
            events.append((change.at, 1, added))
            first.setdefault(added, 1)
    start_of_time = datetime.min.replace(tzinfo=events[0][0].tzinfo) if events else None
    active = {label for label, kind in first.items() if kind == 0}
    opened = start_of_time if active else None
    intervals: list[tuple[datetime, datetime]] = []
    for at, kind, label in events:
        if kind == 1:
            active.add(label)
            if opened is None:
                opened = at
        elif label in active:
            active.discard(label)
            if not active and opened is not None:
                intervals.append((opened, at))
                opened = None
    return intervals
