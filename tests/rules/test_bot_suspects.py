"""Accounts that look automated (rules/bot_suspects.py): who, why, and what each changes.

Snapshots are built on the rule tests' week (``T0`` is Monday 2026-03-02, UTC);
waits are counted with the ``unanswered_feedback`` defaults at ``NOW``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import pytest

from connectors.model import Change, Comment, Membership, Person, Snapshot, Visibility
from rules import unanswered_feedback
from rules.bot_suspects import (
    MIN_COMMENTS,
    SAMPLE,
    Review,
    Suspect,
    bots_line,
    looks_automated,
    review,
    suspects,
)
from tests.rules.conftest import Factory

mk = Factory()
NOW = mk.at(4, 15)
FEEDBACK = (unanswered_feedback.Options(id="feedback", kind=unanswered_feedback.KIND),)
CI = "CI passed on all platforms"


def say(ident: int, issue: int, author: str, at: datetime, body: str = "Looks good to me",
        *, visibility: Visibility | None = None) -> Comment:
    comment = mk.comment(str(ident), issue, author, at)
    comment = dataclasses.replace(comment, body_excerpt=body)
    return comment if visibility is None else dataclasses.replace(comment, visibility=visibility)


def world(comments: Iterable[Comment], *, people: dict[str, str], issues: Sequence[int] = (),
          authors: dict[int, str] | None = None, changes: Iterable[Change] = (),
          names: dict[str, str] | None = None) -> Snapshot:
    """Issues (by ``authors``: number -> who opened it, else ``carol``, two days before NOW),
    comments and people (id -> kind; ``names`` their display names)."""
    listed = list(comments)
    numbers = sorted({*issues, *(int(c.issue_key.rsplit("#", 1)[1]) for c in listed)})
    opened = authors or {}
    return mk.snapshot(
        issues=[mk.issue(n, author=opened.get(n, "carol"), created_at=mk.at(1, 9))
                for n in numbers],
        comments=listed, changes=list(changes),
        people={pid: Person(id=pid, name=(names or {}).get(pid, pid), kind=kind)  # type: ignore[arg-type]
                for pid, kind in people.items()})


@pytest.mark.parametrize(
    ("pid", "name", "expected"),
    [
        ("ci-runner", "CI Runner", True),
        ("u1", "Release Automation", True),
        ("triage-bot", "triage-bot", True),
        ("u2", "JiraBot", True),             # camelCase: Jira Bot
        ("u3", "CIRunner", True),            # CI Runner
        ("renovatebot", "renovatebot", True),
        ("u4", "Robot Framework", True),
        ("u5", "no-reply", False),           # "no" and "reply" are words of their own
        ("u6", "noreply", True),
        ("acme-ci", "acme-ci", True),        # a GitHub login without [bot]
        ("u7", "Anna Talbot", False),        # a surname, not a bot
        ("u8", "Cindy Ciao", False),
        ("dev-ann", "Ann Lee", False),
        ("automation-lead", "Maria Rossi", True),  # the id says it: the admin decides
    ],
)
def test_names_that_say_automated(pid: str, name: str, expected: bool) -> None:
    assert looks_automated(Person(id=pid, name=name)) is expected


def test_the_same_few_texts_on_many_issues() -> None:
    # Numbers and hashes are evened out: "build 1234" is "build 1235".
    texts = [f"Build {1230 + n} passed (commit a1b2c3{n}d)" for n in range(8)] + [
        "Build failed: see the log", "Build failed: see the log"]
    comments = [say(n, n % 5 + 2, "runner", mk.at(2, 9, n), text)
                for n, text in enumerate(texts)]
    found = suspects(world(comments, people={"runner": "team", "carol": "client"}))
    assert found == [Suspect(id="runner", name="runner", kind="team", comments=10, judged=10,
                             repeats=(1, 8))]
    assert found[0].reasons == "the same text in 8 of 10 comments"


def test_a_few_texts_together() -> None:
    texts = [CI] * 5 + ["CI failed on windows"] * 3 + ["Merged, thank you", "Rebased"]
    said = [say(n, n % 5 + 2, "runner", mk.at(2, 9, n), text) for n, text in enumerate(texts)]
    found = suspects(world(said, people={"runner": "team"}))
    assert [(s.repeats, s.reasons) for s in found] == [
        ((2, 8), "the same 2 texts in 8 of 10 comments")]


def test_an_account_is_judged_on_its_newest_comments() -> None:
    # A person's account that a CI job took over: 50 varied comments, then 100 the same.
    said = [say(n, n % 7 + 2, "svc", mk.at(1, 9, n), f"Reply {n}: " + "abcdefghij"[n % 10] * n)
            for n in range(50)]
    said += [say(100 + n, n % 7 + 2, "svc", mk.at(2, 9, n), CI) for n in range(SAMPLE)]
    found = suspects(world(said, people={"svc": "team"}))
    assert [(s.comments, s.judged, s.reasons) for s in found] == [
        (150, 100, "the same text in 100 of its last 100 comments")]


@pytest.mark.parametrize(
    ("comments", "issues"),
    [
        (MIN_COMMENTS - 1, 5),  # too few comments to judge
        (MIN_COMMENTS, 4),      # one long thread repeats itself
    ],
)
def test_too_little_to_judge_by_texts(comments: int, issues: int) -> None:
    said = [say(n, n % issues + 2, "runner", mk.at(2, 9, n), CI) for n in range(comments)]
    assert suspects(world(said, people={"runner": "team"})) == []


def test_varied_texts_are_a_person() -> None:
    said = [say(n, n % 5 + 2, "ann", mk.at(2, 9, n), f"Answer number {'abcdefghijkl'[n]}x"
                if n % 3 else "Thanks!") for n in range(12)]
    assert suspects(world(said, people={"ann": "team"})) == []


def test_prompt_comments_after_someone_elses_event() -> None:
    # Each time a client comments, "triage" answers 4 seconds later; a label someone else
    # puts on counts as an event too.
    said, changes = [], []
    for n in range(10):
        issue, t = n + 2, mk.at(2, 9 + n % 8)
        if n < 9:
            said.append(say(100 + n, issue, "carol", t, f"Question {'abcdefghi'[n]}?"))
        else:
            changes.append(Change(issue_key=mk.issue_key(issue), field="label", at=t,
                                  after="bug", actor="alice"))
        said.append(say(200 + n, issue, "triage", t + timedelta(seconds=4),
                        f"Noted {'abcdefghij'[n]}{n}x, thank you"))
    snapshot = world(said, changes=changes,
                     people={"triage": "team", "carol": "client", "alice": "team"})
    found = suspects(snapshot)
    assert [(s.id, s.prompt, s.repeats, s.by_name) for s in found] == [
        ("triage", 10, None, False)]
    assert found[0].reasons == ("10 of 10 comments within 10 s of another person's event on "
                                "the issue")


def test_a_persons_own_transition_with_a_comment_is_not_prompt() -> None:
    # Jira's transition screen: the status change and the comment come at one instant, by
    # one person. Nobody else did anything just before.
    said, changes = [], []
    for n in range(10):
        t = mk.at(2, 9, 7 * n)
        changes.append(Change(issue_key=mk.issue_key(n + 2), field="state", at=t,
                              before="open", after="closed", actor="alice"))
        said.append(say(n, n + 2, "alice", t, f"Closing: fixed in release {'abcdefghij'[n]}x"))
    assert suspects(world(said, changes=changes, people={"alice": "team"})) == []


def test_who_is_looked_at() -> None:
    # Named by id in team (the admin's word), a bot already, unknown to the rules, only
    # restricted comments, forewarn's own: none is asked about.
    role = Visibility("role", "Developers")
    said = [say(1, 2, "ci-runner", mk.at(2, 9)), say(2, 2, "jenkins-bot", mk.at(2, 9)),
            say(3, 2, "robot", mk.at(2, 9)), say(4, 2, "qa-bot", mk.at(2, 9), visibility=role),
            dataclasses.replace(say(5, 2, "forewarn-bot", mk.at(2, 9)), is_ours=True),
            say(6, 2, "ops-bot", mk.at(2, 9))]
    snapshot = world(said, people={"ci-runner": "team", "jenkins-bot": "bot",
                                   "robot": "unknown", "qa-bot": "team",
                                   "forewarn-bot": "team", "ops-bot": "client"})
    found = suspects(snapshot, named={"ci-runner"})
    assert [(s.id, s.kind, s.comments, s.by_name) for s in found] == [
        ("ops-bot", "client", 1, True)]
    assert found[0].reasons == "its name"


def waits_world() -> Snapshot:
    """#2-#4: a client asked, then only "ci" commented; #5: a client asked, "ci" and
    "deploy-bot" commented; #6: a client asked, a team member answered, "ci" commented after;
    #7: "alert-bot" (a client by the config) opened an issue nobody answered; #8: a client
    asked, nobody answered (a wait either way)."""
    said = [say(1, 2, "ci", mk.at(2, 10)), say(2, 3, "ci", mk.at(2, 10)),
            say(3, 4, "ci", mk.at(2, 10)),
            say(4, 5, "ci", mk.at(2, 10)), say(5, 5, "deploy-bot", mk.at(2, 11)),
            say(6, 6, "alice", mk.at(2, 10)), say(7, 6, "ci", mk.at(2, 11)),
            say(8, 7, "alert-bot", mk.at(2, 10), "Disk at 91% on db-1")]
    return world(said, issues=[8], authors={7: "alert-bot"}, names={"ci": "CI"},
                 people={"ci": "team", "deploy-bot": "team", "alice": "team", "carol": "client",
                         "alert-bot": "client"})


def test_what_each_suspect_changes() -> None:
    snapshot = waits_world()
    found = review(snapshot, suspects(snapshot), ctx=mk.ctx(NOW), feedback=FEEDBACK)
    effects = [(s.id, s.answers, s.starts, s.effect()) for s in found.suspects]
    assert effects == [
        # #2, #3, #4 and #5 (with deploy-bot a bot); #6 was answered by alice
        ("ci", 4, 0, "it answers 4 waiting clients as if it were the team"),
        # #5 (with ci a bot): each of two bots on one issue gets the credit
        ("deploy-bot", 1, 0, "it answers 1 waiting client as if it were the team"),
        ("alert-bot", 0, 1, "its own messages start 1 wait for a reply that no client started"),
    ]
    assert found.answered == 4  # #2-#5: all three bots together
    assert [s.label for s in found.suspects] == ["ci (“CI”)", "deploy-bot", "alert-bot"]
    assert [s.hides for s in found.suspects] == [True, True, False]


def test_without_an_unanswered_feedback_rule_nothing_is_counted() -> None:
    snapshot = waits_world()
    found = review(snapshot, suspects(snapshot), ctx=mk.ctx(NOW), feedback=())
    assert [(s.id, s.answers, s.effect()) for s in found.suspects] == [
        ("alert-bot", None, ""), ("ci", None, ""), ("deploy-bot", None, "")]
    assert found.answered is None
    assert review(snapshot, [], ctx=mk.ctx(NOW), feedback=FEEDBACK) == Review()


@pytest.mark.parametrize(
    ("existing", "add", "expected"),
    [
        ((), ["ci-runner"], "bots: [ci-runner]"),
        (("renovate*", Membership("group", "automation")), ["ci-runner", "jira.bot"],
         'bots: ["renovate*", {group: automation}, ci-runner, jira.bot]'),
        (("ci-runner",), ["ci-runner"], "bots: [ci-runner]"),
        # what YAML would misread is quoted: a Cloud account id, a glob, a comma, a colon
        ((), ["712020:3f2a-77"], 'bots: ["712020:3f2a-77"]'),
        ((), ["*[bot]", "a, b"], 'bots: ["*[bot]", "a, b"]'),
        ((Membership("group", "CI: runners"),), [], 'bots: [{group: "CI: runners"}]'),
    ],
)
def test_the_bots_line(existing: Sequence[str | Membership], add: list[str],
                       expected: str) -> None:
    assert bots_line(existing, add) == expected
