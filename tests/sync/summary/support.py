"""Helpers for the summary tests: the demo project run through one (dry) cycle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config import load_config, load_settings
from sync.app.runtime import build_runtime
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.state import StateStore
from sync.summary.model import ProjectSummary
from sync.summary.report import summarize
from tests.conftest import Clock


@dataclass
class Demo:
    runtime: ProjectRuntime
    report: CycleReport
    summary: ProjectSummary


def set_language(config_path: Path, language: str) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace("language: en", f"language: {language}"),
                           encoding="utf-8")


def runtime_for(config_path: Path, clock: Clock, project: str = "demo") -> ProjectRuntime:
    config = load_config(config_path)
    return build_runtime(config, config.project(project), settings=load_settings(), clock=clock)


def cycle(config_path: Path, store: StateStore, clock: Clock, *, dry_run: bool = True,
          project: str = "demo") -> Demo:
    runtime = runtime_for(config_path, clock, project)
    report = run_cycle(runtime, store, clock=clock, dry_run=dry_run)
    assert report.ok, report.errors
    return Demo(runtime, report, summarize(runtime, store, report, now=clock()))


def ours(tracker: Path, issue_key: str) -> list[dict[str, str]]:
    import json

    data = json.loads(tracker.read_text(encoding="utf-8"))
    return [c for c in data["comments"]
            if c["author"] == "forewarn" and c["issue_key"] == issue_key]
