"""A World served as GitHub's REST API through ``responses`` callbacks, with faults.

Items are rendered from recorded GitHub payloads (tests/fixtures/github/, see
SOURCES.md there): an issue of octokit's ``paginate-issues``, a comment of
PyGithub's ``PaginatedList.testCustomPerPageIteration``, a ``labeled`` event
of github3.py's ``Repository_issue_events``, a milestone of github3.py's
``Repository_milestones`` and the user of PyGithub's ``GET /user``; only the
fields that differ per item are replaced. Items are shallow copies of the templates with their own
fields replaced (nothing nested is changed). Lists fit on one page. ``since`` is
honoured as GitHub does (updated at or after it), events come newest first.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import zlib
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

import requests
import responses

from connectors.base import DictMemo
from connectors.github.connector import GitHubConnector
from connectors.retry import RetryPolicy
from tests.connectors.github.support import GITHUB_TOKEN, github_exchange
from tests.hardening.world import Answer, Faults, World, apply_fault

API = "https://api.github.com"
REPO = "acme/portal"
_URL = re.compile(r"https://api\.github\.com(:443)?/.*")
_RATE = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4990",
         "X-RateLimit-Reset": "1900000000"}


def _recorded(name: str, index: int) -> Any:
    return github_exchange(name, index)["response"]["body"]


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    """GitHub for one repository over a World; ``faults`` break requests on purpose."""

    def __init__(self, world: World, rsps: responses.RequestsMock, repo: str = REPO) -> None:
        self.world = world
        self.repo = repo
        self.faults = Faults()
        self.log: list[tuple[str, str, int]] = []
        #: ("issue" | "comment" | "milestone" | "event", number or id) -> how to spoil that
        #: item in the repository-wide lists (a broken payload, on purpose).
        self.tamper: dict[tuple[str, int], Callable[[dict[str, Any]], Any]] = {}
        self.user_template = _recorded("pygithub-replaydata/Exceptions.testUnknownObject", 0)
        self.issue_template = _recorded("octokit-fixtures/paginate-issues.raw-fixture", 14)[0]
        self.comment_template = _recorded(
            "pygithub-replaydata/PaginatedList.testCustomPerPageIteration", 2)[2]
        self.event_template = _recorded("github3py-cassettes/Repository_issue_events", 1)[7]
        self.milestone_template = _recorded("github3py-cassettes/Repository_milestones", 1)[3]
        for method in ("GET", "POST", "PATCH", "DELETE"):
            rsps.add_callback(method, _URL, callback=self.handle)

    def connector(self, **options: Any) -> GitHubConnector:
        options.setdefault("token", GITHUB_TOKEN)
        options.setdefault("memo", DictMemo())
        options.setdefault("project", "portal")
        options.setdefault("retry", RetryPolicy(attempts=4, scale=0, sleep=lambda _s: None))
        options.setdefault("min_write_interval", 0)
        options.setdefault("clock", self.world.clock)
        options.setdefault("sleep", lambda _s: None)
        return GitHubConnector(self.repo, **options)

    # -- rendering --------------------------------------------------------------------------

    def user(self, login: str) -> dict[str, Any]:
        user = dict(self.issue_template["user"])
        user.update(login=login, id=zlib.crc32(login.encode()),
                    url=f"{API}/users/{login}", html_url=f"https://github.com/{login}",
                    type="User")
        return user

    def milestone(self, number: int) -> dict[str, Any]:
        m = self.world.milestones[number]
        item = dict(self.milestone_template)
        due = datetime.combine(m.due, time(8)).replace(tzinfo=m.created.tzinfo) if m.due else None
        item.update(number=number, id=4_000_000 + number, title=m.title, state=m.state,
                    created_at=stamp(m.created), updated_at=stamp(m.created),
                    due_on=stamp(due) if due else None, closed_at=None,
                    url=f"{API}/repos/{self.repo}/milestones/{number}")
        return item

    def issue(self, number: int) -> dict[str, Any]:
        i = self.world.issues[number]
        item = dict(self.issue_template)
        item.update(
            url=f"{API}/repos/{self.repo}/issues/{number}",
            html_url=f"https://github.com/{self.repo}/issues/{number}",
            id=3_000_000 + number, number=number, title=i.title, state=i.state,
            user=self.user(i.author), author_association=self.world.associations.get(
                i.author, "NONE"),
            labels=[{"id": zlib.crc32(name.encode()), "name": name, "color": "ededed"}
                    for name in i.labels],
            milestone=self.milestone(i.milestone) if i.milestone else None,
            created_at=stamp(i.created), updated_at=stamp(i.updated),
            closed_at=stamp(i.closed) if i.closed else None,
        )
        return item

    def comment(self, comment_id: int) -> dict[str, Any]:
        c = self.world.comments[comment_id]
        item = dict(self.comment_template)
        item.update(
            url=f"{API}/repos/{self.repo}/issues/comments/{comment_id}",
            html_url=f"https://github.com/{self.repo}/issues/{c.number}#issuecomment-{comment_id}",
            issue_url=f"{API}/repos/{self.repo}/issues/{c.number}", id=comment_id,
            user=self.user(c.author),
            author_association=self.world.associations.get(c.author, "NONE"),
            body=c.body, created_at=stamp(c.created), updated_at=stamp(c.updated),
        )
        return item

    def event(self, index: int) -> dict[str, Any]:
        e = self.world.events[index]
        item = dict(self.event_template)
        item.update(id=e.id, event="labeled" if e.added else "unlabeled",
                    actor=self.user(e.actor), created_at=stamp(e.at),
                    label={"name": e.label, "color": "ededed"}, issue=self.issue(e.number),
                    url=f"{API}/repos/{self.repo}/issues/events/{e.id}")
        return item

    def _spoil(self, kind: str, ident: int, item: dict[str, Any]) -> Any:
        spoil = self.tamper.get((kind, ident))
        return spoil(item) if spoil is not None else item

    # -- routing ----------------------------------------------------------------------------

    def handle(self, request: requests.PreparedRequest) -> Answer:
        parts = urllib.parse.urlsplit(request.url or "")
        path = parts.path
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        method = request.method or "GET"
        body: Any = json.loads(request.body) if request.body else None
        fault = self.faults.take(method, path)
        try:
            status, headers, text = apply_fault(
                fault, lambda: self.route(method, path, query, body))
        except Exception:
            self.log.append((method, path, 0))
            raise
        self.log.append((method, path, status))
        return status, {**_RATE, **headers}, text

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:  # noqa: C901
        world = self.world
        base = f"/repos/{self.repo}"
        if path == "/user":
            user = dict(self.user_template)
            user.update(login=world.me, type="User")
            return _ok(user)
        if not path.startswith(base):
            return 404, {}, json.dumps({"message": "Not Found"})
        rest = path[len(base):]
        since = _since(query)
        if method == "GET" and rest == "/milestones":
            return _ok([self._spoil("milestone", n, self.milestone(n))
                        for n in sorted(world.milestones)])
        if method == "GET" and rest == "/issues":
            return _ok([self._spoil("issue", n, self.issue(n))
                        for n, i in sorted(world.issues.items())
                        if since is None or i.updated >= since])
        if method == "GET" and rest == "/issues/comments":
            return _ok([self._spoil("comment", c, self.comment(c))
                        for c, item in sorted(world.comments.items())
                        if since is None or item.updated >= since])
        if method == "GET" and rest == "/issues/events":
            return _ok([self._spoil("event", world.events[i].id, self.event(i))
                        for i in reversed(range(len(world.events)))])
        if rest == "/labels":
            if method == "GET":
                return _ok([{"name": name, "color": "ededed"} for name in sorted(
                    world.catalogue)])
            name = body["name"]
            if name.casefold() in world.catalogue:
                return 422, {}, json.dumps({"message": "Validation Failed", "errors": [
                    {"resource": "Label", "code": "already_exists", "field": "name"}]})
            world.catalogue.add(name.casefold())
            return 201, {}, json.dumps({"name": name, "color": body.get("color")})
        match = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if match and int(match.group(1)) in world.issues:
            number = int(match.group(1))
            if method == "GET":
                return _ok([self.comment(c) for c, item in sorted(world.comments.items())
                            if item.number == number])
            created = world.post(number, world.me, body["body"])
            return 201, {}, json.dumps(self.comment(created.id))
        match = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if match and method == "PATCH" and int(match.group(1)) in world.comments:
            comment = world.comments[int(match.group(1))]
            if comment.author != world.me:
                return 403, {}, json.dumps({"message": "Must have admin rights to Repository."})
            world.edit(comment.id, body["body"])
            return _ok(self.comment(comment.id))
        match = re.fullmatch(r"/issues/(\d+)/labels(?:/(.+))?", rest)
        if match and int(match.group(1)) in world.issues:
            number = int(match.group(1))
            if method == "POST":
                for label in body["labels"]:
                    world.add_label(number, label, world.me)
                return _ok([{"name": n} for n in world.issues[number].labels])
            if method == "DELETE" and match.group(2):
                name = urllib.parse.unquote(match.group(2))
                if not world.remove_label(number, name, world.me):
                    return 404, {}, json.dumps({"message": "Label does not exist"})
                return _ok([{"name": n} for n in world.issues[number].labels])
        return 404, {}, json.dumps({"message": "Not Found"})


def _ok(data: Any) -> Answer:
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data)


def _since(query: dict[str, str]) -> datetime | None:
    value = query.get("since")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
