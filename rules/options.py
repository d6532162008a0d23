"""Option types shared by every rule: durations, percentages, label controls, SLA tables.

Each rule's ``Options`` model subclasses ``RuleOptions`` so that an admin's
YAML is validated by the rule that will read it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from connectors.model import Issue, Milestone
from rules.base import Finding, Severity, make_fingerprint

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|m|s)\s*$")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
#: The longest duration any option takes. Far past it a value is a typo, and it would
#: overflow the dates it is added to (a deadline, the scheduler's next run).
MAX_DURATION = timedelta(days=365)
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
LABEL_PATTERN = r"^[^\s,][^,]{0,49}$"


def parse_duration(value: Any) -> timedelta:
    """``16h``, ``3d``, ``90m``, ``1w``: days here mean business days of 24 counted hours."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        msg = "a duration like 16h, 3d or 90m"
        raise ValueError(msg)
    if isinstance(value, int | float):
        msg = f"a duration needs a unit: write {value}h or {value}d"
        raise ValueError(msg)
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if match:
            amount, unit = match.groups()
            seconds = float(amount) * _UNIT_SECONDS[unit]
            if not seconds <= MAX_DURATION.total_seconds():  # inf too
                msg = f"too long: {value!r} (at most {format_duration(MAX_DURATION)}, a year)"
                raise ValueError(msg)
            return timedelta(seconds=seconds)
    msg = f"not a duration: {value!r} (use a number and a unit: 30m, 16h, 3d, 1w)"
    raise ValueError(msg)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_percent(value: Any) -> float:
    """``10%`` or ``0.1``; refuses ``10`` because it is ambiguous."""
    if isinstance(value, bool):
        msg = "a percentage like 10% or a fraction like 0.1"
        raise ValueError(msg)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            msg = f"not a percentage: {value!r} (write 10% or 0.1)"
            raise ValueError(msg) from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        msg = f"not a percentage: {value!r} (write 10% or 0.1)"
        raise ValueError(msg)
    if not 0 <= number <= 10:
        msg = f"percentage out of range: {value!r}"
        raise ValueError(msg)
    if number > 1 and not (isinstance(value, str) and value.strip().endswith("%")):
        msg = f"ambiguous percentage {value!r}: write {value}% or {number / 100}"
        raise ValueError(msg)
    return number


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": _DURATION_RE.pattern}),
]
Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    Field(json_schema_extra={"type": ["string", "number"]}),
]
Label = Annotated[str, Field(pattern=LABEL_PATTERN)]


def _labels(value: Any) -> Any:
    """A single label may be written without a list."""
    return [value] if isinstance(value, str) else value


LabelList = Annotated[tuple[Label, ...], BeforeValidator(_labels)]


class SlaTable(BaseModel):
    """An SLA: one duration, or a table by client organisation, label or priority where
    the first match wins.

    ``{initech: 4h, p1: 4h, bug: 8h, default: 16h}``: a client of the organisation
    ``initech`` gets 4 business hours, then an issue with priority ``P1`` 4, a ``bug``
    8, anything else 16. Entries are tried in the order written; an entry matches
    when its key is the organisation of the client who asked, one of the issue's
    labels or its priority (case-insensitive).
    """

    model_config = ConfigDict(frozen=True)

    entries: tuple[tuple[str, timedelta], ...]
    default: timedelta

    def for_issue(self, issue: Issue, organisation: str | None = None) -> timedelta:
        labels = {label.casefold() for label in issue.labels}
        priority = (issue.priority or "").casefold()
        tier = (organisation or "").casefold()
        for key, value in self.entries:
            if key in labels or key in (priority, tier):
                return value
        return self.default


