"""What one issue weighs: one issue, or its estimate in points, the same for every rule.

A 13-point story added to a sprint must weigh more than a 1-point one. Where
some issues of a set (a milestone's, the project's) carry an estimate
(``Issue.estimate``: Jira's story points or the project's ``estimate_field``, a
GitHub Project's number field), the set is counted in **points**; where none
does, in **issues**, as before.

An issue without an estimate in a set counted in points weighs the **average**
estimate of the set's estimated issues: an unestimated addition is still scope
(counting it as 0 would hide creep behind a missing estimate), and it is not
given a size nobody chose (the largest, or 1). The findings and summaries say
how many issues were counted this way (``unestimated``). An estimate of 0 is a
size (a chore), not a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from connectors.model import Issue

Unit = Literal["issues", "points"]


@dataclass(frozen=True, slots=True)
class Sizing:
    """How a set of issues is counted: ``unit``, and what an unestimated issue weighs."""

    unit: Unit = "issues"
    fill: float = 1.0

    @property
    def in_points(self) -> bool:
        return self.unit == "points"

    def weight(self, issue: Issue) -> float:
        if not self.in_points:
            return 1.0
        return issue.estimate if issue.estimate is not None else self.fill

    def total(self, issues: Iterable[Issue]) -> float:
        return sum(self.weight(issue) for issue in issues)

    def unestimated(self, issues: Iterable[Issue]) -> int:
        """How many of ``issues`` weigh the average (none when counted in issues)."""
        if not self.in_points:
            return 0
        return sum(issue.estimate is None for issue in issues)


ISSUES = Sizing()


def sizing(issues: Iterable[Issue]) -> Sizing:
    """Points when any of ``issues`` is estimated (an unestimated one weighs their average),
    else issues."""
    estimates = [issue.estimate for issue in issues if issue.estimate is not None]
    if not estimates:
        return ISSUES
    return Sizing("points", sum(estimates) / len(estimates))


def rounded(value: float) -> float | int:
    """A size as evidence: whole numbers as ints ("13 points"), others to two places."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value
