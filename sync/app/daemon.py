"""``forewarn daemon``: cycles on each project's interval, summaries on their schedule.

Scheduling. The ``schedule`` library keeps one job per project, every
``every`` (the project's, or ``--interval`` for all), and one job that checks
the summaries' times every 30 seconds; a project's first cycle starts at
once. The main thread only schedules: a job starts the project's *task* on a
thread of its own and returns. Each job catches its own exceptions (schedule
does not: one raising job would end the loop), so a failing project is logged
and simply runs again on its next tick.

Concurrency: one thread per running task, at most ``--workers`` [4] running
at once, and never two for one project. A tick that finds the project's
previous task still running is skipped (``forewarn_cycles_skipped_total``
with reason ``still_running``, and a warning); no tick waits for it. So a slow
project (a tracker that answers slowly, a large first sync) delays only
itself, plus, when ``--workers`` projects are slow at once, the others' start
until a worker frees. Python cannot kill a thread, so there is no hard
timeout: a stuck cycle shows as ``/readyz`` failing for that project after
three intervals. Threads are daemon threads, so a stuck one never blocks exit.

Leases. A task runs under the project's lease (sync/store/lease.py), taken in the
state store: several replicas may share one PostgreSQL (or one SQLite file)
and a project is worked on by one of them at a time; a tick whose lease is
held elsewhere is skipped (reason ``leased``). The main loop renews the
leases of running tasks; a lost lease stops the task's writes. Connectors
live as long as the daemon (one Jira client, one GitHub session per project);
a config reload rebuilds only the projects whose config changed.

Summaries. At each project's ``summary.every`` time (a weekday or daily,
HH:MM in the project calendar's time zone) the next task of the project runs
its cycle with the summary and due retrospectives in its plan
(``sync/summary/plan.py``); a summary the write budget or a stop deferred is
planned again by the next cycle. A time
that passed while the daemon was down is not caught up.

Signals. SIGTERM or SIGINT: no new task starts, running tasks stop writing
before their next write (the write in flight finishes and is recorded), each
cycle records what it did, leases are released, the state store is closed
and the process exits 0; a task still running after ``SHUTDOWN_GRACE``
seconds is abandoned (nothing is lost: what it had not recorded is found by
its marker next time). A second SIGTERM or SIGINT exits at once (status 130).
SIGHUP, or a change of the config file (checked every second), reloads the
config; a file with problems is refused, each problem logged as
``FILE:LINE:COL: message``, and the previous config stays.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import schedule
from sqlalchemy.engine import make_url

from config import Config, ConfigError, Settings, Summary, effective_state_url, load_config
from config.model import redact_url
from connectors.errors import TrackerError
from connectors.model import now
from sync.actions import WRITES
from sync.app.health import STUCK_AFTER, HealthServer
from sync.app.logs import Redactor, configure, tame_vendor_loggers
from sync.app.metrics import Metrics
from sync.app.runtime import build_runtime
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.lease import DEFAULT_TTL, Lease, Refusal, acquire, default_holder, release, renew
from sync.store.state import StateStore
from sync.summary.schedule import next_summary_at

log = logging.getLogger("forewarn.daemon")

#: Seconds from the first SIGTERM to exit, whatever the tasks are doing (Docker kills at 10).
SHUTDOWN_GRACE = 8.0
#: The main loop turns at least this often (signals wake it at once).
TURN_SECONDS = 1.0
#: A project is fresh for /readyz while its latest cycle is younger than this many intervals.
FRESH_INTERVALS = 3
SUMMARY_CHECK_SECONDS = 30
DEFAULT_WORKERS = 4
EXIT_OK, EXIT_FAILED, EXIT_FORCED = 0, 1, 130
MIN_INTERVAL = timedelta(seconds=1)


class DaemonError(Exception):
    """The daemon cannot start (state store unreachable, port taken): exit 1."""


@dataclass(frozen=True)
class DaemonOptions:
    config_path: Path
    http_port: int = 8080
    #: Overrides every project's ``every`` (tests, trials); at least 1 s.
    interval: timedelta | None = None
    workers: int = DEFAULT_WORKERS
    lease_ttl: timedelta = DEFAULT_TTL
    holder: str = field(default_factory=default_holder)
    dry_run: bool = False


@dataclass
class Slot:
    """One project as the daemon keeps it: its config and built runtime, its running task."""

    name: str
    key: tuple[Any, ...]
    every: timedelta
    tracker: str
    summary: Summary
    timezone: str
    runtime: ProjectRuntime | None = None
    thread: threading.Thread | None = None
    started: float = 0.0
    lease: Lease | None = None
    renewed: float = 0.0
    lease_lost: bool = False
    fence: int | None = None
    last_finished: datetime | None = None
    next_summary: datetime | None = None
    summary_pending: bool = False
    requests_seen: int = 0
    retired: bool = False

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def _project_key(config: Config, name: str) -> tuple[Any, ...]:
    """What a project's runtime is built from; a change rebuilds it (tokens compare by value)."""
    project = config.project(name)
    return (project, config.tracker_for(project), config.calendar_for(project),
            config.rules_for(project), config.summary_for(project),
            config.language_for(project), config.milestones_for(project))