def sla_field(default: str) -> Any:
    """A pydantic field that accepts ``16h`` or a table and yields an SlaTable."""

    def build(value: Any) -> SlaTable:
        if isinstance(value, SlaTable):
            return value
        if isinstance(value, dict):
            entries: list[tuple[str, timedelta]] = []
            fallback = parse_duration(default)
            for key, raw in value.items():
                if str(key).casefold() == "default":
                    fallback = parse_duration(raw)
                else:
                    entries.append((str(key).casefold(), parse_duration(raw)))
            return SlaTable(entries=tuple(entries), default=fallback)
        return SlaTable(entries=(), default=parse_duration(value))

    return Annotated[
        SlaTable,
        BeforeValidator(build),
        PlainSerializer(
            lambda table: {**{k: format_duration(v) for k, v in table.entries},
                           "default": format_duration(table.default)},
        ),
        Field(json_schema_extra={"anyOf": [{"type": "string"}, {"type": "object"}]}),
    ]


@functools.lru_cache(maxsize=1024)
def _folded(names: tuple[str, ...]) -> frozenset[str]:
    """Label names as compared (case-folded); asked once per finding, so remembered."""
    return frozenset(name.casefold() for name in names)


class RuleOptions(BaseModel):
    """The keys every rule accepts: identity, its label and the controls a PM has."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The rule module's ``KIND``; ``kind`` below is what the YAML said (maybe an alias).
    rule_kind: ClassVar[str]

    id: str = Field(pattern=RULE_ID_PATTERN, description="Unique id; part of every fingerprint.")
    kind: str = Field(description="Which rule this is (see the rules reference).")
    enabled: bool = True
    label: Label | None = Field(default=None, description="Label applied while a finding lasts.")
    approved_labels: LabelList = ("change-approved",)
    pause_labels: LabelList = ("waiting-on-client",)
    ack_labels: LabelList = ("forewarn-ack",)
    only_labels: LabelList = ()
    exempt_labels: LabelList = ()
    notify: tuple[str, ...] = Field(default=(), description="Logins or account ids to mention.")
    projects: tuple[str, ...] = Field(default=(), description="Project names; empty means all.")
    notify_channels: Annotated[tuple[str, ...], BeforeValidator(_labels)] = Field(
        default=(), description="Channels this rule's findings also go to (keys of channels)."
    )

    def folded(self, names: tuple[str, ...]) -> frozenset[str]:
        return _folded(names)

    def in_scope(self, issue: Issue) -> bool:
        """only_labels / exempt_labels decide which issues a rule looks at."""
        if self.only_labels and not issue.has_label(self.folded(self.only_labels)):
            return False
        return not issue.has_label(self.folded(self.exempt_labels))

    def is_acked(self, issue: Issue) -> bool:
        return issue.has_label(self.folded(self.ack_labels))

    def finding(
        self,
        subject: Issue | Milestone,
        cause: str,
        *,
        severity: Severity,
        evidence: Mapping[str, Any],
        anchor: str = "",
        comment: bool = True,
        labelled: bool = True,
        team_only: bool = False,
        notify: tuple[str, ...] | None = None,
    ) -> Finding:
        """A finding of this rule: the rule names what is its own, the options the rest.

        Like a linter filling in a rule's problem: rule id, kind, fingerprint,
        notify. An issue carries the rule's ``label`` (unless ``labelled`` is
        False) and is acknowledged by an ``ack_labels`` label; a milestone has
        no label and is acknowledged only by the checkbox in its alert. ``notify``
        replaces the rule's ``notify`` (an escalation step names its own people).
        """
        issue = subject if isinstance(subject, Issue) else None
        return Finding(
            rule_id=self.id,
            kind=self.rule_kind,
            cause=cause,
            subject_kind="milestone" if issue is None else "issue",
            subject_key=subject.key,
            severity=severity,
            fingerprint=make_fingerprint(self.id, cause, subject.key, anchor),
            evidence=evidence,
            label=self.label if issue is not None and labelled else None,
            comment=comment,
            acked=issue is not None and bool(issue.labels) and self.is_acked(issue),
            notify=self.notify if notify is None else notify,
            team_only=team_only,
        )
