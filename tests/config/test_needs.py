"""What a project needs from the rest of the file, refused at load time with FILE:LINE:COL:
a token, a status issue for milestone alerts, labels its tracker can hold, a tracker
project of its own, and a keyword written as a keyword."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from config import ConfigError, Problem, load_config
from tests.config.conftest import Load, Problems, Write

TRACKERS = """\
version: 1
trackers:
  gh: {kind: github, token: t}
  acme: {kind: jira, url: https://acme.atlassian.net, email: pm@acme.example, token: t}
projects:
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            TRACKERS + "  - {name: portal, tracker: gh, repo: a/b}\n"
            "rules:\n  - {id: scope, kind: scope_creep}\n  - {id: slip, kind: schedule_slip}\n",
            ['forewarn.yaml:6:5: project "portal": rules scope and slip post milestone alerts to '
             "status_issue, which is not set: add status_issue: 1 (an issue the team watches; "
             "the summary goes there too)"],
        ),
        (
            TRACKERS + "  - {name: billing, tracker: acme, jira_project: BILL}\n"
            "rules:\n  - {id: slip, kind: schedule_slip}\n",
            ['forewarn.yaml:6:5: project "billing": rule slip posts milestone alerts to '
             "status_issue, which is not set: add status_issue: BILL-1 (an issue the team "
             "watches; the summary goes there too)"],
        ),
        (
            TRACKERS + "  - {name: portal, tracker: gh, repo: a/b, clients: [external]}\n",
            ["forewarn.yaml:6:53: projects[0].clients: write external on its own, without "
             'brackets: inside a list it reads as a login named "external"'],
        ),
        (
            TRACKERS + "  - {name: portal, tracker: gh, repo: a/b, team: [alice, members]}\n",
            ["forewarn.yaml:6:50: projects[0].team: write members on its own, without "
             'brackets: inside a list it reads as a login named "members"'],
        ),
        (
            TRACKERS + "  - {name: billing, tracker: acme, jira_project: BILL, status_issue: 1}\n"
            "rules:\n"
            "  - {id: feedback, kind: unanswered_feedback, label: needs reply,\n"
            "     pause_labels: [waiting, on hold]}\n",
            ['forewarn.yaml:8:54: rule "feedback": label "needs reply" cannot be used on Jira '
             '(project "billing"): Jira labels cannot contain spaces (write needs-reply)',
             'forewarn.yaml:9:30: rule "feedback": label "on hold" cannot be used on Jira '
             '(project "billing"): Jira labels cannot contain spaces (write on-hold)'],
        ),
        (
            TRACKERS + "  - {name: portal, tracker: gh, repo: a/b,\n"
            '     clients: [bob, "*@client.example"], team: ["*@acme.example"]}\n',
            ['forewarn.yaml:7:21: project "portal": "*@client.example" in clients is an e-mail '
             "pattern, but GitHub shows no one's e-mail address on issues: list GitHub logins, "
             "or write clients: external",
             'forewarn.yaml:7:49: project "portal": "*@acme.example" in team is an e-mail '
             "pattern, but GitHub shows no one's e-mail address on issues: list GitHub logins, "
             "or write team: members"],
        ),
        (
            TRACKERS + "  - {name: sprints, tracker: acme, jira_project: BILL, status_issue: 1}\n"
            "  - {name: versions, tracker: acme, jira_project: BILL, status_issue: 2}\n",
            ['forewarn.yaml:7:51: project "versions" watches BILL on https://acme.atlassian.net '
             'like project "sprints": the two would remove each other\'s labels and rewrite '
             "each other's comments; make them one project (boards: [12, 15] watches several "
             "boards, milestones: [sprint, version] both kinds)"],
        ),
        (
            "version: 1\ntrackers:\n  file: {kind: local, path: tracker.json}\nprojects:\n"
            "  - {name: a, tracker: file}\n  - {name: b, tracker: file}\n",
            ['forewarn.yaml:6:24: project "b" watches tracker.json like project "a": the two '
             "would remove each other's labels and rewrite each other's comments; make them "
             "one project (one forewarn project per tracker file)"],
        ),
        (
            TRACKERS + "  - {name: portal, tracker: gh, repo: Acme/Portal}\n"
            "  - {name: portal-zh, tracker: gh, repo: acme/portal, language: zh-CN}\n",
            ['forewarn.yaml:7:42: project "portal-zh" watches acme/portal like project '
             '"portal": the two would remove each other\'s labels and rewrite each other\'s '
             "comments; make them one project (one forewarn project per repository)"],
        ),
    ],
)
def test_refused_at_load_time(problems: Problems, text: str, expected: list[str]) -> None:
    assert problems(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # GitHub labels may hold spaces; only Jira refuses them.
        TRACKERS + "  - {name: portal, tracker: gh, repo: a/b}\n"
        "rules:\n  - {id: feedback, kind: unanswered_feedback, label: needs reply}\n",
        # A rule limited to other projects needs nothing from this one.
        TRACKERS + "  - {name: portal, tracker: gh, repo: a/b}\n"
        "  - {name: billing, tracker: acme, jira_project: BILL, status_issue: 1}\n"
        "rules:\n  - {id: slip, kind: schedule_slip, projects: [billing], label: late work}\n"
        .replace("label: late work", "label: late-work"),
        # One repository on two GitHub sites is two repositories.
        TRACKERS.replace("gh: {kind: github, token: t}",
                         "gh: {kind: github, token: t}\n  ghe: {kind: github, token: t, "
                         "base_url: 'https://ghe.acme.example/api/v3'}")
        + "  - {name: portal, tracker: gh, repo: a/b}\n"
        "  - {name: mirror, tracker: ghe, repo: a/b}\n",
    ],
)
def test_accepted(load: Load, text: str) -> None:
    load(text)


