"""The expectation summary as data: tracker-neutral, one per project and period.

``sync/summary/build.py`` fills these models from a cycle's snapshot,
findings and history; ``sync/summary/render.py`` turns them into Markdown,
Jira wiki markup, HTML or JSON. The JSON form is published as a JSON Schema
(``docs/summary.schema.json``); regenerate it after changing a model::

    python -m sync.summary.model > docs/summary.schema.json

Conventions: datetimes are aware and in the project's time zone (JSON:
ISO 8601 with the offset); dates are plain calendar dates; shares are
fractions between 0 and 1 (``0.31`` is 31 %); durations of business time are
hours. Tracker text (titles, names) is kept raw here: every renderer escapes
it for its own markup.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal[1] = 1

Health = Literal["on_track", "at_risk", "off_track", "no_due_date", "done"]
WaitStatus = Literal["waiting", "warning", "breach"]
ChangeKind = Literal[
    "milestone_added", "milestone_removed", "health", "done", "due_on", "scope_added",
    "awaiting", "breaches",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssueRef(_Model):
    """An issue as the summary names it."""

    key: str = Field(description="Tracker key: owner/repo#12, BILL-7, demo#12.")
    title: str
    url: str | None = Field(default=None, description="Link to the issue, if the tracker has one.")
    closed: bool = False


class Progress(_Model):
    issues_total: int = Field(ge=0)
    issues_done: int = Field(ge=0, description="Closed issues of the milestone.")
    done_share: float | None = Field(
        default=None, ge=0, le=1, description="issues_done / issues_total; null without issues.")
    estimate_total: float | None = Field(
        default=None, description="Sum of the estimates of issues that have one; null if none do.")
    estimate_done: float | None = None
    estimate_done_share: float | None = Field(default=None, ge=0, le=1)


class DueDate(_Model):
    due_on: date | None = None
    first_due_on: date | None = Field(
        default=None, description="The first due date forewarn (or the tracker's history) saw.")
    days_moved: int = Field(
        default=0, description="due_on - first_due_on in days: positive when pushed back.")
    moves: int = Field(default=0, ge=0, description="How many times the due date changed.")


class Forecast(_Model):
    """Monte Carlo forecast on the team's weekly throughput (the schedule_slip rule's)."""

    forecast_on: date | None = Field(
        default=None, description="Date by which `confidence` of the trials are done.")
    probability: float | None = Field(
        default=None, ge=0, le=1, description="Chance to be done by the due date.")
    confidence: float | None = Field(default=None, gt=0, lt=1)


class Scope(_Model):
    """How the milestone's scope moved after its baseline (the scope_creep rule's numbers)."""

    baseline_at: datetime
    baseline_count: int = Field(ge=0, description="Issues in the milestone at the baseline.")
    added_count: int = Field(ge=0, description="Unapproved additions after the baseline.")
    approved_count: int = Field(ge=0, description="Additions with an approved-change label.")
    descoped_count: int = Field(ge=0, description="Baseline issues taken out after it.")
    current_count: int = Field(ge=0, description="Issues in the milestone now.")
    growth: float | None = Field(
        default=None, ge=0,
        description="Added ÷ baseline in the unit (added_points / baseline_points in points, "
                    "else added_count / baseline_count); null when the baseline is empty.")
    unit: Literal["issues", "points"] = Field(
        default="issues", description="points where issues of the milestone carry estimates.")
    baseline_points: float | None = Field(
        default=None, description="The baseline in points (unit points); null in issues.")
    added_points: float | None = None
    current_points: float | None = None
    unestimated_count: int = Field(
        default=0, ge=0, description="Issues without an estimate, counted at the average one.")
    threshold: float | None = Field(default=None, description="The rule's growth threshold.")
    over_threshold: bool = Field(
        default=False, description="True when the scope_creep rule reports this growth.")
    added: list[IssueRef] = Field(default_factory=list)
    approved: list[IssueRef] = Field(default_factory=list)
    descoped: list[IssueRef] = Field(default_factory=list)


class BurnupPoint(_Model):
    """Scope and done at the end of one week (the last point is now)."""

    on: date = Field(description="The local date of the point: a Sunday, or today.")
    week: str = Field(pattern=r"^\d{4}-W\d{2}$", description="ISO week, like 2026-W48.")
    scope: int = Field(ge=0, description="Issues in the milestone then.")
    done: int = Field(ge=0, description="Of those, issues closed by then.")
    scope_points: float | None = Field(
        default=None, ge=0, description="The same in points (the milestone's unit is points).")
    done_points: float | None = Field(default=None, ge=0)


class MilestoneSummary(_Model):
    key: str
    title: str
    kind: Literal["milestone", "sprint", "version", "epic"]
    unit: Literal["issues", "points"] = Field(
        default="issues",
        description="What scope, burn-up and forecast count: points where issues of the "
                    "milestone carry estimates, else issues.")
    health: Health
    days_overdue: int = Field(default=0, ge=0)
    days_late: int = Field(
        default=0, ge=0,
        description="Done (every issue closed) this many days after the due date: the last "
                    "closure's date minus due_on in the project's calendar.")
    progress: Progress
    due: DueDate
    forecast: Forecast
    scope: Scope | None = Field(
        default=None, description="Null when the milestone has no start nor creation time.")
    burnup: list[BurnupPoint] = Field(default_factory=list)


class AwaitingReply(_Model):
    """An open issue whose client waits for a team reply."""

    issue: IssueRef
    client: str = Field(description="Display name of the client who asked.")
    asked_at: datetime
    business_hours: float = Field(ge=0, description="Business time waited so far, pauses excluded.")
    sla_hours: float | None = Field(default=None, description="The SLA that applies, in hours.")
    status: WaitStatus


class FeedbackKpis(_Model):
    """Client requests that started in a period: how fast the team first answered."""

    since: datetime
    until: datetime
    requests: int = Field(ge=0, description="Client messages that started a wait in the period.")
    answered: int = Field(ge=0)
    median_first_response_hours: float | None = Field(
        default=None, ge=0, description="Median business hours to the first team reply.")
    within_sla: int = Field(ge=0, description="Answered within the SLA.")
    missed_sla: int = Field(ge=0, description="Answered late, or still waiting past the SLA.")
    pending: int = Field(ge=0, description="Still waiting, within the SLA: not decided yet.")
    sla_compliance: float | None = Field(
        default=None, ge=0, le=1, description="within_sla / (within_sla + missed_sla).")


class Feedback(_Model):
    watched: bool = Field(description="An unanswered_feedback rule applies to the project.")
    clients: int = Field(ge=0, description="People classified as clients in the tracker.")
    awaiting: list[AwaitingReply] = Field(default_factory=list)
    last_30_days: FeedbackKpis


class Subject(_Model):
    kind: Literal["issue", "milestone"]
    key: str


class Risk(_Model):
    """An active finding (warning or critical): what the alerts say, in one list."""

    fingerprint: str
    rule: str
    kind: str
    cause: str
    severity: Literal["info", "warning", "critical"]
    subject: Subject
    acked: bool = False
    label: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    team_only: bool = Field(
        default=False, description="For the team alone: never in a client edition.")


class ChangeItem(_Model):
    """One difference with the previous period's summary."""

    kind: ChangeKind
    subject: str | None = Field(default=None, description="Milestone key, when about one.")
    title: str | None = None
    before: str | int | float | None = None
    after: str | int | float | None = None


