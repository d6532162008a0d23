"""How many HTTP requests the GitHub connector makes on a 10,000-issue repository.

A synthetic repository (10,000 issues, 50,000 comments, 30,000 issue events,
20 milestones) is served by ``responses`` callbacks that behave like GitHub
where it matters for request counts:

* lists page at ``per_page`` (at most 100) with ``Link`` headers whose
  ``next`` URLs switch to ``/repositories/{id}/...`` as GitHub's do;
* ``/issues`` and ``/issues/comments`` really filter on ``since``
  (``updated_at`` at or after it); ``/issues/events`` is newest first;
* milestones answer ``304 Not Modified`` to a matching ``If-None-Match``;
* every answer carries ``Date`` and ``X-RateLimit-*``.

Every item is generated from a recorded one (tests/fixtures/github/): an issue
of octokit's ``paginate-issues``, a comment of PyGithub's
``PaginatedList.testCustomPerPageIteration``, a ``labeled`` event of
github3.py's ``Repository_issue_events`` (with its embedded issue) and a
milestone of github3.py's ``Repository_milestones``.

Cycles measured:

1. initial sync (``fetch(None)``) with an empty memo;
2. steady state, nothing changed: the same connector (the daemon) and a new
   one restored from the memo (``forewarn run --once``);
3. after 50 issues changed (20 new comments, 30 new events), and after 500.

Run: ``.venv/bin/python benchmarks/github_requests.py``. No network is used.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.base import DictMemo, FetchResult  # noqa: E402
from connectors.github.connector import GitHubConnector  # noqa: E402
from connectors.retry import RetryPolicy  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "github"
REPO = "acme/portal"
REPO_ID = 515435940
API = "https://api.github.com"
ISSUES, COMMENTS, EVENTS, MILESTONES = 10_000, 50_000, 30_000, 20
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
Response = tuple[int, dict[str, str], str]


def recorded(name: str, index: int) -> Any:
    exchanges = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return exchanges[index]["response"]["body"]


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IssueRow:
    created: datetime
    updated: datetime
    milestone: int


class Repository:
    """The synthetic repository: compact rows, rendered to GitHub JSON page by page."""

    def __init__(self) -> None:
        self.issue_template = recorded("octokit-fixtures/paginate-issues.raw-fixture", 14)[0]
        self.comment_template = recorded(
            "pygithub-replaydata/PaginatedList.testCustomPerPageIteration", 2
        )[2]
        self.event_template = recorded("github3py-cassettes/Repository_issue_events", 1)[7]
        assert self.event_template["event"] == "labeled"
        self.milestone_template = recorded("github3py-cassettes/Repository_milestones", 1)[3]
        self.now = START + timedelta(days=400)
        # issue number -> its dates and milestone
        self.issues = {
            n: IssueRow(
                created=START + timedelta(minutes=50 * n),
                updated=START + timedelta(minutes=50 * n + 7),
                milestone=n % MILESTONES + 1,
            )
            for n in range(1, ISSUES + 1)
        }
        # comment id -> (issue, created); ids grow with time
        self.comments = [
            (1_000_000 + i, i % ISSUES + 1, START + timedelta(minutes=10 * i))
            for i in range(COMMENTS)
        ]
        self.events = [
            (2_000_000 + i, i % ISSUES + 1, START + timedelta(minutes=16 * i))
            for i in range(EVENTS)
        ]
        self.remaining = 5000

    # -- rendering ------------------------------------------------------------------

    def issue(self, number: int) -> dict[str, Any]:
        row = self.issues[number]
        item = dict(self.issue_template)
        base = f"{API}/repos/{REPO}/issues/{number}"
        item.update(
            url=base,
            html_url=f"https://github.com/{REPO}/issues/{number}",
            id=1_308_969_059 + number,
            number=number,
            title=f"Test issue {number}",
            created_at=stamp(row.created),
            updated_at=stamp(row.updated),
            milestone=self.milestone(row.milestone),
        )
        return item

    def milestone(self, number: int) -> dict[str, Any]:
        item = dict(self.milestone_template)
        item.update(
            number=number,
            id=2_347_000 + number,
            title=f"Sprint {number}",
            url=f"{API}/repos/{REPO}/milestones/{number}",
            due_on=stamp(datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(weeks=2 * number)),
        )
        return item

    def comment(self, row: tuple[int, int, datetime]) -> dict[str, Any]:
        ident, number, created = row
        item = dict(self.comment_template)
        item.update(
            id=ident,
            url=f"{API}/repos/{REPO}/issues/comments/{ident}",
            html_url=f"https://github.com/{REPO}/issues/{number}#issuecomment-{ident}",
            issue_url=f"{API}/repos/{REPO}/issues/{number}",
            created_at=stamp(created),
            updated_at=stamp(created),
        )
        return item

    def event(self, row: tuple[int, int, datetime]) -> dict[str, Any]:
        ident, number, created = row
        item = dict(self.event_template)
        item.update(id=ident, created_at=stamp(created), issue=self.issue(number))
        return item

    # -- changes --------------------------------------------------------------------

    def change(self, count: int) -> None:
        """``count`` issues edited, with new comments on some and labels on others."""
        self.now += timedelta(hours=1)
        for offset, number in enumerate(range(1, ISSUES + 1, ISSUES // count)):
            when = self.now - timedelta(minutes=offset % 50)
            self.issues[number].updated = when
            if offset % 5 < 2:
                self.comments.append((self.comments[-1][0] + 1, number, when))
            if offset % 5 >= 2:
                self.events.append((self.events[-1][0] + 1, number, when))

    # -- HTTP -----------------------------------------------------------------------

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        self.remaining -= 1
        headers = {
            "Date": email.utils.format_datetime(self.now, usegmt=True),
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(int((self.now + timedelta(hours=1)).timestamp())),
            "X-RateLimit-Resource": "core",
        }
        headers.update(extra or {})
        return headers

    def page(
        self, request: Any, path: str, rows: list[Any], render: Callable[[Any], Any]
    ) -> Response:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        per_page = min(int(query.get("per_page", 30)), 100)
        number = int(query.get("page", 1))
        chunk = rows[(number - 1) * per_page : number * per_page]
        links = []
        last = max(1, -(-len(rows) // per_page))
        if number < last:
            for rel, target in (("next", number + 1), ("last", last)):
                url = f"{API}/repositories/{REPO_ID}/{path}?{urlencode({**query, 'page': target})}"
                links.append(f'<{url}>; rel="{rel}"')
        extra = {"Link": ", ".join(links)} if links else {}
        body = json.dumps([render(row) for row in chunk])
        return 200, self.headers(extra), body

    @staticmethod
    def since(request: Any) -> datetime | None:
        value = parse_qs(urlsplit(request.url).query).get("since")
        return datetime.fromisoformat(value[0].replace("Z", "+00:00")) if value else None

    def on_issues(self, request: Any) -> Response:
        since = self.since(request)
        changed = [n for n, row in self.issues.items() if since is None or row.updated >= since]
        numbers = sorted(changed, reverse=True)  # GitHub's default: newest created first
        return self.page(request, "issues", numbers, self.issue)

    def on_comments(self, request: Any) -> Response:
        since = self.since(request)
        rows = [row for row in self.comments if since is None or row[2] >= since]
        return self.page(request, "issues/comments", rows, self.comment)

    def on_events(self, request: Any) -> Response:
        rows = sorted(self.events, key=lambda row: row[0], reverse=True)
        return self.page(request, "issues/events", rows, self.event)

    def on_milestones(self, request: Any) -> Response:
        body = json.dumps([self.milestone(n) for n in range(1, MILESTONES + 1)])
        etag = 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.remaining += 1  # a 304 is not counted against the rate limit
            return 304, self.headers({"ETag": etag}), ""
        return 200, self.headers({"ETag": etag}), body

    def on_user(self, request: Any) -> Response:
        return 200, self.headers(), json.dumps(self.comment_template["user"])

    def serve(self, rsps: responses.RequestsMock) -> None:
        prefix = r"https://api\.github\.com(:443)?"
        owner = rf"(/repos/{re.escape(REPO)}|/repositories/{REPO_ID})"
        routes: Iterable[tuple[str, Callable[[Any], Response]]] = [
            (rf"{prefix}{owner}/milestones(\?.*)?$", self.on_milestones),
            (rf"{prefix}{owner}/issues/comments(\?.*)?$", self.on_comments),
            (rf"{prefix}{owner}/issues/events(\?.*)?$", self.on_events),
            (rf"{prefix}{owner}/issues(\?.*)?$", self.on_issues),
            (rf"{prefix}/user$", self.on_user),
        ]
        for pattern, callback in routes:
            rsps.add_callback(
                "GET", re.compile(pattern), callback=callback, content_type="application/json"
            )


def connector(memo: DictMemo) -> GitHubConnector:
    return GitHubConnector(
        REPO,
        token="bench-token",
        memo=memo,
        project="bench",
        retry=RetryPolicy(scale=0),
        min_write_interval=0,
    )


def measure(name: str, run: Callable[[], FetchResult], rows: list[list[str]]) -> FetchResult:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    snap = result.snapshot
    rows.append(
        [
            name,
            str(result.requests),
            str(len(snap.issues)),
            str(len(snap.comments)),
            str(len(snap.changes)),
            str(len(snap.milestones)),
            f"{seconds:.1f}",
        ]
    )
    return result


def main() -> None:
    repo = Repository()
    rows: list[list[str]] = []
    memo = DictMemo()
    daemon = connector(memo)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        repo.serve(rsps)
        first = measure("initial sync", lambda: daemon.fetch(None), rows)
        cursor = first.cursor
        rsps.calls.reset()
        steady = measure("steady state, same connector", lambda: daemon.fetch(cursor), rows)
        assert steady.cursor == cursor
        one_shot = connector(DictMemo(memo))
        measure("steady state, restored from memo", lambda: one_shot.fetch(cursor), rows)
        rsps.calls.reset()
        for count in (50, 500):
            repo.change(count)
            result = measure(f"after {count} issues changed", partial(daemon.fetch, cursor), rows)
            cursor = result.cursor
            rsps.calls.reset()
    pages = 1 + -(-ISSUES // 100) + -(-COMMENTS // 100) + -(-EVENTS // 100)
    print(
        f"GitHub connector on {ISSUES:,} issues, {COMMENTS:,} comments, {EVENTS:,} events, "
        f"{MILESTONES} milestones (100 a page)"
    )
    print(f"pages of the repo-wide lists: {pages}; plus GET /user once\n")
    header = ["cycle", "requests", "issues", "comments", "changes", "milestones", "seconds"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()
