"""What to send to each channel this cycle: alerts, reminders, the channel digest.

Pure (the ledger is read before, by :func:`notification_plan`). Per channel of
the project, in this order:

* **Enrolment.** The first cycle in which a project uses a channel sends no
  alert or reminder: what is open then is recorded (``EnrolChannel``) and
  listed by the channel's next digest. Only what starts later is sent.
* **Alerts** (event ``alert``): a finding's first appearance and each
  escalation, at or above the channel's ``severity``, not acknowledged; key
  ``alert.<fingerprint>:<level>``, sent once. More than ``FOLD_AFTER`` new
  alerts in one cycle make one message.
* **Reminders** (event ``reminder``, team channels): the points of
  ``rules/reminders.py`` due now; key ``remind.<fingerprint>.<point>``. Points
  that came due together go as one message named by the latest.
* **The expectation summary** (event ``summary``, not on by default): the
  period's summary, once per period, when the cycle posts it (``--summary``,
  the daemon at ``summary.every``); key ``summary.<period>``.
* **The channel digest** (event ``digest`` with a ``digest`` schedule): once
  per period (a local day, or an ISO week), at the first cycle at or after the
  set time; key ``digest.<period>``. Every open finding routed to the channel
  is listed once: breached (critical), breaching today (a reply due today,
  a milestone due today), at risk (the other warnings); and what the previous
  digest listed that is no longer open, as resolved.

A finding goes to the project's ``notify_channels`` and to its rule's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from config.channels import Channel
from rules.base import Finding, RuleContext, Severity
from rules.reminders import Due, in_business_hours, milestone_reminders, reply_reminders
from sync.actions import Action, EnrolChannel, Notify, Plan
from sync.notify.channels import Channels
from sync.notify.render import (
    DigestSections,
    Message,
    alert_message,
    digest_message,
    finding_line,
    reminder_message,
    waiting_line,
)
from sync.notify.send import Notifier
from sync.notify.text import text
from sync.render import Style
from sync.store.notifications import ENROLLED, NotificationLedger, SentRecord
from sync.summary.render import render_summary

if TYPE_CHECKING:
    from connectors.model import Snapshot
    from rules.unanswered_feedback import Waiting
    from sync.cycle import CycleReport, ProjectRuntime
    from sync.store.state import StateStore

#: More new alerts than this for one channel in one cycle are sent as one message.
FOLD_AFTER = 5
_LEVEL = {Severity.WARNING: "warning", Severity.CRITICAL: "critical"}
Ledger = Mapping[tuple[str, str], SentRecord]


@dataclass(frozen=True)
class NotifySettings:
    """A project's channels: where its findings go, how it sends, how much per cycle."""

    channels: Mapping[str, Channel]
    project_channels: tuple[str, ...]
    rule_channels: Mapping[str, tuple[str, ...]]
    sender: Channels
    budget: int = 20

    def routes(self, rule_id: str) -> tuple[str, ...]:
        """The channels a finding or reminder of ``rule_id`` goes to."""
        return tuple(dict.fromkeys([*self.project_channels, *self.rule_channels.get(rule_id, ())]))


@dataclass(frozen=True)
class Context:
    """What one cycle's notifications are planned from."""

    project: str
    findings: Sequence[Finding]
    reminders: Sequence[tuple[Due, str]]  # (reminder, rule kind)
    waits: Sequence[tuple[str, Waiting]]  # (rule id, wait): for "breaches today"
    urls: Mapping[str, str]
    style: Style
    timezone: str
    now: datetime
    ledger: Ledger = field(default_factory=dict)
    #: The period of the expectation summary this cycle posted, and its Markdown (rendered
    #: only when a channel still needs it).
    summary: tuple[str, Callable[[], str]] | None = None


def alert_key(finding: Finding) -> str:
    return f"alert.{finding.fingerprint}:{_LEVEL.get(finding.severity, 'info')}"


def reminder_keys(due: Due) -> list[str]:
    return [f"remind.{due.fingerprint}.{point}" for point in due.points]


