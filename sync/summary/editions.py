"""The client edition of a summary: what one client may read, cut from the team's summary.

``summary.audience: client`` posts this edition instead of the team's. It keeps the
milestones (health, progress, due dates, forecast), their scope and the alerts, in
the client's voice, and leaves out what is for the team only:

* **names**: no client or team member is named (the waiting table has no client
  column; alerts are worded for the client: ``sync/render.py``);
* **instructions and settings**: no "confirm it with the client", no growth
  threshold, no hint about forewarn's configuration, no build errors;
* **other clients**: with client organisations (``clients: {initech: [...], umbrella:
  [...]}``) each organisation gets its own edition, on its own issue
  (``summary.issues``), whose issue lists, alerts, waits and feedback KPIs cover
  only the issues of that organisation. An issue belongs to the organisation of its
  author when a client opened it, else to that of the first client who wrote on it;
  issues no client touched (the team's own) are shown to every organisation.

Without organisations there is one client edition, on the status issue, and every
issue is the client's. "What changed" compares with the previous (team) summary,
but leaves out the project-wide counts of waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.model import Snapshot
from rules.people import Organisations, organisation_of
from sync.summary.build import SummaryInput, feedback_of
from sync.summary.changes import compare
from sync.summary.model import Changes, IssueRef, MilestoneSummary, ProjectSummary

#: "What changed" items that count across every client: not for one client's eyes.
_PROJECT_WIDE = frozenset({"awaiting", "breaches"})


def organisations_of(clients: object) -> Organisations:
    """The client organisations a project's ``clients`` setting defines (none for a list)."""
    if isinstance(clients, Mapping):
        return {str(name): tuple(patterns) for name, patterns in clients.items()}
    return {}


def issue_organisations(snapshot: Snapshot, organisations: Organisations) -> dict[str, str]:
    """Issue key -> organisation: its author's, else the first client who wrote on it."""
    people = {pid: organisation_of(person, organisations)
              for pid, person in snapshot.people.items() if person.kind == "client"}
    found: dict[str, str] = {}
    for issue in snapshot.issues:
        owner = people.get(issue.author)
        if owner:
            found[issue.key] = owner
    for comment in sorted(snapshot.comments, key=lambda c: (c.created_at, c.id)):
        owner = people.get(comment.author)
        if owner and comment.issue_key not in found:
            found[comment.issue_key] = owner
    return found


def client_edition(
    data: SummaryInput, summary: ProjectSummary, *, now: datetime,
    organisations: Organisations, organisation: str | None = None,
    previous: Mapping[str, Any] | None = None, target: str | None = None,
) -> ProjectSummary:
    """The edition for one organisation (or for the one client, without organisations)."""
    snapshot = data.snapshot
    if snapshot is None:
        return summary.model_copy(update={"audience": "client", "organisation": organisation,
                                          "errors": [], "skipped": [], "status_issue": target})
    owners = issue_organisations(snapshot, organisations) if organisation else {}

    def visible(key: str) -> bool:
        return owners.get(key, organisation) == organisation

    authors = None
    if organisation:
        authors = frozenset(pid for pid, person in snapshot.people.items()
                            if person.kind == "client"
                            and organisation_of(person, organisations) == organisation)
    feedback = feedback_of(data, snapshot, now=now, authors=authors)
    edition = summary.model_copy(update={
        "audience": "client", "organisation": organisation, "status_issue": target,
        "milestones": [_milestone(m, visible) for m in summary.milestones],
        "risks": [risk for risk in summary.risks if not risk.team_only
                  and (risk.subject.kind == "milestone" or visible(risk.subject.key))],
        "risk_register": [item for item in summary.risk_register
                     if not item.team_only and visible(item.subject.key)],
        "feedback": feedback.model_copy(update={
            "awaiting": [item.model_copy(update={"client": ""}) for item in feedback.awaiting
                         if visible(item.issue.key)]}),
        "errors": [], "skipped": [], "changes": Changes(),
    })
    changes = compare(edition, previous)
    items = [item for item in changes.items if item.kind not in _PROJECT_WIDE]
    return edition.model_copy(update={"changes": changes.model_copy(update={"items": items})})


def _milestone(milestone: MilestoneSummary, visible: Any) -> MilestoneSummary:
    scope = milestone.scope
    if scope is None:
        return milestone

    def keep(refs: Sequence[IssueRef]) -> list[IssueRef]:
        return [ref for ref in refs if visible(ref.key)]

    return milestone.model_copy(update={"scope": scope.model_copy(update={
        "added": keep(scope.added), "approved": keep(scope.approved),
        "descoped": keep(scope.descoped)})})

