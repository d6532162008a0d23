"""Who is client, team or bot in a cycle's snapshot, and what the admin is told of it.

People are judged by ``rules/people.py`` from the project's ``clients``, ``team``
and ``bots``, with the members of the Jira roles and groups they name (read
through ``Connector.members``, at most daily). A tracker that hides e-mail
addresses leaves e-mail patterns unable to judge: the first cycle says so once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.model import Membership, Snapshot
from rules.people import (
    People,
    hidden_email_advice,
    memberships,
    without_email,
    without_email_note,
)

if TYPE_CHECKING:
    from sync.cycle import CycleReport, ProjectRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WhoIsWho:
    """A snapshot with everyone's kind decided, and what e-mail addresses could not tell."""

    snapshot: Snapshot
    #: People an e-mail pattern of clients/team could not judge (no visible e-mail).
    hidden_emails: int
    #: People whose e-mail the tracker hides (Jira Cloud), judged or not.
    without_email: int

    def advice(self, project: str) -> str | None:
        """What to tell the admin: a warning when patterns cannot judge people, else a note
        when e-mails are hidden but nothing depends on them, else None."""
        if self.hidden_emails:
            return hidden_email_advice(project, self.hidden_emails)
        if self.without_email:
            return without_email_note(project, self.without_email)
        return None


def who_is_who(runtime: ProjectRuntime, snapshot: Snapshot, me: str) -> WhoIsWho:
    """Everyone's kind, with the members of the roles and groups the project names (read
    through the connector, at most daily). ``forewarn check-config --connect`` can call it
    on a fetched snapshot to show ``hidden_emails`` and ``advice``."""
    groups = memberships(runtime.clients, runtime.team, runtime.bots)
    members: dict[Membership, frozenset[str]] = (
        runtime.connector.members(groups) if groups else {})
    settings = People(runtime.clients, runtime.team, runtime.bots, (me,), members)
    people = settings.classify(snapshot)
    return WhoIsWho(snapshot=people, hidden_emails=settings.hidden_emails(snapshot),
                    without_email=without_email(people))


def classify(runtime: ProjectRuntime, snapshot: Snapshot, me: str, report: CycleReport,
             *, first: bool) -> Snapshot:
    """``who_is_who``, and on the project's first cycle what e-mail addresses could not tell."""
    found = who_is_who(runtime, snapshot, me)
    report.hidden_emails, report.without_email = found.hidden_emails, found.without_email
    advice = found.advice(runtime.name) if first else None
    if advice and found.hidden_emails:
        log.warning("%s", advice)
        report.warnings.append(advice)
    elif advice:
        report.notes.append(advice)
    return found.snapshot
