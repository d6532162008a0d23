"""The summary from the command line: report formats, run --once --summary, the demo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from sync.app.cli import main
from sync.store.state import StateStore
from sync.summary.model import summary_json_schema
from tests.conftest import run_log

DEMO_NOW = "2026-11-25T08:00:00Z"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def forewarn_comments(tracker: Path) -> list[str]:
    data = json.loads(tracker.read_text(encoding="utf-8"))
    return [c["body"] for c in data["comments"] if c["author"] == "forewarn"]


@pytest.mark.parametrize(("fmt", "expected"), [
    ("md", "## 📋 Expectation summary: demo\n\n"
           "As of Nov 25, 2026, 16:00 (UTC+8) · period 2026-W48\n"),
    ("html", '<!DOCTYPE html>\n<html lang="en">'),
    ("json", '[\n  {\n    "version": 1,\n    "project": "demo",'),
])
def test_report_prints_the_summary_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path, tmp_path: Path,
    fmt: str, expected: str,
) -> None:
    before = demo_tracker.read_text(encoding="utf-8")
    code, out, err = run(capsys, "report", "--format", fmt, "-c", str(demo_config),
                         "--now", DEMO_NOW)
    assert (code, err) == (0, "")
    assert out.startswith(expected)
    assert demo_tracker.read_text(encoding="utf-8") == before
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    assert store.summary("demo", "2026-W48") is None and run_log(store, "demo") == []
    store.close()


def test_report_html_is_one_self_contained_file(
    capsys: pytest.CaptureFixture[str], demo_config: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "summary.html"
    code, out, _ = run(capsys, "report", "--format", "html", "--out", str(out_file),
                       "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 0 and out.strip() == f"wrote {out_file}"
    page = out_file.read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and "<style>" in page
    assert not re.search(r"<(link|script|img|iframe)\b|\bsrc=|url\(", page)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_report_html_of_two_projects_is_one_page(
    capsys: pytest.CaptureFixture[str], two_project_config: Path, tmp_path: Path, language: str
) -> None:
    """It crashed with "'t' is undefined" (the page title named every project)."""
    text = two_project_config.read_text(encoding="utf-8")
    two_project_config.write_text(text.replace("language: en", f"language: {language}"),
                                  encoding="utf-8")
    out_file = tmp_path / "x.html"
    code, _, err = run(capsys, "report", "--format", "html", "--out", str(out_file),
                       "-c", str(two_project_config), "--now", DEMO_NOW)
    assert (code, err) == (0, "")
    page = out_file.read_text(encoding="utf-8")
    separator = "、" if language == "zh-CN" else ", "
    assert f"<title>forewarn · demo{separator}portal</title>" in page
    assert page.count('<section class="project"') == 2 and page.count("<svg") == 6


def test_report_json_follows_the_schema(capsys: pytest.CaptureFixture[str],
                                        demo_config: Path) -> None:
    code, out, _ = run(capsys, "report", "--format", "json", "-c", str(demo_config),
                       "--now", DEMO_NOW, "--project", "demo")
    assert code == 0
    (summary,) = json.loads(out)
    jsonschema.validate(summary, summary_json_schema())


def test_report_of_an_unreadable_tracker_says_so_and_exits_1(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    demo_tracker.unlink()
    code, out, _ = run(capsys, "report", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 1
    assert "> - local tracker file not found:" in out


def test_run_once_summary_posts_then_edits(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    code, out, _ = run(capsys, "run", "--once", "--summary", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 0
    assert "│ summary 2026-W48 on demo#1 (summary.2026-W48:info)" in out
    assert "│ milestone retrospective on demo#1 (retro.e80162f61d32cbec:info) │ done" in out
    code, out, _ = run(capsys, "run", "--once", "--summary", "-c", str(demo_config),
                       "--now", "2026-11-25T09:00:00Z")
    assert code == 0
    assert "│ edit summary 2026-W48 (comment 15) on demo#1 (summary.2026-W48:info) │ done" in out
    assert sum("forewarn:summary." in body for body in forewarn_comments(demo_tracker)) == 1


def test_run_once_without_summary_posts_alerts_only(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    code, out, _ = run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 0 and "summary." not in out
    assert not any("forewarn:summary." in body for body in forewarn_comments(demo_tracker))


def test_run_once_summary_dry_run(capsys: pytest.CaptureFixture[str], demo_config: Path,
                                  demo_tracker: Path) -> None:
    before = demo_tracker.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "run", "--once", "--summary", "--dry-run", "-c",
                       str(demo_config), "--now", DEMO_NOW)
    assert code == 0
    assert "│ summary 2026-W48 on demo#1 (summary.2026-W48:info)" in out and "would do" in out
    assert demo_tracker.read_text(encoding="utf-8") == before


def test_demo_ends_with_the_summary_it_would_post(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    tail = out[out.index("A second cycle with nothing new writes nothing"):]
    assert "The milestone retrospective forewarn would post on demo#1" in tail
    summary = tail[tail.index("The summary forewarn would post on demo#1"):]
    assert "<!-- forewarn:summary.2026-W48:info -->\n## 📋 Expectation summary: demo" in summary
    assert "```mermaid\nxychart-beta" in summary
    assert out.rstrip().endswith(
        "<sub>forewarn · expectation summary 2026-W48 · updated in place during the period</sub>")


def test_the_demo_in_chinese_and_where_its_comments_are(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "demo", "--language", "zh-CN", "--dir", str(tmp_path / "out"))
    assert code == 0
    assert "forewarn 演示" in out and "再运行一个周期" in out
    assert "## 📋 预期摘要：demo" in out and "Expectation summary" not in out
    tracker = tmp_path / "out" / "demo-tracker.json"
    # It ends by saying where the comments are and how to print them.
    assert out.rstrip().endswith(f'if c["author"] == "forewarn"]\' {tracker}')
    comments = forewarn_comments(tracker)
    assert comments and all("已通知团队" in body for body in comments)
