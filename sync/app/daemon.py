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

Leases. A task runs under the project's lease, so that replicas sharing one
state store never work on one project at once (sync/app/task.py). Connectors
live as long as the daemon; a config reload rebuilds only the projects whose
config changed (sync/app/slots.py).

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
``FILE:LINE:COL: message``, and the previous config stays. A signal handler
only records the signal and wakes the loop (sync/app/signals.py).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import schedule

from config import Config, ConfigError, Settings, effective_state_url, load_config
from config.model import redact_url
from connectors.model import now
from sync.app.health import STUCK_AFTER, HealthServer
from sync.app.logs import Redactor, active_redactor, secrets_to_hide
from sync.app.metrics import Metrics
from sync.app.signals import SignalInbox
from sync.app.slots import Slot, fit_slots
from sync.app.task import ProjectTask, renew_leases
from sync.store.lease import DEFAULT_TTL, holder_id
from sync.store.state import StateStore, StateStoreUnavailable
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
EXIT_OK, EXIT_FAILED = 0, 1


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
    holder: str = field(default_factory=holder_id)
    dry_run: bool = False


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
        self.inbox = SignalInbox()
        self._config_stamp: tuple[int, int, int] | None = None

    # -- start ------------------------------------------------------------------------

    def start(self) -> None:
        """Load the config (ConfigError: exit 2), open the state store and the HTTP port."""
        config = load_config(self.options.config_path)
        self._config_stamp = self._stamp()
        self.state_url = effective_state_url(self.settings, config)
        self.redactor.update(secrets_to_hide(config, self.settings, self.state_url))
        try:
            self.store = StateStore(self.state_url)
        except StateStoreUnavailable as error:  # its message names the store already
            raise DaemonError(str(error)) from None
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
        with self.lock:
            retired, changed = fit_slots(self.slots, config, interval=self.options.interval,
                                         now=now, first=first)
            for name in retired:
                self.scheduler.clear(name)
            for name in changed:
                self.scheduler.clear(name)
                seconds = max(1, round(self.slots[name].every.total_seconds()))
                self.scheduler.every(seconds).seconds.do(self._guarded, self._tick, name) \
                    .tag(name)
        for name in changed:
            self._guarded(self._tick, name)

    # -- the main loop -------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> int:
        """Start, loop until a stop signal, stop; the exit status (ConfigError, DaemonError
        from start propagate)."""
        if handle_signals:
            self.inbox.install()
        try:
            self.start()
            return self._loop()
        finally:
            if handle_signals:
                self.inbox.restore()

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
                self.inbox.wait(TURN_SECONDS if idle is None else max(0.0, min(TURN_SECONDS, idle)))
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

    # -- signals and config reload ----------------------------------------------------------

    def _drain_signals(self) -> bool:
        """Act on recorded signals; True when the daemon must stop."""
        stop = False
        while self.inbox.received:
            signum = self.inbox.received.popleft()
            if signum == signal.SIGHUP:
                self.reload("SIGHUP")
            else:
                log.info("%s received: finishing the current writes, then stopping",
                         signal.Signals(signum).name)
                stop = True
        return stop

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
        """Load the config again; a file with problems is refused in one log line that names
        each problem (``FILE:LINE:COL: message``) and the previous config stays."""
        self._config_stamp = self._stamp()
        try:
            config = load_config(self.options.config_path)
        except ConfigError as failure:
            problems = [str(problem) for problem in failure.problems]
            self._refuse(why, problems)
            return False
        except Exception as error:  # a loader bug must not end the daemon
            log.debug("config reload failed", exc_info=True)
            self._refuse(why, [f"{self.options.config_path}: {type(error).__name__}: {error}"])
            return False
        url = effective_state_url(self.settings, config)
        if url != self.state_url:
            log.warning("the state store in the config changed to %s: restart forewarn to "
                        "use it; keeping %s", redact_url(url), redact_url(self.state_url))
        self.redactor.update(secrets_to_hide(config, self.settings, url))
        self.config = config
        try:
            self._apply(config)
        except Exception as error:  # never the end of the daemon: its loop goes on
            log.debug("applying the reloaded config failed", exc_info=True)
            self._refuse(why, [f"{self.options.config_path}: cannot apply it: {error}"])
            return False
        self.metrics.reloads.labels("ok").inc()
        log.info("config reloaded (%s): %d project(s)", why, len(config.projects))
        return True

    def _refuse(self, why: str, problems: list[str]) -> None:
        log.error("config reload (%s) refused, keeping the previous config: %s", why,
                  "; ".join(problems), extra={"problems": problems})
        self.metrics.reloads.labels("refused").inc()

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
            task = ProjectTask(self, slot, stop=lambda: self._why_stop(slot))
            slot.thread = threading.Thread(target=task.run, name=f"forewarn-{name}", daemon=True)
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

    def _why_stop(self, slot: Slot) -> str | None:
        """Asked by the publisher before each write."""
        if self.stopping.is_set():
            return "the daemon is shutting down"
        holding = slot.holding
        if holding is not None and holding.lost:
            return holding.lost
        return None

    # -- leases --------------------------------------------------------------------------

    def _renew_leases(self) -> None:
        renew_leases(self.slots, lock=self.lock)

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


def run_daemon(options: DaemonOptions, settings: Settings) -> int:
    """``forewarn daemon``, logging as ``sync.app.logs.setup`` set it up: returns the exit
    status (ConfigError propagates: exit 2)."""
    try:
        return Daemon(options, settings, redactor=active_redactor()).run()
    except DaemonError as error:
        log.error("%s", error)
        return EXIT_FAILED
