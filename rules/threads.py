"""Each issue's conversation, read once per evaluation and shared by the rules.

``follow_up``, ``unanswered_feedback`` and ``risk`` each want a little of every
comment: the team's last public message, the clients' public messages, the
last activity by a person. Three passes over a million comments (100,000
issues) were half of the rules' time; one pass here serves all three.

Only open issues have a thread: no rule asks what was said on a closed one, and
their comments (four in ten here) are passed over with one look-up. A thread
keeps, of the comments that are not forewarn's own:

* ``active``: the time of the latest one by anyone but a bot, whoever could read it
  (``risk``: work that moves);
* ``team``: the latest public comment by the team, the one listed last winning a tie
  (``follow_up``, ``unanswered_feedback``);
* ``clients``: every public comment by a client, in the order listed, and ``client``
  the latest of them, the one listed last winning a tie (``follow_up``).

A restricted comment or an internal note never reached the client, so it is no
team message and no client message (``active`` still counts it). Who is team,
client or bot is the snapshot's ``Person.kind`` (rules/people.py).

The threads are kept in the rule context (``RuleContext.derived``) with what
they were read from: the snapshot's issues and comments (the very tuples) and
who is team, client or bot. One cycle evaluates one snapshot with every rule,
and a daemon's cycles share one ``derived`` (sync/cycle.py): a steady-state
cycle, whose cached snapshot keeps its tuples when nothing changed
(sync/cache.py), reads no comment at all, and one after a few changes reads
again only the threads of the issues touched. Only the latest set is kept, so a
caller that evaluates many variants (rules/bot_suspects.py) holds one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from itertools import compress, count
from operator import is_not
from typing import NamedTuple, TypeVar

from connectors.model import (
    ISSUE_KEY,
    ISSUE_OF,
    Change,
    Comment,
    Issue,
    PersonKind,
    Snapshot,
    picked,
)
from rules.base import RuleContext

R = TypeVar("R", Issue, Comment, Change)

_KEY = "threads"


class Thread:
    """What the rules use of one issue's comments (see the module docstring)."""

    __slots__ = ("active", "client", "clients", "team")

    def __init__(self) -> None:
        self.active: datetime | None = None
        self.team: Comment | None = None
        self.client: Comment | None = None
        self.clients: list[Comment] = []

    def copy(self) -> Thread:
        """A thread of its own to add comments to (the held one is shared)."""
        other = Thread()
        other.active, other.team, other.client = self.active, self.team, self.client
        other.clients = list(self.clients)
        return other


#: The thread of an issue nobody commented on.
EMPTY = Thread()


def threads(snapshot: Snapshot, ctx: RuleContext) -> Mapping[str, Thread]:
    """Open issue's key -> its thread (a closed issue has none: use ``EMPTY``)."""
    return _held(snapshot, ctx).found


#: What a snapshot is made of, compared by identity: its issues, comments and changes.
Sources = tuple[tuple[Issue, ...], tuple[Comment, ...], tuple[Change, ...]]


def sources(snapshot: Snapshot) -> Sources:
    return (snapshot.issues, snapshot.comments, snapshot.changes)


def touched_since(snapshot: Snapshot, ctx: RuleContext,
                  since: Sources | None) -> frozenset[str] | None:
    """The keys of the issues whose record, comments or changes differ between the snapshot
    ``since`` was taken of and this one, as far as this context saw (the last two
    snapshots it read threads of); None when it cannot say: everything may differ.

    A rule keeping what it found per issue (rules/follow_up.py) works again only on
    these. Who is team or client is not part of it: a rule guards that itself."""
    held = _held(snapshot, ctx)
    if since is None:
        return None
    if _same(since, held.sources):
        return frozenset()
    if held.before is not None and _same(since, held.before):
        return held.touched
    return None


def _same(one: Sources, other: Sources) -> bool:
    return one[0] is other[0] and one[1] is other[1] and one[2] is other[2]


def _held(snapshot: Snapshot, ctx: RuleContext) -> _Held:
    kinds = {pid: person.kind for pid, person in snapshot.people.items()}
    held: _Held | None = ctx.derived.get(_KEY)
    now = sources(snapshot)
    if held is not None and held.kinds == kinds:
        if _same(held.sources, now):
            return held
        issues_at = _differing(held.issues, snapshot.issues)
        comments_at = _differing(held.comments, snapshot.comments)
        touched = frozenset(
            _keys_at(held.issues, snapshot.issues, issues_at, ISSUE_KEY)
            | _keys_at(held.comments, snapshot.comments, comments_at, ISSUE_OF)
            | _keys_at(held.changes, snapshot.changes,
                       _differing(held.changes, snapshot.changes), ISSUE_OF))
        found = _updated(held, snapshot, kinds, _again(held, snapshot, issues_at, comments_at))
        if found is None:
            found = read(snapshot, kinds)
        fresh = _Held(now, kinds, found, held.sources, touched)
    else:
        fresh = _Held(now, kinds, read(snapshot, kinds), None, None)
    ctx.derived[_KEY] = fresh
    return fresh


