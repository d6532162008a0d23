"""rules/registry.py: ``kind`` -> rule module, old names that keep working, "did you mean";
what each rule module declares, and the findings its options build."""

from __future__ import annotations

from types import ModuleType

import pytest

from connectors.model import Issue, Milestone
from rules import registry, schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding, Severity, make_fingerprint
from tests.rules.conftest import Factory


@pytest.mark.parametrize(
    ("kind", "module", "label"),
    [
        ("scope_creep", scope_creep, "scope-creep"),
        ("schedule_slip", schedule_slip, "schedule-risk"),
        ("unanswered_feedback", unanswered_feedback, "awaiting-reply"),
    ],
)
def test_registered_with_a_default_label(kind: str, module: ModuleType, label: str) -> None:
    assert registry.get(kind) is module
    assert kind == module.KIND
    assert module.Options(id="x", kind=kind).label == label


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("scope_crep", 'no such rule kind: "scope_crep" (did you mean "scope_creep"?)'),
        ("unanswered-feedback",
         'no such rule kind: "unanswered-feedback" (did you mean "unanswered_feedback"?)'),
        # Kinds are exact: a capitalised one is a typo, and is shown what to write.
        ("Schedule_Slip", 'no such rule kind: "Schedule_Slip" (did you mean "schedule_slip"?)'),
        ("sla", 'no such rule kind: "sla"'),
        ("", 'no such rule kind: ""'),
    ],
)
def test_an_unknown_kind_says_what_was_meant(kind: str, message: str) -> None:
    with pytest.raises(registry.NoSuchRule) as caught:
        registry.get(kind)
    # The config loader prints str(error): the message itself, not a KeyError's repr.
    assert str(caught.value) == message
    assert isinstance(caught.value, KeyError)


@pytest.mark.parametrize(
    ("word", "choices", "hint"),
    [
        ("scope_crep", ["schedule_slip", "scope_creep"], ' (did you mean "scope_creep"?)'),
        ("labl", ["only_labels", "labels", "label"], ' (did you mean "label"?)'),  # the closest
        ("x", ["scope_creep"], ""),
        ("anything", [], ""),
    ],
)
def test_suggest(word: str, choices: list[str], hint: str) -> None:
    assert registry.suggest(word, choices) == hint


def test_an_alias_keeps_a_renamed_kind_working(monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlfluff's way: after a rename, configs that use the old name still load."""
    monkeypatch.setitem(registry.ALIASES, "deadline_slip", "schedule_slip")
    assert registry.get("deadline_slip") is schedule_slip
    assert registry.get("schedule_slip") is schedule_slip


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


@pytest.mark.parametrize(("kind", "needs"), [
    ("scope_creep", True), ("schedule_slip", True), ("unanswered_feedback", False),
    ("no_such_kind", False),
])
def test_which_rules_need_a_status_issue(kind: str, needs: bool) -> None:
    assert registry.posts_to_status_issue(kind) is needs
    if kind in registry.RULES:  # every rule says what its findings are about
        assert set(registry.RULES[kind].SUBJECTS) <= {"issue", "milestone"}
