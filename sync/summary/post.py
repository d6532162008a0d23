"""The expectation summary: one comment per project and period, edited in place.

Entry points (the daemon calls ``post_summary`` on the ``summary.every``
schedule; ``forewarn run --once --summary`` and ``forewarn report`` use the
same functions):

* ``summary_period(settings, timezone, now)`` — ``2026-W48`` for a weekly
  schedule, ``2026-11-25`` for a daily one, in the project's time zone;
* ``next_summary_at(settings, timezone, after)`` — when the schedule fires next;
* ``summarize(runtime, store, report, now=...)`` — the summary model, without
  writing anything (``forewarn report``);
* ``post_summary(runtime, store, report, now=..., dry_run=False)`` — build,
  render for the tracker's markup and upsert the period's comment on the
  project's ``status_issue``, then post the retrospective of any milestone
  that closed since it was last seen open.

Idempotency: the comment carries the marker ``summary.<period>:info``. The
``summaries`` table remembers the comment of each period; without that row
(a new or lost database) forewarn looks for its marker on the status issue
before posting, so a restart never posts a second comment for one period.
An unchanged body is not edited again.

Retrospectives: a milestone whose ``closed_at`` is set and within
``RETRO_WINDOW`` of now gets one comment (marker ``retro.<16 hex>:info``,
recorded in ``summaries`` under the period ``retro:<16 hex>``), never a
second one; milestones closed longer ago, say when forewarn starts watching
an old project, get none.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape as escape_markup

from config.model import Config
from config.model import Summary as SummarySettings
from connectors.errors import RetriableError, TrackerError
from connectors.model import Milestone
from rules.base import History
from sync.cycle import CycleReport, ProjectRuntime
from sync.render import body_hash
from sync.store.state import StateStore
from sync.summary.build import SummaryInput, build_retrospective, build_summary
from sync.summary.model import ProjectSummary
from sync.summary.render import (
    render_html,
    render_json,
    render_retrospective,
    render_summary,
)

log = logging.getLogger(__name__)
#: A milestone closed longer ago than this gets no retrospective.
RETRO_WINDOW = timedelta(days=30)
Action = Literal["create", "edit", "adopt", "unchanged", "skip", "fail"]


@dataclass
class PostOutcome:
    """One comment forewarn posted, edited or would have (dry run)."""

    action: Action
    marker: str
    period: str
    body: str
    target: str | None = None
    comment_id: str | None = None
    reason: str | None = None
    dry_run: bool = False

    @property
    def writes(self) -> int:
        """Tracker writes made (0 under a dry run, for an unchanged body or a skip)."""
        return int(not self.dry_run and self.action in ("create", "edit"))

    def describe(self) -> str:
        verb = {"create": "comment on", "edit": "edit comment on", "adopt": "adopt comment on",
                "unchanged": "unchanged comment on", "skip": "skip", "fail": "failed on"}
        where = self.target or "(no status issue)"
        text = f"{verb[self.action]} {where} ({self.marker})"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass
class SummaryOutcome:
    """What ``post_summary`` did for one project."""

    project: str
    period: str
    summary: ProjectSummary
    post: PostOutcome
    retrospectives: list[PostOutcome] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return self.post.writes + sum(item.writes for item in self.retrospectives)

    @property
    def ok(self) -> bool:
        return self.post.action != "fail" and all(
            item.action != "fail" for item in self.retrospectives)


# -- periods ------------------------------------------------------------------------------------


def summary_period(settings: SummarySettings, timezone: str, now: datetime) -> str:
    """The period ``now`` falls in: the ISO week (weekly schedules) or the day, locally."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    if settings.weekday is None:
        return local.isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def next_summary_at(settings: SummarySettings, timezone: str, after: datetime) -> datetime:
    """The first scheduled instant strictly after ``after`` (UTC), e.g. next Monday 09:00."""
    zone = ZoneInfo(timezone)
    day: date = after.astimezone(zone).date()
    for offset in range(8):
        candidate_day = day + timedelta(days=offset)
        if settings.weekday is not None and candidate_day.weekday() != settings.weekday:
            continue
        candidate = datetime.combine(candidate_day, settings.at, tzinfo=zone)
        if candidate > after:
            return candidate.astimezone(ZoneInfo("UTC"))
    msg = f"no slot for schedule {settings.every!r}"  # unreachable: a week has every weekday
    raise ValueError(msg)


def summary_marker(period: str) -> str:
    return f"summary.{period}:info"


def retro_key(milestone_key: str) -> str:
    """Milestone keys can be long: the period column holds a short hash of them."""
    return hashlib.sha256(milestone_key.encode()).hexdigest()[:16]


