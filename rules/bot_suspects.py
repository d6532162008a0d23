"""Accounts that look automated but count as people: named to the admin, never reclassified.

Jira Data Center and Server send no account type, so a CI job or a triage
script posting through an ordinary user account looks like a person; so does a
GitHub bot that posts with a personal token under a login without ``[bot]``.
Such an account counts as the team (or as a client), and its automatic comments
answer waiting clients (or start waits no client started). forewarn does not
guess silently: the first cycle of a project and ``check-config --connect`` list
the accounts that look automated, what each changes, and the ``bots:`` line
that would make them bots. The admin decides.

Who is looked at: the people whose comments count (classified ``team`` or
``client``) with at least one public comment, except those ``clients`` or
``team`` name by id, name or e-mail (``People.named``): naming an account there
is the admin saying it is a person, and forewarn stops asking. Known bots
(``rules/people.py`` step 1) are bots already.

An account looks automated for any of three reasons, each reported as such:

* **its name** — a word of its display name or id is one of ``NAME_WORDS``
  ("CI Runner", "triage-bot", "Release Automation"), or ends in "bot" and has
  at least ``BOT_SUFFIX_LENGTH`` letters ("renovatebot", not "Talbot");
* **the same few texts** — at least ``MIN_COMMENTS`` comments on at least
  ``MIN_ISSUES`` issues, ``REPEAT_SHARE`` of them or more one of its
  ``FEW_TEXTS`` most common texts, compared on their first ``TEXT_CHARS``
  characters with case, numbers, hashes and spacing evened out ("Build 1234
  passed" is "build 1235 passed");
* **prompt** — at least ``MIN_COMMENTS`` comments, ``PROMPT_SHARE`` of them or
  more written within ``PROMPT_SECONDS`` after someone else's event on the same
  issue (its creation, a comment, a label, milestone or status change). People
  do not answer that fast, time after time; a person's own transition with a
  comment (one instant, one actor) does not count.

What each changes (``review``): the waits of the project's
``unanswered_feedback`` rules (``waiting``: every client waiting for a reply,
however long) are counted on the issues the suspects wrote on, once with every
suspect a bot, and once per suspect with that one kept as it is (the others
bots, so that two bots answering one client each get the credit). A team
account **answers** the waits it alone closes; a client account **starts** the
waits only its own messages open. ``Review.answered`` counts the waits all the
suspects together hide today.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from operator import attrgetter

from connectors.model import Change, Comment, Membership, Person, PersonKind, Snapshot
from rules import unanswered_feedback
from rules.base import RuleContext

#: Words of a display name or id that say "automated" (compared case-insensitively).
NAME_WORDS = frozenset({"bot", "bots", "robot", "automation", "automated", "ci", "noreply"})
#: A word ending in "bot" this long or longer says it too ("jirabot"; "Talbot" is a name).
BOT_SUFFIX_LENGTH = 7
#: Fewer comments than this tell nothing by their texts or timing.
MIN_COMMENTS = 10
#: ... nor comments on fewer issues than this (one long thread repeats itself).
MIN_ISSUES = 5
#: How many distinct texts count as "the same few".
FEW_TEXTS = 3
#: The share of comments that must be one of those texts.
REPEAT_SHARE = 0.8
#: Characters of a comment compared (a template's tail may carry a log or a link).
TEXT_CHARS = 200
#: A comment this soon after someone else's event on the issue is "prompt".
PROMPT_SECONDS = 10
#: The share of comments that must be prompt.
PROMPT_SHARE = 0.8
#: Texts and timing are judged on an account's newest comments, this many at most: enough to
#: tell, and the first cycle of a large project does not even out a million texts.
SAMPLE = 100

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_HASH = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b")
_NUMBER = re.compile(r"\d+")
_PLAIN = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Suspect:
    """An account that looks automated, why, and (after ``review``) what it changes."""

    id: str
    name: str
    kind: PersonKind
    #: Its public comments in the snapshot.
    comments: int
    #: Those judged by their texts and timing: its newest ``SAMPLE`` (none below MIN_COMMENTS).
    judged: int = 0
    #: Its display name or id says so.
    by_name: bool = False
    #: (distinct texts, comments that are one of them) when its comments repeat themselves.
    repeats: tuple[int, int] | None = None
    #: How many comments came within PROMPT_SECONDS of someone else's event.
    prompt: int | None = None
    #: Waits it alone closes (team); None where no unanswered_feedback rule applies.
    answers: int | None = None
    #: Waits only its own messages open (client).
    starts: int | None = None

    @property
    def label(self) -> str:
        """``ci-runner (“CI Runner”)``; the id alone where the name is the id (GitHub)."""
        return self.id if self.name in ("", self.id) else f"{self.id} (“{self.name}”)"

    @property
    def reasons(self) -> str:
        """``its name, the same 2 texts in 41 of 44 comments, 40 of 44 within 10 s …``."""
        found = ["its name"] if self.by_name else []
        judged = (f"{self.judged} comments" if self.judged == self.comments
                  else f"its last {self.judged} comments")
        if self.repeats is not None:
            texts, count = self.repeats
            same = "the same text" if texts == 1 else f"the same {texts} texts"
            found.append(f"{same} in {count} of {judged}")
        if self.prompt is not None:
            found.append(f"{self.prompt} of {judged} within {PROMPT_SECONDS} s of another "
                         "person's event on the issue")
        return ", ".join(found)

    @property
    def hides(self) -> bool:
        """It answers waiting clients: without it listed in ``bots`` they go unseen."""
        return bool(self.answers)

    def effect(self) -> str:
        """What it changes, in words: ``answers 3 waiting clients``."""
        if self.answers is None:
            return ""
        if self.kind == "client":
            if not self.starts:
                return "its messages start no wait for a reply"
            waits = "1 wait" if self.starts == 1 else f"{self.starts} waits"
            return f"its own messages start {waits} for a reply that no client started"
        if not self.answers:
            return "it answers no waiting client now"
        clients = "1 waiting client" if self.answers == 1 else f"{self.answers} waiting clients"
        return f"it answers {clients} as if it were the team"


@dataclass(frozen=True, slots=True)
class Review:
    """The suspects, most consequential first, and the waits they hide together."""

    suspects: tuple[Suspect, ...] = ()
    #: Clients waiting for a reply once every suspect is a bot, who do not wait today.
    answered: int | None = None

    def __bool__(self) -> bool:
        return bool(self.suspects)


def suspects(snapshot: Snapshot, *, named: Collection[str] = ()) -> list[Suspect]:
    """The people of a classified snapshot who look automated (see the module docstring)."""
    counting = {pid for pid, person in snapshot.people.items()
                if person.kind in ("team", "client") and pid not in named}
    written: dict[str, list[Comment]] = defaultdict(list)
    for comment in snapshot.comments:
        if comment.author in counting and comment.is_public and not comment.is_ours:
            written[comment.author].append(comment)
    samples = {pid: _newest(comments) for pid, comments in written.items()
               if len(comments) >= MIN_COMMENTS}
    prompt = _prompt(snapshot, samples) if samples else Counter[str]()
    found: list[Suspect] = []
    for pid, comments in written.items():
        person = snapshot.person(pid)
        sample = samples.get(pid, ())
        quick = prompt[pid] if sample and prompt[pid] >= PROMPT_SHARE * len(sample) else None
        suspect = Suspect(
            id=pid, name=person.name, kind=person.kind, comments=len(comments),
            judged=len(sample), by_name=looks_automated(person),
            repeats=_repeats(sample) if sample else None, prompt=quick)
        if suspect.by_name or suspect.repeats is not None or suspect.prompt is not None:
            found.append(suspect)
    return sorted(found, key=lambda suspect: suspect.id)


def looks_automated(person: Person) -> bool:
    """A word of the display name or id says "automated" (``NAME_WORDS``, ``…bot``)."""
    for text in (person.name, person.id):
        for word in _WORD.findall(_CAMEL.sub(" ", text).casefold()):
            if word in NAME_WORDS or (word.endswith("bot") and len(word) >= BOT_SUFFIX_LENGTH):
                return True
    return False


def review(snapshot: Snapshot, found: Sequence[Suspect], *, ctx: RuleContext,
           feedback: Sequence[unanswered_feedback.Options]) -> Review:
    """The suspects with what each changes to the waits of ``feedback`` (see the module
    docstring), those that hide waiting clients first."""
    if not found or not feedback:
        return Review(tuple(found))
    ids = {suspect.id for suspect in found}
    touched = _touched(snapshot, ids)

    def waits(kept: str | None) -> set[str]:
        people = dict(touched.people)
        for pid in ids - {kept}:
            people[pid] = dataclasses.replace(touched.person(pid), kind="bot")
        classified = dataclasses.replace(touched, people=people)
        return {wait.issue.key for options in feedback
                for wait in unanswered_feedback.waiting(classified, ctx, options)}

    all_bots = waits(None)
    now = {wait.issue.key for options in feedback
           for wait in unanswered_feedback.waiting(touched, ctx, options)}
    reviewed = []
    for suspect in found:
        alone = waits(suspect.id)
        reviewed.append(dataclasses.replace(
            suspect, answers=len(all_bots - alone), starts=len(alone - all_bots)))
    reviewed.sort(key=lambda s: (-(s.answers or 0), -(s.starts or 0), s.id))
    return Review(tuple(reviewed), answered=len(all_bots - now))


def _touched(snapshot: Snapshot, ids: Collection[str]) -> Snapshot:
    """The snapshot cut to the issues the suspects wrote on: the only waits they change."""
    keys = {comment.issue_key for comment in snapshot.comments if comment.author in ids}
    keys |= {issue.key for issue in snapshot.issues if issue.author in ids}
    return dataclasses.replace(
        snapshot, issues=tuple(issue for issue in snapshot.issues if issue.key in keys),
        comments=tuple(comment for comment in snapshot.comments if comment.issue_key in keys),
        changes=tuple(change for change in snapshot.changes if change.issue_key in keys))


def bots_line(existing: Iterable[str | Membership], add: Iterable[str]) -> str:
    """The project's ``bots:`` line with the suspects added: ``bots: [renovate*, ci-runner]``
    (values YAML would misread are quoted)."""
    items = [_yaml(item) for item in existing]
    items += [_yaml(pid) for pid in add if _yaml(pid) not in items]
    return f"bots: [{', '.join(items)}]"


def _yaml(item: str | Membership) -> str:
    if isinstance(item, Membership):
        return f"{{{item.kind}: {_yaml(item.name)}}}"
    return item if _PLAIN.match(item) else json.dumps(item, ensure_ascii=False)


def _normal(text: str) -> int:
    """A comment's text with case, hashes, numbers and spacing evened out, as a hash."""
    short = _NUMBER.sub("0", _HASH.sub("#", text[:TEXT_CHARS].casefold()))
    return hash(" ".join(short.split()))


