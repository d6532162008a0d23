"""The registry: what each rule module declares, and the findings its options build."""

from __future__ import annotations

import pytest

from connectors.model import Issue, Milestone
from rules import registry, scope_creep
from rules.base import Finding, Severity, make_fingerprint
from tests.rules.conftest import Factory

mk = Factory()


@pytest.mark.parametrize(("kind", "style"), [
    ("scope_creep", ("fbca04", "forewarn: added to a milestone after its scope was baselined")),
    ("schedule_slip", ("d93f0b", "forewarn: due date passed or at risk")),
    ("unanswered_feedback", ("5319e7", "forewarn: client feedback awaiting a reply")),
    ("no_such_kind", ("ededed", "forewarn")),
])
def test_label_style(kind: str, style: tuple[str, str]) -> None:
    assert registry.label_style(kind) == style


@pytest.mark.parametrize("kind", sorted(registry.RULES))
def test_each_rule_names_its_kind_on_its_options(kind: str) -> None:
    assert registry.get(kind).Options.rule_kind == kind


def test_a_finding_on_an_issue_carries_the_label_and_its_acknowledgement() -> None:
    options = scope_creep.Options(id="scope", kind="scope_creep", notify=("pm",))
    issue = mk.issue(3, labels=["Forewarn-Ack"])
    finding = options.finding(issue, "added", severity=Severity.WARNING,
                              evidence={"title": "Issue 3"}, anchor="m1")
    assert finding == Finding(
        rule_id="scope", kind="scope_creep", cause="added", subject_kind="issue",
        subject_key=issue.key, severity=Severity.WARNING,
        fingerprint=make_fingerprint("scope", "added", issue.key, "m1"),
        evidence={"title": "Issue 3"}, label="scope-creep", comment=True, acked=True,
        notify=("pm",),
    )


@pytest.mark.parametrize(("subject", "labelled", "label"), [
    (mk.milestone(1), True, None),  # a milestone carries no label
    (mk.issue(3), False, None),
    (mk.issue(3), True, "scope-creep"),
])
def test_which_findings_carry_the_label(
    subject: Issue | Milestone, labelled: bool, label: str | None
) -> None:
    options = scope_creep.Options(id="scope", kind="scope_creep")
    finding = options.finding(subject, "growth", severity=Severity.INFO, evidence={},
                              labelled=labelled, comment=False)
    assert (finding.label, finding.comment, finding.acked) == (label, False, False)