def plan_notifications(settings: NotifySettings, ctx: Context) -> Plan:
    """Every message due to every channel of the project (see the module docstring)."""
    actions: list[Action] = []
    for name, channel in settings.channels.items():
        actions += _for_channel(name, channel, settings, ctx)
    return Plan(actions=tuple(actions))


def _for_channel(name: str, channel: Channel, settings: NotifySettings,
                 ctx: Context) -> list[Action]:
    style = replace(ctx.style, markup="markdown", audience=channel.audience)
    floor = Severity.CRITICAL if channel.severity == "critical" else Severity.WARNING
    findings = [f for f in ctx.findings
                if f.severity >= floor and name in settings.routes(f.rule_id)]
    reminders = [(due, kind) for due, kind in ctx.reminders
                 if name in settings.routes(due.rule_id)]
    if channel.audience != "team":
        reminders = []  # instructions to the team: never in a client's channel
    actions: list[Action] = []
    if (name, ENROLLED) not in ctx.ledger:
        keys = [alert_key(f) for f in findings]
        keys += [key for due, _ in reminders for key in reminder_keys(due)]
        actions.append(EnrolChannel(channel=name, keys=tuple(keys)))
    else:
        if "alert" in channel.events:
            actions += _alerts(name, [f for f in findings if not f.acked], ctx, style)
        if "reminder" in channel.events:
            actions += _reminders(name, reminders, ctx, style)
    if "summary" in channel.events and ctx.summary is not None:
        actions += _summary(name, ctx, style)
    if "digest" in channel.events and channel.digest is not None:
        waits = [(rule, wait) for rule, wait in ctx.waits if name in settings.routes(rule)]
        actions += _digest(name, channel.digest.every, findings, waits, ctx, style)
    return actions


def _settled(ctx: Context, channel: str, key: str) -> bool:
    record = ctx.ledger.get((channel, key))
    return record is not None and record.settled


def _alerts(channel: str, findings: Sequence[Finding], ctx: Context,
            style: Style) -> list[Action]:
    new = [f for f in findings if not _settled(ctx, channel, alert_key(f))]
    if not new:
        return []
    groups = [new] if len(new) > FOLD_AFTER else [[f] for f in new]
    actions: list[Action] = []
    for group in groups:
        message = alert_message(group, project=ctx.project, style=style, urls=ctx.urls)
        keys = [alert_key(f) for f in group]
        actions.append(_notify(channel, "alert", keys, message))
    return actions


def _reminders(channel: str, reminders: Sequence[tuple[Due, str]], ctx: Context,
               style: Style) -> list[Action]:
    actions: list[Action] = []
    for due, kind in reminders:
        keys = reminder_keys(due)
        if _settled(ctx, channel, keys[-1]):
            continue
        pending = [key for key in keys[:-1] if not _settled(ctx, channel, key)]
        message = reminder_message(due, kind, project=ctx.project, style=style)
        actions.append(_notify(channel, "reminder", [keys[-1], *pending], message))
    return actions


def _summary(channel: str, ctx: Context, style: Style) -> list[Action]:
    """The period's expectation summary, once per period, as the status issue shows it."""
    assert ctx.summary is not None
    period, render = ctx.summary
    key = f"summary.{period}"
    if _settled(ctx, channel, key):
        return []
    subject = text(style.language, "subject.summary").format(project=ctx.project, period=period)
    return [_notify(channel, "summary", [key], Message(subject, render()))]


def _notify(channel: str, kind: Any, keys: Sequence[str], message: Message,
            payload: Mapping[str, Any] | None = None) -> Notify:
    return Notify(channel=channel, key=keys[0], kind=kind, subject=message.subject,
                  body=message.body, covers=tuple(keys[1:]), payload=payload)


# -- the channel digest -------------------------------------------------------------------


