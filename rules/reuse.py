"""What rules keep from one evaluation to the next, so that a daemon's cycle costs what
changed, not what exists.

A daemon evaluates a 100,000-issue project every few minutes, and between two
cycles almost nothing changes: the same issues, the same last messages, the same
number of whole working days. Two kinds of keeping, both in the rule context's
``derived`` (a daemon's cycles share it: sync/cycle.py):

* ``by_issue``: what a rule reads per issue (its latest message, the question a
  client waits on, its last activity), read again only for the issues touched
  since the last evaluation (rules/threads.py compares the snapshot's tuples by
  identity), under a ``guard`` (options, who is who) that reads everything again
  when it differs;
* ``kept``: findings by subject, reused when everything a finding is made from
  (``inputs``: the issue object itself, what the rule found, and what the clock
  makes of it, whole idle days, never the time) equals last evaluation's. Only a
  rule whose evidence moves in whole days uses it (``risk``): one that shows
  business hours (``unanswered_feedback``) would find new inputs at almost every
  cycle. ``follow_up`` keeps its own, with the instant its next day comes.

Only the latest evaluation's is kept: an issue gone since is forgotten. A caller
that evaluates variants of one project (rules/bot_suspects.py) gets right answers
too: the guards and inputs decide, not the order of evaluations. A ``run --once``
evaluates once and keeps nothing it would use.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from connectors.model import Snapshot
from rules.base import RuleContext
from rules.threads import Sources, sources, touched_since

T = TypeVar("T")


class Kept(Generic[T]):
    """One rule's results of the last evaluation by subject, and those of this one."""

    __slots__ = ("guard", "last", "made")

    def __init__(self, guard: Any, last: dict[Hashable, tuple[tuple[Any, ...], T]]) -> None:
        self.guard = guard
        self.last = last
        self.made: dict[Hashable, tuple[tuple[Any, ...], T]] = {}

    def result(self, subject: Hashable, inputs: tuple[Any, ...], make: Callable[[], T]) -> T:
        """Last evaluation's result for ``subject`` if it was made from equal ``inputs``,
        else ``make()``; either is kept for the next evaluation."""
        held = self.last.get(subject)
        value = held[1] if held is not None and held[0] == inputs else make()
        self.made[subject] = (inputs, value)
        return value


def kept(ctx: RuleContext, name: str, guard: Any) -> Kept[Any]:
    """This evaluation's ``Kept`` under ``name`` (a rule id, or a rule id and what it
    keeps); what the last one made, if its guard is equal. Every result the caller
    uses goes through ``result``: what it does not ask for is forgotten."""
    key = f"kept:{name}"
    held: Kept[Any] | None = ctx.derived.get(key)
    last = held.made if held is not None and held.guard == guard else {}
    ctx.derived[key] = fresh = Kept[Any](guard, last)
    return fresh


V = TypeVar("V")


class _ByIssue(NamedTuple):
    guard: Any
    sources: Sources
    found: dict[str, Any]


def by_issue(snapshot: Snapshot, ctx: RuleContext, name: str, guard: Any,
             read: Callable[[frozenset[str] | None], Mapping[str, V]]) -> Mapping[str, V]:
    """What a rule reads per issue (``read(only)``: of the issues in ``only``, or of all),
    kept from one evaluation to the next: a daemon's next cycle reads again only the
    issues touched in between (rules/threads.py), the others are as they were. The
    ``guard`` is everything else the reading depends on (options, who is who): when it
    differs, everything is read again. Never change a dict this returns."""
    held: _ByIssue | None = ctx.derived.get(f"by_issue:{name}")
    since = held.sources if held is not None and held.guard == guard else None
    touched = touched_since(snapshot, ctx, since)
    found: dict[str, V]
    if touched is None or held is None:
        found = dict(read(None))
    elif not touched:
        found = held.found
    else:
        found = {key: value for key, value in held.found.items() if key not in touched}
        found.update(read(touched))
    ctx.derived[f"by_issue:{name}"] = _ByIssue(guard, sources(snapshot), found)
    return found
