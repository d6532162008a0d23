"""The summary's feedback KPIs read replies as the unanswered_feedback rule does: only public
comments ask or answer (sync/summary/feedback.py beside rules/unanswered_feedback.py)."""

from __future__ import annotations

from datetime import UTC

import pytest

from connectors.model import PUBLIC, Visibility
from rules import unanswered_feedback
from rules.calendar import BusinessCalendar
from sync.summary.feedback import Clock, kpis, requests
from tests.rules.conftest import Factory

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team")
OPTIONS = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback", sla="16h")
NOTE = Visibility("internal")
ROLE = Visibility("role", "Developers")


@pytest.mark.parametrize(
    ("reply", "answered", "rule_waits"),
    [
        (PUBLIC, True, False),
        (ROLE, False, True),     # visible to role Developers only: the client is still waiting
        (NOTE, False, True),     # a service desk internal note: the same
    ],
)
def test_only_a_public_reply_answers_in_the_summary_too(
    reply: Visibility, answered: bool, rule_waits: bool
) -> None:
    issue = mk.issue(1, author="carol", created_at=mk.at(0, 9))
    comment = mk.comment("c1", 1, "tom", mk.at(0, 10), visibility=reply)
    snapshot = mk.snapshot(issues=[issue], comments=[comment], people=PEOPLE)
    now = mk.at(1, 17)

    (request,) = requests(snapshot, OPTIONS)
    assert (request.asked_at, request.answered_at is not None) == (mk.at(0, 9), answered)
    findings = unanswered_feedback.evaluate(snapshot, mk.ctx(now), OPTIONS)
    assert bool(findings) is rule_waits

    calendar = BusinessCalendar()
    measured = kpis([request], Clock(snapshot, calendar, OPTIONS, [issue.key]),
                    since=mk.at(0, 0), until=now, now=now, zone=UTC)
    assert (measured.answered, measured.missed_sla) == ((1, 0) if answered else (0, 1))
