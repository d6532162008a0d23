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
from operator import attrgetter, is_not
from typing import NamedTuple, TypeVar

from connectors.model import Comment, Issue, PersonKind, Snapshot
from rules.base import RuleContext

R = TypeVar("R", Issue, Comment)

_KEY = "threads"


class Thread:
    """What the rules use of one issue's comments (see the module docstring)."""

    __slots__ = ("active", "client", "clients", "team")

    def __init__(self) -> None:
        self.active: datetime | None = None
        self.team: Comment | None = None
        self.client: Comment | None = None
        self.clients: list[Comment] = []


#: The thread of an issue nobody commented on.
EMPTY = Thread()


def threads(snapshot: Snapshot, ctx: RuleContext) -> Mapping[str, Thread]:
    """Open issue's key -> its thread (a closed issue has none: use ``EMPTY``)."""
    kinds = {pid: person.kind for pid, person in snapshot.people.items()}
    held: _Held | None = ctx.derived.get(_KEY)
    if held is not None and held.kinds == kinds:
        if held.issues is snapshot.issues and held.comments is snapshot.comments:
            return held.found
        found = _updated(held, snapshot, kinds)
    else:
        found = None
    if found is None:
        found = read(snapshot, kinds)
    ctx.derived[_KEY] = _Held(snapshot.issues, snapshot.comments, kinds, found)
    return found


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
    """The threads as read, and what they were read from (the very tuples)."""

    issues: tuple[Issue, ...]
    comments: tuple[Comment, ...]
    kinds: dict[str, PersonKind]
    found: dict[str, Thread]


#: Past this share of issues touched since the last read, reading everything is cheaper.
_MOST = 0.1


def _updated(held: _Held, snapshot: Snapshot,
             kinds: Mapping[str, PersonKind]) -> dict[str, Thread] | None:
    """The held threads with those of the issues touched since read again, or None when
    reading everything is the shorter way.

    An issue's thread depends on the issue (is it open) and its comments only. The
    cache keeps a record's place when it is replaced and adds new ones at the end
    (sync/cache.py), so comparing the tuples place by place, by identity, finds
    what changed; any other difference (a record gone, all of them new) marks both
    records' issues, or so many that everything is read."""
    touched = _touched(held.issues, snapshot.issues, _ISSUE_KEY)
    touched |= _touched(held.comments, snapshot.comments, _ISSUE_OF)
    if len(touched) > _MOST * max(len(snapshot.issues), 1):
        return None
    found = {key: thread for key, thread in held.found.items() if key not in touched}
    for issue in snapshot.issues:
        if issue.key in touched and issue.is_open:
            found[issue.key] = Thread()
    ours = {key: found[key] for key in touched if key in found}
    if ours:
        _fill(ours, compress(snapshot.comments, map(ours.__contains__,
                                                    map(_ISSUE_OF, snapshot.comments))), kinds)
    return found


_ISSUE_KEY = attrgetter("key")
_ISSUE_OF = attrgetter("issue_key")


def _touched(before: tuple[R, ...], after: tuple[R, ...], key: Callable[[R], str]) -> set[str]:
    """The keys of the records that differ, place by place, between two tuples (C loops:
    a million comments in a few hundredths of a second)."""
    changed = list(compress(count(), map(is_not, before, after)))
    touched = {key(before[i]) for i in changed} | {key(after[i]) for i in changed}
    shorter = min(len(before), len(after))
    touched.update(map(key, before[shorter:]))
    touched.update(map(key, after[shorter:]))
    return touched
