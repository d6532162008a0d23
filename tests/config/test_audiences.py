"""``team``, ``clients``, ``alerts`` and ``backfill``: what loads, and what a tracker refuses,
each problem at FILE:LINE:COL (config/alerts.py, config/audience_checks.py)."""

from __future__ import annotations

import pytest

from config.fields import MemberRef
from tests.config.conftest import Load, Problems

TRACKERS = """\
version: 1
trackers:
  acme: {kind: jira, url: https://acme.atlassian.net, email: pm@acme.example, token: t}
  dc: {kind: jira, url: https://jira.acme.example, token: t}
  gh: {kind: github, token: t}
projects:
"""


def test_roles_groups_customers_and_alert_modes_load(load: Load) -> None:
    config = load(TRACKERS + """\
  - name: desk
    tracker: acme
    jira_project: DESK
    team: {role: Developers}
    clients: customers
    alerts: {to: internal, visible_to: {role: Developers}}
  - name: billing
    tracker: acme
    jira_project: BILL
    team: [{group: acme-team}, {role: Developers}, "*@acme.example"]
    clients: external
    alerts: {to: digest, issue: OPS-1, labels: false}
    backfill: comment
  - {name: portal, tracker: gh, repo: acme/portal, clients: external, status_issue: 1,
     alerts: {to: digest, issue: acme/portal-internal#1}}
""")
    desk, billing, portal = config.projects
    assert desk.team == (MemberRef(role="Developers"),)
    assert desk.clients == "customers"
    assert (desk.alerts.to, desk.alerts.visible_to, desk.alerts.audience) == (
        "internal", MemberRef(role="Developers"), "team")
    assert desk.backfill == "digest"
    assert billing.team == (MemberRef(group="acme-team"), MemberRef(role="Developers"),
                            "*@acme.example")
    assert (billing.alerts.to, billing.alerts.issue, billing.alerts.labels) == (
        "digest", "OPS-1", False)
    assert billing.backfill == "comment"
    assert portal.alerts.issue == "acme/portal-internal#1"
    assert portal.alerts.audience == "team"
    assert config.projects[0].alerts.labels is True


