"""``forewarn run --once`` when a tracker cannot be read: one line per project naming the
cause and what to check, no traceback, no "up to date", exit 1."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from sync.app.cli import main
from tests.conftest import Clock
from tests.connectors.network import dns_failure
from tests.fakes.github import FakeGitHub
from tests.fakes.http import Fault
from tests.fakes.jira import FakeJira
from tests.fakes.world import NOW, World

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github, token: ${{GITHUB_TOKEN}}, base_url: "https://github.acme.invalid/api/v3"}}
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example}}
projects:
  - {{name: portal, tracker: gh, repo: acme/portal, status_issue: 1}}
  - {{name: billing, tracker: acme, jira_project: BILL, status_issue: BILL-1}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h}}
"""


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_a_run_that_cannot_read_its_trackers_says_why_in_one_line_each(
    configure: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, paced: list[float],
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    config = configure(CONFIG, token=("GITHUB_TOKEN", "ghp_e2eFailureToken0123456789abcd"))
    monkeypatch.setenv("FOREWARN_JIRA_API_TOKEN", "not-the-right-token")
    caplog.set_level(logging.INFO)
    site = FakeJira({"BILL": World(clock=Clock(NOW))}, token="the-right-token")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        rsps.add("GET", "https://github.acme.invalid:443/api/v3/repos/acme/portal/milestones",
                 body=dns_failure("github.acme.invalid"))
        code = main(["run", "--once", "-c", str(config), "--now", NOW.isoformat()])
        github_requests = [c for c in rsps.calls if "github" in c.request.url]

    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == [
        "portal: GitHub acme/portal: cannot reach github.acme.invalid: the host name does not "
        "resolve (DNS); check base_url",
        "billing: Jira https://acme.atlassian.net: 401: the e-mail and API token were refused; "
        "check trackers.acme.email and FOREWARN_JIRA_API_TOKEN",
    ]
    assert err == ""
    assert "Traceback" not in caplog.text
    assert len(github_requests) == 1 and paced == []  # a DNS failure is not retried


WRITES = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
projects:
  - {{name: portal, tracker: gh, repo: acme/portal, clients: external, rules: [feedback],
     backfill: comment}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_writes_the_tracker_refuses_fail_the_run_one_line_each(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = configure(WRITES, token=("FOREWARN_GITHUB_TOKEN", "ghp_e2eWritesToken0123456789ab"))
    world = World(clock=Clock(NOW))
    world.person("alice", association="OWNER")
    world.person("cathy", association="NONE")
    for number in (1, 2):
        world.issue(number, f"Question {number}", "cathy", created=NOW - timedelta(days=9))
    fake = FakeGitHub(world)
    # A locked issue refuses comments to the account (GitHub's documented 403 message).
    fake.faults.append(Fault("POST", r"/issues/2/comments$", "status", status=403, body={
        "message": "Unable to create comment because issue is locked.",
        "documentation_url": "https://docs.github.com/rest/issues/comments"}))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        code = main(["run", "--once", "-c", str(config), "--now", NOW.isoformat()])
    out, _ = capsys.readouterr()
    assert code == 1
    failed = [text for text in out.splitlines() if " failed: " in text]
    assert len(failed) == 1
    assert failed[0].startswith("portal: comment on acme/portal#2 (feedback.")
    assert failed[0].endswith(
        ":critical) failed: GitHub acme/portal: POST /repos/acme/portal/issues/2/comments "
        "failed: HTTP 403 Unable to create comment because issue is locked.; the token may "
        "not do this (a fine-grained token needs Issues: read and write on this repository)")
    assert "5 writes planned, 4 done" in out
