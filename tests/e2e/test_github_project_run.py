"""``forewarn run --once`` on a GitHub Project whose items live in three repositories.

The Project (acme's number 5, ``tests/fakes/github_project.py``) plans in a Sprint
iteration field; its items are issues of acme/web, acme/api and acme/docs and one
draft. Seen on Wednesday 2024-06-05 (default calendar, UTC):

* "Sprint 23" started Monday 2024-06-03 for 14 days (due Sunday 06-16); its scope
  baseline is Tuesday 00:00 (start + 1 day's grace). web#2, api#2, docs#2 and the
  draft "Release notes" were planned into it on Monday 08:00;
* the status issue is acme/web#1.

Run 1 (the first sync) reads the three repositories and the Project and alerts
nothing: everything was planned before the baseline. Then alice adds web#3, api#3,
docs#3 and a draft to Sprint 23: run 2 flags each added issue on its own repository
(a comment and the scope-creep label), the growth once on the status issue, and the
draft nowhere. Run 3 changes nothing and costs a handful of requests. The PM
stretches Sprint 23 to 21 days: run 4 posts "moved" for it. ``--summary``: one
summary on the status issue counts the issues of all three repositories.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import responses

from rules.base import make_fingerprint
from sync.app.cli import main
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.github import FakeGitHub
from tests.fakes.github_project import FakeGitHubHost, FakeIteration, FakeProject
from tests.fakes.world import World

TOKEN = "ghp_E2eF0rewarnPr0jectT0ken0123456789abcd"
MONDAY = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 5, 15, 0, tzinfo=UTC)
SPRINT = "acme/projects/5/iterations/it23"
REPOS = ("acme/web", "acme/api", "acme/docs")

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
projects:
  - name: portal
    tracker: gh
    github_project: {{owner: acme, number: 5, iteration: Sprint, due: "Target date",
                      estimate: Estimate}}
    status_issue: acme/web#1
    clients: external
    backfill: comment
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
  - {{id: slip, kind: schedule_slip, label: schedule-risk}}
"""


def build(clock: Clock) -> tuple[FakeGitHubHost, FakeProject, dict[str, FakeGitHub]]:
    repos: dict[str, FakeGitHub] = {}
    project = FakeProject("acme", 5, created=datetime(2024, 5, 1, tzinfo=UTC), iterations=[
        FakeIteration("it22", "Sprint 22", date(2024, 5, 20)),
        FakeIteration("it23", "Sprint 23", date(2024, 6, 3)),
    ])
    for index, name in enumerate(REPOS):
        world = World(clock=clock)
        world.person("alice", association="OWNER")
        world.person("dave", association="MEMBER")
        created = datetime(2024, 5, 10, 9, tzinfo=UTC)
        world.issue(1, "Project status", "alice", created=created)
        world.issue(2, f"Planned work in {name}", "dave", created=created)
        world.issue(3, f"Late request for {name}", "dave", created=created)
        repo = FakeGitHub(world, name, repo_id=2_000_000 + index)
        repos[name] = repo
        project.add(repo, 2, at=MONDAY, sprint="it23", estimate=3)
    project.add(None, None, title="Release notes", at=MONDAY, sprint="it23")
    return FakeGitHubHost(*repos.values(), projects=[project]), project, repos


def marker(rule: str, cause: str, subject: str, anchor: str = "", level: str = "warning") -> str:
    return f"<!-- forewarn:{make_fingerprint(rule, cause, subject, anchor)}:{level} -->"


def ours(repo: FakeGitHub, number: int) -> list[str]:
    return [c["body"] for c in repo.comments_on(number) if c["user"]["login"] == repo.login]


def shape(host: FakeGitHubHost, since: int) -> Counter[str]:
    return Counter(re.sub(r"/\d+(?=/|$)", "/N", c.path) for c in host.calls[since:]
                   if not c.is_write)


