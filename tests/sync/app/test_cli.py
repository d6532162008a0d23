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
    assert "21 writes planned, 21 done" in out
    assert "demo: 15 findings, 0 writes" in out  # the second cycle


def test_demo_dir_keeps_the_tracker(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run(capsys, "demo", "--dir", str(tmp_path / "out"))
    assert code == 0
    data = json.loads((tmp_path / "out" / "demo-tracker.json").read_text())
    assert sum(c["author"] == "forewarn" for c in data["comments"]) == 9


def test_check_config_ok(capsys: pytest.CaptureFixture[str], demo_config: Path) -> None:
    code, out, _ = run(capsys, "check-config", "-c", str(demo_config))
    assert code == 0
    assert out.strip() == f"{demo_config}: OK (1 projects, 6 rules, 6 rule applications)"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("kind: scope_creep", "kind: scope_crep"),
         ':18:23: rules[0].kind: no such rule kind: "scope_crep" (did you mean "scope_creep"?)'),
        (lambda t: t.replace("    tracker: local", "    tracker: locl"),
         ':11:14: project "demo": no tracker named "locl" (did you mean "local"?)'),
        (lambda t: t.replace("sla: 16h", "sla: soon"),
         ":20:52: rules[2].sla: not a duration: 'soon' (use a number and a unit: 30m, 16h, "
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
         ":20:52: rules[2].sla: too long: '99999999999999h' (at most 365d, a year)"),
        (lambda t: t.replace("sla: 16h", "sla: {p1: 99999999999d}"),
         ":20:52: rules[2].sla: too long: '99999999999d' (at most 365d, a year)"),
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
    assert "would do" in out and "21 writes planned, 0 done" in out
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
        "scope_creep", "schedule_slip", "unanswered_feedback", "risk", "follow_up", "cadence"}
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


def test_milestone_alerts_without_a_status_issue_fail_the_run_and_say_which(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    demo_config.write_text(demo_config.read_text().replace("status_issue: 1", "status_issue: 99"))
    code, out, _ = run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 1
    (line,) = [text for text in out.splitlines() if "nowhere to go" in text]
    assert line == (
        "demo: 5 milestone alerts had nowhere to go (status_issue demo#99 was not found in the "
        'tracker): risks (at_risk) on "v1.0 — Client portal launch"; scope (growth) on "v1.0 — '
        'Client portal launch"; slip (schedule) on "Beta feedback round"; slip (schedule) on '
        '"v1.0 — Client portal launch"; slip (moved) on "v1.1 — Reporting"')


def test_check_config_refuses_a_tracker_without_any_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FOREWARN_GITHUB_TOKEN", "FOREWARN_JIRA_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path / "no-secrets"))
    config = tmp_path / "forewarn.yaml"
    config.write_text("version: 1\ntrackers:\n  gh: {kind: github}\nprojects:\n"
                      "  - {name: portal, tracker: gh, repo: acme/portal, status_issue: 1}\n")
    code, out, err = run(capsys, "check-config", "-c", str(config))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f'{config}:3:7: tracker "gh" has no token: add token: ${{GITHUB_TOKEN}} (read from the '
        "environment or /run/secrets), or set FOREWARN_GITHUB_TOKEN"]
    monkeypatch.setenv("FOREWARN_GITHUB_TOKEN", "ghp_fromTheEnvironment0123456789")
    code, out, err = run(capsys, "check-config", "-c", str(config))
    assert (code, err) == (0, "")
    assert out.startswith(f"{config}: OK")


def test_check_config_warns_of_a_summary_with_nowhere_to_go(
    capsys: pytest.CaptureFixture[str], demo_config: Path
) -> None:
    demo_config.write_text(demo_config.read_text().replace("status_issue: 1",
                                                           "rules: [feedback]"))
    code, out, err = run(capsys, "check-config", "-c", str(demo_config))
    assert code == 0
    assert err.splitlines() == [
        f'{demo_config}:10:5: warning: project "demo" has no status_issue: its summary is only '
        "shown by forewarn report (set status_issue, or summary.to: none)"]
    assert out.startswith(f"{demo_config}: OK")


def test_a_run_without_a_terminal_prints_a_line_every_ten_writes(
    capsys: pytest.CaptureFixture[str], demo_config: Path
) -> None:
    code, out, _ = run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    assert code == 0
    assert [text for text in out.splitlines() if "writes done" in text] == [
        "demo: 10 of 21 writes done", "demo: 20 of 21 writes done", "demo: 21 of 21 writes done"]


