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

The threads are kept in the rule context (``RuleContext.derived``) for the
snapshot they were read from: one cycle evaluates one snapshot with every rule.
Only the latest snapshot's are kept, so a caller that evaluates many variants
(rules/bot_suspects.py) holds one set at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from connectors.model import Comment, Snapshot
from rules.base import RuleContext

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
    held = ctx.derived.get(_KEY)
    if held is not None and held[0] is snapshot:
        found: Mapping[str, Thread] = held[1]
        return found
    found = read(snapshot)
    ctx.derived[_KEY] = (snapshot, found)
    return found


def read(snapshot: Snapshot) -> dict[str, Thread]:
    """One pass over every comment, the comparisons written out in the loop: no call per
    comment."""
    kinds = {pid: person.kind for pid, person in snapshot.people.items()}
    found = {issue.key: Thread() for issue in snapshot.issues if issue.is_open}
    for comment in snapshot.comments:
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
    return found
