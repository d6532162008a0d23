"""The client edition of the summary: one per client organisation, each on its own issue,
with nothing of another organisation, no name and no instruction to the PM."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config
from sync.actions import CreateComment
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.sync.summary.support import runtime_for, set_language

#: Carol (initech) asked "Login fails on Safari" (demo#20) and "Where do I change my
#: password?" (demo#22); Dave (umbrella) asked "Can the invoice show our VAT number?" (demo#21).
ORGANISATIONS = (
    "    clients: {initech: [carol, \"*@initech.example\"], umbrella: [\"dave\"]}\n"
    "    summary: {audience: client, issues: {initech: 20, umbrella: 21}, language: LANG}\n"
)
#: What the team reads and a client never does: names, instructions, settings.
FOR_THE_TEAM_ONLY = [
    "Carol", "carol", "Dave", "dave", "Alice", "Bob", "@alice", "Confirm", "move it",
    "请与客户确认", "threshold", "阈值", "Assigned", "负责人", "agreed with the client",
    "与客户约定", "clients or team", "unanswered_feedback", "(s)", "CST",
]


def organised(config: Path, language: str) -> Path:
    text = config.read_text(encoding="utf-8")
    text = text.replace("    clients: external\n", ORGANISATIONS.replace("LANG", language))
    config.write_text(text, encoding="utf-8")
    return config


def editions(config: Path, tmp_path: Path, clock: Clock) -> dict[str, str]:
    from sync.cycle import run_cycle

    store = StateStore(f"sqlite:///{tmp_path / 'editions.db'}")
    try:
        report = run_cycle(runtime_for(config, clock), store, clock=clock, dry_run=True,
                           summary=True)
    finally:
        store.close()
    assert report.summary_problem is None
    return {action.target: action.body for action in report.plan.summary
            if isinstance(action, CreateComment) and action.kind == "summary"}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_each_organisation_reads_its_own_edition(demo_config: Path, tmp_path: Path,
                                                 clock: Clock, language: str) -> None:
    bodies = editions(organised(demo_config, language), tmp_path, clock)
    assert set(bodies) == {"demo#20", "demo#21"}  # no team summary on the status issue
    initech, umbrella = bodies["demo#20"], bodies["demo#21"]
    assert "Login fails on Safari" in initech and "VAT number" not in initech
    assert "VAT number" in umbrella and "Login fails on Safari" not in umbrella
    assert "Where do I change my password" not in umbrella
    for body in (initech, umbrella):
        assert not [words for words in FOR_THE_TEAM_ONLY if words in body], body
        # Milestones, scope and forecast are the same for every client.
        assert "v1\\.0 — Client portal launch" in body
        assert ("31%" in body) and ("2027" in body)
    assert "forewarn:summary.2026-W48.initech:info" in initech
    assert "forewarn:summary.2026-W48.umbrella:info" in umbrella


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_without_organisations_the_client_edition_goes_to_the_status_issue(
    demo_config: Path, tmp_path: Path, clock: Clock, language: str
) -> None:
    set_language(demo_config, language)
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(text.replace("to: status_issue}", "to: status_issue, "
                                        "audience: client}"), encoding="utf-8")
    (body,) = editions(demo_config, tmp_path, clock).values()
    assert not [words for words in FOR_THE_TEAM_ONLY if words in body], body
    assert "Login fails on Safari" in body and "VAT number" in body  # the one client's


def test_an_organisation_without_an_issue_is_a_config_error(demo_config: Path) -> None:
    text = organised(demo_config, "en").read_text(encoding="utf-8")
    demo_config.write_text(text.replace("initech: 20, ", ""), encoding="utf-8")
    with pytest.raises(ConfigError) as failure:
        load_config(demo_config)
    assert [problem.message for problem in failure.value.problems] == [
        'project "demo": the client edition of organisation "initech" needs an issue: add '
        "initech: <issue> under summary.issues",
    ]
