"""One cycle for one project: fetch -> evaluate -> plan -> publish -> record.

The plan holds every write of the cycle: alerts and labels
(``sync/reconcile.py``) and, when asked for, the period's summary and due
retrospectives (``sync/summary/plan.py``); ``sync/publish.py`` carries it out
under one write budget. The cursor, the cached snapshot and the connector's
memo are saved only after the cycle's writes are done and recorded (a
bookmark covers only data that was safely processed); a cycle that dies is
simply repeated.
"""

from __future__ import annotations

import gc
import logging
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from config.summary import Summary as SummarySettings
from connectors.base import Connector, DictMemo
from connectors.errors import TrackerError
from connectors.model import Snapshot
from rules.base import DueDateSeen, Finding, History, RuleContext
from rules.calendar import BusinessCalendar
from rules.options import RuleOptions, format_duration
from rules.people import classify
from rules.registry import Rule
from sync.actions import Plan
from sync.cache import merge, with_writes
from sync.publish import Outcome, Publisher
from sync.reconcile import Actual, Seen, plan
from sync.render import Style
from sync.store.errors import LeaseLost, describe_failure
from sync.store.lease import Holding
from sync.store.state import FindingRecord, StateStore
from sync.summary.build import SummaryInput
from sync.summary.model import ProjectSummary
from sync.summary.plan import Destination, plan_summary
from sync.summary.schedule import summary_period

log = logging.getLogger(__name__)


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
    clients: str | Sequence[str] | None = None
    team: str | Sequence[str] | None = None
    bots: Sequence[str] = ()
    write_budget: int = 50
    #: Asked between writes: a reason to stop writing now (the daemon's shutdown or lost lease).
    stop: Callable[[], str | None] | None = None
    #: The project's ``summary`` settings (schedule, language, destination, templates).
    summary: SummarySettings = field(default_factory=SummarySettings)
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


@contextmanager
def frozen_for_gc() -> Iterator[None]:
    """Keep the garbage collector off the snapshot while rules and reconcile run.

    A snapshot is a million long-lived objects at 100,000 issues, and a full
    collection walking them costs 0.6-0.8 s, landing in every other cycle
    (docs/benchmarks.md). Frozen, they are skipped; unfreezing at the end lets
    the snapshot be freed as usual. Process-wide: with several daemon workers
    one cycle may unfreeze another's objects early, which costs time, never
    correctness.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
        _cycle(runtime, store, report, clock=clock, now=now, summary=summary)
    except (TrackerError, SQLAlchemyError, LeaseLost) as error:
        # Expected failures (a tracker refusing, the database away) are one line; the
        # traceback, and SQLAlchemy's statement dump, only at DEBUG.
        text = describe_failure(error)
        log.error("%s: cycle failed: %s", runtime.name, text,
                  exc_info=log.isEnabledFor(logging.DEBUG))
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


def cached_snapshot(store: StateStore, project: str) -> Snapshot | None:
    """The snapshot the last cycle cached. One that cannot be read (a corrupt row, a
    format this forewarn does not know) is dropped, with a warning, and the project is
    fetched whole again: else the project would fail every cycle, for good."""
    try:
        return store.load_snapshot(project)
    except SQLAlchemyError:
        raise  # the database, not the row: nothing to drop
    except Exception as error:
        log.warning("%s: the cached snapshot cannot be read (%s: %s); dropping it and "
                    "fetching the whole project again", project, type(error).__name__,
                    describe_failure(error), extra={"project": project})
        store.drop_snapshot(project)
        return None


def _cycle(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *,
    clock: Callable[[], datetime], now: datetime, summary: bool,
) -> None:
    began = time.monotonic()
    cached = cached_snapshot(store, runtime.name)
    cursor = store.cursor(runtime.name) if cached is not None else None
    runtime.memo.update({k: v for k, v in store.memo(runtime.name).items()
                         if k not in runtime.memo})
    fetched = runtime.connector.fetch(cursor)
    report.requests = fetched.requests
    report.skipped = list(fetched.skipped)
    snapshot = fetched.snapshot if fetched.complete else merge(cached, fetched.snapshot)
    me = runtime.connector.whoami()
    people = classify(snapshot, clients=runtime.clients, team=runtime.team,
                      bots=runtime.bots, self_ids=[me])
    report.snapshot = people
    history = history_for(snapshot, store.due_date_history(runtime.name), now)
    report.history = history
    ctx = RuleContext(now=now, calendar=runtime.calendar, history=history, seed=runtime.seed)
    actual = Actual(comments=store.comments(runtime.name),
                    labels=frozenset(store.labels(runtime.name)),
                    findings=store.findings(runtime.name), since=store.first_run(runtime.name))
    with frozen_for_gc():
        report.findings = evaluate(runtime, people, ctx, report)
        report.plan = plan(findings=report.findings, snapshot=people, actual=actual,
                           style=runtime.style, now=now, status_issue=runtime.status_issue,
                           notify=runtime.notify, me=me)
    if summary:
        report.plan += _summary_plan(runtime, store, report, actual=actual, now=now)
    if report.dry_run:
        return
    publisher = Publisher(runtime.connector, store, runtime.name,
                          budget=runtime.write_budget, clock=clock, me=me,
                          stop=_stop_hook(runtime, began), lease=runtime.lease)
    outcome = publisher.execute(report.plan)
    report.outcome = outcome
    lost = outcome.stopped if outcome.lease_lost else (
        runtime.lease.confirm() if runtime.lease is not None else None)
    if lost:
        # Another process works on the project now (or this one cannot tell): what that
        # process saved stands, and this cycle is repeated.
        report.errors.append(lost)
        return
    still_open = {record.fingerprint for record in store.comments(runtime.name).values()
                  if not record.resolved}
    active = {record.fingerprint for record in report.plan.records}
    kept: list[FindingRecord] = list(report.plan.records) + [
        record for fp, record in actual.findings.items() if fp in still_open and fp not in active
    ]
    store.save_findings(runtime.name, kept, now)
    store.record_due_dates(runtime.name,
                           {m.key: m.due_on for m in snapshot.milestones}, now)
    cached_after = with_writes(snapshot, added=outcome.added_labels,
                               removed=outcome.removed_labels, comments=outcome.comments, now=now)
    store.save_progress(runtime.name, cursor=fetched.cursor,
                        snapshot=replace(cached_after, people=dict(snapshot.people)),
                        memo=runtime.memo, now=now,
                        fence=runtime.lease.lease if runtime.lease else None)


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
                       notify=runtime.notify),
        previous=store.previous_summary(runtime.name, period), actual=actual,
        seen=Seen.of(report.snapshot) if report.snapshot else Seen({}), now=now,
    )
    report.summary = planned.summary
    if planned.problem:
        report.summary_problem = planned.problem
        report.errors.append(planned.problem)
    return planned.plan
