"""The bundled demo is what its generator says, and the example config loads."""

from __future__ import annotations

import json
import runpy

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
        "scope_creep", "schedule_slip", "unanswered_feedback"]


def test_notifications_example_loads_without_any_secret_set() -> None:
    config = load_config(EXAMPLES / "notifications.yaml", environ={})
    assert list(config.channels) == ["pm", "team", "support"]
    assert config.projects[0].notify_channels == ("pm", "team")
    assert [rule.notify_channels for rule in config.rules] == [(), (), ("support",)]