def digest_period(every: str, timezone: str, now: datetime) -> tuple[str, datetime]:
    """The period ``now`` falls in (a local date, or an ISO week) and its digest's time."""
    day_word, clock = every.split()
    hour, minute = (int(part) for part in clock.split(":"))
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).date()
    if day_word == "daily":
        slot_day, period = local, local.isoformat()
    else:
        weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                   "sunday").index(day_word)
        slot_day = local - timedelta(days=local.weekday() - weekday)
        year, week, _ = local.isocalendar()
        period = f"{year}-W{week:02d}"
    slot = datetime(slot_day.year, slot_day.month, slot_day.day, hour, minute, tzinfo=zone)
    return period, slot


def _digest(channel: str, every: str, findings: Sequence[Finding],
            waits: Sequence[tuple[str, Waiting]], ctx: Context, style: Style) -> list[Action]:
    period, slot = digest_period(every, ctx.timezone, ctx.now)
    key = f"digest.{period}"
    if ctx.now < slot or _settled(ctx, channel, key):
        return []
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    lines: dict[str, str] = {}
    breached: list[str] = []
    due_today: list[str] = []
    at_risk: list[str] = []
    for finding in sorted(findings, key=lambda f: (-f.severity, f.subject_key, f.fingerprint)):
        line = lines[finding.fingerprint] = finding_line(
            finding, style, ctx.urls.get(finding.subject_key))
        if finding.severity >= Severity.CRITICAL:
            breached.append(line)
        elif _due_today(finding, today, ctx.timezone):
            due_today.append(line)
        else:
            at_risk.append(line)
    for _, wait in sorted(waits, key=lambda item: item[1].deadline):
        if (wait.fingerprint not in lines and wait.elapsed < wait.sla
                and wait.deadline.astimezone(ZoneInfo(ctx.timezone)).date() == today):
            line = lines[wait.fingerprint] = waiting_line(_wait_values(wait), style)
            due_today.append(line)
    previous = _previous_digest(ctx.ledger, channel, key)
    resolved = [line for fp, line in sorted(previous.items(), key=lambda item: item[1])
                if fp not in lines]
    sections = DigestSections(breached=breached, today=due_today, at_risk=at_risk,
                              resolved=resolved)
    message = digest_message(sections, project=ctx.project, period=period,
                             weekly=not every.startswith("daily"), style=style)
    return [_notify(channel, "digest", [key], message, payload={"open": lines})]


def _due_today(finding: Finding, today: date, timezone: str) -> bool:
    """A warning whose deadline (a reply) or due date (a milestone) is today."""
    deadline = finding.evidence.get("deadline")
    if isinstance(deadline, datetime):
        return deadline.astimezone(ZoneInfo(timezone)).date() == today
    due_on = finding.evidence.get("due_on")
    return finding.cause == "schedule" and isinstance(due_on, date) and due_on == today


def _wait_values(wait: Waiting) -> dict[str, Any]:
    return {"title": wait.issue.title, "client": wait.client, "deadline": wait.deadline,
            "key": wait.issue.key, "url": wait.issue.url}


def _previous_digest(ledger: Ledger, channel: str, key: str) -> Mapping[str, str]:
    """What the channel's latest earlier digest listed as open."""
    earlier = [record for (name, other), record in ledger.items()
               if name == channel and other.startswith("digest.") and other != key
               and record.status == "sent" and record.payload]
    if not earlier:
        return {}
    latest = max(earlier, key=lambda record: (record.updated_at, record.key))
    listed = (latest.payload or {}).get("open", {})
    return {str(fp): str(line) for fp, line in listed.items()} if isinstance(listed, dict) else {}


# -- from a cycle ---------------------------------------------------------------------------


