"""The forewarn command as a user meets it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.app.cli import main

DEMO_NOW = "2026-11-25T08:00:00Z"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_shows_every_rule_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    for kind in ("scope_creep", "schedule_slip", "unanswered_feedback"):
        assert f"({kind})" in out
    assert "16 writes planned, 16 done" in out
    assert "demo: 10 findings, 0 writes" in out  # the second cycle


def test_demo_dir_keeps_the_tracker(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run(capsys, "demo", "--dir", str(tmp_path / "out"))
    assert code == 0
    data = json.loads((tmp_path / "out" / "demo-tracker.json").read_text())
    assert sum(c["author"] == "forewarn" for c in data["comments"]) == 8


def test_check_config_ok(capsys: pytest.CaptureFixture[str], demo_config: Path) -> None:
    code, out, _ = run(capsys, "check-config", "-c", str(demo_config))
    assert code == 0
    assert out.strip() == f"{demo_config}: OK (1 projects, 3 rules, 3 rule applications)"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("kind: scope_creep", "kind: scope_crep"),
         ':17:23: rules[0].kind: no such rule kind: "scope_crep" (did you mean "scope_creep"?)'),
        (lambda t: t.replace("    tracker: local", "    tracker: locl"),
         ':11:14: project "demo": no tracker named "locl" (did you mean "local"?)'),
        (lambda t: t.replace("sla: 16h", "sla: soon"),
         ":19:52: rules[2].sla: not a duration: 'soon' (use a number and a unit: 30m, 16h, "
         "3d, 1w)"),
        (lambda t: t.replace("trackers:", "trackers: [", 1),
         ":7:1: expected ',' or ']', but got '<scalar>' (while parsing a flow sequence at line 5,"
         " column 11)"),
        (lambda t: t.replace("    clients: external", "    clints: external"),
         ':13:5: projects[0]: unknown key "clints" (did you mean "clients"?)'),
        # Values that overflow a date, a duration or the scheduler (issue 17).
        (lambda t: t.replace("holidays: CN}", "holidays: CN, extra_holidays: [2026-02-30]}"),
         ':8:129: calendars.shanghai.extra_holidays[0]: expected a date like 2025-10-01, got '
         '"2026-02-30"'),
        (lambda t: t.replace("sla: 16h", "sla: 99999999999999h"),
         ":19:52: rules[2].sla: too long: '99999999999999h' (at most 365d, a year)"),
        (lambda t: t.replace("sla: 16h", "sla: {p1: 99999999999d}"),
         ":19:52: rules[2].sla: too long: '99999999999d' (at most 365d, a year)"),
        (lambda t: t.replace("    notify: [alice]", "    notify: [alice]\n    every: 999999999d"),
         ":16:12: projects[0].every: too long: '999999999d' (at most 365d, a year)"),
    ],
)
def test_bad_config_is_one_clear_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], demo_config: Path, edit, message: str  # type: ignore[no-untyped-def]
) -> None:
    demo_config.write_text(edit(demo_config.read_text()))
    code, out, err = run(capsys, "check-config", "-c", str(demo_config))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"{demo_config}{message}"]


def test_run_requires_once(capsys: pytest.CaptureFixture[str], demo_config: Path) -> None:
    code, _, err = run(capsys, "run", "-c", str(demo_config))
    assert code == 2
    assert "run needs --once" in err


def test_run_dry_run_prints_the_plan_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    before = demo_tracker.read_text()
    code, out, _ = run(capsys, "run", "--once", "--dry-run", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 0
    assert "would do" in out and "16 writes planned, 0 done" in out
    assert demo_tracker.read_text() == before


def test_run_unknown_project(capsys: pytest.CaptureFixture[str], demo_config: Path) -> None:
    code, _, err = run(capsys, "run", "--once", "-c", str(demo_config), "--project", "dem")
    assert code == 2
    assert 'no project named "dem" (did you mean "demo"?)' in err


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "1969-12-31T23:59:59Z"])
def test_a_now_out_of_range_is_refused(capsys: pytest.CaptureFixture[str], demo_config: Path,
                                       moment: str) -> None:
    code, out, err = run(capsys, "run", "--once", "-c", str(demo_config), "--now", moment)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"forewarn: --now: '{moment}' is out of range (between the years 1970 and 9000)"]


def test_bad_now(capsys: pytest.CaptureFixture[str], demo_config: Path) -> None:
    code, _, err = run(capsys, "run", "--once", "-c", str(demo_config), "--now", "tuesday")
    assert code == 2
    assert "--now: not an ISO timestamp: 'tuesday'" in err


def test_report_json_writes_nothing(capsys: pytest.CaptureFixture[str], demo_config: Path,
                                    demo_tracker: Path) -> None:
    before = demo_tracker.read_text()
    code, out, _ = run(capsys, "report", "--format", "json", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 0
    (project,) = json.loads(out)
    assert project["project"] == "demo"
    assert {f["kind"] for f in project["risks"]} == {
        "scope_creep", "schedule_slip", "unanswered_feedback"}
    assert demo_tracker.read_text() == before


def test_missing_tracker_file_fails_the_run(capsys: pytest.CaptureFixture[str],
                                            demo_config: Path, demo_tracker: Path) -> None:
    demo_tracker.unlink()
    code, out, _ = run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 1
    assert "local tracker file not found" in out


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-dir/forewarn.db",
        "postgresql+psycopg://forewarn:s3cret-pw@127.0.0.1:1/state",
    ],
)
def test_unreachable_state_store_is_one_line_without_password(
    capsys: pytest.CaptureFixture[str], demo_config: Path, monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    monkeypatch.setenv("FOREWARN_STATE_URL", url)
    code, _, err = run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 1
    assert err.startswith("forewarn: cannot open the state store ")
    assert len(err.strip().splitlines()) == 1
    assert "s3cret-pw" not in err
    assert "Traceback" not in err
