"""``repos:``: one plan over two repositories that mirror their milestones by title.

acme/web and acme/api both have a milestone "v2.0" (created Monday 2024-05-20 09:00,
so its scope baseline is Tuesday 09:00); acme/web's is due 2024-06-14, acme/api's a
week later. web#2 and api#2 were planned on Monday; api#3 joined on 2024-05-28. Seen
on Wednesday 2024-06-05 15:00: one milestone "v2.0" (acme/web's key, due on the
earlier date) grew by one issue out of two agreed, and the added issue is flagged on
acme/api, where it lives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import responses

from rules.base import make_fingerprint
from sync import escape
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.github import FakeGitHub
from tests.fakes.github_project import FakeGitHubHost
from tests.fakes.world import World

TOKEN = "ghp_E2eF0rewarnRep0sT0ken0123456789abcdef"
T1 = datetime(2024, 6, 5, 15, 0, tzinfo=UTC)

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
projects:
  - name: suite
    tracker: gh
    repos: [acme/web, acme/api]
    status_issue: 1
    backfill: comment
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
"""


def build(clock: Clock) -> tuple[FakeGitHubHost, FakeGitHub, FakeGitHub]:
    repos = []
    for index, (name, due) in enumerate((("acme/web", date(2024, 6, 14)),
                                         ("acme/api", date(2024, 6, 21)))):
        world = World(clock=clock)
        world.person("alice", association="OWNER")
        world.person("dave", association="MEMBER")
        world.issue(1, "Project status", "alice", created=datetime(2024, 5, 1, tzinfo=UTC))
        world.milestone(1, "v2.0", created=datetime(2024, 5, 20, 9, tzinfo=UTC), due=due)
        monday = datetime(2024, 5, 20, 10, tzinfo=UTC)
        world.issue(2, f"Planned work in {name}", "dave", created=monday)
        world.join(2, 1, at=monday, actor="alice")
        repos.append(FakeGitHub(world, name, repo_id=3_000_000 + index))
    web, api = repos
    api.world.issue(3, "Bulk export endpoint", "dave", created=datetime(2024, 5, 27, tzinfo=UTC))
    api.world.join(3, 1, at=datetime(2024, 5, 28, 11, tzinfo=UTC), actor="alice")
    return FakeGitHubHost(web, api), web, api


def ours(repo: FakeGitHub, number: int) -> list[str]:
    return [c["body"] for c in repo.comments_on(number) if c["user"]["login"] == repo.login]


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_two_repositories_share_their_milestones_by_title(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = configure(CONFIG, token=("FOREWARN_GITHUB_TOKEN", TOKEN))
    clock = Clock(T1)
    host, web, api = build(clock)
    milestone = "acme/web/milestones/1"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host.serve(rsps)
        out = run_once(config, T1, capsys, TOKEN)
        assert "2 findings" in out
        (added,) = ours(api, 3)
        fingerprint = make_fingerprint("scope", "added", "acme/api#3", milestone)
        assert added.startswith(f"<!-- forewarn:{fingerprint}:warning -->")
        assert f"was added to milestone “{escape.markdown('v2.0')}” on May 28, 2024, 11:00 " \
               "(UTC)" in added
        assert api.label_names(3) == ["scope-creep"]
        (growth,) = ours(web, 1)
        assert "1 issue added to the 2 issues agreed" in growth
        assert ours(api, 1) == [] and ours(web, 2) == [] and ours(api, 2) == []

        # Nothing changed: each repository's milestones (304) and one page of its issues.
        for minutes in (5, 10):
            clock.now = T1 + timedelta(minutes=minutes)
            mark = len(host.calls)
            run_once(config, clock.now, capsys, TOKEN)
        assert [(c.path, c.status) for c in host.calls[mark:]] == [
            ("/repos/acme/web/milestones", 304), ("/repos/acme/web/issues", 200),
            ("/repos/acme/api/milestones", 304), ("/repos/acme/api/issues", 200),
        ]
