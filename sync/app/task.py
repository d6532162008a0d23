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
store's stamp says another process saved since.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connectors.errors import TrackerError
from sync.actions import WRITES
from sync.app.logs import tame_vendor_loggers
from sync.app.runtime import build_runtime
from sync.app.slots import Slot
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.lease import Lease, Refusal, acquire, release, renew
from sync.store.state import StateStore

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
        lease: Lease | None = None
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
            lease = granted
            with daemon.lock:
                slot.lease, slot.renewed, slot.lease_lost = lease, time.monotonic(), False
            if not lease.continued:
                # Another replica worked on the project since: what it learnt is in the store.
                runtime.memo.clear()
                runtime.cache = None
            runtime.stop = self.stop
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
            if lease is not None:
                self._release(lease)
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

    def _release(self, lease: Lease) -> None:
        slot, daemon = self.slot, self.daemon
        with daemon.lock:
            slot.lease = None
            slot.fence = lease.fence
        store = daemon.store
        if store is None:
            return
        try:
            release(store, lease, now=daemon.clock())
        except Exception as error:  # it expires by itself
            log.warning("%s: could not release its lease: %s", slot.name, error)

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


def renew_leases(
    store: StateStore, slots: Mapping[str, Slot], *, lock: threading.RLock, ttl: timedelta,
    clock: Callable[[], datetime],
) -> None:
    """Renew every lease a third of its time to live after it was last renewed.

    A renewal that fails keeps the lease while it has not expired (the next turn
    tries again); one that is refused, or fails too late, marks it lost.
    """
    period = ttl.total_seconds() / 3
    with lock:
        due = [(slot, slot.lease) for slot in slots.values()
               if slot.lease is not None and time.monotonic() - slot.renewed >= period]
    for slot, lease in due:
        now = clock()
        try:
            renewed = renew(store, lease, ttl=ttl, now=now)
        except Exception as error:
            log.warning("%s: could not renew its lease: %s", slot.name, error)
            renewed = lease if now < lease.expires_at else None
            if renewed is lease:
                continue
        with lock:
            if slot.lease is not lease:
                continue  # released meanwhile
            if renewed is None:
                slot.lease_lost = True
                log.error("%s: lost its lease; stopping its writes", slot.name,
                          extra={"project": slot.name})
            else:
                slot.lease, slot.renewed = renewed, time.monotonic()


def _requests_made(runtime: ProjectRuntime) -> int:
    return runtime.connector.requests_made
