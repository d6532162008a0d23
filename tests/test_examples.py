"""The bundled demo is what its generator says, and every example config loads."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from config import load_config
from tests.conftest import EXAMPLES


def test_demo_tracker_matches_its_generator() -> None:
    generated = runpy.run_path(str(EXAMPLES / "build_demo.py"))["data"]
    committed = json.loads((EXAMPLES / "demo-tracker.json").read_text(encoding="utf-8"))
    assert committed == generated, "run: python examples/build_demo.py"


def test_example_config_loads() -> None:
    config = load_config(EXAMPLES / "forewarn.yaml")
    assert [project.name for project in config.projects] == ["demo"]
    assert [rule.kind for rule in config.rules] == [
        "scope_creep", "schedule_slip", "unanswered_feedback", "risk", "follow_up", "cadence"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.name)
def test_every_example_loads(path: Path, tmp_path: Path) -> None:
    """What ``forewarn check-config`` checks, on each example (tokens from the environment)."""
    environ = {"GITHUB_TOKEN": "ghp_example", "JIRA_API_TOKEN": "jira-example"}
    config = load_config(path, environ=environ, secrets_dir=tmp_path)
    assert config.projects, path


def test_one_example_per_alert_mode_and_backfill() -> None:
    projects = [project for path in sorted(EXAMPLES.glob("*.yaml"))
                for project in load_config(path, environ={"GITHUB_TOKEN": "t",
                                                          "JIRA_API_TOKEN": "t"}).projects]
    assert {project.alerts.to for project in projects} == {"issue", "internal", "digest"}
    assert {project.backfill for project in projects} == {"digest", "comment"}
    assert any(project.alerts.visible_to for project in projects)
    assert any(project.clients == "customers" for project in projects)

def test_notifications_example_loads_without_any_secret_set() -> None:
    config = load_config(EXAMPLES / "notifications.yaml", environ={})
    assert list(config.channels) == ["pm", "team", "support"]
    assert config.projects[0].notify_channels == ("pm", "team")
    assert [rule.notify_channels for rule in config.rules] == [(), (), ("support",)]
