"""The conversation read once per evaluation (rules/threads.py) and shared by three rules.

T0 is Monday 2026-03-02 00:00 UTC; the default calendar is UTC Mon-Fri 09:00-18:00.
"""

from __future__ import annotations

import dataclasses

from connectors.model import Snapshot, Visibility
from rules import follow_up, risk, unanswered_feedback
from rules.threads import threads
from tests.rules.conftest import Factory

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team", ci="bot")
NOTE = Visibility("internal")


def _project(*, answer: Visibility | None = None) -> Snapshot:
    """Carol asks on Monday 10:00 about issue #1 (in milestone 1); Tom answers at 11:00
    (publicly, or in ``answer``'s visibility) and a bot comments on Tuesday."""
    comments = [mk.comment("c1", 1, "carol", mk.at(0, 10))]
    if answer is not None:
        comments.append(mk.comment("c2", 1, "tom", mk.at(0, 11), visibility=answer))
    comments.append(mk.comment("c3", 1, "ci", mk.at(1, 10)))
    return mk.snapshot(
        issues=[mk.issue(1, author="tom", created_at=mk.at(0, 9), milestones=[1])],
        milestones=[mk.milestone(1, due_on=mk.at(30).date())],
        comments=comments, people=PEOPLE)


def test_one_context_serves_several_snapshots_each_with_its_own_conversation() -> None:
    # The bot review (rules/bot_suspects.py) evaluates variants of one project with one
    # context: what was read for one variant must not answer for another.
    ctx = mk.ctx(mk.at(4, 10))
    options = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback")
    answered = _project(answer=Visibility("public"))
    assert unanswered_feedback.waiting(answered, ctx, options) == []
    tom_a_bot = dataclasses.replace(answered, people={**PEOPLE, **mk.people(tom="bot")})
    (wait,) = unanswered_feedback.waiting(tom_a_bot, ctx, options)
    assert wait.anchor == "c1"
    assert unanswered_feedback.waiting(answered, ctx, options) == []


def test_an_internal_note_is_no_answer_and_no_update_but_it_is_activity() -> None:
    snap = _project(answer=NOTE)
    ctx = mk.ctx(mk.at(4, 10))
    (thread,) = threads(snap, ctx).values()
    assert thread.team is None and [c.id for c in thread.clients] == ["c1"]
    assert thread.active == mk.at(0, 11)  # the note, not the bot's comment after it
    feedback = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback")
    assert [w.anchor for w in unanswered_feedback.waiting(snap, ctx, feedback)] == ["c1"]
    # The client wrote last where the client reads: no follow-up is owed by the team.
    assert follow_up.evaluate(snap, ctx, follow_up.Options(id="f", kind="follow_up")) == []
    # Stalled counts from the note (Monday 11:00): 3 working days pass on Thursday 11:00.
    stalled = risk.Options(id="risk", kind="risk", stalled_after=3,
                           in_progress_labels=["doing"])
    doing = dataclasses.replace(snap, issues=(dataclasses.replace(
        snap.issues[0], labels=("doing",), assignees=("tom",)),))
    assert [f.cause for f in risk.evaluate(doing, mk.ctx(mk.at(3, 10, 59)), stalled)
            if f.subject_kind == "issue"] == []
    assert [f.cause for f in risk.evaluate(doing, mk.ctx(mk.at(3, 11)), stalled)
            if f.subject_kind == "issue"] == ["stalled"]