def _repeats(comments: Sequence[Comment]) -> tuple[int, int] | None:
    """(texts, comments) when the comments are the same few texts on enough issues.

    A person's texts all differ: once more texts were seen than the few and the misses
    allowed, no share can be reached, and the rest is not read (most accounts stop there).
    """
    if len({comment.issue_key for comment in comments}) < MIN_ISSUES:
        return None
    need = math.ceil(REPEAT_SHARE * len(comments) - 1e-9)
    counts: Counter[int] = Counter()
    for comment in comments:
        counts[_normal(comment.body_excerpt)] += 1
        if len(counts) - FEW_TEXTS > len(comments) - need:
            return None
    covered = 0
    for texts, (_, count) in enumerate(counts.most_common(FEW_TEXTS), start=1):
        covered += count
        if covered >= need:
            return texts, covered
    return None


def _newest(comments: Sequence[Comment]) -> Sequence[Comment]:
    """The comments an account is judged on by texts and timing: its newest ``SAMPLE``."""
    if len(comments) <= SAMPLE:
        return comments
    return heapq.nlargest(SAMPLE, comments, key=attrgetter("created_at"))


def _prompt(snapshot: Snapshot, samples: Mapping[str, Sequence[Comment]]) -> Counter[str]:
    """Per account, the judged comments written within PROMPT_SECONDS after someone else's
    event on the issue. Only the issues those comments are on are looked at, by reference."""
    keys = {comment.issue_key for sample in samples.values() for comment in sample}
    opened = {issue.key: issue for issue in snapshot.issues if issue.key in keys}
    comments: dict[str, list[Comment]] = defaultdict(list)
    for comment in snapshot.comments:
        if comment.issue_key in keys:
            comments[comment.issue_key].append(comment)
    changes: dict[str, list[Change]] = defaultdict(list)
    for change in snapshot.changes:
        if change.issue_key in keys and change.actor:
            changes[change.issue_key].append(change)
    window = timedelta(seconds=PROMPT_SECONDS)
    found: Counter[str] = Counter()
    for author, sample in samples.items():
        for probe in sample:
            key, at = probe.issue_key, probe.created_at
            since = at - window
            issue = opened.get(key)
            if (issue is not None and issue.author != author
                    and since <= issue.created_at <= at) \
                    or any(since <= c.created_at <= at and c.author != author
                           for c in comments[key]) \
                    or any(since <= c.at <= at and c.actor != author for c in changes[key]):
                found[author] += 1
    return found
