"""One cycle for one project: fetch -> evaluate -> plan -> publish -> record.

The plan holds every write of the cycle: alerts and labels
(``sync/reconcile.py``), the team digest where the project has one
(``sync/digest.py``) and, when asked for, the period's summary and due
retrospectives (``sync/summary/plan.py``); ``sync/publish.py`` carries it out
under one write budget. Who is client or team is decided first, with the
members of the Jira roles and groups the project names (``Connector.members``).
The cursor, the cached snapshot and the connector's memo are saved only
after the cycle's writes are done and recorded (a bookmark covers only data
that was safely processed); a cycle that dies is simply repeated.
"""

from __future__ import annotations

import gc
import logging
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from config.summary import Summary as SummarySettings
from connectors.base import MEMO_FIRST_SYNC, Connector, DictMemo, FetchResult
from connectors.errors import TrackerError
from connectors.model import Membership, Snapshot
from rules.base import DueDateSeen, Finding, History, RuleContext
from rules.calendar import BusinessCalendar
from rules.options import RuleOptions, format_duration
from rules.people import (
    Spec,
)
from rules.registry import Rule
from sync.actions import Plan
from sync.cache import merge, to_write, with_writes
from sync.collector import collection_paused, frozen_for_gc
from sync.digest import digest_plan
from sync.notify.plan import NotifySettings, notification_plan, notifier_for
from sync.progress import CycleProgress
from sync.publish import Outcome, Publisher
from sync.reconcile import Actual, Seen, plan
from sync.render import Style
from sync.routing import Routing
from sync.store.errors import Fence, LeaseLost, describe_failure
from sync.store.lease import Holding
from sync.store.state import FindingRecord, Loaded, StateStore
from sync.summary.build import SummaryInput
from sync.summary.model import ProjectSummary
from sync.summary.plan import Destination, plan_summary
from sync.summary.schedule import summary_period
from sync.suspects import tell_first_cycle
from sync.who_is_who import classify

log = logging.getLogger(__name__)
#: The connector memo key that records when rules first ran on the project (backfill).
MEMO_EVALUATED = "forewarn.evaluated"


@dataclass
class ProjectRuntime:
    """A project from the config with its connector built: what a cycle needs."""

    name: str
    connector: Connector
    rules: Sequence[tuple[Rule, RuleOptions]]
    calendar: BusinessCalendar
    style: Style
    memo: DictMemo = field(default_factory=DictMemo)
    status_issue: str | None = None
    notify: tuple[str, ...] = ()
    clients: Spec = None
    team: Spec = None
    bots: Sequence[str | Membership] = ()
    #: Where alerts go and how the first cycle backfills (``alerts``, ``backfill``).
    routing: Routing = field(default_factory=Routing)
    write_budget: int = 50
    #: Asked between writes: a reason to stop writing now (the daemon's shutdown or lost lease).
    stop: Callable[[], str | None] | None = None
    #: The project's ``summary`` settings (schedule, language, destination, templates).
    summary: SummarySettings = field(default_factory=SummarySettings)
    #: Client organisation -> the issue key its client edition of the summary goes on.
    summary_issues: Mapping[str, str] = field(default_factory=dict)
    #: Hears the pages read and the writes done (a live display, log lines); None: silence.
    progress: CycleProgress | None = None
    #: Its notification channels (sync/notify/); None when it names none.
    notifications: NotifySettings | None = None
    #: Client organisation -> the calendar its waits are counted in (``client_calendars``).
    client_calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    #: The cached snapshot as the last cycle saved it, with its stamp: a daemon keeps it
    #: between cycles and reads the store again only when the stamp there differs.
    cache: Loaded | None = None
    #: What the rules derived from the snapshot (``RuleContext.derived``), kept from one
    #: cycle to the next with what it was derived from (rules/threads.py).
    derived: dict[str, Any] = field(default_factory=dict)
    #: The lease this process holds on the project while it writes (sync/store/lease.py).
    lease: Holding | None = None
    #: How long after its start a cycle may still write (``Project.deadline``); the rest of
    #: its writes wait for the next cycle. None: no limit.
    deadline: timedelta | None = None

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode())