def _secrets(config: Config | None, settings: Settings, url: str) -> list[str]:
    found = [secret.get_secret_value() for secret in (settings.github_token,
                                                       settings.jira_api_token) if secret]
    for tracker in (config.trackers.values() if config else ()):
        for name in ("token", "private_key"):
            value = getattr(tracker, name, None)
            if value is not None:
                found.append(value.get_secret_value())
    with suppress(Exception):
        password = make_url(url).password
        if password:
            found.append(str(password))
    return found


class Daemon:
    def __init__(
        self, options: DaemonOptions, settings: Settings, *,
        clock: Callable[[], datetime] = now, redactor: Redactor | None = None,
    ) -> None:
        self.options = options
        self.settings = settings
        self.clock = clock
        self.redactor = redactor or Redactor()
        self.metrics = Metrics()
        self.scheduler = schedule.Scheduler()
        self.stopping = threading.Event()
        self.lock = threading.RLock()
        self.workers = threading.BoundedSemaphore(max(1, options.workers))
        self.slots: dict[str, Slot] = {}
        self.config: Config | None = None
        self.store: StateStore | None = None
        self.http: HealthServer | None = None
        self.state_url = ""
        self.last_turn = time.monotonic()
        self._config_stamp: tuple[int, int, int] | None = None
        self._signals: deque[int] = deque()
        self._stop_signals = 0
        self._wakeup: tuple[int, int] | None = None

    # -- start ------------------------------------------------------------------------

    def start(self) -> None:
        """Load the config (ConfigError: exit 2), open the state store and the HTTP port."""
        config = load_config(self.options.config_path)
        self._config_stamp = self._stamp()
        self.state_url = effective_state_url(self.settings, config)
        self.redactor.update(_secrets(config, self.settings, self.state_url))
        try:
            self.store = StateStore(self.state_url)
        except Exception as error:
            msg = f"cannot open the state store {redact_url(self.state_url)}: {error}"
            raise DaemonError(msg) from error
        try:
            self.http = HealthServer(port=self.options.http_port, alive=self.alive,
                                     ready=self.ready, metrics=self.metrics.render)
        except OSError as error:
            self.store.close()
            msg = f"cannot listen on port {self.options.http_port}: {error}"
            raise DaemonError(msg) from error
        self.http.start()
        self.config = config
        self._apply(config, first=True)
        self.scheduler.every(SUMMARY_CHECK_SECONDS).seconds.do(self._guarded, self._summaries)
        log.info(
            "forewarn daemon started: %d project(s), state %s, http port %d, replica %s",
            len(config.projects), redact_url(self.state_url), self.http.port,
            self.options.holder,
            extra={"http_port": self.http.port, "replica": self.options.holder,
                   "projects": [project.name for project in config.projects]},
        )

    def _apply(self, config: Config, *, first: bool = False) -> None:
        """Make the slots and jobs match ``config``; unchanged projects keep their runtime."""
        now = self.clock()
        wanted = [project.name for project in config.projects]
        with self.lock:
            for name in list(self.slots):
                if name not in wanted:
                    self.scheduler.clear(name)
                    self.slots[name].retired = True
                    log.info("%s: no longer in the config; its schedule is removed", name)
            start_now: list[str] = []
            for name in wanted:
                project = config.project(name)
                key = _project_key(config, name)
                every = max(self.options.interval or project.every, MIN_INTERVAL)
                calendar = config.calendar_for(project)
                summary = config.summary_for(project)
                slot = self.slots.get(name)
                if slot is None:
                    slot = Slot(name=name, key=key, every=every, tracker=project.tracker,
                                summary=summary, timezone=calendar.timezone)
                    self.slots[name] = slot
                elif slot.key == key and slot.every == every and not slot.retired:
                    continue
                else:
                    # Changed (or removed and back): the slot stays, so a task still running
                    # keeps its lease renewed and no second task starts beside it.
                    if not first:
                        log.info("%s: config changed; rebuilding it", name)
                    slot.key, slot.every, slot.tracker = key, every, project.tracker
                    slot.summary, slot.timezone = summary, calendar.timezone
                    slot.runtime, slot.retired = None, False
                slot.next_summary = next_summary_at(summary, calendar.timezone, now)
                self.scheduler.clear(name)
                seconds = max(1, round(every.total_seconds()))
                self.scheduler.every(seconds).seconds.do(self._guarded, self._tick, name) \
                    .tag(name)
                start_now.append(name)
        for name in start_now:
            self._guarded(self._tick, name)

    # -- the main loop -------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> int:
        """Start, loop until a stop signal, stop; the exit status (ConfigError, DaemonError
        from start propagate)."""
        if handle_signals:
            self._install_signals()
        try:
            self.start()
            return self._loop()
        finally:
            if handle_signals:
                self._restore_signals()

    def _loop(self) -> int:
        code = EXIT_OK
        try:
            while True:
                self.last_turn = time.monotonic()
                if self._drain_signals():
                    break
                self._watch_config()
                self._renew_leases()
                self._reap()
                self.scheduler.run_pending()  # every job is _guarded: none raises
                idle = self.scheduler.idle_seconds
                self._wait(TURN_SECONDS if idle is None else max(0.0, min(TURN_SECONDS, idle)))
        except Exception:
            log.exception("the daemon's main loop failed; stopping")
            code = EXIT_FAILED
        finally:
            code = max(code, self._shutdown())
        return code

    def _guarded(self, job: Callable[..., None], *args: Any) -> None:
        """schedule lets a job's exception end run_pending(): each job catches its own."""
        try:
            job(*args)
        except Exception:
            log.exception("scheduled job %s%s failed", getattr(job, "__name__", job), args)

    def _wait(self, seconds: float) -> None:
        if self._wakeup is None:
            time.sleep(seconds)
            return
        readable, _, _ = select.select([self._wakeup[0]], [], [], seconds)
        if readable:
            with suppress(BlockingIOError):
                os.read(self._wakeup[0], 512)

    def _wake(self) -> None:
        if self._wakeup is not None:
            with suppress(BlockingIOError):
                os.write(self._wakeup[1], b"\0")

    # -- signals -------------------------------------------------------------------------

    def _install_signals(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wakeup = (read, write)
        # The handler only records the signal; the wakeup fd makes select() return at once.
        self._previous_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._previous_handlers = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }

    def _restore_signals(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        if self._wakeup is not None:
            for fd in self._wakeup:
                os.close(fd)
            self._wakeup = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            if self._stop_signals:
                # Second stop signal: no logging here (its locks may be held), just go.
                os.write(2, b"forewarn: second stop signal; exiting now\n")
                os._exit(EXIT_FORCED)
            self._stop_signals += 1
        self._signals.append(signum)

    def _drain_signals(self) -> bool:
        """Act on recorded signals; True when the daemon must stop."""
        stop = False
        while self._signals:
            signum = self._signals.popleft()
            if signum == signal.SIGHUP:
                self.reload("SIGHUP")
            else:
                log.info("%s received: finishing the current writes, then stopping",
                         signal.Signals(signum).name)
                stop = True
        return stop

    # -- config reload ---------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.options.config_path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _watch_config(self) -> None:
        stamp = self._stamp()
        if stamp is not None and stamp != self._config_stamp:
            self._config_stamp = stamp
            self.reload("the file changed")

    def reload(self, why: str) -> bool:
        """Load the config again; a file with problems is refused and the old config stays."""
        self._config_stamp = self._stamp()
        try:
            config = load_config(self.options.config_path)
        except ConfigError as failure:
            for problem in failure.problems:
                log.error("config reload refused: %s", problem,
                          extra={"problem": str(problem)})
            log.error("config reload (%s) refused: %d problem(s); keeping the previous config",
                      why, len(failure.problems))
            self.metrics.reloads.labels("refused").inc()
            return False
        url = effective_state_url(self.settings, config)
        if url != self.state_url:
            log.warning("the state store in the config changed to %s: restart forewarn to "
                        "use it; keeping %s", redact_url(url), redact_url(self.state_url))
        self.redactor.update(_secrets(config, self.settings, url))
        self.config = config
        self._apply(config)
        self.metrics.reloads.labels("ok").inc()
        log.info("config reloaded (%s): %d project(s)", why, len(config.projects))
        return True

    # -- ticks and tasks ---------------------------------------------------------------

    def _tick(self, name: str, *, summary: bool = False) -> None:
        with self.lock:
            slot = self.slots.get(name)
            if slot is None or slot.retired or self.stopping.is_set():
                return
            if summary:
                slot.summary_pending = True
            if slot.running:
                if not summary:
                    age = time.monotonic() - slot.started
                    log.warning("%s: the previous cycle is still running (%.0f s); this tick "
                                "is skipped", name, age, extra={"project": name})
                    self.metrics.cycles_skipped.labels(name, "still_running").inc()
                return
            slot.started = time.monotonic()
            slot.thread = threading.Thread(target=self._task, args=(slot,),
                                           name=f"forewarn-{name}", daemon=True)
            slot.thread.start()

    def _summaries(self) -> None:
        now = self.clock()
        due: list[str] = []
        with self.lock:
            for slot in self.slots.values():
                if slot.retired or slot.next_summary is None or now < slot.next_summary:
                    continue
                slot.next_summary = next_summary_at(slot.summary, slot.timezone, now)
                due.append(slot.name)
        for name in due:
            log.info("%s: summary time", name, extra={"project": name})
            self._tick(name, summary=True)

    def _task(self, slot: Slot) -> None:
        """One project's cycle (and summary when due), under its lease, on its own thread."""
        name = slot.name
        lease: Lease | None = None
        working = False
        try:
            while not self.workers.acquire(timeout=0.5):
                if self.stopping.is_set():
                    return
            working = True
            store = self.store
            if self.stopping.is_set() or store is None:
                return
            runtime = self._runtime(slot)
            if runtime is None:
                return
            granted = acquire(store, name, self.options.holder, ttl=self.options.lease_ttl,
                              now=self.clock(), last_fence=slot.fence)
            if isinstance(granted, Refusal):
                log.info("%s: skipped: the project's lease is %s", name, granted,
                         extra={"project": name})
                self.metrics.cycles_skipped.labels(name, "leased").inc()
                return
            lease = granted
            with self.lock:
                slot.lease, slot.renewed, slot.lease_lost = lease, time.monotonic(), False
            if not lease.continued:
                # Another replica worked on the project since: what it learnt is in the store.
                runtime.memo.clear()
            runtime.stop = lambda: self._why_stop(slot)
            summary = slot.summary_pending
            report = run_cycle(runtime, store, clock=self.clock, dry_run=self.options.dry_run,
                               summary=summary)
            self._observe(slot, runtime, report)
            if summary:
                self._observe_summary(slot, report)
        except Exception:
            log.exception("%s: the cycle failed", name, extra={"project": name})
            self.metrics.cycles.labels(name, "failed").inc()
        finally:
            if lease is not None:
                self._release(slot, lease)
            if working:
                self.workers.release()
            self._wake()

    def _runtime(self, slot: Slot) -> ProjectRuntime | None:
        if slot.runtime is not None:
            return slot.runtime
        config = self.config
        assert config is not None
        try:
            runtime = build_runtime(config, config.project(slot.name), settings=self.settings,
                                    clock=self.clock)
        except (TrackerError, KeyError) as error:
            log.error("%s: cannot build its tracker connector: %s (retried next tick)",
                      slot.name, error, extra={"project": slot.name})
            self.metrics.cycles_skipped.labels(slot.name, "not_built").inc()
            return None
        tame_vendor_loggers()  # PyGithub adds a stderr handler when first imported
        slot.runtime = runtime
        slot.requests_seen = _requests_made(runtime)
        return runtime

    def _why_stop(self, slot: Slot) -> str | None:
        """Asked by the publisher before each write."""
        if self.stopping.is_set():
            return "the daemon is shutting down"
        if slot.lease_lost:
            return "the lease on this project was lost"
        return None

    def _release(self, slot: Slot, lease: Lease) -> None:
        with self.lock:
            slot.lease = None
            slot.fence = lease.fence
        store = self.store
        if store is None:
            return
        try:
            release(store, lease, now=self.clock())
        except Exception as error:  # it expires by itself
            log.warning("%s: could not release its lease: %s", slot.name, error)

    def _observe(self, slot: Slot, runtime: ProjectRuntime, report: CycleReport) -> None:
        made = _requests_made(runtime)
        requests = max(0, made - slot.requests_seen)
        slot.requests_seen = made
        quota = runtime.connector.rate_limit
        self.metrics.observe_cycle(report, tracker=slot.tracker, requests=requests,
                                   rate_limit_remaining=quota.remaining if quota else None)
        slot.last_finished = self.clock()
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

    def _observe_summary(self, slot: Slot, report: CycleReport) -> None:
        """A summary is done when its writes are; one the budget or a stop deferred stays
        pending for the next cycle, one that failed waits for its next time."""
        name = slot.name
        posts = report.plan.summary
        outcome = report.outcome
        deferred = outcome is not None and any(action in outcome.deferred for action in posts)
        failed = [why for action, why in (outcome.failed if outcome else []) if action in posts]
        period = report.summary.period if report.summary else "this period"
        if deferred and not self.stopping.is_set():
            log.info("%s: the summary for %s waits for the next cycle", name, period,
                     extra={"project": name})
            return
        slot.summary_pending = False
        problem = [report.summary_problem] if report.summary_problem else []
        if report.summary is None or failed or problem:
            reasons = failed or problem or report.errors or ["the cycle failed"]
            log.warning("%s: the summary for %s failed: %s", name, period, "; ".join(reasons),
                        extra={"project": name})
            self.metrics.summaries.labels(name, "failed").inc()
            return
        self.metrics.summaries.labels(name, "ok").inc()
        done = [action for action in posts if outcome is not None and action in outcome.done]
        log.info("%s: summary for %s done (%d writes)", name, period,
                 sum(isinstance(action, WRITES) for action in done), extra={"project": name})

    # -- leases --------------------------------------------------------------------------

    def _renew_leases(self) -> None:
        store = self.store
        if store is None:
            return
        period = self.options.lease_ttl.total_seconds() / 3
        with self.lock:
            due = [(slot, slot.lease) for slot in self.slots.values()
                   if slot.lease is not None and time.monotonic() - slot.renewed >= period]
        for slot, lease in due:
            now = self.clock()
            try:
                renewed = renew(store, lease, ttl=self.options.lease_ttl, now=now)
            except Exception as error:
                log.warning("%s: could not renew its lease: %s", slot.name, error)
                renewed = lease if now < lease.expires_at else None
                if renewed is lease:
                    continue
            with self.lock:
                if slot.lease is not lease:
                    continue  # released meanwhile
                if renewed is None:
                    slot.lease_lost = True
                    log.error("%s: lost its lease; stopping its writes", slot.name,
                              extra={"project": slot.name})
                else:
                    slot.lease, slot.renewed = renewed, time.monotonic()

    def _reap(self) -> None:
        with self.lock:
            for name in [n for n, s in self.slots.items() if s.retired and not s.running]:
                del self.slots[name]

    # -- health ------------------------------------------------------------------------

    def alive(self) -> tuple[bool, dict[str, Any]]:
        since = time.monotonic() - self.last_turn
        return since < STUCK_AFTER, {"main_loop_seconds_ago": round(since, 1)}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {"config": str(self.options.config_path)}
        ok = self.config is not None and not self.stopping.is_set()
        if self.stopping.is_set():
            body["stopping"] = True
        store = self.store
        reachable = False
        try:
            if store is not None:
                store.ping()
                reachable = True
        except Exception as error:
            body["state"] = f"unreachable: {type(error).__name__}"
        else:
            body["state"] = "ok" if reachable else "not open"
        ok = ok and reachable
        now = self.clock()
        projects: dict[str, Any] = {}
        with self.lock:
            slots = [slot for slot in self.slots.values() if not slot.retired]
        for slot in slots:
            stamps = [slot.last_finished]
            if reachable and store is not None:
                with suppress(Exception):
                    stamps.append(store.last_finished(slot.name))
            last = max((stamp for stamp in stamps if stamp is not None), default=None)
            limit = slot.every * FRESH_INTERVALS
            fresh = last is not None and now - last <= limit
            projects[slot.name] = {
                "last_cycle": last.isoformat() if last else None,
                "max_age_seconds": int(limit.total_seconds()), "fresh": fresh,
            }
            ok = ok and fresh
        body["projects"] = projects
        return ok, body

    # -- stop ----------------------------------------------------------------------------

    def _shutdown(self) -> int:
        deadline = time.monotonic() + SHUTDOWN_GRACE
        self.stopping.set()
        self.scheduler.clear()
        while True:
            with self.lock:
                running = [slot for slot in self.slots.values() if slot.running]
            if not running or time.monotonic() >= deadline:
                break
            self._renew_leases()
            thread = running[0].thread
            assert thread is not None
            thread.join(min(0.2, max(0.0, deadline - time.monotonic())))
        for slot in running:
            log.warning("%s: abandoning its cycle: it did not finish within %.0f s", slot.name,
                        SHUTDOWN_GRACE, extra={"project": slot.name})
        if self.http is not None:
            self.http.stop()
        if self.store is not None:
            self.store.close()
        log.info("forewarn daemon stopped")
        return EXIT_OK


def _requests_made(runtime: ProjectRuntime) -> int:
    return runtime.connector.requests_made


def run_daemon(
    options: DaemonOptions, settings: Settings, *, log_level: str | None = None,
    log_format: Literal["text", "json"] | None = None,
) -> int:
    """``forewarn daemon``: returns the exit status (ConfigError propagates: exit 2)."""
    redactor = Redactor()
    configure(level=(log_level or settings.log_level).upper(),
              fmt=log_format or settings.log_format, redactor=redactor)
    try:
        return Daemon(options, settings, redactor=redactor).run()
    except DaemonError as error:
        log.error("%s", error)
        return EXIT_FAILED
