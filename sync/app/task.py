"""A project's task: its cycle, with its summary when due, on a thread of its own, under its lease.

Leases. A task runs under the project's lease (sync/store/lease.py), taken in
the state store: several replicas may share one PostgreSQL (or one SQLite
file) and a project is worked on by one of them at a time; a tick whose lease
is held elsewhere is skipped (reason ``leased``). The main loop renews the
leases of running tasks (:func:`renew_leases`); a lost lease stops the task's
writes. A grant that does not continue this replica's last one means another
replica worked on the project since: the connector's memo and the cached
snapshot held in memory are dropped, and what that replica learnt is read
from the store. Otherwise the snapshot stays in memory between cycles
(``ProjectRuntime.cache``); the cycle reads the store again only when the
store's stamp says another process saved since. The publisher confirms the
lease before each write and the store checks its fence with each record, so a
task paused past its lease writes nothing once another replica took over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from config.model import DEADLINE_SHARE, MIN_DEADLINE
from connectors.errors import TrackerError
from sync.actions import WRITES
from sync.app.logs import tame_vendor_loggers
from sync.app.runtime import build_runtime
from sync.app.slots import Slot
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.lease import Holding, Refusal, acquire

if TYPE_CHECKING:
    from sync.app.daemon import Daemon

log = logging.getLogger("forewarn.daemon")


class ProjectTask:
    """One run of a project's task; ``stop()`` says why its writes must stop (None: go on)."""

    def __init__(self, daemon: Daemon, slot: Slot, *, stop: Callable[[], str | None]) -> None:
        self.daemon = daemon
        self.slot = slot
        self.stop = stop

    def run(self) -> None:
        """The thread's body: wait for a worker, take the lease, run the cycle, let go."""
        daemon, slot, name = self.daemon, self.slot, self.slot.name
        holding: Holding | None = None
        working = False
        try:
            while not daemon.workers.acquire(timeout=0.5):
                if daemon.stopping.is_set():
                    return
            working = True
            store = daemon.store
            if daemon.stopping.is_set() or store is None:
                return
            runtime = self._runtime()
            if runtime is None:
                return
            granted = acquire(store, name, daemon.options.holder, ttl=daemon.options.lease_ttl,
                              now=daemon.clock(), last_fence=slot.fence)
            if isinstance(granted, Refusal):
                log.info("%s: skipped: the project's lease is %s", name, granted,
                         extra={"project": name})
                daemon.metrics.cycles_skipped.labels(name, "leased").inc()
                return
            holding = Holding(store, granted, ttl=daemon.options.lease_ttl, clock=daemon.clock)
            with daemon.lock:
                slot.holding = holding
            if not granted.continued:
                # Another replica worked on the project since: what it learnt is in the store.
                runtime.memo.clear()
                runtime.cache = None
            runtime.stop, runtime.lease = self.stop, holding
            # Done before the next tick (--interval may be shorter than the project's every).
            runtime.deadline = min(runtime.deadline or slot.every,
                                   max(MIN_DEADLINE, slot.every * DEADLINE_SHARE))
            summary = slot.summary_pending
            report = run_cycle(runtime, store, clock=daemon.clock,
                               dry_run=daemon.options.dry_run, summary=summary)
            self._observe(runtime, report)
            if summary:
                self._observe_summary(report)
        except Exception:
            log.exception("%s: the cycle failed", name, extra={"project": name})
            daemon.metrics.cycles.labels(name, "failed").inc()
        finally:
            if holding is not None:
                self._release(holding)
            if working:
                daemon.workers.release()
            daemon.inbox.wake()

    def _runtime(self) -> ProjectRuntime | None:
        slot, daemon = self.slot, self.daemon
        if slot.runtime is not None:
            return slot.runtime
        config = daemon.config
        assert config is not None
        try:
            runtime = build_runtime(config, config.project(slot.name), settings=daemon.settings,
                                    clock=daemon.clock)
        except (TrackerError, KeyError) as error:
            log.error("%s: cannot build its tracker connector: %s (retried next tick)",
                      slot.name, error, extra={"project": slot.name})
            daemon.metrics.cycles_skipped.labels(slot.name, "not_built").inc()
            return None
        tame_vendor_loggers()  # PyGithub adds a stderr handler when first imported
        slot.runtime = runtime
        slot.requests_seen = _requests_made(runtime)
        return runtime

    def _release(self, holding: Holding) -> None:
        slot, daemon = self.slot, self.daemon
        with daemon.lock:
            slot.holding = None
            slot.fence = holding.lease.fence
        holding.release()  # a failure is logged: it expires by itself

    def _observe(self, runtime: ProjectRuntime, report: CycleReport) -> None:
        slot, daemon = self.slot, self.daemon
        made = _requests_made(runtime)
        requests = max(0, made - slot.requests_seen)
        slot.requests_seen = made
        quota = runtime.connector.rate_limit
        daemon.metrics.observe_cycle(report, tracker=slot.tracker, requests=requests,
                                     rate_limit_remaining=quota.remaining if quota else None)
        slot.last_finished = daemon.clock()
        outcome = report.outcome
        status = "ok" if report.ok else "failed"
        fields = {
            "project": report.project, "status": status, "findings": len(report.findings),
            "writes": len(outcome.writes) if outcome else 0,
            "failed": len(outcome.failed) if outcome else 0,
            "deferred": len(outcome.deferred) if outcome else 0,
            "skipped_records": len(report.skipped), "requests": requests,
            "seconds": round(report.seconds, 3), "dry_run": report.dry_run,
        }
        if outcome is not None and outcome.stopped:
            fields["stopped"] = outcome.stopped
        text = ("%s: cycle %s: %d findings, %d writes, %d failed, %d deferred, %d requests, "
                "%.2f s")
        args = (report.project, status, fields["findings"], fields["writes"], fields["failed"],
                fields["deferred"], requests, report.seconds)
        if report.ok:
            log.info(text, *args, extra=fields)
        else:
            fields["errors"] = list(report.errors)
            log.warning(text + ": %s", *args, "; ".join(report.errors), extra=fields)

    def _observe_summary(self, report: CycleReport) -> None:
        """A summary is done when its writes are; one the budget or a stop deferred stays
        pending for the next cycle, one that failed waits for its next time."""
        slot, metrics = self.slot, self.daemon.metrics
        name = slot.name
        posts = report.plan.summary
        outcome = report.outcome
        deferred = outcome is not None and any(action in outcome.deferred for action in posts)
        failed = [why for action, why in (outcome.failed if outcome else []) if action in posts]
        period = report.summary.period if report.summary else "this period"
        if deferred and not self.daemon.stopping.is_set():
            log.info("%s: the summary for %s waits for the next cycle", name, period,
                     extra={"project": name})
            return
        slot.summary_pending = False
        problem = [report.summary_problem] if report.summary_problem else []
        if report.summary is None or failed or problem:
            reasons = failed or problem or report.errors or ["the cycle failed"]
            log.warning("%s: the summary for %s failed: %s", name, period, "; ".join(reasons),
                        extra={"project": name})
            metrics.summaries.labels(name, "failed").inc()
            return
        metrics.summaries.labels(name, "ok").inc()
        done = [action for action in posts if outcome is not None and action in outcome.done]
        log.info("%s: summary for %s done (%d writes)", name, period,
                 sum(isinstance(action, WRITES) for action in done), extra={"project": name})


def renew_leases(slots: Mapping[str, Slot], *, lock: threading.RLock) -> None:
    """Renew the lease of every running task that is due (``Holding.renew_if_due``); a
    lease that is lost stops its task's writes."""
    with lock:
        holdings = [slot.holding for slot in slots.values() if slot.holding is not None]
    for holding in holdings:
        holding.renew_if_due()


def _requests_made(runtime: ProjectRuntime) -> int:
    return runtime.connector.requests_made