def notification_plan(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, now: datetime,
) -> Plan:
    """Read the ledger, compute the waits and reminders, and plan (pure from there)."""
    settings = runtime.notifications
    snapshot = report.snapshot
    if settings is None or not settings.channels or snapshot is None:
        return Plan()
    ledger = NotificationLedger(store).records(runtime.name)
    ctx = RuleContext(now=now, calendar=runtime.calendar, history=report.history,
                      seed=runtime.seed)
    digest_due = any(_digest_due(name, channel, runtime.calendar.timezone, now, ledger)
                     for name, channel in settings.channels.items())
    reminders, waits = _reminders_and_waits(runtime, snapshot, ctx, report.findings,
                                            digest_due=digest_due)
    summary = report.summary
    posted = None if summary is None else (
        summary.period, lambda: render_summary(summary, "md"))
    return plan_notifications(settings, Context(
        project=runtime.name, findings=report.findings, reminders=reminders, waits=waits,
        urls={issue.key: issue.url for issue in snapshot.issues if issue.url},
        style=runtime.style, timezone=runtime.calendar.timezone, now=now,
        ledger=ledger, summary=posted,
    ))


def _digest_due(name: str, channel: Channel, timezone: str, now: datetime,
                ledger: Ledger) -> bool:
    """A digest this channel sends in this cycle: its time has come and it is not sent."""
    if channel.digest is None or "digest" not in channel.events:
        return False
    period, slot = digest_period(channel.digest.every, timezone, now)
    record = ledger.get((name, f"digest.{period}"))
    return now >= slot and (record is None or not record.settled)


def _reminders_and_waits(
    runtime: ProjectRuntime, snapshot: Snapshot, ctx: RuleContext, findings: Sequence[Finding],
    *, digest_due: bool,
) -> tuple[list[tuple[Due, str]], list[tuple[str, Waiting]]]:
    """Reminders due now, and the waits a digest due now lists. Waits cost a pass of the
    feedback rule: it is made only for a rule with reminders in business hours, or for a
    digest due now."""
    from rules import schedule_slip, unanswered_feedback

    reminders: list[tuple[Due, str]] = []
    waits: list[tuple[str, Waiting]] = []
    open_now = in_business_hours(ctx.calendar, ctx.now)
    for _, options in runtime.rules:
        if isinstance(options, unanswered_feedback.Options) and (
                digest_due or (options.remind and open_now)):
            found = [wait for wait in unanswered_feedback.waiting(snapshot, ctx, options)
                     if not options.is_acked(wait.issue)]
            waits += [(options.id, wait) for wait in found]
            due = reply_reminders(found, options.remind, rule_id=options.id,
                                  calendar=ctx.calendar, now=ctx.now)
            reminders += [(item, options.rule_kind) for item in due]
        elif isinstance(options, schedule_slip.Options):
            due = milestone_reminders(_unacked(findings), options.remind, rule_id=options.id,
                                      calendar=ctx.calendar, now=ctx.now)
            reminders += [(item, options.rule_kind) for item in due]
    return reminders, waits


def notifier_for(
    runtime: ProjectRuntime, store: StateStore, clock: Callable[[], datetime],
) -> Notifier | None:
    """What sends the project's notifications in this cycle (None: it names no channel)."""
    settings = runtime.notifications
    if settings is None:
        return None
    return Notifier(sender=settings.sender, ledger=NotificationLedger(store),
                    project=runtime.name, budget=settings.budget, clock=clock)


def _unacked(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if not finding.acked]


def settings_for(
    channels: Mapping[str, Channel], *, project_channels: Sequence[str],
    rule_channels: Mapping[str, Sequence[str]], budget: int,
    sender: Callable[[Mapping[str, str]], Channels] = Channels,
) -> NotifySettings | None:
    """A project's NotifySettings: the channels it or its rules name (None: none)."""
    used = dict.fromkeys([*project_channels, *(n for names in rule_channels.values()
                                                for n in names)])
    if not used:
        return None
    mine = {name: channels[name] for name in used if name in channels}
    urls = {name: channel.url.get_secret_value() for name, channel in mine.items()}
    return NotifySettings(
        channels=mine, project_channels=tuple(project_channels),
        rule_channels={rule: tuple(names) for rule, names in rule_channels.items()},
        sender=sender(urls), budget=budget)