class Changes(_Model):
    previous_period: str | None = Field(
        default=None, description="The period compared with; null for the first summary.")
    previous_at: datetime | None = None
    items: list[ChangeItem] = Field(default_factory=list)


class ProjectSummary(_Model):
    """The expectation summary of one project for one period."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="forewarn expectation summary")

    version: Literal[1] = SCHEMA_VERSION
    project: str
    period: str = Field(description="2026-W48 (weekly summaries) or 2026-11-25 (daily).")
    generated_at: datetime
    timezone: str
    language: Literal["en", "zh-CN"]
    status_issue: str | None = None
    audience: Literal["team", "client"] = Field(
        default="team",
        description="team: the whole summary; client: the client edition (no names, no "
                    "instructions, that client's feedback only).")
    organisation: str | None = Field(
        default=None, description="The client organisation of a client edition, if any.")
    milestones: list[MilestoneSummary] = Field(
        default_factory=list, description="Open milestones, earliest due date first.")
    feedback: Feedback
    risks: list[Risk] = Field(default_factory=list)
    risk_register: list[Risk] = Field(
        default_factory=list,
        description="The risk register: issues of open milestones that are blocked, stalled "
                    "or unowned (the risk rule's issue findings), by milestone.")
    changes: Changes = Field(default_factory=Changes)
    errors: list[str] = Field(
        default_factory=list, description="Why parts of the summary could not be built.")
    skipped: list[str] = Field(default_factory=list, description="Tracker records not read.")


class Retrospective(_Model):
    """Posted once when a milestone closes: what was promised and what was delivered."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="forewarn milestone retrospective")

    version: Literal[1] = SCHEMA_VERSION
    project: str
    milestone: str = Field(description="The milestone key.")
    title: str
    kind: Literal["milestone", "sprint", "version", "epic"]
    generated_at: datetime
    timezone: str
    language: Literal["en", "zh-CN"]
    started_at: datetime | None = None
    closed_at: datetime
    due_on: date | None = None
    days_late: int | None = Field(
        default=None, description="Closing date - due date: positive late, negative early.")
    scope: Scope | None = None
    delivered: int = Field(ge=0, description="Issues of the milestone closed when it closed.")
    delivered_baseline: int = Field(ge=0, description="Baseline issues among the delivered.")
    not_delivered: list[IssueRef] = Field(
        default_factory=list, description="Issues still open in the milestone.")
    feedback: FeedbackKpis


def summary_json_schema() -> dict[str, Any]:
    schema = ProjectSummary.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


if __name__ == "__main__":
    print(json.dumps(summary_json_schema(), indent=2, ensure_ascii=False))