# (project, the value the problem points at, message)
@pytest.mark.parametrize(
    ("project", "at", "expected"),
    [
        ("{name: p, tracker: gh, repo: a/b, alerts: {to: internal}}", "internal",
         'project "p": alerts.to: internal needs Jira: GitHub has no restricted comments '
         "(use to: digest with an issue in a private repository)"),
        ("{name: p, tracker: gh, repo: a/b, alerts: {to: digest, issue: 3, "
         "visible_to: {role: D}}}", "{role",
         'project "p": visible_to needs Jira: GitHub has no restricted comments'),
        ("{name: p, tracker: gh, repo: a/b, alerts: {to: digest, issue: OPS-1}}", "OPS-1",
         'project "p": alerts.issue is a GitHub issue here: a number, or owner/repo#N in '
         "another repository"),
        ("{name: p, tracker: gh, repo: a/b, team: {role: Developers}}", "{role",
         'project "p": project roles and groups are Jira\'s: on GitHub write team: '
         "members, or logins"),
        ("{name: p, tracker: gh, repo: a/b, clients: [x, {group: g}]}", "[x",
         'project "p": project roles and groups are Jira\'s: on GitHub write clients: '
         "external, or logins"),
        ("{name: p, tracker: gh, repo: a/b, bots: [ci-runner, {group: automation}]}",
         "[ci-runner", 'project "p": project roles and groups are Jira\'s: on GitHub list '
         "bots by login (GitHub marks apps itself: type Bot, logins ending in [bot])"),
        ("{name: p, tracker: acme, jira_project: P, bots: [{grup: automation}]}", "[{grup",
         "projects[0].bots: not a role or group: {grup: automation} "
         "(write {role: NAME} or {group: NAME})"),
        ("{name: p, tracker: acme, jira_project: P, bots: 12}", "12",
         'projects[0].bots: use a list of logins, account ids, names, globs like '
         '"renovate*", {group: NAME} or {role: NAME}'),
        ("{name: p, tracker: gh, repo: a/b, clients: customers}", "customers",
         'project "p": customers are Jira Service Management\'s: on GitHub write '
         "clients: external, or logins"),
        ("{name: p, tracker: acme, jira_project: P, clients: external}", "external",
         'project "p": on Jira, external means not in the team\'s roles or groups: give '
         "team: {role: NAME} or {group: NAME}"),
        ("{name: p, tracker: dc, jira_project: P, clients: customers}", "customers",
         'project "p": customers needs Jira Cloud, where a service desk customer is an '
         "account of type customer; on Data Center name them by {group: NAME} or e-mail"),
        ("{name: p, tracker: acme, jira_project: P, alerts: {to: digest, issue: a/b#1}}",
         "a/b#1", 'project "p": alerts.issue is a Jira issue here, like ACME-1'),
        ("{name: p, tracker: acme, jira_project: P, backfill: digest}", "digest",
         'project "p": backfill: digest lists what the first cycle finds on a team '
         "issue: set alerts.issue (or status_issue), or write backfill: comment"),
        ("{name: p, tracker: acme, jira_project: P, alerts: {to: digest}}", "{to",
         "projects[0].alerts: to: digest needs issue: the team issue that holds the "
         "digest (like ACME-1 or acme/portal-internal#1)"),
        ("{name: p, tracker: acme, jira_project: P, team: [{rol: Developers}]}", "[{rol",
         "projects[0].team: not a role or group: {rol: Developers} "
         "(write {role: NAME} or {group: NAME})"),
    ],
)
def test_what_a_tracker_cannot_honour(problems: Problems, project: str, at: str,
                                      expected: str) -> None:
    column = len("  - ") + project.index(at) + 1
    assert problems(TRACKERS + f"  - {project}\n") == [f"forewarn.yaml:7:{column}: {expected}"]


@pytest.mark.parametrize(
    "project",
    [
        # backfill: digest by default, without a team issue: allowed (the first cycle says
        # what is missing); written out, it is checked.
        "{name: p, tracker: acme, jira_project: P}",
        "{name: p, tracker: acme, jira_project: P, backfill: digest, status_issue: 1}",
        "{name: p, tracker: acme, jira_project: P, backfill: digest, alerts: {issue: OPS-7}}",
        "{name: p, tracker: acme, jira_project: P, backfill: digest, "
        "alerts: {to: digest, issue: OPS-7}}",
        "{name: p, tracker: gh, repo: a/b, alerts: {to: digest, issue: 12}}",
        "{name: p, tracker: acme, jira_project: P, clients: external, team: {group: acme}}",
        "{name: p, tracker: dc, jira_project: P, team: {role: Developers}, alerts: {to: internal}}",
        "{name: p, tracker: dc, jira_project: P, bots: {group: automation-accounts}}",
        "{name: p, tracker: dc, jira_project: P, bots: [automation, {group: ci}, {role: Bots}]}",
        "{name: p, tracker: gh, repo: a/b, bots: [renovate*, acme-ci]}",
    ],
)
def test_what_loads(load: Load, project: str) -> None:
    load(TRACKERS + f"  - {project}\n")


def test_design_mds_billing_project_loads(load: Load) -> None:
    """DESIGN.md's example project, as written there (its notify_channels and channels are
    another issue's and left out here)."""
    config = load("""\
version: 1
trackers:
  acme: {kind: jira, url: https://acme.atlassian.net, email: pm@acme.com, token: t}
projects:
  - {name: billing, tracker: acme, jira_project: BILL, milestones: sprint, team: {role: Developers},
     status_issue: BILL-1, alerts: {to: internal, visible_to: {role: Developers}}}
""")
    (billing,) = config.projects
    assert billing.team == (MemberRef(role="Developers"),)
    assert (billing.alerts.to, billing.alerts.visible_to) == ("internal",
                                                              MemberRef(role="Developers"))
