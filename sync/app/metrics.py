"""The daemon's Prometheus metrics (served on ``/metrics``, see sync/app/health.py).

Counters (``_total``):

* ``forewarn_cycles_total{project, status}`` — cycles run, ``ok`` or ``failed``;
* ``forewarn_cycles_skipped_total{project, reason}`` — ticks that started no
  cycle: ``still_running``, ``leased`` (another replica has the project),
  ``not_built`` (its connector could not be built);
* ``forewarn_writes_total{project, action}`` — tracker writes done:
  ``create_comment``, ``edit_comment``, ``add_label``, ``remove_label``,
  ``ensure_label``;
* ``forewarn_write_failures_total{project}`` — writes the tracker refused;
* ``forewarn_writes_deferred_total{project}`` — writes left for the next
  cycle (budget, rate limit, shutdown, lost lease);
* ``forewarn_api_requests_total{tracker}`` — HTTP requests to the tracker
  (the config's tracker name);
* ``forewarn_summaries_total{project, status}`` — summaries, ``ok``/``failed``;
* ``forewarn_config_reloads_total{result}`` — ``ok`` or ``refused``;
* ``forewarn_notifications_total{channel, outcome}`` — notification actions by
  how they ended: ``sent``, ``failed`` (the channel refused it or was out of
  reach: tried again next cycle), ``unknown`` (no answer: may have arrived, not
  sent again), ``deferred`` (budget, a channel failing this cycle, shutdown),
  ``claimed`` (another replica had it), ``enrolled`` (a channel's first cycle).

Gauges: ``forewarn_findings{project, rule, severity}`` (the latest cycle's
findings), ``forewarn_rate_limit_remaining{tracker}`` (GitHub),
``forewarn_last_cycle_timestamp_seconds{project}`` and
``forewarn_last_success_timestamp_seconds{project}`` (Unix time).
Histogram: ``forewarn_cycle_duration_seconds{project}``.

Each daemon has its own registry (tests run several in one process); the
``_created`` series are left out.
"""

from __future__ import annotations

import re
import time
from collections import Counter as Tally

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from sync.actions import SENDS, WRITES, EnrolChannel
from sync.cycle import CycleReport

DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def action_name(action: object) -> str:
    """``CreateComment`` -> ``create_comment``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(action).__name__).lower()


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.cycles = Counter("forewarn_cycles", "Cycles run, by project and status.",
                              ["project", "status"], registry=r)
        self.cycles_skipped = Counter(
            "forewarn_cycles_skipped", "Cycles not started, by project and reason.",
            ["project", "reason"], registry=r)
        self.cycle_seconds = Histogram(
            "forewarn_cycle_duration_seconds", "Duration of one cycle.", ["project"],
            buckets=DURATION_BUCKETS, registry=r)
        self.findings = Gauge("forewarn_findings",
                              "Findings of the latest cycle, by rule and severity.",
                              ["project", "rule", "severity"], registry=r)
        self.writes = Counter("forewarn_writes", "Writes done in trackers, by action.",
                              ["project", "action"], registry=r)
        self.write_failures = Counter("forewarn_write_failures", "Writes a tracker refused.",
                                      ["project"], registry=r)
        self.writes_deferred = Counter("forewarn_writes_deferred",
                                       "Writes left for the next cycle.", ["project"], registry=r)
        self.api_requests = Counter("forewarn_api_requests", "HTTP requests to trackers.",
                                    ["tracker"], registry=r)
        self.rate_limit = Gauge("forewarn_rate_limit_remaining",
                                "Requests left in the tracker's rate limit.", ["tracker"],
                                registry=r)
        self.last_cycle = Gauge("forewarn_last_cycle_timestamp_seconds",
                                "When the latest cycle ended (Unix time).", ["project"],
                                registry=r)
        self.last_success = Gauge("forewarn_last_success_timestamp_seconds",
                                  "When the latest successful cycle ended (Unix time).",
                                  ["project"], registry=r)
        self.summaries = Counter("forewarn_summaries", "Expectation summaries posted.",
                                 ["project", "status"], registry=r)
        self.reloads = Counter("forewarn_config_reloads", "Config reloads, by result.",
                               ["result"], registry=r)
        self.notifications = Counter(
            "forewarn_notifications", "Notifications to channels, by channel and outcome.",
            ["channel", "outcome"], registry=r)
        self._finding_series: dict[str, set[tuple[str, str]]] = {}

    def observe_cycle(self, report: CycleReport, *, tracker: str, requests: int,
                      rate_limit_remaining: int | None) -> None:
        project = report.project
        status = "ok" if report.ok else "failed"
        self.cycles.labels(project, status).inc()
        self.cycle_seconds.labels(project).observe(report.seconds)
        now = time.time()
        self.last_cycle.labels(project).set(now)
        if report.ok:
            self.last_success.labels(project).set(now)
        if report.snapshot is not None:  # the rules ran: their findings are current
            self._set_findings(project, Tally(
                (finding.rule_id, finding.severity.label) for finding in report.findings))
        outcome = report.outcome
        if outcome is not None:
            for action in outcome.done:
                if isinstance(action, WRITES):
                    self.writes.labels(project, action_name(action)).inc()
            if outcome.failed:
                self.write_failures.labels(project).inc(len(outcome.failed))
            deferred = [a for a in outcome.deferred if not isinstance(a, (*SENDS, EnrolChannel))]
            if deferred:
                self.writes_deferred.labels(project).inc(len(deferred))
            for channel, result in outcome.notifications:
                self.notifications.labels(channel, result).inc()
        if requests > 0:
            self.api_requests.labels(tracker).inc(requests)
        if rate_limit_remaining is not None:
            self.rate_limit.labels(tracker).set(rate_limit_remaining)

    def _set_findings(self, project: str, counts: Tally[tuple[str, str]]) -> None:
        for rule, severity in self._finding_series.get(project, set()) - set(counts):
            self.findings.remove(project, rule, severity)
        for (rule, severity), count in counts.items():
            self.findings.labels(project, rule, severity).set(count)
        self._finding_series[project] = set(counts)

    def render(self) -> bytes:
        return generate_latest(self.registry)
