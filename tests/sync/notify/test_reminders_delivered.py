"""A reminder before a reply deadline, through whole cycles to a local webhook: it arrives once,
inside working hours, and never again after a restart, a second replica or a lost response.

The scenario: Shanghai working hours (Mon-Fri 09:00-18:00), a reply SLA of 24 working
hours, ``remind: [50%]``. The client asks on Monday 2026-11-23 at 10:00 local time, so
12 working hours have passed on Tuesday at 13:00, and the reply is due on Wednesday at
16:00. The rule itself warns only at 75% (``warn_at``): the reminder comes first.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from config.channels import Channel
from connectors.retry import RetryPolicy
from rules import registry
from rules.calendar import BusinessCalendar
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.notify.channels import Channels
from sync.notify.plan import settings_for
from sync.render import Style
from sync.store.notifications import NotificationLedger
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.channels import HttpReceiver
from tests.fakes.memory import MemoryConnector
from tests.fakes.world import World

SHANGHAI = BusinessCalendar(timezone="Asia/Shanghai", start=time(9), end=time(18))
ASKED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
HALF_WAY = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # Tuesday 13:00: 12 of 24 working hours
#: What the team reads at the first cycle after half-way (13:05: 11.9 hours are left).
NO_WAIT = RetryPolicy(attempts=3, scale=0)

REMINDER = {
    "en": ("⏰ Carol is waiting for a reply on “Login fails on Safari”. The reply is due by "
           "Nov 25, 2026, 16:00 (UTC+8), 11.9 business hours from now: answer the client before "
           "then. Assignees: Alice."),
    "zh-CN": ("⏰ Carol 仍在等待对“Login fails on Safari”的答复。"
              "应于 2026年11月25日 16:00 UTC+8 前答复，距今还有 11.9 个工作小时："
              "请在此之前答复客户。负责人：Alice。"),
}


def world_with_a_question(clock: Clock, asked: datetime = ASKED) -> World:
    world = World(clock=clock)
    world.person("alice", association="MEMBER")
    world.person("carol")
    world.issue(7, "Login fails on Safari", "alice", created=asked.replace(hour=0),
                assignees=("alice",))
    world.say(7, "carol", "Any news on this?", at=asked)
    return world


def runtime(world: World, url: str, *, language: str = "en") -> ProjectRuntime:
    rule = registry.get("unanswered_feedback")
    options = rule.Options.model_validate({
        "id": "feedback", "kind": "unanswered_feedback", "sla": "24h", "warn_at": 0.75,
        "remind": ["50%"], "label": "awaiting-reply"})
    channels = {"team": Channel.model_validate({"url": url})}
    return ProjectRuntime(
        name="portal", connector=MemoryConnector(world, project="portal"),
        rules=[(rule, options)], calendar=SHANGHAI,
        style=Style(timezone="Asia/Shanghai", language=language), team=["alice"],
        clients=["carol"],
        notifications=settings_for(channels, project_channels=["team"], rule_channels={},
                                   budget=20, sender=lambda urls: Channels(urls, retry=NO_WAIT)),
    )


def at(clock: Clock, when: datetime, rt: ProjectRuntime, store: StateStore) -> CycleReport:
    clock.now = when
    report = run_cycle(rt, store, clock=clock)
    assert report.ok, report.errors
    return report


def messages(http: HttpReceiver) -> list[str]:
    return [got.body["message"].split("\n\n")[0] for got in http.received]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_reminder_arrives_once_inside_working_hours(
    http: HttpReceiver, store: StateStore, clock: Clock, language: str,
) -> None:
    world = world_with_a_question(clock)
    rt = runtime(world, http.url(), language=language)
    at(clock, ASKED.replace(hour=4), rt, store)  # Monday noon: the channel is enrolled
    before = at(clock, HALF_WAY.replace(minute=0, hour=4, second=0), rt, store)
    assert before.findings == [] and http.received == []  # 11 of 24 hours: nothing yet
    report = at(clock, HALF_WAY.replace(minute=5), rt, store)
    assert report.findings == []  # the rule has nothing to say yet: the reminder comes first
    assert messages(http) == [REMINDER[language]]
    assert http.received[0].body["title"] == (
        "[portal] reminder: feedback" if language == "en" else "[portal] 提醒：feedback")
    for minutes in (20, 35, 50):
        at(clock, HALF_WAY.replace(minute=minutes), rt, store)
    assert len(http.received) == 1


def test_a_reminder_due_after_hours_waits_for_the_next_morning(
    http: HttpReceiver, store: StateStore, clock: Clock,
) -> None:
    asked = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 14:00: half-way is Tuesday 17:00
    rt = runtime(world_with_a_question(clock, asked), http.url())
    at(clock, asked.replace(hour=7), rt, store)
    at(clock, datetime(2026, 11, 24, 10, 5, tzinfo=UTC), rt, store)  # Tuesday 18:05
    at(clock, datetime(2026, 11, 24, 19, 0, tzinfo=UTC), rt, store)  # Wednesday 03:00
    assert http.received == []
    at(clock, datetime(2026, 11, 25, 1, 5, tzinfo=UTC), rt, store)  # Wednesday 09:05
    assert len(http.received) == 1


def test_no_second_reminder_after_a_restart_or_from_a_second_replica(
    http: HttpReceiver, store: StateStore, clock: Clock, tmp_path: Path,
) -> None:
    world = world_with_a_question(clock)
    first = runtime(world, http.url())
    at(clock, ASKED.replace(hour=4), first, store)
    at(clock, HALF_WAY.replace(minute=5), first, store)
    assert len(http.received) == 1
    # A restart: a new process, a new runtime, the same database.
    reopened = StateStore(store.url)
    try:
        at(clock, HALF_WAY.replace(minute=20), runtime(world, http.url()), reopened)
        # A second replica, with its own runtime, sharing the state store.
        at(clock, HALF_WAY.replace(minute=21), runtime(world, http.url()), reopened)
    finally:
        reopened.close()
    assert len(http.received) == 1


def test_a_reminder_whose_response_was_lost_is_not_sent_again(
    http: HttpReceiver, store: StateStore, clock: Clock,
) -> None:
    world = world_with_a_question(clock)
    rt = runtime(world, http.url())
    at(clock, ASKED.replace(hour=4), rt, store)
    http.script = ["drop"]  # the receiver takes the message and the answer never comes
    report = at(clock, HALF_WAY.replace(minute=5), rt, store)
    assert report.outcome is not None and report.outcome.notifications == [("team", "unknown")]
    for minutes in (20, 35):
        at(clock, HALF_WAY.replace(minute=minutes), rt, store)
    assert len(http.received) == 1
    [row] = [r for (channel, key), r in NotificationLedger(store).records("portal").items()
             if key.startswith("remind.")]
    assert (row.key.rsplit(".", 1)[1], row.status, row.attempts) == ("50%", "unknown", 1)


def test_a_crash_between_claim_and_result_sends_nothing_more(
    http: HttpReceiver, store: StateStore, clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = world_with_a_question(clock)
    rt = runtime(world, http.url())
    at(clock, ASKED.replace(hour=4), rt, store)

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after sending, before recording")

    monkeypatch.setattr(NotificationLedger, "settle", crash)
    clock.now = HALF_WAY.replace(minute=5)
    with pytest.raises(SystemExit):
        run_cycle(rt, store, clock=clock)
    monkeypatch.undo()
    at(clock, HALF_WAY.replace(minute=20), runtime(world, http.url()), store)
    assert len(http.received) == 1  # at most once: the claim stands for a message in flight