@dataclass
class CycleReport:
    project: str
    started_at: datetime
    dry_run: bool
    findings: list[Finding] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    outcome: Outcome | None = None
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    snapshot: Snapshot | None = None
    history: History = field(default_factory=History)
    #: The period's expectation summary, when the cycle was asked for it.
    summary: ProjectSummary | None = None
    #: Why that summary cannot be posted where the config says (also among ``errors``).
    summary_problem: str | None = None
    #: What the run should tell the admin although nothing failed (printed in yellow).
    warnings: list[str] = field(default_factory=list)
    #: People an e-mail pattern of clients/team could not judge (no visible e-mail).
    hidden_emails: int = 0
    #: People whose e-mail the tracker hides (Jira Cloud), judged or not.
    without_email: int = 0
    #: What the run says for the admin's information (printed dim).
    notes: list[str] = field(default_factory=list)
    #: A first sync still reading (``FetchResult.partial``): what it read, what is left.
    #: Rules were not evaluated on the half-read project; the next cycle continues.
    first_sync: str | None = None
    #: The cycle did not run: another process holds the project's lease (also in ``errors``).
    busy: bool = False

    @property
    def ok(self) -> bool:
        """Nothing failed: the fetch, every rule and every write that was tried."""
        return not self.errors and not (self.outcome and self.outcome.failed)


def summary_input(runtime: ProjectRuntime, report: CycleReport) -> SummaryInput:
    """What the project's summary is built from, after a cycle."""
    return SummaryInput(
        project=runtime.name, snapshot=report.snapshot, findings=report.findings,
        history=report.history, calendar=runtime.calendar,
        rules=[options for _, options in runtime.rules], seed=runtime.seed,
        language=runtime.style.language, status_issue=runtime.status_issue,
        errors=report.errors, skipped=report.skipped,
    )


def history_for(snapshot: Snapshot, stored: dict[str, tuple[DueDateSeen, ...]],
                now: datetime) -> History:
    """Stored due-date observations, the tracker's own due-date changes, and today's value."""
    keys = {milestone.key for milestone in snapshot.milestones}
    seen: dict[str, list[DueDateSeen]] = {key: list(stored.get(key, ())) for key in keys}
    for change in snapshot.changes:
        if change.field == "due_on" and change.issue_key in keys:
            earlier = date.fromisoformat(change.before) if change.before else None
            later = date.fromisoformat(change.after) if change.after else None
            seen[change.issue_key] += [DueDateSeen(change.at, earlier),
                                       DueDateSeen(change.at, later)]
    for milestone in snapshot.milestones:
        entries = seen[milestone.key]
        if not entries or entries[-1].due_on != milestone.due_on:
            entries.append(DueDateSeen(now, milestone.due_on))
    return History(due_dates={
        key: tuple(sorted(values, key=lambda item: item.seen_at)) for key, values in seen.items()
    })


def evaluate(
    runtime: ProjectRuntime, snapshot: Snapshot, ctx: RuleContext, report: CycleReport
) -> list[Finding]:
    found: list[Finding] = []
    for rule, options in runtime.rules:
        try:
            found.extend(rule.evaluate(snapshot, ctx, options))
        except Exception as error:  # one broken rule must not silence the others
            log.exception("%s: rule %s failed", runtime.name, options.id)
            report.errors.append(f"rule {options.id} failed: {error}")
    return sorted(found, key=lambda finding: finding.fingerprint)


