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

from collections.abc import Hashable
from typing import Any

from rules.base import Finding, RuleContext


class Kept:
    """One rule's findings of the last evaluation by subject, and those of this one."""

    __slots__ = ("guard", "last", "made")

    def __init__(self, guard: Any, last: dict[Hashable, tuple[tuple[Any, ...], Finding]]) -> None:
        self.guard = guard
        self.last = last
        self.made: dict[Hashable, tuple[tuple[Any, ...], Finding]] = {}

    def get(self, subject: Hashable, inputs: tuple[Any, ...]) -> Finding | None:
        """Last evaluation's finding of ``subject`` if it was made from equal ``inputs``."""
        held = self.last.get(subject)
        if held is None or held[0] != inputs:
            return None
        self.made[subject] = held
        return held[1]

    def put(self, subject: Hashable, inputs: tuple[Any, ...], finding: Finding) -> Finding:
        self.made[subject] = (inputs, finding)
        return finding


def kept(ctx: RuleContext, rule_id: str, guard: Any) -> Kept:
    """This evaluation's ``Kept`` for ``rule_id``; what the last one made, if its guard
    is equal. The caller ``put``s (or ``get``s) every finding it returns."""
    name = f"kept:{rule_id}"
    held: Kept | None = ctx.derived.get(name)
    last = held.made if held is not None and held.guard == guard else {}
    ctx.derived[name] = fresh = Kept(guard, last)
    return fresh
