"""The daemon's metrics, fed by real cycle reports on the demo tracker."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import load_config, load_settings
from connectors.markers import Marker
from sync.actions import AddLabel, CreateComment, EnsureLabel
from sync.app.metrics import Metrics, action_name
from sync.app.runtime import build_runtime
from sync.cycle import run_cycle
from sync.store.state import StateStore
from tests.conftest import Clock


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.parametrize(("action", "name"), [
    (CreateComment(target="t", marker=Marker("f"), kind="alert", body="b"), "create_comment"),
    (AddLabel(target="t", label="l"), "add_label"),
    (EnsureLabel(label="l", color="fff", description="d"), "ensure_label"),
])
def test_action_names(action: object, name: str) -> None:
    assert action_name(action) == name


def test_a_cycle_is_counted(demo_config: Path, clock: Clock, tmp_path: Path) -> None:
    config = load_config(demo_config)
    runtime = build_runtime(config, config.projects[0], settings=load_settings(), clock=clock)
    store = StateStore(f"sqlite:///{tmp_path / 'metrics.db'}")
    metrics = Metrics()
    try:
        report = run_cycle(runtime, store, clock=clock)
        metrics.observe_cycle(report, tracker="local", requests=7, rate_limit_remaining=4321)
        found = samples(metrics)
        assert found[("forewarn_cycles_total", (("project", "demo"), ("status", "ok")))] == 1
        assert found[("forewarn_writes_total", (("action", "create_comment"),
                                                ("project", "demo")))] == 9
        assert found[("forewarn_api_requests_total", (("tracker", "local"),))] == 7
        assert found[("forewarn_rate_limit_remaining", (("tracker", "local"),))] == 4321
        assert found[("forewarn_cycle_duration_seconds_count", (("project", "demo"),))] == 1
        findings = {labels: value for (name, labels), value in found.items()
                    if name == "forewarn_findings"}
        assert sum(findings.values()) == len(report.findings) == 15
        assert (("project", "demo"), ("rule", "feedback"), ("severity", "critical")) in findings
        # A later cycle without findings of a rule and severity drops that series.
        report.findings = [f for f in report.findings if f.rule_id != "feedback"]
        report.outcome = None
        metrics.observe_cycle(report, tracker="local", requests=0, rate_limit_remaining=None)
        after = samples(metrics)
        assert not [labels for (name, labels) in after
                    if name == "forewarn_findings" and ("rule", "feedback") in labels]
        assert after[("forewarn_cycles_total", (("project", "demo"), ("status", "ok")))] == 2
    finally:
        store.close()
