"""The fake GitHub the daemon in the container talks to: tests/fakes/github.py served
over HTTP on the host, and the story it holds (what forewarn must find and write)."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from container.steps import ROOT

REPO = "acme/portal"


TOKEN = "ghp_C0ntainerCheckF4keT0ken0123456789abcd"  # noqa: S105 - the fake GitHub's token


#: The story below: forewarn's comments per issue, and the labels it adds.
EXPECTED_COMMENTS = {1: 2, 4: 1, 7: 1}  # growth + overdue on the status issue, creep, reply


EXPECTED_LABELS = {4: ["scope-creep"], 7: ["awaiting-reply"]}


class FakeGitHub:
    """tests/fakes/github.py's repository, served over HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        import http.server

        import requests

        sys.path.insert(0, str(ROOT))
        from tests.fakes.github import API
        from tests.fakes.github import FakeGitHub as Repository
        from tests.fakes.world import World

        self.lock = threading.Lock()
        self.world = World(clock=lambda: datetime.now(UTC))
        story(self.world)
        self.repo = Repository(self.world, REPO)
        self.tokens: Counter[str] = Counter()
        self.errors: list[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in {"host", "content-length"}}
                request = requests.Request(self.command, API + self.path, data=body,
                                           headers=headers).prepare()
                with fake.lock:
                    fake.tokens[self.headers.get("Authorization", "")] += 1
                    try:
                        status, reply_headers, text = fake.repo.handle(request)
                    except Exception as error:  # a request the fake does not know: say which
                        fake.errors.append(f"{self.command} {self.path}: {error!r}")
                        status, reply_headers, text = 500, {}, "{}"
                # The payloads name api.github.com; PyGithub follows only its own host.
                payload = text.replace(API, fake.base_url).encode()
                self.send_response_only(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value.replace(API, fake.base_url))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload) if status != 304 else 0))
                self.end_headers()
                if status != 304:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ours(self) -> dict[int, list[str]]:
        """forewarn's comments by issue number."""
        with self.lock:
            found: dict[int, list[str]] = {}
            for comment in self.world.ours():
                found.setdefault(comment.number, []).append(comment.body)
            return found

    def labels(self) -> dict[int, list[str]]:
        with self.lock:
            return {number: names for number, issue in sorted(self.world.issues.items())
                    if (names := [n for n in issue.labels if n != "change-approved"])}

    def writes(self) -> int:
        with self.lock:
            return len(self.repo.writes())


def story(world: Any) -> None:
    """tests/e2e/test_github_run.py's repository without its 120 closed issues.

    Milestone v2.0 held #2 and #3 at its baseline; #4 joined later (creep), #5 too but
    approved; milestone Beta was due on 2024-05-31 with #6 still open (overdue); a
    client asked on #7 and nobody answered (past the 16 h SLA).
    """
    def at(day: int, hour: int, month: int = 5) -> datetime:
        return datetime(2024, month, day, hour, tzinfo=UTC)

    for login in ("dave", "bob"):
        world.person(login, association="MEMBER")
    world.person("alice", association="OWNER")
    world.person("client-cathy", association="NONE")
    world.milestone(2, "Beta", created=at(1, 9, 4), due=date(2024, 5, 31))
    world.issue(6, "Beta sign-off checklist", "dave", created=at(1, 10, 4))
    world.join(6, 2, at=at(1, 10, 4), actor="dave")
    world.issue(4, "Export all invoices to CSV", "dave", created=at(15, 9))
    world.issue(5, "Dark mode for the invoice list", "dave", created=at(16, 9))
    world.issue(1, "Project status", "alice", created=at(20, 8))
    world.milestone(1, "v2.0", created=at(20, 9))
    for number in (2, 3):
        world.issue(number, f"Planned work {number}", "dave", created=at(20, 10))
        world.join(number, 1, at=at(20, 10), actor="alice")
    world.join(4, 1, at=at(28, 11), actor="alice")
    world.join(5, 1, at=at(29, 9), actor="alice")
    world.add_label(5, "change-approved", "alice", at=at(29, 10))
    world.issue(7, "Invoice export fails for March", "dave", created=at(31, 12),
                assignees=("bob",))
    world.say(7, "client-cathy", "The March export is still empty. Can you look?",
              at=at(3, 10, 6))

