"""The team digest: one comment per project on a team issue, listing findings, in team voice.

Two digests use it, each one comment edited in place (``reconcile.upsert``, kind
``digest``; the publisher writes it like any comment, under the budget and the
dry run):

* ``alerts.to: digest`` — every active finding, once, most severe first, each
  with a link to its issue; no finding gets a comment on the client's issue.
  Marker ``digest.<project>``.
* ``backfill: digest`` — on a project's first cycle, the findings already there
  (each labelled on its issue, none commented); later cycles edit it as they
  resolve, and a finding that escalates past what was listed leaves it for its
  own alert. Marker ``backfill.<project>``.

Its home is the routing's team issue (``alerts.issue``, else the status issue);
it may live in another repository or Jira project, where the sync layer looks
for it by marker before posting again. Headlines are the rules' messages in the
team's voice (``sync.render.headline`` under ``Style(audience="team")``); the
people in ``notify`` are mentioned here and nowhere else. The body depends on
the findings only, never on the clock, so an unchanged digest is never edited.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from connectors.errors import TrackerError
from connectors.markers import Marker
from connectors.model import Comment, Issue, Snapshot
from rules.base import Finding, Severity
from sync.actions import Action, Plan
from sync.reconcile import Actual, Seen, upsert
from sync.render import Style, headline, template
from sync.routing import Routing
from sync.store.state import FindingRecord

if TYPE_CHECKING:
    from sync.cycle import CycleReport, ProjectRuntime

UI: dict[str, dict[str, str]] = {
    "en": {
        "digest.title": "forewarn: open findings in {project}",
        "digest.intro": "Open: {count}, most severe first. This comment is edited as they "
                        "change (an edit notifies nobody); none is written on the client's "
                        "issues.",
        "digest.empty": "Nothing open in {project}.",
        "backfill.title": "forewarn: what was already there when it started watching {project}",
        "backfill.intro": "These were already open when forewarn first looked ({when}): each is "
                          "labelled on its issue and none got a comment of its own. A problem "
                          "that begins later, or gets worse, gets its own alert.",
        "backfill.done": "Everything forewarn found already there when it first looked is "
                         "resolved.",
        "since": "since {when}",
        "acked": "acknowledged",
        "more": "… and {count} more, each labelled on its issue.",
        "cc": "cc",
        "footer": "forewarn · team digest",
    },
    "zh-CN": {
        "digest.title": "forewarn：{project} 中未解决的问题",
        "digest.intro": "未解决：{count} 项，按严重程度排序。情况变化时本评论会原地更新"
                        "（更新不会通知任何人）；forewarn 不会在客户的事项上发表评论。",
        "digest.empty": "{project} 中没有未解决的问题。",
        "backfill.title": "forewarn：开始关注 {project} 时已存在的问题",
        "backfill.intro": "forewarn 首次检查时（{when}）这些问题已经存在：每个事项都已加上标签，"
                          "但没有单独发表评论。之后出现或加重的问题会单独提醒。",
        "backfill.done": "forewarn 首次检查时已存在的问题均已解决。",
        "since": "自 {when} 起",
        "acked": "已确认",
        "more": "……另有 {count} 项，均已在各自事项上加上标签。",
        "cc": "抄送",
        "footer": "forewarn · 团队摘要",
    },
}
#: A digest stops listing well before the tracker's comment limit (Jira Cloud keeps
#: 32,767 characters, GitHub 65,536) and says how many more there are.
BUDGET = {"jira": 30_000, "markdown": 60_000}
_ICON_MD = {Severity.WARNING: "⚠️", Severity.CRITICAL: "🚨"}
_ICON_JIRA = {Severity.WARNING: "(!)", Severity.CRITICAL: "(x)"}
_SAFE_URL = re.compile(r"^https?://[^\s()\[\]|<>]+$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One finding as a digest line."""

    icon: str
    link: str
    headline: str
    note: str


def marker_for(project: str, *, backfill: bool) -> Marker:
    return Marker(f"{'backfill' if backfill else 'digest'}.{project}")


def plan_digest(
    *, project: str, findings: Sequence[Finding], records: Sequence[FindingRecord],
    issues: Mapping[str, Issue], actual: Actual, seen: Comment | None, style: Style,
    routing: Routing, notify: Sequence[str], backfill: bool,
) -> list[Action]:
    """The digest's one comment: created, edited in place, or adopted by its marker."""
    target = routing.team_issue
    if target is None:
        return []
    marker = marker_for(project, backfill=backfill)
    recorded = actual.comments.get(str(marker))
    record = recorded if recorded is not None and recorded.target == target else None
    known = {record.fingerprint: record for record in records}
    listed = [f for f in findings if f.severity > Severity.INFO
              and (not backfill or _held(known.get(f.fingerprint)) >= f.severity)]
    if backfill and not listed and record is None and seen is None:
        return []  # nothing was there when forewarn first looked: nothing to say
    return upsert(
        target=target, marker=marker, kind="digest",
        render=lambda: digest_body(project=project, findings=listed, records=known,
                                   issues=issues, style=style, marker=marker, notify=notify,
                                   backfill=backfill),
        record=record, seen=seen, visibility=routing.visibility,
    )


def _held(record: FindingRecord | None) -> int:
    """The severity the backfill digest listed a finding at (0: not listed)."""
    return record.backfilled if record is not None else 0