def test_a_summary_with_nowhere_to_go_is_a_warning(write: Write) -> None:
    heard: list[Problem] = []
    text = TRACKERS + "  - {name: portal, tracker: gh, repo: a/b}\nrules:\n" \
        "  - {id: feedback, kind: unanswered_feedback}\n"
    load_config(write(text), environ={}, warn=heard.append)
    assert [str(problem) for problem in heard] == [
        'forewarn.yaml:6:5: warning: project "portal" has no status_issue: its summary is only '
        "shown by forewarn report (set status_issue, or summary.to: none)"]
    load_config(write(text + "summary: {to: none}\n"), environ={}, warn=heard.append)
    assert len(heard) == 1


NO_TOKENS = """\
version: 1
trackers:
  gh: {kind: github}
  acme: {kind: jira, url: https://acme.atlassian.net, email: pm@acme.example}
  spare: {kind: github}
projects:
  - {name: portal, tracker: gh, repo: a/b, status_issue: 1}
  - {name: billing, tracker: acme, jira_project: BILL, status_issue: 1}
"""


@pytest.mark.parametrize(
    ("defaults", "expected"),
    [
        ((), [
            'forewarn.yaml:3:7: tracker "gh" has no token: add token: ${GITHUB_TOKEN} (read '
            "from the environment or /run/secrets), or set FOREWARN_GITHUB_TOKEN",
            'forewarn.yaml:4:9: tracker "acme" has no token: add token: ${JIRA_API_TOKEN} (read '
            "from the environment or /run/secrets), or set FOREWARN_JIRA_API_TOKEN",
        ]),
        (("github",), [
            'forewarn.yaml:4:9: tracker "acme" has no token: add token: ${JIRA_API_TOKEN} (read '
            "from the environment or /run/secrets), or set FOREWARN_JIRA_API_TOKEN",
        ]),
        (("github", "jira"), []),
    ],
)
def test_a_tracker_without_any_token(
    write: Write, defaults: Collection[str], expected: list[str]
) -> None:
    path = write(NO_TOKENS)
    if expected:
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={}, default_tokens=defaults)
        assert [str(problem) for problem in caught.value.problems] == expected
    else:
        load_config(path, environ={}, default_tokens=defaults)
    load_config(path, environ={})  # without the settings' view, nothing to say


def test_an_unset_token_variable_is_one_problem_not_two(write: Write) -> None:
    path = write("version: 1\ntrackers:\n  gh: {kind: github, token: ${NOPE_TOKEN}}\n"
                 "projects:\n  - {name: portal, tracker: gh, repo: a/b, status_issue: 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={}, default_tokens=())
    assert [str(problem) for problem in caught.value.problems] == [
        "forewarn.yaml:3:29: trackers.gh.token: environment variable NOPE_TOKEN is not set"]
