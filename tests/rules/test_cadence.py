"""cadence: a summary or a team status comment on the status issue every N working days.

T0 is Monday 2026-03-02 00:00 UTC; the calendar is UTC Mon-Fri 09:00-18:00.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.markers import Marker
from connectors.model import Comment, Visibility
from rules import cadence
from rules.base import Finding
from tests.rules.conftest import Factory

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team", forewarn="bot", **{"ci[bot]": "bot"})
STATUS = mk.issue_key(1)


def ours(comment_id: str, day: float, hour: float, marker: str) -> Comment:
    return dataclasses.replace(mk.comment(comment_id, 1, "forewarn", mk.at(day, hour),
                                          is_ours=True), marker=marker)


SUMMARY = str(Marker.summary("2026-W10"))
ALERT = str(Marker("slip.0123456789abcdef", "warning"))


def evaluate(comments: list[Comment], now: tuple[int, ...], *, status: str | None = STATUS,
             labels: tuple[str, ...] = (), state: str = "open",
             **overrides: Any) -> list[Finding]:
    snap = mk.snapshot(issues=[mk.issue(1, author="tom", created_at=mk.at(0, 9), labels=labels,
                                        state=state)],
                       comments=comments, people=PEOPLE)
    ctx = dataclasses.replace(mk.ctx(mk.at(*now)), status_issue=status)
    return cadence.evaluate(snap, ctx, cadence.Options(id="cadence", kind="cadence",
                                                       **overrides))


@pytest.mark.parametrize(
    ("comments", "now", "since"),
    [
        ([], (4, 17, 59), None),                                     # not yet 5 working days
        ([], (4, 18), mk.at(0, 9)),                                  # since its creation
        ([ours("s1", 2, 9, SUMMARY)], (7, 9), None),                 # a summary counts
        ([ours("s1", 2, 9, SUMMARY)], (9, 9), mk.at(2, 9)),
        ([ours("a1", 2, 9, ALERT)], (4, 18), mk.at(0, 9)),           # an alert does not
        ([mk.comment("c1", 1, "tom", mk.at(3, 9))], (9, 9), None),   # a team status comment
        ([mk.comment("c1", 1, "carol", mk.at(3, 9))], (4, 18), mk.at(0, 9)),  # a client's: no
        ([mk.comment("c1", 1, "ci[bot]", mk.at(3, 9))], (4, 18), mk.at(0, 9)),  # a bot's: no
        # a team note the client could not read (Jira role visibility, a JSM internal note)
        ([mk.comment("c1", 1, "tom", mk.at(3, 9), visibility=Visibility("role", "Developers"))],
         (4, 18), mk.at(0, 9)),
        ([mk.comment("c1", 1, "tom", mk.at(3, 9), visibility=Visibility("internal"))],
         (4, 18), mk.at(0, 9)),
        # forewarn's account without a summary marker, or a pasted marker by someone else
        ([dataclasses.replace(mk.comment("c1", 1, "carol", mk.at(3, 9)), marker=SUMMARY)],
         (4, 18), mk.at(0, 9)),
    ],
)
def test_what_counts_as_an_update(comments: list[Comment], now: tuple[int, ...],
                                  since: Any) -> None:
    found = evaluate(comments, now)
    assert [f.evidence["last_update_at"] for f in found] == ([since] if since else [])


def test_the_summary_marker_prefix_is_the_markers_own() -> None:
    assert Marker.summary("2026-W48").subject.startswith(cadence.SUMMARY_PREFIX)
    assert not Marker.retrospective("m").subject.startswith(cadence.SUMMARY_PREFIX)


@pytest.mark.parametrize(
    ("kwargs", "found"),
    [
        ({"status": None}, False),                          # no status issue configured
        ({"status": mk.issue_key(404)}, False),             # not in the tracker
        ({"state": "closed"}, False),
        ({"labels": ("waiting-on-client",)}, False),        # on hold
        ({"labels": ("internal",), "exempt_labels": ["internal"]}, False),
        ({"within": 10}, False),
        ({}, True),
    ],
)
def test_controls(kwargs: dict[str, Any], found: bool) -> None:
    assert bool(evaluate([], (7, 9), **kwargs)) is found


def test_the_alert_is_for_the_pm_and_a_new_update_starts_a_new_one() -> None:
    (first,) = evaluate([ours("s1", 2, 9, SUMMARY)], (9, 9), notify=["pm"])
    assert first.team_only and first.comment and first.label is None
    assert first.notify == ("pm",)
    assert first.subject_key == STATUS
    (later,) = evaluate([ours("s1", 2, 9, SUMMARY)], (10, 9))
    assert later.fingerprint == first.fingerprint  # the same lapse: edited, not re-posted
    (next_one,) = evaluate([ours("s1", 2, 9, SUMMARY), ours("s2", 9, 10, SUMMARY)], (16, 11))
    assert next_one.fingerprint != first.fingerprint
