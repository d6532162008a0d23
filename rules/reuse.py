"""Findings kept from one evaluation to the next, for subjects whose inputs did not change.

A daemon evaluates a 100,000-issue project every few minutes, and between two
cycles almost nothing changes: the same issue, the same last message, the same
number of whole working days. Building its finding again (evidence, fingerprint)
was a third of ``follow_up``'s time (docs/benchmarks.md). A rule names, per
subject, everything its finding is made from (``inputs``: the issue object
itself, the times and people it found, and what the clock makes of them, whole
idle days, never the time itself); when they equal last evaluation's, last
evaluation's finding is the answer. The ``guard`` is what every finding of the
rule reads besides (its options, the display names): when it differs, nothing is
reused.

Only a rule whose evidence moves in whole days uses it: one that shows business
hours (``unanswered_feedback``) would find new inputs at almost every cycle.

Kept in the rule context's ``derived`` (a daemon's cycles share it: sync/cycle.py),
only the latest evaluation's: a subject gone since is forgotten. A caller that
evaluates variants of one project (rules/bot_suspects.py) gets right answers
too, because the inputs decide, not the order of evaluations.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from rules.base import RuleContext

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
