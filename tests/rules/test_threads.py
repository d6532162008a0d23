"""The conversation read once per evaluation (rules/threads.py) and shared by three rules.

T0 is Monday 2026-03-02 00:00 UTC; the default calendar is UTC Mon-Fri 09:00-18:00.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from connectors.model import Snapshot, Visibility
from rules import follow_up, risk, unanswered_feedback
from rules.threads import Thread, threads
from rules.threads import read as threads_read
from sync.cache import merge
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


def test_a_daemons_next_cycle_reuses_the_threads_only_while_nothing_they_come_from_changed(
) -> None:
    # A daemon's cycles share ``derived`` (sync/cycle.py): a steady-state cycle's snapshot
    # is a new object holding the same tuples, and reads no comment again; a new comment,
    # an edited issue or a person seen differently is read afresh.
    snap = _project()
    derived: dict[str, object] = {}
    first = threads(snap, dataclasses.replace(mk.ctx(mk.at(1, 12)), derived=derived))
    quiet = dataclasses.replace(snap, fetched_at=mk.at(1, 13))
    later = dataclasses.replace(mk.ctx(mk.at(1, 13)), derived=derived)
    assert threads(quiet, later) is first

    answered = dataclasses.replace(snap, comments=(
        *snap.comments, mk.comment("c4", 1, "tom", mk.at(1, 11))))
    read = threads(answered, later)
    assert read[mk.issue_key(1)].team is not None
    relabelled = dataclasses.replace(answered, issues=(dataclasses.replace(
        answered.issues[0], labels=("bug",)),))
    assert threads(relabelled, later) is not read
    tom_a_client = dataclasses.replace(answered, people={**PEOPLE, **mk.people(tom="client")})
    (thread,) = threads(tom_a_client, later).values()
    assert thread.team is None and [c.id for c in thread.clients] == ["c1", "c4"]


def _seen(found: Mapping[str, Thread]) -> dict[str, tuple[object, ...]]:
    return {key: (t.active, t.team and t.team.id, t.client and t.client.id,
                  [c.id for c in t.clients]) for key, t in found.items()}


def test_threads_read_again_only_for_the_issues_a_delta_touched_equal_a_fresh_read() -> None:
    # A daemon's cycle after a few changes: sync/cache.py merges the delta into the cached
    # tuples, and only the touched issues' threads are read again; the others are the
    # very threads of the last cycle. Each step is checked against reading everything.
    people = {**PEOPLE, **mk.people(ann="client", bob="team")}
    authors = ("carol", "tom", "ci", "ann", "bob")
    issues = [mk.issue(n, author="carol" if n % 2 else "tom", created_at=mk.at(0, 9))
              for n in range(1, 41)]
    comments = [mk.comment(f"c{n}-{k}", n, authors[(n + k) % 5], mk.at(0, 10 + k),
                           visibility=NOTE if (n + k) % 7 == 0 else Visibility("public"))
                for n in range(1, 41) for k in range(5)]
    snap = mk.snapshot(issues=issues, comments=comments, people=people)
    derived: dict[str, object] = {}
    ctx = dataclasses.replace(mk.ctx(mk.at(2)), derived=derived)
    kinds = {pid: person.kind for pid, person in people.items()}
    threads(snap, ctx)

    steps = [
        mk.snapshot(comments=[mk.comment("n1", 3, "tom", mk.at(1, 9)),
                              mk.comment("n2", 4, "ann", mk.at(1, 9))]),
        mk.snapshot(comments=[mk.comment("c5-1", 5, "tom", mk.at(0, 11), visibility=NOTE)]),
        mk.snapshot(issues=[dataclasses.replace(issues[6], state="closed")]),
        mk.snapshot(issues=[mk.issue(41, author="carol", created_at=mk.at(1))],
                    comments=[mk.comment("n3", 41, "bob", mk.at(1, 12))]),
    ]
    for delta in steps:
        before = threads(snap, ctx)
        snap = merge(snap, dataclasses.replace(delta, people=people))
        after = threads(snap, ctx)
        assert _seen(after) == _seen(threads_read(snap, kinds))
        assert after[mk.issue_key(20)] is before[mk.issue_key(20)]  # untouched: kept
    assert mk.issue_key(7) not in after  # closed: no thread
    assert after[mk.issue_key(41)].team is not None

    everything_new = dataclasses.replace(snap, comments=tuple(
        dataclasses.replace(c, created_at=mk.at(1, 15)) for c in snap.comments))
    again = threads(everything_new, ctx)
    assert _seen(again) == _seen(threads_read(everything_new, kinds))
    assert again[mk.issue_key(20)] is not after[mk.issue_key(20)]