def read(snapshot: Snapshot, kinds: Mapping[str, PersonKind]) -> dict[str, Thread]:
    """One pass over every comment. ``kinds``: person id -> ``Person.kind``."""
    found = {issue.key: Thread() for issue in snapshot.issues if issue.is_open}
    _fill(found, snapshot.comments, kinds)
    return found


def _fill(found: Mapping[str, Thread], comments: Iterable[Comment],
          kinds: Mapping[str, PersonKind]) -> None:
    """The comments added to the threads they belong to, in the order given; the
    comparisons written out in the loop: no call per comment."""
    for comment in comments:
        thread = found.get(comment.issue_key)
        if thread is None or comment.is_ours:
            continue
        kind = kinds.get(comment.author)
        at = comment.created_at
        if kind != "bot" and (thread.active is None or at > thread.active):
            thread.active = at
        if comment.visibility.kind != "public":
            continue
        if kind == "team":
            if thread.team is None or at >= thread.team.created_at:
                thread.team = comment
        elif kind == "client":
            thread.clients.append(comment)
            if thread.client is None or at >= thread.client.created_at:
                thread.client = comment


class _Held(NamedTuple):
    """The threads as read, what they were read from (the very tuples), and the sources
    read before them with the issues touched in between (None: not known)."""

    sources: Sources
    kinds: dict[str, PersonKind]
    found: dict[str, Thread]
    before: Sources | None
    touched: frozenset[str] | None

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self.sources[0]

    @property
    def comments(self) -> tuple[Comment, ...]:
        return self.sources[1]

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.sources[2]


#: Past this share of issues touched since the last read, reading everything is cheaper.
_MOST = 0.1


def _updated(held: _Held, snapshot: Snapshot, kinds: Mapping[str, PersonKind],
             again: set[str]) -> dict[str, Thread] | None:
    """The held threads brought up to this snapshot, or None when reading everything is
    the shorter way.

    An issue's thread depends on whether it is open and on its comments only. The
    cache keeps a record's place when it is replaced and adds new ones at the end
    (sync/cache.py), so comparing the tuples place by place, by identity, finds what
    changed. Comments added at the end are folded into a copy of their issue's
    thread, as a whole read would have met them last; an issue whose comments were
    replaced or removed, or that opened, closed or is new, has its thread read again
    (or dropped), from one pass over the comments (``again``: see ``_again``)."""
    if len(again) > _MOST * max(len(snapshot.issues), 1):
        return None
    found = {key: thread for key, thread in held.found.items() if key not in again}
    comments = snapshot.comments
    if again:
        for issue in picked(snapshot.issues, again, ISSUE_KEY):
            if issue.is_open:
                found[issue.key] = Thread()
        ours = {key: found[key] for key in again if key in found}
        _fill(ours, picked(comments, ours, ISSUE_OF), kinds)
    added = comments[len(held.comments):]
    copies: dict[str, Thread] = {}
    for comment in added:
        key = comment.issue_key
        if key not in again and key not in copies and (kept := found.get(key)) is not None:
            copies[key] = found[key] = kept.copy()
    if copies:
        _fill(copies, added, kinds)
    return found


def _again(held: _Held, snapshot: Snapshot, issues_at: list[int],
           comments_at: list[int]) -> set[str]:
    """The issues whose thread must be read again (see ``_updated``), from the places
    where the issues and the comments differ."""
    again: set[str] = set()
    before, after = held.issues, snapshot.issues
    for index in issues_at:
        old, new = before[index], after[index]
        if old.key != new.key:
            again.update((old.key, new.key))
        elif new.is_open != old.is_open:  # opened (read it) or closed (drop it)
            again.add(new.key)
    shorter = min(len(before), len(after))
    again.update(map(ISSUE_KEY, before[shorter:]))
    again.update(map(ISSUE_KEY, after[shorter:]))
    was, now = held.comments, snapshot.comments
    for index in comments_at:
        again.update((was[index].issue_key, now[index].issue_key))
    again.update(map(ISSUE_OF, was[len(now):]))
    return again


def _differing(before: tuple[R, ...], after: tuple[R, ...]) -> list[int]:
    """Where two tuples hold different records, place by place, as far as both go (a C
    loop of identity checks: a million comments in a few hundredths of a second)."""
    return list(compress(count(), map(is_not, before, after)))


def _keys_at(before: tuple[R, ...], after: tuple[R, ...], places: list[int],
             key: Callable[[R], str]) -> set[str]:
    """The keys of both tuples' records at ``places``, and of those one holds past the
    other's end."""
    keys = {key(before[i]) for i in places} | {key(after[i]) for i in places}
    shorter = min(len(before), len(after))
    keys.update(map(key, before[shorter:]))
    keys.update(map(key, after[shorter:]))
    return keys