def run_cycle(
    runtime: ProjectRuntime, store: StateStore, *, clock: Callable[[], datetime],
    dry_run: bool = False, summary: bool = False,
) -> CycleReport:
    """One cycle; with ``summary`` it also posts the period's summary and retrospectives."""
    started = time.perf_counter()
    now = clock()
    report = CycleReport(project=runtime.name, started_at=now, dry_run=dry_run)
    run_id = None if dry_run else store.start_run(runtime.name, now)
    try:
        with frozen_for_gc():  # the cached snapshot lives through the cycle: keep GC off it
            _cycle(runtime, store, report, clock=clock, now=now, summary=summary)
    except (TrackerError, SQLAlchemyError, LeaseLost) as error:
        # Expected failures (a tracker refusing, the database away): one line, which
        # whoever shows the report prints (the CLI, the daemon's cycle log); the
        # traceback, and SQLAlchemy's statement dump, only at DEBUG.
        text = describe_failure(error)
        log.debug("%s: cycle failed: %s", runtime.name, text, exc_info=True)
        report.errors.append(text)
    except Exception as error:
        log.exception("%s: cycle failed", runtime.name)
        report.errors.append(str(error) or type(error).__name__)
    report.seconds = time.perf_counter() - started
    if run_id is not None:
        outcome = report.outcome
        store.finish_run(
            run_id, status="ok" if report.ok else "failed", now=clock(),
            findings=len(report.findings), writes=len(outcome.writes) if outcome else 0,
            skipped=len(report.skipped), message="; ".join(report.errors) or None,
        )
    return report


def _cycle(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *,
    clock: Callable[[], datetime], now: datetime, summary: bool,
) -> None:
    began = time.monotonic()
    cached = cached_snapshot(runtime, store)
    fetched, snapshot = _fetch(runtime, store, report, cached)
    if fetched.partial:
        _keep_partial(runtime, store, report, fetched, cached=cached, snapshot=snapshot, now=now)
        return
    me = runtime.connector.whoami()
    actual = Actual(comments=store.comments(runtime.name),
                    labels=frozenset(store.labels(runtime.name)),
                    findings=store.findings(runtime.name), since=store.first_run(runtime.name))
    _plan(runtime, store, report, snapshot, actual, me=me, now=now, summary=summary)
    if report.dry_run:
        return
    runtime.memo.set(MEMO_EVALUATED, now.isoformat())  # saved with the cycle's progress
    outcome = _publish(runtime, store, report, me=me, clock=clock, began=began)
    if outcome is not None:
        _record(runtime, store, report, actual, outcome, cached=cached, fetched=fetched,
                snapshot=snapshot, now=now)


def _fetch(runtime: ProjectRuntime, store: StateStore, report: CycleReport,
           cached: Snapshot | None) -> tuple[FetchResult, Snapshot]:
    """What the tracker says changed since the cursor, merged into the cached snapshot."""
    cursor = store.cursor(runtime.name) if cached is not None else None
    runtime.memo.update({k: v for k, v in store.memo(runtime.name).items()
                         if k not in runtime.memo})
    if cached is None and runtime.memo.get(MEMO_FIRST_SYNC):
        runtime.memo.set(MEMO_FIRST_SYNC, "")  # nothing to resume onto: start over
    progress = runtime.progress
    fetched = runtime.connector.fetch(cursor, progress=None if progress is None else (
        lambda listing, pages, total: progress.read(runtime.name, listing, pages, total)))
    report.requests = fetched.requests
    report.skipped = list(fetched.skipped)
    return fetched, fetched.snapshot if fetched.complete else merge(cached, fetched.snapshot)