@pytest.fixture
def portal(configure: Callable[..., Path]) -> tuple[Path, Clock]:
    return configure(CONFIG, token=("FOREWARN_GITHUB_TOKEN", TOKEN)), Clock(T1)


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_a_project_over_three_repositories(
    portal: tuple[Path, Clock], capsys: pytest.CaptureFixture[str]
) -> None:
    config, clock = portal
    host, project, repos = build(clock)
    web = repos["acme/web"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host.serve(rsps)

        # -- run 1: the first sync; all of it was planned before the baseline: no creep, only
        # the sprint's forecast (no issue closed in the last weeks: no pace to finish by)
        run_once(config, T1, capsys, TOKEN)
        assert all(c.status < 400 for c in host.calls), [str(c) for c in host.calls]
        assert [(c.method, c.path) for c in host.writes()] == [
            ("POST", "/repos/acme/web/issues/1/comments")]
        (at_risk,) = ours(web, 1)
        assert at_risk.startswith(marker("slip", "schedule", SPRINT))
        assert "Milestone “Sprint 23” may not be finished by its due date Jun 16, 2024: 4 open " \
               "issues left." in at_risk
        reads = shape(host, 0)
        assert reads["/orgs/acme/projectsV2/N/fields"] == 2  # orgs or users: asked once
        assert reads["/orgs/acme/projectsV2/N/items"] == 1

        # -- alice adds one issue of each repository, and a draft, to the running sprint ------
        clock.now = T1 + timedelta(hours=1)
        for repo in repos.values():
            project.add(repo, 3, at=clock.now, sprint="it23", estimate=5)
        project.add(None, None, title="Polish the dashboard", at=clock.now, sprint="it23")

        # -- run 2: each added issue is flagged on its own repository, the draft nowhere ------
        clock.now = T1 + timedelta(hours=1, minutes=30)
        mark = len(host.calls)
        out = run_once(config, clock.now, capsys, TOKEN)
        draft = f"acme/projects/5/drafts/{max(project.items)}"
        assert draft in out  # the added draft is a finding (counted in the growth below) ...
        for name, repo in repos.items():
            (added,) = ours(repo, 3)
            assert added.startswith(marker("scope", "added", f"{name}#3", SPRINT))
            assert "was added to milestone “Sprint 23” on Jun 5, 2024, 16:00 (UTC), after " \
                   "the milestone's scope was agreed on Jun 4, 2024, 00:00 (UTC)" in added
            assert repo.label_names(3) == ["scope-creep"]
            made = repo.world.catalogue["scope-creep"]  # made by forewarn, in each repository
            assert (made.color, made.description) == (
                "fbca04", "forewarn: added to a milestone after its scope was baselined")
            assert ours(repo, 2) == [] and repo.label_names(2) == []
        (growth,) = [body for body in ours(web, 1) if "grown" in body]
        assert growth.startswith(marker("scope", "growth", SPRINT))
        # Counted in points (the Project's Estimate): 3 x 5 added, and the draft without an
        # estimate weighs the average of the estimated (24 / 6 = 4), so 19 points; agreed were
        # 3 x 3 and the unestimated draft "Release notes" 4: 13 points, so 146% growth.
        assert "has grown by 146%" in growth
        assert "19 points of work (4 issues) added to the 13 points agreed" in growth
        # ... and nothing is written for it: every write went to an issue of a repository.
        assert all(c.path.startswith("/repos/acme/") for c in host.writes(mark))
        at_risk_id = next(c["id"] for c in web.comments_on(1) if "may not be" in c["body"])
        assert sorted((c.method, c.path) for c in host.writes(mark)) == sorted([
            *[(method, f"/repos/{name}/{tail}") for name in REPOS for method, tail in (
                ("POST", "labels"), ("POST", "issues/3/labels"), ("POST", "issues/3/comments"))],
            ("POST", "/repos/acme/web/issues/1/comments"),  # the growth
            ("PATCH", f"/repos/acme/web/issues/comments/{at_risk_id}"),
        ])
        # The forecast counts the draft and the three added issues: the Project's whole sprint.
        assert any("8 open issues left. That is 32 points of work." in body
                   for body in ours(web, 1))

        # -- run 3: nothing changed anywhere: the Project's two 304s and one page a repository
        clock.now = T1 + timedelta(hours=2)
        run_once(config, clock.now, capsys, TOKEN)
        clock.now = T1 + timedelta(hours=2, minutes=15)
        mark = len(host.calls)
        run_once(config, clock.now, capsys, TOKEN)
        steady = host.calls[mark:]
        assert host.writes(mark) == []
        assert [(c.path, c.status) for c in steady] == [
            ("/orgs/acme/projectsV2/5/fields", 304),
            ("/orgs/acme/projectsV2/5/items", 304),
            *[(p, s) for name in REPOS for p, s in ((f"/repos/{name}/milestones", 304),
                                                    (f"/repos/{name}/issues", 200))],
        ]

        # -- the PM stretches Sprint 23 to three weeks: its due date moved ---------------------
        clock.now = T1 + timedelta(hours=3)
        project.move_iteration("it23", days=21, at=clock.now)
        clock.now = T1 + timedelta(hours=3, minutes=15)
        mark = len(host.calls)
        run_once(config, clock.now, capsys, TOKEN)
        moved = [body for body in ours(web, 1) if "moved" in body]
        assert len(moved) == 1
        assert moved[0].startswith(marker("slip", "moved", SPRINT))
        assert "The due date of milestone “Sprint 23” moved from Jun 16, 2024 to Jun 23, " \
               "2024: 7 days later" in moved[0]

        # -- one summary for the whole Project, on the status issue ---------------------------
        clock.now = T1 + timedelta(hours=4)
        code = main(["run", "--once", "--summary", "-c", str(config), "--now",
                     clock.now.isoformat()])
        assert code == 0, capsys.readouterr()
        summaries = [b for b in ours(web, 1) if "expectation summary" in b]
        assert len(summaries) == 1
        for name in ("acme/api", "acme/docs"):
            assert all("expectation summary" not in b for n in (1, 2, 3)
                       for b in ours(repos[name], n))
