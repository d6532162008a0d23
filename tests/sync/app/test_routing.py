"""``alerts``, ``backfill``, ``team`` and ``clients`` as the runtime hands them to the cycle
(sync/app/runtime.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_config, load_settings
from connectors.github.connector import GitHubConnector
from connectors.model import PUBLIC, Membership, Visibility
from sync.app.runtime import build_runtime
from sync.cycle import ProjectRuntime
from sync.routing import Routing

CONFIG = """\
version: 1
trackers:
  acme: {{kind: jira, url: https://acme.atlassian.net, email: pm@acme.example, token: t}}
  gh: {{kind: github, token: t}}
projects:
  - {{name: p, tracker: {tracker}, {where}, status_issue: 1, {extra}}}
"""


def runtime(tmp_path: Path, extra: str, *, tracker: str = "acme") -> ProjectRuntime:
    where = "jira_project: BILL" if tracker == "acme" else "repo: acme/portal"
    path = tmp_path / "forewarn.yaml"
    path.write_text(CONFIG.format(tracker=tracker, where=where, extra=extra), encoding="utf-8")
    config = load_config(path, environ={}, secrets_dir=tmp_path)
    return build_runtime(config, config.projects[0], settings=load_settings(environ={}))


@pytest.mark.parametrize(
    ("extra", "routing", "audience"),
    [
        ("team: members", Routing(team_issue="BILL-1", backfill="digest"), "client"),
        ("backfill: comment", Routing(team_issue="BILL-1"), "client"),
        ("alerts: {to: internal, visible_to: {role: Developers}}",
         Routing(to="internal", visibility=Visibility("role", "Developers"),
                 team_issue="BILL-1", backfill="digest"), "team"),
        ("alerts: {to: internal}",
         Routing(to="internal", visibility=Visibility("internal"), team_issue="BILL-1",
                 backfill="digest"), "team"),
        ("alerts: {to: digest, issue: OPS-3, labels: false}",
         Routing(to="digest", visibility=PUBLIC, team_issue="OPS-3", labels=False,
                 backfill="digest"), "team"),
        ("alerts: {to: digest, issue: 7, visible_to: {group: acme-team}}",
         Routing(to="digest", visibility=Visibility("group", "acme-team"),
                 team_issue="BILL-7", backfill="digest"), "team"),
        ("alerts: {issue: OPS-3}", Routing(team_issue="OPS-3", backfill="digest"), "client"),
    ],
)
def test_the_routing_of_each_mode(tmp_path: Path, extra: str, routing: Routing,
                                  audience: str) -> None:
    rt = runtime(tmp_path, extra)
    assert rt.routing == routing
    assert rt.style.audience == audience


def test_roles_and_groups_reach_the_cycle_as_memberships(tmp_path: Path) -> None:
    rt = runtime(tmp_path, 'team: [{role: Developers}, "*@acme.example"], '
                           "clients: [{group: clients}]")
    assert rt.team == (Membership("role", "Developers"), "*@acme.example")
    assert rt.clients == (Membership("group", "clients"),)


def test_a_digest_in_another_repository_gets_a_second_repository_to_write_in(
    tmp_path: Path
) -> None:
    rt = runtime(tmp_path, "alerts: {to: digest, issue: acme/portal-internal#1}", tracker="gh")
    assert rt.routing.team_issue == "acme/portal-internal#1"
    assert isinstance(rt.connector, GitHubConnector)
    assert rt.connector.team_repos == ("acme/portal-internal",)
    assert runtime(tmp_path, "alerts: {to: digest, issue: 4}", tracker="gh"
                   ).routing.team_issue == "acme/portal#4"