def _plan(runtime: ProjectRuntime, store: StateStore, report: CycleReport, snapshot: Snapshot,
          actual: Actual, *, me: str, now: datetime, summary: bool) -> None:
    """Who is who, the rules, and every write the cycle wants: the report's plan."""
    first = _first_evaluation(runtime, actual)
    people = classify(runtime, snapshot, me, report, first=first)
    report.snapshot = people
    history = history_for(snapshot, store.due_date_history(runtime.name), now)
    report.history = history
    ctx = RuleContext(now=now, calendar=runtime.calendar, history=history, seed=runtime.seed,
                      status_issue=runtime.status_issue,
                      organisations=runtime.clients if isinstance(runtime.clients, Mapping)
                      else {}, client_calendars=runtime.client_calendars,
                      derived=runtime.derived)
    if first:  # accounts that look automated: said once, never reclassified
        tell_first_cycle(runtime, people, ctx, report)
    with frozen_for_gc(), collection_paused():
        report.findings = evaluate(runtime, people, ctx, report)
        backfill = runtime.routing.backfills(first)
        report.plan = plan(findings=report.findings, snapshot=people, actual=actual,
                           style=runtime.style, now=now, status_issue=runtime.status_issue,
                           notify=runtime.notify, me=me, routing=runtime.routing,
                           backfill=backfill)
        report.plan += digest_plan(runtime, report, actual=actual, snapshot=people, now=now,
                                    first=first)
    if (problem := undelivered_problem(report.plan, runtime.status_issue, people)) is not None:
        report.errors.append(problem)
    if summary:
        report.plan += _summary_plan(runtime, store, report, actual=actual, now=now)
    # Last in the plan: the tracker's writes go first, whatever a channel does.
    report.plan += notification_plan(runtime, store, report, now=now)


def _publish(runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, me: str,
             clock: Callable[[], datetime], began: float) -> Outcome | None:
    """The plan carried out by the one publisher; None when the lease was lost meanwhile."""
    progress = runtime.progress
    publisher = Publisher(runtime.connector, store, runtime.name,
                          budget=runtime.write_budget, clock=clock, me=me,
                          stop=_stop_hook(runtime, began), lease=runtime.lease,
                          progress=None if progress is None else (
                              lambda done, planned: progress.wrote(runtime.name, done, planned)),
                          notifier=notifier_for(runtime, store, clock))
    outcome = publisher.execute(report.plan)
    report.outcome = outcome
    lost = outcome.stopped if outcome.lease_lost else (
        runtime.lease.confirm() if runtime.lease is not None else None)
    if lost:
        # Another process works on the project now (or this one cannot tell): what that
        # process saved stands, and this cycle is repeated.
        report.errors.append(lost)
        return None
    return outcome


def _record(runtime: ProjectRuntime, store: StateStore, report: CycleReport, actual: Actual,
            outcome: Outcome, *, cached: Snapshot | None, fetched: FetchResult,
            snapshot: Snapshot, now: datetime) -> None:
    """The findings, due dates, cursor and the cached snapshot after the writes: saved."""
    still_open = {record.fingerprint for record in store.comments(runtime.name).values()
                  if not record.resolved}
    active = {record.fingerprint for record in report.plan.records}
    kept: list[FindingRecord] = list(report.plan.records) + [
        record for fp, record in actual.findings.items() if fp in still_open and fp not in active
    ]
    store.save_findings(runtime.name, kept, now)
    store.record_due_dates(runtime.name,
                           {m.key: m.due_on for m in snapshot.milestones}, now)
    cached_after = replace(
        with_writes(snapshot, added=outcome.added_labels, removed=outcome.removed_labels,
                    comments=outcome.comments, now=now),
        people=dict(snapshot.people))
    write = to_write(previous=cached, delta=fetched.snapshot, after=cached_after,
                     replace_all=fetched.complete,
                     labelled=[t for t, _ in (*outcome.added_labels, *outcome.removed_labels)],
                     comments=outcome.comments)
    stamp = store.save_progress(runtime.name, cursor=fetched.cursor, write=write,
                                memo=runtime.memo, now=now, fence=_fence(runtime))
    runtime.cache = Loaded(snapshot=cached_after, stamp=stamp)


def _fence(runtime: ProjectRuntime) -> Fence | None:
    """The lease the store checks with each record, when this process holds one."""
    return runtime.lease.lease if runtime.lease is not None else None


def _stop_hook(runtime: ProjectRuntime, began: float) -> Callable[[], str | None]:
    """What the publisher asks before each write: the runtime's own reason to stop (the
    daemon shutting down, a lost lease), else the cycle's deadline passed."""
    deadline = runtime.deadline

    def why() -> str | None:
        reason = runtime.stop() if runtime.stop is not None else None
        if reason is None and deadline is not None and (
                time.monotonic() - began >= deadline.total_seconds()):
            reason = (f"the cycle's deadline of {format_duration(deadline)} passed; the rest "
                      "waits for the next cycle")
        return reason

    return why


