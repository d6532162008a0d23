"""The real ``forewarn daemon`` process: HTTP, metrics, signals, reload, a kill mid-cycle.

Each test starts ``python -m sync.app.cli daemon`` on the demo tracker with
``--interval 1s`` and a free port (``FOREWARN_HTTP_PORT=0``; the port is read
from the JSON start line), and waits on log lines, HTTP answers and exits
with deadlines; nothing sleeps.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from sync.app.cli import main
from sync.app.daemon import SHUTDOWN_GRACE
from tests.sync.app.daemon_support import daemon, our_markers

#: What the issue promises: a stop signal ends the daemon within this many seconds.
STOP_LIMIT = 10.0
SECRET = "ghp_NeverInTheLogs0123456789"
METRICS = (
    "forewarn_cycles_total", "forewarn_cycles_skipped_total", "forewarn_cycle_duration_seconds",
    "forewarn_findings", "forewarn_writes_total", "forewarn_write_failures_total",
    "forewarn_writes_deferred_total", "forewarn_api_requests_total",
    "forewarn_rate_limit_remaining", "forewarn_last_cycle_timestamp_seconds",
    "forewarn_last_success_timestamp_seconds", "forewarn_summaries_total",
    "forewarn_config_reloads_total",
)


def reference_markers(tmp_path: Path) -> list[str]:
    """What one clean ``run --once`` writes into a fresh copy of the demo tracker now."""
    ref = tmp_path / "reference"
    ref.mkdir()
    examples = Path(__file__).resolve().parents[3] / "examples"
    (ref / "demo-tracker.json").write_text(
        (examples / "demo-tracker.json").read_text(encoding="utf-8"), encoding="utf-8")
    (ref / "forewarn.yaml").write_text(
        (examples / "forewarn.yaml").read_text(encoding="utf-8").replace(
            "sqlite:///forewarn-demo.db", f"sqlite:///{ref / 'state.db'}"), encoding="utf-8")
    assert main(["run", "--once", "-c", str(ref / "forewarn.yaml")]) == 0
    return our_markers(ref / "demo-tracker.json")


def add_stuck_project(config: Path) -> Path:
    """A second project whose tracker file is a FIFO nobody writes: its fetch never returns."""
    fifo = config.parent / "stuck.json"
    os.mkfifo(fifo)
    text = config.read_text(encoding="utf-8")
    text = text.replace("trackers:\n", "trackers:\n  stuck: {kind: local, path: stuck.json}\n")
    text = text.replace("rules:\n",
                        "  - {name: stuck, tracker: stuck, rules: [feedback]}\nrules:\n")
    config.write_text(text, encoding="utf-8")
    return fifo


def test_runs_cycles_serves_health_and_metrics_and_stops_on_sigterm(
    demo_config: Path, demo_tracker: Path
) -> None:
    with daemon(demo_config, "--interval", "1s",
                env={"FOREWARN_GITHUB_TOKEN": SECRET}) as process:
        process.wait_started()
        status, body = process.get("/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        ready = process.wait_ready()
        assert ready["state"] == "ok" and ready["projects"]["demo"]["fresh"] is True
        process.wait_until(
            lambda: process.metric("forewarn_cycles_total", project="demo", status="ok") >= 2,
            what="two cycles")
        _, text = process.get("/metrics")
        for name in METRICS:
            assert f"# TYPE {name} " in text, name
        written = our_markers(demo_tracker)
        assert written and len(set(written)) == len(written)
        assert process.metric("forewarn_writes_total", project="demo",
                              action="create_comment") == len(written)
        assert process.metric("forewarn_api_requests_total", tracker="local") > 0
        first = process.wait_for_line(
            lambda line: line.get("project") == "demo" and line.get("status") == "ok")
        findings = sum(value for (name, labels), value in process.metrics().items()
                       if name == "forewarn_findings" and ("project", "demo") in labels)
        assert first["findings"] == findings > 0
        assert first["writes"] > 0 and first["requests"] > 0 and first["seconds"] >= 0
        assert {"failed", "deferred", "skipped_records", "dry_run"} <= set(first)
        code, took = process.stop(signal.SIGTERM)
    assert code == 0 and took < STOP_LIMIT, (code, took)
    assert "forewarn daemon stopped" in process.messages()
    assert not [line for line in process.lines if line.get("not_json")], process.log_text()
    assert SECRET not in "\n".join(process.raw)


def test_sigint_stops_it_too(demo_config: Path) -> None:
    with daemon(demo_config, "--interval", "1s") as process:
        process.wait_ready()
        code, took = process.stop(signal.SIGINT)
    assert code == 0 and took < STOP_LIMIT


def test_a_stuck_project_neither_delays_the_others_nor_the_stop(
    demo_config: Path, demo_tracker: Path
) -> None:
    add_stuck_project(demo_config)
    with daemon(demo_config, "--interval", "1s") as process:
        process.wait_started()
        process.wait_until(
            lambda: process.metric("forewarn_cycles_total", project="demo", status="ok") >= 3
            and process.metric("forewarn_cycles_skipped_total", project="stuck",
                               reason="still_running") >= 2,
            what="demo cycling while stuck is skipped")
        status, body = process.get("/readyz")
        projects = json.loads(body)["projects"]
        assert status == 503
        assert (projects["demo"]["fresh"], projects["stuck"]["fresh"]) == (True, False)
        code, took = process.stop(signal.SIGTERM)
    # The stuck cycle is abandoned after the grace period; the exit is still clean and in time.
    assert code == 0 and SHUTDOWN_GRACE - 1 <= took < STOP_LIMIT, (code, took)
    assert "stuck: abandoning its cycle: it did not finish within 8 s" in process.messages()


def test_a_second_signal_forces_the_exit(demo_config: Path) -> None:
    add_stuck_project(demo_config)
    with daemon(demo_config, "--interval", "1s") as process:
        process.wait_for_line(lambda line: line.get("project") == "demo"
                              and line.get("status") == "ok")
        process.process.send_signal(signal.SIGTERM)
        process.wait_for_line(lambda line: "SIGTERM received" in line.get("message", ""))
        code, took = process.stop(signal.SIGTERM)
    assert code == 130 and took < 2.0, (code, took)
    assert "forewarn: second stop signal; exiting now" in process.raw


def test_reload_refuses_a_bad_file_keeps_the_old_config_and_names_the_line(
    demo_config: Path,
) -> None:
    good = demo_config.read_text(encoding="utf-8")
    problem = (f'{demo_config}:18:23: rules[0].kind: no such rule kind: "scope_crep" '
               '(did you mean "scope_creep"?)')
    with daemon(demo_config, "--interval", "1s") as process:
        process.wait_ready()
        demo_config.write_text(good.replace("kind: scope_creep", "kind: scope_crep"),
                               encoding="utf-8")
        # The file watcher sees the change within a second; SIGHUP asks again.
        process.wait_for_line(lambda line: line.get("problems") == [problem])
        process.process.send_signal(signal.SIGHUP)
        refused = process.wait_for_line(
            lambda line: "config reload (SIGHUP) refused" in line.get("message", ""))
        assert refused["level"] == "ERROR"
        assert refused["message"] == ("config reload (SIGHUP) refused, keeping the previous "
                                      f"config: {problem}")
        cycles = process.metric("forewarn_cycles_total", project="demo", status="ok")
        process.wait_until(
            lambda: process.metric("forewarn_cycles_total", project="demo", status="ok")
            >= cycles + 2, what="cycles go on under the old config")
        assert process.get("/readyz")[0] == 200
        assert process.metric("forewarn_config_reloads_total", result="refused") >= 2
        # A good file is taken; a project whose config changed is rebuilt.
        demo_config.write_text(good.replace("monday 09:00", "tuesday 10:00"), encoding="utf-8")
        process.wait_for_line(lambda line: line.get("message") == "demo: config changed; "
                              "rebuilding it")
        process.wait_for_line(lambda line: str(line.get("message", "")).startswith(
            "config reloaded (the file changed)"))
        assert process.metric("forewarn_config_reloads_total", result="ok") == 1
        code, _ = process.stop()
    assert code == 0


#: Values that used to end the daemon on a reload (issue 17): each refused where it stands.
OVERFLOWING = [
    ("holidays: CN}", "holidays: CN, extra_holidays: [2026-02-30]}",
     ':8:129: calendars.shanghai.extra_holidays[0]: expected a date like 2025-10-01, got '
     '"2026-02-30"'),
    ("sla: 16h", "sla: 99999999999999h",
     ":20:52: rules[2].sla: too long: '99999999999999h' (at most 365d, a year)"),
    ("    notify: [alice]", "    notify: [alice]\n    every: 999999999d",
     ":16:12: projects[0].every: too long: '999999999d' (at most 365d, a year)"),
]


def test_a_bad_sighup_reload_keeps_the_daemon_running_and_healthy(demo_config: Path) -> None:
    good = demo_config.read_text(encoding="utf-8")
    with daemon(demo_config, "--interval", "1s") as process:
        process.wait_ready()
        for count, (old, new, where) in enumerate(OVERFLOWING, start=1):
            demo_config.write_text(good.replace(old, new), encoding="utf-8")
            process.process.send_signal(signal.SIGHUP)
            refused = process.wait_for_line(
                lambda line: "config reload (SIGHUP) refused" in line.get("message", ""),
                count=count)
            assert refused["message"] == ("config reload (SIGHUP) refused, keeping the "
                                          f"previous config: {demo_config}{where}")
            assert refused["level"] == "ERROR"
            assert process.get("/healthz")[0] == 200
            cycles = process.metric("forewarn_cycles_total", project="demo", status="ok")
            process.wait_until(
                lambda before=cycles: process.metric(
                    "forewarn_cycles_total", project="demo", status="ok") > before,
                what="a cycle on the old config")
        assert process.process.poll() is None
        assert process.get("/readyz")[0] == 200
        code, _ = process.stop()
    assert code == 0
    assert "the daemon's main loop failed; stopping" not in process.messages()


def test_sigkill_in_the_middle_of_a_cycle_then_restart_loses_nothing_and_doubles_nothing(
    demo_config: Path, demo_tracker: Path, tmp_path: Path
) -> None:
    # Labels come first in a plan (12 of the demo's 21 writes), then comments: by write 14
    # two comments are out.
    with daemon(demo_config, "--interval", "1s", "--replica-id", "r1", "--lease-ttl", "3s",
                pause_after_writes=14) as first:
        first.wait_for_line(lambda line: "paused before write 15" in line.get("message", ""))
        before = our_markers(demo_tracker)
        assert before
        first.kill()  # SIGKILL: no cleanup, the lease stays taken, the cycle unrecorded
    assert first.process.returncode == -signal.SIGKILL
    # Worse than a kill between two writes: the second comment reached the tracker but its
    # record did not reach the state store.
    forget_comment_record(tmp_path / "state.db", before[-1])
    # A restart under the same replica id is another holder (each process start is): it
    # waits out the lease the killed one left.
    with daemon(demo_config, "--interval", "1s", "--replica-id", "r1", "--lease-ttl", "3s",
                ) as second:
        second.wait_started()
        second.wait_until(
            lambda: second.metric("forewarn_cycles_total", project="demo", status="ok") >= 2,
            what="two cycles after the restart")
        code, _ = second.stop()
    assert code == 0
    after = our_markers(demo_tracker)
    assert [marker for marker, n in Counter(after).items() if n > 1] == []
    assert sorted(after) == sorted(reference_markers(tmp_path))
    assert "found comment" in "\n".join(second.messages())  # adopted by its marker


def forget_comment_record(database: Path, marker: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        gone = connection.execute(text("DELETE FROM comments WHERE marker = :m"), {"m": marker})
        assert gone.rowcount == 1
    engine.dispose()


@pytest.mark.parametrize("ids", [("a", "b"), ("web:1", "web:1")],
                         ids=["two replica ids", "one replica id for both"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_daemons_on_one_state_store_write_each_comment_once(
    backend: str, ids: tuple[str, str], demo_config: Path, demo_tracker: Path, tmp_path: Path
) -> None:
    """Also when both are given, or default to, one replica id (two containers on host
    networking: one host name, PID 1 each): each process start is its own holder."""
    from tests.sync.app.daemon_support import postgres_schema

    if backend == "sqlite":
        run_pair(f"sqlite:///{tmp_path / 'shared.db'}", demo_config, demo_tracker, tmp_path,
                 ids=ids)
        return
    url = os.environ.get("FOREWARN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FOREWARN_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    with postgres_schema(url) as schema_url:
        run_pair(schema_url, demo_config, demo_tracker, tmp_path, ids=ids)


def run_pair(state_url: str, config: Path, tracker: Path, tmp_path: Path, *,
             ids: tuple[str, str]) -> None:
    """Replica a holds the project's lease mid-cycle; b must wait for it, then finish the job."""
    env = {"FOREWARN_STATE_URL": state_url}
    with daemon(config, "--interval", "1s", "--replica-id", ids[0], env=env,
                pause_after_writes=10) as a:
        a.wait_for_line(lambda line: "paused before write 11" in line.get("message", ""))
        paused = our_markers(tracker)
        with daemon(config, "--interval", "1s", "--replica-id", ids[1], env=env) as b:
            b.wait_for_line(lambda line: f"the project's lease is held by {ids[0]}/"
                            in line.get("message", ""), count=2, timeout=60)
            assert our_markers(tracker) == paused  # b wrote nothing while a held the lease
            code_a, took_a = a.stop()
            b.wait_until(
                lambda: b.metric("forewarn_cycles_total", project="demo", status="ok") >= 2,
                what="b's cycles after a stopped")
            code_b, _ = b.stop()
    assert (code_a, code_b) == (0, 0) and took_a < STOP_LIMIT
    markers = our_markers(tracker)
    assert [marker for marker, n in Counter(markers).items() if n > 1] == []
    assert sorted(markers) == sorted(reference_markers(tmp_path))
    assert "demo: stopped writing: the daemon is shutting down" in a.messages()