# -- building -----------------------------------------------------------------------------------


def summary_input(runtime: ProjectRuntime, report: CycleReport) -> SummaryInput:
    return SummaryInput(
        project=runtime.name, snapshot=report.snapshot, findings=report.findings,
        history=report.history, calendar=runtime.calendar,
        rules=[options for _, options in runtime.rules], seed=runtime.seed,
        language=runtime.style.language, status_issue=runtime.status_issue,
        errors=report.errors, skipped=report.skipped,
    )


def summarize(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, now: datetime,
) -> ProjectSummary:
    """The summary of the current period, compared with the previous one; writes nothing."""
    period = summary_period(runtime.summary, runtime.calendar.timezone, now)
    previous = store.previous_summary(runtime.name, period)
    return build_summary(summary_input(runtime, report), now=now, period=period,
                         previous=previous)


def render_for_tracker(runtime: ProjectRuntime, summary: ProjectSummary, marker: str) -> str:
    flavor: Literal["md", "jira"] = "jira" if runtime.style.markup == "jira" else "md"
    return render_summary(summary, flavor, marker=marker, notify=runtime.notify,
                          templates=runtime.summary.templates,
                          jira_cloud=runtime.style.jira_cloud)


# -- posting ------------------------------------------------------------------------------------


def post_summary(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, now: datetime,
    dry_run: bool = False,
) -> SummaryOutcome:
    """Upsert the period's summary comment on the status issue; post due retrospectives.

    Under ``dry_run`` nothing is written to the tracker or the state store (the
    tracker may still be read, to find an existing comment by its marker).
    """
    summary = summarize(runtime, store, report, now=now)
    period = summary.period
    marker = summary_marker(period)
    body = render_for_tracker(runtime, summary, marker)
    payload = summary.model_dump(mode="json")
    if report.snapshot is None:
        # Nothing was read: keep the period's last good summary rather than an error page.
        post = PostOutcome(action="fail", marker=marker, period=period, body=body,
                           target=runtime.status_issue, dry_run=dry_run,
                           reason="the tracker could not be read")
    else:
        post = _upsert(runtime, store, period=period, marker=marker, body=body, now=now,
                       dry_run=dry_run, payload=payload)
    retros = post_retrospectives(runtime, store, report, now=now, dry_run=dry_run)
    nowhere = runtime.summary.to == "none" or not runtime.status_issue
    if not dry_run and nowhere and report.snapshot is not None:
        # Not posted (summary.to: none, or no status issue): still the base of "what changed".
        store.record_summary(runtime.name, period, payload=payload, now=now)
    return SummaryOutcome(project=runtime.name, period=period, summary=summary, post=post,
                          retrospectives=retros)


def post_retrospectives(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, now: datetime,
    dry_run: bool = False,
) -> list[PostOutcome]:
    """One comment per milestone that closed within ``RETRO_WINDOW``, never two."""
    if report.snapshot is None or runtime.summary.to == "none" or not runtime.status_issue:
        return []
    outcomes: list[PostOutcome] = []
    for milestone in _recently_closed(report.snapshot.milestones, now):
        key = retro_key(milestone.key)
        period = f"retro:{key}"
        if store.summary(runtime.name, period) is not None:
            continue
        retro = build_retrospective(summary_input(runtime, report), milestone, now=now)
        marker = f"retro.{key}:info"
        body = render_retrospective(
            retro, "jira" if runtime.style.markup == "jira" else "md", marker=marker,
            templates=runtime.summary.templates, jira_cloud=runtime.style.jira_cloud)
        outcome = _upsert(runtime, store, period=period, marker=marker, body=body, now=now,
                          dry_run=dry_run, payload=retro.model_dump(mode="json"), edit=False)
        outcomes.append(outcome)
    return outcomes


def _recently_closed(milestones: tuple[Milestone, ...], now: datetime) -> list[Milestone]:
    return sorted(
        (m for m in milestones
         if m.state == "closed" and m.closed_at is not None
         and now - RETRO_WINDOW <= m.closed_at <= now),
        key=lambda m: (m.closed_at, m.key),
    )


