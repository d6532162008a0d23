"""The demo project's summary in every format and language, pinned by snapshots.

Update the snapshots after an intended change with ``pytest --snapshot-update``
and read the diff: the files under ``__snapshots__/`` are what a client sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectors.markers import Marker
from sync.store.state import StateStore
from sync.summary.model import summary_json_schema
from sync.summary.render import render_html, render_json, render_summary
from tests.conftest import ROOT, Clock
from tests.sync.summary.support import cycle, set_language

syrupy = pytest.importorskip("syrupy", reason="syrupy is a dev dependency (snapshot tests)")
from syrupy.extensions.single_file import (  # noqa: E402
    SingleFileSnapshotExtension,
    WriteMode,
)


class _Text(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT


class Markdown(_Text):
    file_extension = "md"


class Wiki(_Text):
    file_extension = "jira.txt"


class Html(_Text):
    file_extension = "html"


class Json(_Text):
    file_extension = "json"


EXTENSIONS: dict[str, type[_Text]] = {"md": Markdown, "jira": Wiki, "html": Html, "json": Json}


def render(fmt: str, config: Path, tmp_path: Path, clock: Clock) -> str:
    store = StateStore(f"sqlite:///{tmp_path / 'summary.db'}")
    try:
        summary = cycle(config, store, clock).summary
    finally:
        store.close()
    if fmt == "json":
        return render_json([summary])
    if fmt == "html":
        return render_html([summary])
    marker = Marker.summary(summary.period)
    return render_summary(summary, "jira" if fmt == "jira" else "md", marker=marker,
                          notify=["alice"])


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize("fmt", ["md", "jira", "html", "json"])
def test_demo_summary(fmt: str, language: str, demo_config: Path, tmp_path: Path, clock: Clock,
                      snapshot: Any) -> None:
    set_language(demo_config, language)
    text = render(fmt, demo_config, tmp_path, clock)
    assert text == snapshot.use_extension(EXTENSIONS[fmt])


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_demo_json_follows_the_published_schema(language: str, demo_config: Path,
                                                tmp_path: Path, clock: Clock) -> None:
    set_language(demo_config, language)
    published = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(published,
                                                format_checker=jsonschema.FormatChecker())
    (item,) = json.loads(render("json", demo_config, tmp_path, clock))
    assert list(validator.iter_errors(item)) == []
    assert item["language"] == language and item["period"] == "2026-W48"


def test_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    assert published == summary_json_schema(), (
        "run: python -m sync.summary.model > docs/summary.schema.json")
    jsonschema.Draft202012Validator.check_schema(published)


@pytest.mark.parametrize(("markup", "starts", "chart", "absent"), [
    ("markdown", "## 📋 Expectation summary: demo", "```mermaid", "||"),
    # Jira renders no Mermaid: its own wiki markup, and the burn-up as a table.
    ("jira", "h2. 📋 Expectation summary: demo", "||Week||Scope||Done||", "```"),
])
def test_report_md_speaks_each_trackers_markup(markup: str, starts: str, chart: str,
                                               absent: str, demo_config: Path,
                                               tmp_path: Path, clock: Clock) -> None:
    from sync.summary.report import render_report

    store = StateStore(f"sqlite:///{tmp_path / 'summary.db'}")
    try:
        summary = cycle(demo_config, store, clock).summary
    finally:
        store.close()
    other = summary.model_copy(update={"project": "portal"})
    text = render_report([summary, other], "md", markups={"demo": markup, "portal": markup})
    assert text.startswith(starts) and chart in text and absent not in text
    assert text.count(starts.replace("demo", "portal")) == 1
