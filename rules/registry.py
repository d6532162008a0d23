"""The explicit list of rule kinds: ``kind`` in the YAML -> the module that implements it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Protocol, cast

from connectors.model import Snapshot
from rules import cadence, follow_up, risk, schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding, Messages, RuleContext, SubjectKind
from rules.options import RuleOptions


class Rule(Protocol):
    """What a rule module provides (see rules/scope_creep.py for a whole one)."""

    KIND: str
    Options: type[RuleOptions]
    MESSAGES: Messages
    #: The colour (hex, no ``#``) and description of the rule's label when forewarn creates it.
    LABEL_COLOR: str
    LABEL_DESCRIPTION: str
    #: What its findings are about; a milestone's alerts go to the project's status issue.
    SUBJECTS: tuple[SubjectKind, ...]

    def evaluate(
        self, snapshot: Snapshot, ctx: RuleContext, options: RuleOptions
    ) -> Sequence[Finding]: ...


_MODULES: tuple[ModuleType, ...] = (scope_creep, schedule_slip, unanswered_feedback, risk,
                                    follow_up, cadence)
RULES: dict[str, Rule] = {module.KIND: cast(Rule, module) for module in _MODULES}
#: Old names that keep working after a rename (none yet).
ALIASES: dict[str, str] = {}
#: The label style of a kind no rule claims (a finding kept from a rule since removed).
DEFAULT_LABEL_STYLE = ("ededed", "forewarn")


class NoSuchRule(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` or an empty string: the one wording every "no such" uses."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def get(kind: str) -> Rule:
    kind = ALIASES.get(kind, kind)
    try:
        return RULES[kind]
    except KeyError:
        msg = f'no such rule kind: "{kind}"{suggest(kind, sorted(RULES))}'
        raise NoSuchRule(msg) from None


def posts_to_status_issue(kind: str) -> bool:
    """Whether a rule of ``kind`` raises milestone alerts (which need a status issue)."""
    rule = RULES.get(ALIASES.get(kind, kind))
    return rule is not None and "milestone" in rule.SUBJECTS


def label_style(kind: str) -> tuple[str, str]:
    """(colour, description) of the label a rule of ``kind`` puts on issues."""
    rule = RULES.get(ALIASES.get(kind, kind))
    if rule is None:
        return DEFAULT_LABEL_STYLE
    return rule.LABEL_COLOR, rule.LABEL_DESCRIPTION