def _upsert(
    runtime: ProjectRuntime, store: StateStore, *, period: str, marker: str, body: str,
    now: datetime, dry_run: bool, payload: dict[str, object], edit: bool = True,
) -> PostOutcome:
    """Create, edit or adopt the one comment of ``period``; record it unless dry-running.

    ``edit=False`` (retrospectives) leaves an existing comment as it is.
    """
    target = runtime.status_issue
    outcome = PostOutcome(action="skip", marker=marker, period=period, body=body,
                          target=target, dry_run=dry_run)
    if runtime.summary.to == "none":
        outcome.reason = "summary.to is none"
        return outcome
    if not target:
        outcome.reason = "the project has no status_issue"
        return outcome
    reason = runtime.stop() if runtime.stop is not None else None
    if reason:
        outcome.reason = reason
        return outcome
    digest = body_hash(body)
    connector = runtime.connector
    try:
        row = store.summary(runtime.name, period)
        comment_id = row["comment_id"] if row and row["target"] == target else None
        known = row["body_hash"] if row and comment_id else None
        adopted = False
        if comment_id is None:
            found = connector.find_comment(target, marker)
            if found is not None:
                log.info("%s: found the %s comment %s by its marker; not posting it again",
                         runtime.name, period, found.id)
                comment_id, known, adopted = found.id, body_hash(found.body.rstrip() + "\n"), True
        if comment_id is None:
            outcome.action = "create"
            if not dry_run:
                comment_id = connector.create_comment(target, body, marker=marker)
        elif known == digest or not edit:
            outcome.action = "adopt" if adopted else "unchanged"
            digest = known or digest
        else:
            outcome.action = "edit"
            if not dry_run:
                edited = _edit(runtime, target, comment_id, body, marker)
                if edited != comment_id:
                    outcome.action, outcome.reason = "create", "the comment was deleted"
                comment_id = edited
    except RetriableError as error:
        outcome.action, outcome.reason = "fail", str(error)
        log.warning("%s: %s not posted, next time: %s", runtime.name, period, error)
        return outcome
    except TrackerError as error:
        outcome.action, outcome.reason = "fail", str(error)
        log.error("%s: %s not posted: %s", runtime.name, period, error)
        return outcome
    outcome.comment_id = comment_id
    return _record(store, runtime, outcome, payload, digest, now)


def _edit(runtime: ProjectRuntime, target: str, comment_id: str, body: str, marker: str) -> str:
    """Edit the comment; when someone deleted it, post the period's comment again."""
    connector = runtime.connector
    try:
        connector.edit_comment(target, comment_id, body)
    except RetriableError:
        raise
    except TrackerError:
        found = connector.find_comment(target, marker)
        if found is not None:
            raise
        log.warning("%s: the summary comment %s is gone; posting it again", runtime.name,
                    comment_id)
        return connector.create_comment(target, body, marker=marker)
    return comment_id


def _record(
    store: StateStore, runtime: ProjectRuntime, outcome: PostOutcome,
    payload: dict[str, object], digest: str, now: datetime,
) -> PostOutcome:
    if not outcome.dry_run:
        store.record_summary(runtime.name, outcome.period, payload=payload, now=now,
                             target=outcome.target, comment_id=outcome.comment_id,
                             body_hash=digest)
    return outcome




# -- forewarn report ------------------------------------------------------------------------------


def unavailable_summary(
    config: Config, project: str, *, errors: Sequence[str], now: datetime
) -> ProjectSummary:
    """The summary of a project whose tracker could not even be reached: its errors."""
    settings = config.project(project)
    timezone = config.calendar_for(settings).timezone
    data = SummaryInput(
        project=project, snapshot=None, findings=(), history=History(),
        calendar=config.calendar_for(settings).business_calendar(), rules=(), seed=0,
        language=config.language_for(settings), errors=errors,
    )
    period = summary_period(config.summary_for(settings), timezone, now)
    return build_summary(data, now=now, period=period)


def render_report(
    summaries: Sequence[ProjectSummary], fmt: Literal["md", "json", "html"], *,
    templates: Path | None = None,
) -> str:
    """``forewarn report``: Markdown (one section per project), a JSON array, or one HTML page."""
    if fmt == "json":
        return render_json(summaries) + "\n"
    if fmt == "html":
        return render_html(summaries, templates=templates)
    return "\n---\n\n".join(render_summary(summary, "md", templates=templates)
                            for summary in summaries)


def print_outcome(console: Console, outcome: SummaryOutcome) -> None:
    """One line per comment: what ``forewarn run --once --summary`` did (or would do)."""
    for post in [outcome.post, *outcome.retrospectives]:
        verb = "would" if post.dry_run and post.action in ("create", "edit") else ""
        style = "red" if post.action == "fail" else "cyan" if verb else "green"
        line = f"{outcome.project}: {verb + ' ' if verb else ''}{post.describe()}"
        console.print(f"[{style}]{escape_markup(line)}[/]")
