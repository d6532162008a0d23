"""The channel digest on the demo project, and channels that fail, through whole cycles.

The demo's calendar is Asia/Shanghai; its own date is 2026-11-25 08:00 UTC (16:00 there).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import load_config, load_settings
from connectors.retry import RetryPolicy
from rules.base import Severity
from sync.app.metrics import Metrics
from sync.app.runtime import build_runtime
from sync.cycle import CycleReport, run_cycle
from sync.notify.channels import Channels
from sync.notify.render import finding_line
from sync.render import Style
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.channels import HttpReceiver

NINE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
NO_WAIT = RetryPolicy(attempts=3, scale=0)


def with_channel(config_path: Path, url: str, *, language: str = "en",
                 digest: str = "daily 09:00") -> Path:
    text = config_path.read_text(encoding="utf-8")
    text = text.replace("summary: {", f'channels:\n  team: {{url: "{url}", digest: '
                                     f'{{every: "{digest}"}}}}\nsummary: {{', 1)
    text = text.replace("    notify: [alice]\n",
                        f"    notify: [alice]\n    notify_channels: [team]\n"
                        f"    language: {language}\n", 1)
    config_path.write_text(text, encoding="utf-8")
    return config_path


def cycle(config_path: Path, store: StateStore, clock: Clock) -> CycleReport:
    config = load_config(config_path)
    runtime = build_runtime(config, config.project("demo"), settings=load_settings(),
                            clock=clock)
    assert runtime.notifications is not None
    runtime.notifications = runtime.notifications.__class__(
        **{**runtime.notifications.__dict__,
           "sender": Channels(runtime.notifications.sender.urls, retry=NO_WAIT)})
    return run_cycle(runtime, store, clock=clock)


HEADINGS = {
    "en": ("**Breached (3)**", "**At risk (9)**", "[demo] daily digest, 2026-11-25"),
    "zh-CN": ("**已超出承诺（3）**", "**存在风险（9）**", "[demo] 每日摘要，2026-11-25"),
}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_nine_o_clock_digest_is_one_message_listing_every_open_finding_once(
    demo_config: Path, store: StateStore, clock: Clock, http: HttpReceiver, language: str,
) -> None:
    config = with_channel(demo_config, http.url(), language=language)
    clock.now = NINE.replace(hour=0, minute=45)
    early = cycle(config, store, clock)  # 08:45: the channel is enrolled, no digest yet
    assert early.ok and http.received == []
    clock.now = NINE.replace(minute=5)
    report = cycle(config, store, clock)
    assert report.ok, report.errors
    for minutes in (20, 35):
        clock.now = NINE.replace(minute=minutes)
        cycle(config, store, clock)
    [digest] = http.received
    body = digest.body["message"]
    breached, at_risk, title = HEADINGS[language]
    assert digest.body["title"] == title
    assert breached in body and at_risk in body
    style = Style(language=language, timezone="Asia/Shanghai", audience="team")
    open_findings = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert len(open_findings) == 12  # demo#21's client has waited 4 of 16 hours: not yet
    urls = {issue.key: issue.url for issue in report.snapshot.issues} if report.snapshot else {}
    for finding in open_findings:
        assert body.count(finding_line(finding, style, urls.get(finding.subject_key))) == 1
    assert body.count("\n- ") == len(open_findings)


def test_the_next_digest_says_what_was_resolved(
    demo_config: Path, demo_tracker: Path, store: StateStore, clock: Clock, http: HttpReceiver,
) -> None:
    config = with_channel(demo_config, http.url())
    clock.now = NINE.replace(minute=5)
    cycle(config, store, clock)
    # A team member answers the client on demo#20 during the day.
    import json

    data = json.loads(demo_tracker.read_text(encoding="utf-8"))
    data["comments"].append({
        "id": "9001", "issue_key": "demo#20", "author": "bob",
        "created_at": "2026-11-25T03:00:00Z", "updated_at": "2026-11-25T03:00:00Z",
        "body": "Fixed in 1.0.3, sorry for the wait."})
    demo_tracker.write_text(json.dumps(data), encoding="utf-8")
    clock.now = datetime(2026, 11, 26, 1, 5, tzinfo=UTC)  # the next day, 09:05
    cycle(config, store, clock)
    digests = [got.body for got in http.received if "digest" in got.body["title"]]
    assert [body["title"] for body in digests] == [
        "[demo] daily digest, 2026-11-25", "[demo] daily digest, 2026-11-26"]
    second = digests[1]["message"]
    assert "**Resolved since the last digest (1)**" in second
    resolved = second.split("**Resolved since the last digest (1)**")[1]
    assert "Login fails on Safari" in resolved


def test_a_failing_channel_leaves_the_tracker_writes_untouched(
    demo_config: Path, demo_tracker: Path, store: StateStore, clock: Clock, http: HttpReceiver,
    tmp_path: Path,
) -> None:
    http.script = ["500"] * 3 + ["hang"]
    config = with_channel(demo_config, http.url(query="rto=0.2"))
    report = cycle(config, store, clock)  # 16:00 in Shanghai: the digest is due
    assert report.ok, report.errors
    assert report.outcome is not None and len(report.outcome.writes) == 21
    assert report.outcome.notifications == [("team", "enrolled"), ("team", "failed")]
    assert len(http.received) == 3  # one message, tried three times
    clock.advance(minutes=15)
    again = cycle(config, store, clock)  # tried again; no answer this time: maybe arrived
    assert again.outcome is not None and again.outcome.writes == ()
    assert again.outcome.notifications == [("team", "unknown")]
    clock.advance(minutes=15)
    third = cycle(config, store, clock)
    assert third.outcome is not None and third.outcome.notifications == []
    assert len(http.received) == 4
    metrics = Metrics()
    for each in (report, again, third):
        metrics.observe_cycle(each, tracker="local", requests=0, rate_limit_remaining=None)
    text = metrics.render().decode()
    assert 'forewarn_notifications_total{channel="team",outcome="failed"} 1.0' in text
    assert 'forewarn_notifications_total{channel="team",outcome="unknown"} 1.0' in text
    assert "forewarn_writes_deferred_total{" not in text  # no tracker write waited


def test_the_expectation_summary_goes_to_a_channel_once_a_period(
    demo_config: Path, store: StateStore, clock: Clock, http: HttpReceiver,
) -> None:
    config = with_channel(demo_config, http.url())
    text = config.read_text(encoding="utf-8").replace(
        'digest: {every: "daily 09:00"}}', 'events: [summary]}')
    config.write_text(text, encoding="utf-8")
    for _ in range(2):
        loaded = load_config(config)
        runtime = build_runtime(loaded, loaded.project("demo"), settings=load_settings(),
                                clock=clock)
        report = run_cycle(runtime, store, clock=clock, summary=True)
        assert report.ok, report.errors
        clock.advance(minutes=15)
    [summary] = http.received
    assert summary.body["title"] == "[demo] expectation summary, 2026-W48"
    assert summary.body["message"].startswith("## 📋 Expectation summary: demo\n")  # no marker


def test_a_dry_run_prints_the_messages_and_sends_and_records_nothing(
    demo_config: Path, http: HttpReceiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sync.app.cli import main
    from sync.store.notifications import NotificationLedger

    config = with_channel(demo_config, http.url())
    assert main(["run", "--once", "--dry-run", "-c", str(config),
                 "--now", "2026-11-25T01:05:00Z"]) == 0
    out = capsys.readouterr().out
    assert "would send to team: [demo] daily digest, 2026-11-25" in out
    assert "**Breached (3)**" in out
    assert http.received == []
    state = StateStore(load_config(config).state or "")
    try:
        assert NotificationLedger(state).records("demo") == {}
    finally:
        state.close()


def test_tracker_text_cannot_ping_a_channel_or_inject_markup(
    demo_config: Path, store: StateStore, clock: Clock, http: HttpReceiver,
) -> None:
    # demo#14's title is "Single sign-on with Okta <script>alert(1)</script> @everyone".
    config = with_channel(demo_config, http.url())
    clock.now = NINE.replace(minute=5)
    cycle(config, store, clock)
    body = http.received[0].body["message"]
    assert "Okta" in body
    assert "<script>" not in body and "@everyone" not in body and "<!" not in body
