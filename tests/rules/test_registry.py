"""rules/registry.py: ``kind`` -> rule module, old names that keep working, "did you mean"."""

from __future__ import annotations

from types import ModuleType

import pytest

from rules import registry, schedule_slip, scope_creep, unanswered_feedback


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