def digest_body(
    *, project: str, findings: Sequence[Finding], records: Mapping[str, FindingRecord],
    issues: Mapping[str, Issue], style: Style, marker: Marker, notify: Sequence[str],
    backfill: bool,
) -> str:
    """The digest's text in the style's markup and language, always in the team's voice."""
    style = dataclasses.replace(style, audience="team")
    ui = UI.get(style.language, UI["en"])
    ordered = sorted(findings, key=lambda f: (-f.severity, f.subject_key, f.fingerprint))
    entries, more = _entries(ordered, records, issues, style, ui)
    kind = "backfill" if backfill else "digest"
    since = [records[f.fingerprint].first_seen for f in ordered if f.fingerprint in records]
    if ordered:
        intro = ui[f"{kind}.intro"].format(count=len(ordered),
                                           when=style.when(min(since)) if since else "—")
    else:
        intro = ui["backfill.done" if backfill else "digest.empty"].format(
            project=style.escape(project))
    return template("digest", style).render(
        marker=marker.tag(style.markup),
        title=ui[f"{kind}.title"].format(project=style.escape(project)),
        intro=intro, entries=entries,
        more=ui["more"].format(count=more) if more else "",
        mentions=" ".join(style.mention(person) for person in notify) if ordered else "",
        cc=ui["cc"], footer=ui["footer"],
    ).strip() + "\n"


def _entries(
    findings: Sequence[Finding], records: Mapping[str, FindingRecord],
    issues: Mapping[str, Issue], style: Style, ui: Mapping[str, str],
) -> tuple[list[Entry], int]:
    """The digest lines that fit the markup's budget, and how many did not."""
    budget = BUDGET["jira" if style.markup == "jira" else "markdown"]
    entries: list[Entry] = []
    for index, finding in enumerate(findings):
        entry = _entry(finding, records.get(finding.fingerprint), issues, style, ui)
        budget -= len(entry.link) + len(entry.headline) + len(entry.note) + 16
        if budget < 0:
            return entries, len(findings) - index
        entries.append(entry)
    return entries, 0


def _entry(finding: Finding, record: FindingRecord | None, issues: Mapping[str, Issue],
           style: Style, ui: Mapping[str, str]) -> Entry:
    jira = style.markup == "jira"
    issue = issues.get(finding.subject_key)
    key = style.escape(finding.subject_key, 120)
    url = issue.url if issue is not None and _SAFE_URL.match(issue.url) else ""
    if url:
        key = f"[{key}|{url}]" if jira else f"[{key}]({url})"
    notes = [ui["since"].format(when=style.when(record.first_seen))] if record else []
    if finding.acked:
        notes.append(ui["acked"])
    return Entry(
        icon=(_ICON_JIRA if jira else _ICON_MD).get(finding.severity, ""),
        link=key,
        headline=headline(finding.kind, finding.cause, finding.subject_key, finding.evidence,
                          style),
        note=" · ".join(notes) or style.text(f"severity.{finding.severity.label}"),
    )


# -- in a cycle ---------------------------------------------------------------------------


def digest_plan(runtime: ProjectRuntime, report: CycleReport, *, actual: Actual,
                 snapshot: Snapshot, now: datetime, first: bool) -> Plan:
    """The team digest (``alerts.to: digest``) or the backfill digest, when there is one."""
    routing = runtime.routing
    # Alerts per finding: only the first cycle's backfill makes a digest (kept up to date
    # until what it lists is resolved); with to: digest, the digest holds every finding.
    backfill = routing.per_finding
    if backfill and not (any(r.backfilled for r in report.plan.records)
                         or str(marker_for(runtime.name, backfill=True)) in actual.comments):
        return Plan()
    if routing.team_issue is None:
        if backfill and first:
            report.warnings.append(
                f"{runtime.name}: {sum(bool(r.backfilled) for r in report.plan.records)} "
                "findings were already there; with no team issue (alerts.issue or "
                "status_issue) to list them in, they are only labelled")
        return Plan()
    try:
        seen = seen_digest(runtime, actual, snapshot, backfill=backfill, now=now)
    except TrackerError as error:
        report.errors.append(f"the team issue {routing.team_issue} cannot be read: {error}")
        return Plan()
    notify = tuple(dict.fromkeys([*runtime.notify, *(p for f in report.findings
                                                     for p in f.notify)]))
    return Plan(actions=tuple(plan_digest(
        project=runtime.name, findings=report.findings, records=report.plan.records,
        issues={issue.key: issue for issue in snapshot.issues}, actual=actual, seen=seen,
        style=runtime.style, routing=routing, notify=notify, backfill=backfill,
    )))


def seen_digest(runtime: ProjectRuntime, actual: Actual, snapshot: Snapshot, *,
                 backfill: bool, now: datetime) -> Comment | None:
    """The digest as the tracker shows it. A team issue outside the project is not in the
    snapshot: when the state store does not know the digest (a first cycle, a lost
    database), the tracker is asked, so that it is adopted and never posted twice."""
    marker = marker_for(runtime.name, backfill=backfill)
    target = runtime.routing.team_issue
    assert target is not None
    seen = Seen.of(snapshot).on(marker, target)
    if seen is not None or str(marker) in actual.comments \
            or any(issue.key == target for issue in snapshot.issues):
        return seen
    found = runtime.connector.find_comment(target, marker)
    if found is None:
        return None
    return Comment(id=found.id, issue_key=target, author=runtime.connector.whoami(),
                   created_at=now, body_excerpt=found.body[:500], is_ours=True,
                   marker=str(marker))
