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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from config.summary import Summary as SummarySettings
from connectors.markers import Marker, Markup
from connectors.model import Milestone
from sync.actions import Action, Plan, RecordSummary, SummaryRecord
from sync.reconcile import Actual, Seen, upsert
from sync.store.state import CommentRecord
from sync.summary.build import SummaryInput, build_retrospective, build_summary
from sync.summary.editions import client_edition, organisations_of
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
    #: The project's ``clients`` (client organisations give one client edition each).
    clients: object = None
    #: Organisation -> the full key of the issue its client edition goes on.
    issues: Mapping[str, str] = field(default_factory=dict)

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
    if to.settings.audience == "client":
        return _client_editions(data, summary, record, to=to, previous=previous, issues=issues,
                                actual=actual, seen=seen, now=now)
    if to.target not in issues:
        problem = (f"status_issue {to.target} was not found in the tracker: the summary "
                   "(and milestone alerts) cannot be posted")
        return SummaryPlan(summary, Plan(), problem)
    actions = _post(summary, to.target, Marker.summary(period), to=to, actual=actual,
                    seen=seen, record=record)
    actions += _retrospectives(data, to=to, actual=actual, seen=seen, now=now)
    return SummaryPlan(summary, Plan(tuple(actions)))


def _post(
    summary: ProjectSummary, target: str, marker: Marker, *, to: Destination, actual: Actual,
    seen: Seen, record: SummaryRecord | None,
) -> list[Action]:
    """One edition's comment, created or edited in place (the client's mentions nobody)."""
    notify = to.notify if summary.audience == "team" else ()
    return upsert(
        target=target, marker=marker, kind="summary",
        render=lambda: render_summary(summary, to.flavor, marker=marker, notify=notify,
                                      templates=to.settings.templates,
                                      jira_cloud=to.jira_cloud),
        record=_recorded(actual, marker, target), seen=seen.on(marker, target), summary=record,
    )


def _retrospectives(
    data: SummaryInput, *, to: Destination, actual: Actual, seen: Seen, now: datetime,
) -> list[Action]:
    actions: list[Action] = []
    for milestone in recently_closed(data.snapshot.milestones if data.snapshot else (), now):
        actions += _retrospective(data, milestone, to=to, actual=actual, seen=seen, now=now)
    return actions


def _client_editions(
    data: SummaryInput, summary: ProjectSummary, record: SummaryRecord, *, to: Destination,
    previous: dict[str, Any] | None, issues: set[str], actual: Actual, seen: Seen,
    now: datetime,
) -> SummaryPlan:
    """The client edition on the status issue, or one per organisation on its own issue.

    The team's summary is still recorded (what changed next period compares with it);
    the retrospectives, written for the team, are not posted where the client reads.
    """
    organisations = organisations_of(to.clients)
    targets: dict[str | None, str | None] = (
        {name: to.issues.get(name) for name in organisations} if organisations
        else {None: to.target})
    actions: list[Action] = [RecordSummary(summary=record)]
    missing: list[str] = []
    for organisation, target in targets.items():
        if target is None or target not in issues:
            missing.append(f"{organisation or 'status_issue'}: {target or 'no issue'}")
            continue
        edition = client_edition(data, summary, now=now, organisations=organisations,
                                 organisation=organisation, previous=previous, target=target)
        marker = Marker.summary(f"{summary.period}.{organisation}" if organisation
                                else summary.period)
        actions += _post(edition, target, marker, to=to, actual=actual, seen=seen, record=None)
    problem = None
    if missing:
        problem = ("the client edition of the summary cannot be posted, its issue was not found "
                   "in the tracker (" + "; ".join(missing) + ")")
    return SummaryPlan(summary, Plan(tuple(actions)), problem)


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
