"""How many HTTP requests a GitHub Project plan costs: three repositories, one Project.

The plan of issue 14: acme's Project 5 (an iteration field "Sprint", a date field
"Target date", a number field "Estimate") whose 300 items are issues of acme/web,
acme/api and acme/docs (1,000 issues each, the status issue in acme/web); served by
the stateful fakes of the test suite (tests/fakes/github_project.py: GitHub's
documented Projects payloads, recorded repository payloads), which page at 100,
filter on ``since`` and answer 304 to a matching ``If-None-Match`` as GitHub does.

Cycles measured (``GitHubConnector.fetch``, the connector ``sync/app/runtime.py``
builds for ``github_project``):

1. initial sync, empty memo;
2. steady state, nothing changed: the same connector (the daemon) and a new one
   restored from the memo (``forewarn run --once``);
3. one item moved to the next sprint (its issue untouched);
4. the current sprint stretched by a week (an iteration's dates);
5. one issue edited in each repository.

Run: ``.venv/bin/python benchmarks/github_project_requests.py``. No network is used.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import responses

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.base import DictMemo  # noqa: E402
from connectors.github.connector import GitHubConnector  # noqa: E402
from connectors.github.project_read import Board  # noqa: E402
from connectors.retry import RetryPolicy  # noqa: E402
from tests.conftest import Clock  # noqa: E402
from tests.connectors.github.support import GITHUB_TOKEN  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.github_project import (  # noqa: E402
    FakeGitHubHost,
    FakeIteration,
    FakeProject,
)
from tests.fakes.world import World  # noqa: E402

REPOS = ("acme/web", "acme/api", "acme/docs")
ISSUES, ITEMS_PER_REPO = 1_000, 100
START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 6, 5, 15, 0, tzinfo=UTC)
BOARD = Board(owner="acme", number=5, iteration="Sprint", due="Target date",
              estimate="Estimate")


def build(clock: Clock) -> tuple[FakeGitHubHost, FakeProject, list[FakeGitHub]]:
    sprints = [FakeIteration(f"it{n}", f"Sprint {n}", date(2024, 1, 8) + timedelta(days=14 * n))
               for n in range(12)]
    project = FakeProject("acme", 5, created=START, iterations=sprints)
    repos = []
    for index, name in enumerate(REPOS):
        world = World(clock=clock)
        world.person("alice", association="OWNER")
        for number in range(1, ISSUES + 1):
            world.issue(number, f"Task {number}", "alice",
                        created=START + timedelta(hours=number))
        repo = FakeGitHub(world, name, repo_id=6_000_000 + index)
        repos.append(repo)
        for number in range(1, ITEMS_PER_REPO + 1):
            sprint = sprints[min(number // 10, len(sprints) - 1)].id
            project.add(repo, number, at=START + timedelta(hours=number), sprint=sprint,
                        estimate=float(number % 8 + 1), target=date(2024, 6, 30))
    return FakeGitHubHost(*repos, projects=[project]), project, repos


def connector(clock: Clock, memo: DictMemo) -> GitHubConnector:
    return GitHubConnector(None, board=BOARD, token=GITHUB_TOKEN, memo=memo, project="portal",
                           team_repos=("acme/web",), retry=RetryPolicy(attempts=2, scale=0),
                           min_write_interval=0, clock=clock, sleep=lambda _s: None)


def main() -> None:
    clock = Clock(NOW)
    host, project, repos = build(clock)
    memo = DictMemo()
    rows: list[tuple[str, int, int, str]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host.serve(rsps)
        daemon = connector(clock, memo)

        def cycle(name: str, fresh: bool = False) -> str | None:
            mark = len(host.calls)
            fetched = (connector(clock, DictMemo(memo)) if fresh else daemon).fetch(cursor)
            calls = host.calls[mark:]
            free = sum(c.status == 304 for c in calls)
            kinds = Counter(c.path.rsplit("/", 1)[-1] if "projectsV2" in c.path
                            else "issue" if c.path.split("/")[-1].isdigit()
                            else c.path.split("/", 4)[-1] for c in calls)
            rows.append((name, len(calls), free, ", ".join(f"{k} {v}" for k, v in
                                                           sorted(kinds.items()))))
            return fetched.cursor

        cursor = None
        cursor = cycle("initial sync, empty memo")
        clock.advance(minutes=15)
        cursor = cycle("steady state, same connector")
        clock.advance(minutes=15)
        cursor = cycle("steady state, restored from memo", fresh=True)
        clock.advance(minutes=5)
        project.set(project.item_of(repos[1], 42), at=clock(), sprint="it11")
        clock.advance(minutes=10)
        cursor = cycle("one item moved to another sprint")
        clock.advance(minutes=5)
        project.move_iteration("it10", days=21, at=clock())
        clock.advance(minutes=10)
        cursor = cycle("the current sprint stretched")
        clock.advance(minutes=5)
        for repo in repos:
            repo.world.say(7, "alice", "Still on it.", at=clock())
        clock.advance(minutes=10)
        cursor = cycle("one issue edited in each repository")
    print(f"Project of {len(project.items)} items over {len(REPOS)} repositories of "
          f"{ISSUES:,} issues each")
    print("| cycle | requests | of which 304 | by listing |")
    print("|---|---:|---:|---|")
    for name, total, free, kinds in rows:
        print(f"| {name} | {total} | {free} | {kinds} |")


if __name__ == "__main__":
    main()
