"""``repos`` and ``github_project`` in forewarn.yaml: what loads, and each problem at its
line and column with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_config
from tests.config.conftest import Problems, Write

HEADER = """\
version: 1
trackers:
  gh: {kind: github, token: t}
projects:
"""


def test_the_documented_plans_load(write: Write, secrets_dir: Path) -> None:
    config = load_config(write(HEADER + """\
  - name: portal
    tracker: gh
    github_project: {owner: acme, number: 5, iteration: Sprint, due: "Target date", estimate: Estimate}
    status_issue: acme/web#1
  - {name: suite, tracker: gh, repos: [acme/web, acme/api], status_issue: 1}
  - {name: docs, tracker: gh, repo: acme/docs, github_project: {owner: acme, number: 6, group: Release}}
"""), environ={}, secrets_dir=secrets_dir)  # noqa: E501
    portal, suite, docs = config.projects
    assert portal.github_project is not None
    assert (portal.github_project.owner, portal.github_project.number,
            portal.github_project.iteration, portal.github_project.due,
            portal.github_project.estimate) == ("acme", 5, "Sprint", "Target date", "Estimate")
    assert (portal.home_repo, portal.repo_names, portal.status_issue) == (None, (), "acme/web#1")
    assert (suite.home_repo, suite.repo_names) == ("acme/web", ("acme/web", "acme/api"))
    assert docs.repo_names == ("acme/docs",)
    assert docs.github_project is not None and docs.github_project.group == "Release"


ONE_OF_TWO = ("name the Project's iteration field (iteration: Sprint) or a single-select field "
              "(group: Release), one of the two")


@pytest.mark.parametrize(("project", "expected"), [
    ("{name: p, tracker: gh, repo: acme/web, repos: [acme/api]}",
     "5:5: projects[0]: give repos: [...] or repo, not both"),
    ("{name: p, tracker: gh, repos: [acme/web, ACME/web]}",
     "5:35: projects[0].repos: list each repository once, like [acme/web, acme/api]"),
    ("{name: p, tracker: gh, repos: [acme]}",
     '5:35: projects[0].repos: not a repository: "acme" (write owner/name)'),
    ("{name: p, tracker: gh, github_project: {owner: acme, number: 5}}",
     f"5:44: projects[0].github_project: {ONE_OF_TWO}"),
    ("{name: p, tracker: gh, github_project: {owner: acme, number: 5, iteration: S, group: R}}",
     f"5:44: projects[0].github_project: {ONE_OF_TWO}"),
    ("{name: p, tracker: gh, github_project: {owner: acme/web, number: 5, iteration: S}}",
     '5:52: projects[0].github_project.owner: not an organisation or user: "acme/web" (write '
     "its login, like acme)"),
    ("{name: p, tracker: gh, github_project: {owner: acme, number: 0, iteration: S}}",
     "5:66: projects[0].github_project.number: should be greater than 0"),
    ("{name: p, tracker: gh, github_project: {owner: acme, number: 5, iteration: S}, "
     "status_issue: 1}",
     '5:98: project "p": without repo, write the status issue as owner/repo#N'),
    ("{name: p, tracker: gh, github_project: {owner: acme, number: 5, iteration: S}, "
     "alerts: {to: digest, issue: 3}}",
     '5:92: project "p": without repo, write alerts.issue as owner/repo#N'),
])
def test_problems(problems: Problems, project: str, expected: str) -> None:
    assert problems(HEADER + f"  - {project}\n") == [f"forewarn.yaml:{expected}"]


def test_milestone_alerts_of_a_project_without_repo_need_a_status_issue_elsewhere(
    problems: Problems,
) -> None:
    text = HEADER + """\
  - {name: p, tracker: gh, github_project: {owner: acme, number: 5, iteration: Sprint}}
rules:
  - {id: scope, kind: scope_creep}
"""
    (problem,) = problems(text)
    assert "add status_issue: owner/repo#1" in problem
