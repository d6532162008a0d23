"""The summary and retrospective comments of a cycle, planned like every other write.

``plan_summary`` builds the period's summary and plans its one comment on the
project's status issue through ``sync.reconcile.upsert``: created the first
time in a period, edited in place after, adopted by its marker
(``summary.<period>:info``) when the state store lost it. A milestone that
closed within ``RETRO_WINDOW`` gets one retrospective comment
(``retro.<16 hex>:info``), never a second one; milestones closed longer ago,
say when forewarn starts watching an old project, get none.

What the summary said is recorded with its comment (``SummaryRecord``), or on
its own when it is posted nowhere (``summary.to: none``, no status issue): the
next period's "what changed since" compares with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from config.summary import Summary as SummarySettings
from connectors.markers import Marker, Markup
from connectors.model import Milestone
from sync.actions import Action, Plan, RecordSummary, SummaryRecord
from sync.reconcile import Actual, Seen, upsert
from sync.store.state import CommentRecord
from sync.summary.build import SummaryInput, build_retrospective, build_summary
from sync.summary.model import ProjectSummary
from sync.summary.render import render_retrospective, render_summary
from sync.summary.schedule import summary_period

#: A milestone closed longer ago than this gets no retrospective.
RETRO_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class SummaryPlan:
    summary: ProjectSummary
    plan: Plan
    #: Why the summary cannot be posted where the config says (shown, and the run fails).
    problem: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where and how the summary is written for one project."""

    settings: SummarySettings
    target: str | None
    markup: Markup
    jira_cloud: bool = True
    notify: Sequence[str] = ()

    @property
    def flavor(self) -> Literal["md", "jira"]:
        return "jira" if self.markup == "jira" else "md"


def retro_key(milestone_key: str) -> str:
    """Milestone keys can be long: markers and periods hold a short hash of them."""
    return hashlib.sha256(milestone_key.encode()).hexdigest()[:16]


def plan_summary(
    data: SummaryInput, *, to: Destination, previous: dict[str, Any] | None,
    actual: Actual, seen: Seen, now: datetime,
) -> SummaryPlan:
    """The period's summary and the plan that puts it (and due retrospectives) in place."""
    period = summary_period(to.settings, data.calendar.timezone, now)
    summary = build_summary(data, now=now, period=period, previous=previous)
    record = SummaryRecord(period=period, payload=summary.model_dump(mode="json"))
    if to.settings.to == "none" or not to.target:
        return SummaryPlan(summary, Plan((RecordSummary(summary=record),)))
    issues = {issue.key for issue in data.snapshot.issues} if data.snapshot else set()
    if to.target not in issues:
        problem = (f"status_issue {to.target} was not found in the tracker: the summary "
                   "(and milestone alerts) cannot be posted")
        return SummaryPlan(summary, Plan(), problem)
    target = to.target
    marker = Marker.summary(period)
    actions: list[Action] = upsert(
        target=target, marker=marker, kind="summary",
        render=lambda: render_summary(summary, to.flavor, marker=marker, notify=to.notify,
                                      templates=to.settings.templates,
                                      jira_cloud=to.jira_cloud),
        record=_recorded(actual, marker, target), seen=seen.on(marker, target), summary=record,
    )
    for milestone in recently_closed(data.snapshot.milestones if data.snapshot else (), now):
        actions += _retrospective(data, milestone, to=to, actual=actual, seen=seen, now=now)
    return SummaryPlan(summary, Plan(tuple(actions)))


def _retrospective(
    data: SummaryInput, milestone: Milestone, *, to: Destination, actual: Actual, seen: Seen,
    now: datetime,
) -> list[Action]:
    assert to.target is not None
    key = retro_key(milestone.key)
    marker = Marker.retrospective(key)
    if _recorded(actual, marker, to.target) is not None:
        return []  # posted once: a retrospective is never edited or posted again
    retro = build_retrospective(data, milestone, now=now)
    return upsert(
        target=to.target, marker=marker, kind="retro", edit=False,
        render=lambda: render_retrospective(retro, to.flavor, marker=marker,
                                            templates=to.settings.templates,
                                            jira_cloud=to.jira_cloud),
        record=None, seen=seen.on(marker, to.target),
        summary=SummaryRecord(period=f"retro:{key}", payload=retro.model_dump(mode="json")),
    )


def _recorded(actual: Actual, marker: Marker, target: str) -> CommentRecord | None:
    record = actual.comments.get(str(marker))
    return record if record is not None and record.target == target else None


def recently_closed(milestones: Sequence[Milestone], now: datetime) -> list[Milestone]:
    return sorted(
        (m for m in milestones
         if m.state == "closed" and m.closed_at is not None
         and now - RETRO_WINDOW <= m.closed_at <= now),
        key=lambda m: (m.closed_at, m.key),
    )
