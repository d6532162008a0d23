"""cadence: the client was promised regular updates, and none came.

A communication plan says "an update every week". This rule watches the
project's status issue (``status_issue``, where the expectation summary goes)
and tells the project manager when neither a summary nor a status comment by
the team has reached it within the agreed number of working days.

Options (with defaults)::

    rules:
      - id: cadence               # part of every fingerprint
        kind: cadence
        within: 5                 # working days between two updates
        label: null               # e.g. update-due, on the status issue
        pause_labels: [waiting-on-client]
        ack_labels: [forewarn-ack]
        only_labels: []
        exempt_labels: []
        notify: []                # the PM, mentioned in the alert

Semantics:

* An **update** on the status issue is forewarn's own expectation summary (a
  comment of forewarn's whose marker is ``summary.<period>``: told by the
  marker, never by its text) or a comment by a team member (not a bot, not a
  client), public ones only: a restricted comment or an internal note never
  reached the client. Edits are not updates: they notify nobody.
* Without any update, the clock starts at the status issue's creation.
* **Due** when ``within`` working days of the project calendar have passed since
  the last update (or the creation). The last update anchors the finding: the
  next update resolves it.
* No status issue configured, or not found, or closed: nothing. A status issue
  carrying a ``pause_labels`` label (a project on hold) is not reported.

Findings:

======= ======= ======== ============================ ==================
cause   subject severity comment                      label
======= ======= ======== ============================ ==================
cadence issue   warning  team audience only           ``label`` when set
======= ======= ======== ============================ ==================

The alert is for the PM (``team_only``): where alerts are public comments on a
client's tracker (``alerts.to: issue``, the default), nothing is written on the
status issue but its label when one is set; the finding still reaches the
team's summary and its channels.

Controls: ``only_labels``/``exempt_labels`` apply to the status issue;
``pause_labels`` put the cadence on hold; ``ack_labels`` acknowledge it.
``approved_labels`` do not apply.
"""

from __future__ import annotations

from pydantic import Field

from connectors.model import Comment, Issue, Snapshot
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind
from rules.options import Label, RuleOptions

KIND = "cadence"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "bfd4f2"
LABEL_DESCRIPTION = "forewarn: a status update is due"
#: What its findings are about: milestone findings need a status issue to go to.
SUBJECTS: tuple[SubjectKind, ...] = ("issue",)
#: The subject of a summary's marker (``connectors.markers.Marker.summary``); rules
#: read records only, so the prefix is named here and a test keeps the two equal.
SUMMARY_PREFIX = "summary."


class Options(RuleOptions):
    rule_kind = KIND
    within: int = Field(default=5, ge=1, le=260,
                        description="Working days between two updates on the status issue.")
    label: Label | None = Field(default=None, description="Put on the status issue when due.")


#: For the team only: the PM reads it.
MESSAGES: Messages = {
    "cadence": {
        "team": {
            "en": ("No expectation summary or status update has been posted on “{title}” "
                   "since {last_update_at}; the plan is an update every {within:working_day}.",
                   "Post the summary or a status update for the client."),
            "zh-CN": ("自 {last_update_at} 以来，“{title}”上没有发布期望摘要或状态更新；"
                      "计划是每 {within:working_day}更新一次。",
                      "请为客户发布摘要或状态更新。"),
        },
    },
}


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """The finding of an overdue update on the status issue, if any (see the docstring)."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    issue = _status_issue(snapshot, ctx.status_issue, options)
    if issue is None:
        return []
    team = {pid for pid, person in snapshot.people.items() if person.kind == "team"}
    last: Comment | None = None
    for comment in snapshot.comments:
        if comment.issue_key != issue.key or not is_update(comment, team):
            continue
        if last is None or (comment.created_at, comment.id) > (last.created_at, last.id):
            last = comment
    since = last.created_at if last is not None else issue.created_at
    idle = ctx.calendar.working_days(since, ctx.now)
    if idle + 1e-9 < options.within:
        return []
    evidence = {"title": issue.title, "last_update_at": since,
                "last_update": "none" if last is None else "summary"
                if last.is_ours else "comment",
                "idle_days": int(idle + 1e-9), "within": options.within}
    return [options.finding(issue, "cadence", severity=Severity.WARNING, evidence=evidence,
                            anchor=last.id if last is not None else "none", team_only=True)]


def is_update(comment: Comment, team: set[str]) -> bool:
    """forewarn's summary (by its marker) or a team member's own comment, where the client
    reads it: a restricted comment or an internal note updates only the team."""
    if not comment.visibility.is_public:
        return False
    if comment.is_ours:
        return bool(comment.marker and comment.marker.startswith(SUMMARY_PREFIX))
    return comment.author in team


def _status_issue(snapshot: Snapshot, key: str | None, options: Options) -> Issue | None:
    if key is None:
        return None
    issue = next((item for item in snapshot.issues if item.key == key), None)
    if issue is None or not issue.is_open:
        return None
    if (options.only_labels or options.exempt_labels) and not options.in_scope(issue):
        return None
    if issue.labels and issue.has_label(options.folded(options.pause_labels)):
        return None
    return issue