def _first_evaluation(runtime: ProjectRuntime, actual: Actual) -> bool:
    """Whether rules run on the project for the first time: what its ``backfill`` is for.

    Not "no cached snapshot": a first sync read over several cycles leaves records but
    no evaluation. A project that forewarn wrote for before (an upgrade from a version
    without the memo key) is not new either.
    """
    return (not runtime.memo.get(MEMO_EVALUATED) and not actual.findings
            and not actual.comments)


def cached_snapshot(runtime: ProjectRuntime, store: StateStore) -> Snapshot | None:
    """The snapshot the last cycle saved: the runtime's own copy while the store's stamp
    says nobody wrote since, else read from the store (a start, another replica's cycle)."""
    held = runtime.cache
    if held is not None and store.cache_stamp(runtime.name) == held.stamp:
        return held.snapshot
    runtime.cache = None  # freed before the store's copy is read: one copy in memory at a time
    runtime.cache = store.load_cache(runtime.name)
    gc.freeze()  # inside run_cycle's frozen_for_gc: the records just read are kept off the GC too
    return runtime.cache.snapshot if runtime.cache is not None else None


def _keep_partial(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, fetched: FetchResult, *,
    cached: Snapshot | None, snapshot: Snapshot, now: datetime,
) -> None:
    """A first sync that stopped early: keep what it read, evaluate nothing yet.

    Findings on a half-read project would be wrong in ways a client sees (a
    question whose answer is on a page not read yet), so rules wait for the
    whole project; the records read and the connector's resume points are saved
    together, and the next cycle continues from there.
    """
    report.first_sync = fetched.progress or "the first sync continues next cycle"
    log.info("%s: first sync in progress: %s", runtime.name, report.first_sync,
             extra={"project": runtime.name})
    if report.dry_run:
        return
    write = to_write(previous=cached, delta=fetched.snapshot, after=snapshot,
                     replace_all=fetched.complete)
    stamp = store.save_progress(runtime.name, cursor=fetched.cursor, write=write,
                                memo=runtime.memo, now=now, fence=_fence(runtime))
    runtime.cache = Loaded(snapshot=snapshot, stamp=stamp)


def undelivered_problem(plan: Plan, status_issue: str | None, snapshot: Snapshot) -> str | None:
    """Which alerts had nowhere to go, and why: a run that drops them must say so and fail."""
    if not plan.undelivered:
        return None
    titles = {milestone.key: milestone.title for milestone in snapshot.milestones}
    where = ("no status_issue is set" if status_issue is None
             else f"status_issue {status_issue} was not found in the tracker")
    alerts = "; ".join(
        f'{item.rule_id} ({item.cause}) on "{titles.get(item.subject_key, item.subject_key)}"'
        for item in plan.undelivered)
    count = len(plan.undelivered)
    noun = "milestone alert had" if count == 1 else "milestone alerts had"
    return f"{count} {noun} nowhere to go ({where}): {alerts}"


def _summary_plan(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, actual: Actual,
    now: datetime,
) -> Plan:
    """The summary of the period, compared with the last one recorded, and its writes."""
    period = summary_period(runtime.summary, runtime.calendar.timezone, now)
    planned = plan_summary(
        summary_input(runtime, report),
        to=Destination(settings=runtime.summary, target=runtime.status_issue,
                       markup=runtime.style.markup, jira_cloud=runtime.style.jira_cloud,
                       notify=runtime.notify, clients=runtime.clients,
                       issues=runtime.summary_issues),
        previous=store.previous_summary(runtime.name, period), actual=actual,
        seen=Seen.of(report.snapshot) if report.snapshot else Seen({}), now=now,
    )
    report.summary = planned.summary
    if planned.problem:
        report.summary_problem = planned.problem
        report.errors.append(planned.problem)
    return planned.plan