def test_a_run_on_a_terminal_shows_a_live_display_and_leaves_the_tables(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr("sync.app.cli.Console", lambda **_: Console(
        file=screen, force_terminal=True, width=100, color_system=None))
    assert main(["run", "--once", "-c", str(demo_config), "--now", DEMO_NOW]) == 0
    text = screen.getvalue()
    assert "demo: writing" in text  # the live line, erased at the end
    assert "writes done" not in text  # no log-style lines on a terminal
    assert "21 writes planned, 21 done" in text


def _shown(out: str, header: str) -> list[str]:
    """The lines a dry run printed under ``header``, up to the next one."""
    lines = out.splitlines()
    start = lines.index(header) + 1
    end = next((n for n in range(start, len(lines)) if lines[n].startswith("── ")), len(lines))
    return lines[start:end]


def _body(tracker: Path, key: str) -> list[str]:
    (comment,) = [c for c in json.loads(tracker.read_text())["comments"]
                  if c["issue_key"] == key and c["author"] == "forewarn"]
    return str(comment["body"]).splitlines()


def test_dry_run_shows_each_new_comment_and_the_diff_of_each_edit(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    code, out, _ = run(capsys, "run", "--once", "--dry-run", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 0
    assert len([text for text in out.splitlines() if text.startswith("── new comment on ")]) == 9
    header = "── new comment on demo#20 (feedback.b4af8a4ee6db181f:critical)"
    shown = _shown(out, header)
    code, out, _ = run(capsys, "run", "--once", "--dry-run", "--no-show-bodies", "-c",
                       str(demo_config), "--now", DEMO_NOW)
    assert "── " not in out

    assert run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)[0] == 0
    assert shown == _body(demo_tracker, "demo#20")  # what the dry run showed is what is posted
    tracker = json.loads(demo_tracker.read_text())
    tracker["comments"].append({"id": "9001", "issue_key": "demo#20", "author": "bob",
                                "created_at": "2026-11-25T07:00:00Z",
                                "updated_at": "2026-11-25T07:00:00Z", "body": "Fixed in 1.0.3"})
    next(i for i in tracker["issues"] if i["key"] == "demo#20")["updated_at"] = \
        "2026-11-25T07:00:00Z"
    demo_tracker.write_text(json.dumps(tracker))
    before = _body(demo_tracker, "demo#20")
    code, out, _ = run(capsys, "run", "--once", "--dry-run", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    ours = next(c["id"] for c in tracker["comments"]
                if c["issue_key"] == "demo#20" and c["author"] == "forewarn")
    diff = _shown(out, f"── resolve comment {ours} on demo#20 (feedback.b4af8a4ee6db181f:critical)")
    assert diff[:2] == ["--- now", "+++ after the edit"]
    assert _body(demo_tracker, "demo#20") == before  # a dry run
    run(capsys, "run", "--once", "-c", str(demo_config), "--now", DEMO_NOW)
    after = _body(demo_tracker, "demo#20")
    # One hunk (the alert is short): the lines it had, kept or removed, then what it says.
    assert diff[2].startswith("@@ ")
    assert [text[1:] for text in diff[3:] if text[:1] in " -"] == before
    assert [text[1:] for text in diff[3:] if text[:1] in " +"] == after


def test_connect_on_the_demo_names_a_missing_status_issue(
    capsys: pytest.CaptureFixture[str], demo_config: Path, demo_tracker: Path
) -> None:
    code, out, _ = run(capsys, "check-config", "--connect", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 0
    assert out.splitlines()[1:] == [
        "demo: local tracker demo-tracker.json",
        f"  ✓ tracker file: {demo_tracker} read as forewarn",
        "  ✓ status issue: demo#1 found",
        "  ✓ bots: no account that comments looks automated (11 issues, 5 comments on the issues "
        "updated in the last 30 days)"]
    demo_config.write_text(demo_config.read_text().replace("status_issue: 1", "status_issue: 99"))
    code, out, _ = run(capsys, "check-config", "--connect", "-c", str(demo_config),
                       "--now", DEMO_NOW)
    assert code == 2
    assert out.splitlines()[-2] == (
        "  ✗ status issue: demo#99 is not in demo-tracker.json; fix status_issue")

# -- forewarn notify --test -------------------------------------------------------------


def _with_channel(config: Path, url: str) -> Path:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("summary: {", f'channels:\n  pm: "{url}"\nsummary: {{', 1),
                      encoding="utf-8")
    return config


def test_notify_test_sends_one_message(demo_config: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakes.channels import smtp_receiver

    with smtp_receiver() as smtp:
        config = _with_channel(demo_config, smtp.url())
        assert main(["notify", "--test", "pm", "-c", str(config), "--language", "zh-CN"]) == 0
    assert [m["subject"] for m in smtp.messages] == ["forewarn：测试消息"]
    assert smtp.texts()[0].startswith("这是 forewarn 发往通道 pm 的测试消息。")
    out = capsys.readouterr().out
    assert out.startswith("✓ channel pm: sent a test message to E-Mail (mailto://127.0.0.1:")


def test_notify_test_of_an_unknown_channel_is_a_usage_error(
    demo_config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = _with_channel(demo_config, "json://127.0.0.1:9/hook")
    assert main(["notify", "--test", "mp", "-c", str(config)]) == 2
    assert capsys.readouterr().err == 'forewarn: no channel named "mp" (defined: pm)\n'
