"""The example config in DESIGN.md is the shape tools and docs rely on: it must load as written."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest

from config import Config, GitHubTracker, JiraTracker, load_config

ROOT = Path(__file__).resolve().parents[2]

# Copied verbatim from DESIGN.md ("Config file, by example"), long lines and all.
DESIGN_EXAMPLE = """\
version: 1
state: sqlite:///forewarn.db        # or postgresql+psycopg://…
trackers:
  gh:   {kind: github, token: ${GITHUB_TOKEN}}            # base_url for GHE
  acme: {kind: jira, url: https://acme.atlassian.net, email: pm@acme.com, token: ${JIRA_API_TOKEN}}
calendars:
  shanghai: {timezone: Asia/Shanghai, workdays: [mon, tue, wed, thu, fri], hours: "09:00-18:00", holidays: CN}
projects:
  - {name: portal, tracker: gh, repo: acme/portal, calendar: shanghai, clients: external, status_issue: 1}
  - {name: billing, tracker: acme, jira_project: BILL, milestones: sprint, clients: ["*@client.example"], status_issue: BILL-1}
rules:
  - {id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}
  - {id: slip, kind: schedule_slip, confidence: 0.85, label: schedule-risk}
  - {id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}
summary: {every: monday 09:00, language: en, to: status_issue}
"""  # noqa: E501

ENVIRON = {"GITHUB_TOKEN": "ghp_design0example0token", "JIRA_API_TOKEN": "jira-design-token-42"}


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "forewarn.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ=ENVIRON, secrets_dir=tmp_path / "no-secrets")


def test_design_example_loads(tmp_path: Path) -> None:
    config = _load(tmp_path, DESIGN_EXAMPLE)

    assert config.version == 1
    assert config.state == "sqlite:///forewarn.db"
    gh, acme = config.trackers["gh"], config.trackers["acme"]
    assert isinstance(gh, GitHubTracker)
    assert gh.token is not None
    assert gh.token.get_secret_value() == "ghp_design0example0token"
    assert isinstance(acme, JiraTracker)
    assert acme.token is not None
    assert acme.token.get_secret_value() == "jira-design-token-42"
    assert (acme.url, acme.email) == ("https://acme.atlassian.net", "pm@acme.com")
    assert acme.is_cloud

    shanghai = config.calendars["shanghai"]
    assert shanghai.timezone == "Asia/Shanghai"
    assert shanghai.weekday_numbers == (0, 1, 2, 3, 4)
    assert (shanghai.start, shanghai.end, shanghai.holidays) == (time(9), time(18), "CN")

    portal, billing = config.projects
    assert (portal.name, portal.repo, portal.clients, portal.status_issue) == (
        "portal", "acme/portal", "external", 1,
    )
    assert config.milestones_for(portal) == ("milestone",)
    assert config.calendar_for(portal) is shanghai
    assert (billing.jira_project, billing.clients, billing.status_issue) == (
        "BILL", ("*@client.example",), "BILL-1",
    )
    assert config.milestones_for(billing) == ("sprint",)
    assert config.calendar_for(billing).timezone == "UTC"
    assert portal.every == timedelta(minutes=15)

    scope, slip, feedback = config.rules
    assert (scope.id, scope.kind, scope.label) == ("scope", "scope_creep", "scope-creep")
    assert scope.threshold == pytest.approx(0.1)  # type: ignore[attr-defined]
    assert slip.confidence == pytest.approx(0.85)  # type: ignore[attr-defined]
    assert feedback.sla.default == timedelta(hours=16)  # type: ignore[attr-defined]
    assert [rule.id for rule in config.rules_for(billing)] == ["scope", "slip", "feedback"]

    assert (config.summary.weekday, config.summary.at) == (0, time(9))
    assert (config.summary.language, config.summary.to) == ("en", "status_issue")


def test_design_md_still_shows_that_example(tmp_path: Path) -> None:
    """When DESIGN.md sits beside the repository (shared/), its example loads too."""
    design = ROOT.parent / "shared" / "DESIGN.md"
    if not design.is_file():
        pytest.skip("shared/DESIGN.md is not beside the repository")
    text = design.read_text(encoding="utf-8")
    match = re.search(r"Config file, by example.*?```yaml\n(.*?)```", text, re.DOTALL)
    assert match, "DESIGN.md no longer has the example config"
    _load(tmp_path, match.group(1))


def test_bundled_example_loads() -> None:
    config = load_config(ROOT / "examples" / "forewarn.yaml", environ={})
    assert [project.name for project in config.projects] == ["demo"]
