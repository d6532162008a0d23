"""What the notification planner sends where: enrolment, alerts once, folding, routing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from config.channels import Channel
from rules.base import Finding, Severity
from rules.reminders import Due
from sync.actions import EnrolChannel, Notify
from sync.notify.channels import Channels
from sync.notify.plan import (
    FOLD_AFTER,
    Context,
    NotifySettings,
    alert_key,
    digest_period,
    plan_notifications,
)
from sync.render import Style
from sync.store.notifications import ENROLLED, SentRecord

NOW = datetime(2026, 11, 24, 5, 5, tzinfo=UTC)  # Tuesday 13:05 in Shanghai


def finding(n: int, severity: Severity = Severity.WARNING, *, rule: str = "scope",
            acked: bool = False) -> Finding:
    return Finding(rule_id=rule, kind="scope_creep", cause="added", subject_kind="issue",
                   subject_key=f"p#{n}", severity=severity, fingerprint=f"{rule}.{n:016x}",
                   evidence={"title": f"Issue {n}", "milestone_title": "v1",
                             "joined_at": NOW, "baseline_at": NOW},
                   acked=acked)


def settings(**channels: dict[str, Any]) -> NotifySettings:
    return NotifySettings(
        channels={name: Channel.model_validate({"url": "json://127.0.0.1:9/x", **extra})
                  for name, extra in channels.items()},
        project_channels=("pm",), rule_channels={"feedback": ("team",)}, sender=Channels({}))


def record(channel: str, key: str, status: str = "sent") -> tuple[tuple[str, str], SentRecord]:
    return (channel, key), SentRecord(channel=channel, key=key, kind="alert", status=status,
                                      attempts=1, updated_at=NOW)


def enrolled(*channels: str, **more: str) -> dict[tuple[str, str], SentRecord]:
    ledger = dict(record(name, ENROLLED, "baseline") for name in channels)
    ledger.update(record("pm", key, status) for key, status in more.items())
    return ledger


def context(findings: list[Finding], ledger: dict[tuple[str, str], SentRecord], **kw: Any
            ) -> Context:
    return Context(project="portal", findings=findings, reminders=kw.get("reminders", ()),
                   waits=(), urls={}, style=Style(timezone="Asia/Shanghai"),
                   timezone="Asia/Shanghai", now=kw.get("now", NOW), ledger=ledger)


def test_a_channel_first_enrols_what_is_open_instead_of_sending_it() -> None:
    plan = plan_notifications(settings(pm={}), context([finding(1), finding(2)], {}))
    assert plan.actions == (EnrolChannel(channel="pm", keys=(
        alert_key(finding(1)), alert_key(finding(2)))),)


def test_a_new_finding_is_sent_once_and_an_escalation_again() -> None:
    ledger = enrolled("pm")
    [first] = plan_notifications(settings(pm={}), context([finding(1)], ledger)).actions
    assert isinstance(first, Notify) and first.key == f"alert.{finding(1).fingerprint}:warning"
    assert first.subject == "[portal] warning: scope"
    ledger.update([record("pm", first.key)])
    assert plan_notifications(settings(pm={}), context([finding(1)], ledger)).actions == ()
    [escalated] = plan_notifications(
        settings(pm={}), context([finding(1, Severity.CRITICAL)], ledger)).actions
    assert isinstance(escalated, Notify) and escalated.key.endswith(":critical")


@pytest.mark.parametrize(("status", "sent_again"), [
    ("sent", False), ("intent", False), ("unknown", False), ("baseline", False),
    ("failed", True),
])
def test_only_a_refused_alert_is_planned_again(status: str, sent_again: bool) -> None:
    ledger = enrolled("pm", **{alert_key(finding(1)): status})
    actions = plan_notifications(settings(pm={}), context([finding(1)], ledger)).actions
    assert bool(actions) is sent_again


def test_many_new_alerts_make_one_message() -> None:
    many = [finding(n) for n in range(FOLD_AFTER + 1)]
    [folded] = plan_notifications(settings(pm={}), context(many, enrolled("pm"))).actions
    assert isinstance(folded, Notify)
    assert folded.keys == tuple(alert_key(f) for f in many)
    assert folded.subject == f"[portal] {FOLD_AFTER + 1} new alerts"
    assert folded.body.count("\n- ") == FOLD_AFTER + 1


@pytest.mark.parametrize(("channel", "severities", "sent"), [
    ({}, [Severity.WARNING, Severity.CRITICAL], 2),
    ({"severity": "critical"}, [Severity.WARNING, Severity.CRITICAL], 1),
    ({"events": ["digest"]}, [Severity.CRITICAL], 0),
])
def test_a_channel_takes_what_its_severity_and_events_say(
    channel: dict[str, Any], severities: list[Severity], sent: int,
) -> None:
    findings = [finding(n, severity) for n, severity in enumerate(severities)]
    actions = plan_notifications(settings(pm=channel), context(findings, enrolled("pm"))).actions
    assert len(actions) == sent


def test_acknowledged_findings_are_not_sent() -> None:
    actions = plan_notifications(settings(pm={}), context([finding(1, acked=True)],
                                                          enrolled("pm"))).actions
    assert actions == ()


def test_a_rule_sends_to_its_own_channels_too() -> None:
    feedback = finding(2, rule="feedback")
    plan = plan_notifications(settings(pm={}, team={}),
                              context([finding(1), feedback], enrolled("pm", "team")))
    assert {(a.channel, a.key) for a in plan.actions if isinstance(a, Notify)} == {
        ("pm", alert_key(finding(1))), ("pm", alert_key(feedback)),
        ("team", alert_key(feedback))}


def due(*points: str) -> Due:
    return Due(rule_id="feedback", fingerprint="feedback.1", subject_key="p#7", points=points,
               evidence={"title": "Login", "client": "Carol", "deadline": NOW,
                         "left_hours": 2.0, "assignees": ["Alice"], "url": ""})


def test_points_due_together_are_one_reminder_named_by_the_latest() -> None:
    ledger = enrolled("team")
    [reminder] = plan_notifications(settings(team={}), context(
        [], ledger, reminders=[(due("50%", "2h"), "unanswered_feedback")])).actions
    assert isinstance(reminder, Notify)
    assert reminder.keys == ("remind.feedback.1.2h", "remind.feedback.1.50%")
    ledger.update([record("team", "remind.feedback.1.50%")])
    [later] = plan_notifications(settings(team={}), context(
        [], ledger, reminders=[(due("50%", "2h"), "unanswered_feedback")])).actions
    assert isinstance(later, Notify) and later.keys == ("remind.feedback.1.2h",)


def test_a_client_channel_gets_no_reminder() -> None:
    actions = plan_notifications(settings(team={"audience": "client"}), context(
        [], enrolled("team"), reminders=[(due("50%"), "unanswered_feedback")])).actions
    assert actions == ()


@pytest.mark.parametrize(("every", "now", "period", "slot"), [
    ("daily 09:00", datetime(2026, 11, 25, 1, 5, tzinfo=UTC), "2026-11-25",
     datetime(2026, 11, 25, 1, 0, tzinfo=UTC)),
    ("daily 09:00", datetime(2026, 11, 24, 20, 0, tzinfo=UTC), "2026-11-25",  # 04:00 local
     datetime(2026, 11, 25, 1, 0, tzinfo=UTC)),
    ("monday 09:00", datetime(2026, 11, 27, 3, 0, tzinfo=UTC), "2026-W48",
     datetime(2026, 11, 23, 1, 0, tzinfo=UTC)),
    ("friday 17:30", datetime(2026, 11, 24, 3, 0, tzinfo=UTC), "2026-W48",
     datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
])
def test_digest_periods_and_times(every: str, now: datetime, period: str,
                                  slot: datetime) -> None:
    got_period, got_slot = digest_period(every, "Asia/Shanghai", now)
    assert (got_period, got_slot) == (period, slot)
