"""A World served as Jira Cloud's REST API (v2) through ``responses`` callbacks, with faults.

Items are rendered from recorded payloads (tests/fixtures/jira/, see SOURCES.md
there): an issue of the spec harness's ``search_jql_SAM1``, a comment of
jira-ruby's ``issue_10002_comment.GET`` and its version ``version_10000.GET``;
people take the recorded reporter's shape with their own ``accountId``. The
search answers every issue on one page (a delta re-reads a few issues on a real
site too, and the sync merge is idempotent); comments and changelogs are
embedded whole. Label edits are kept as changelog entries by their author.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests
import responses

from connectors.base import DictMemo
from connectors.jira.connector import JiraConnector
from connectors.retry import RetryPolicy
from tests.connectors.jira.support import TOKEN, body
from tests.hardening.world import Answer, Faults, World, apply_fault

SITE = "https://acme.atlassian.net"
PROJECT = "BILL"
_URL = re.compile(re.escape(SITE) + r"/.*")


def jira_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeJira:
    """Jira Cloud for one project over a World; ``faults`` break requests on purpose."""

    def __init__(self, world: World, rsps: responses.RequestsMock) -> None:
        self.world = world
        self.faults = Faults()
        self.log: list[tuple[str, str, int]] = []
        #: issue number -> how to spoil it in search results (a broken payload, on purpose).
        self.tamper: dict[int, Callable[[dict[str, Any]], Any]] = {}
        self.issue_template = body("specharness/search_jql_SAM1.json")["issues"][0]
        self.comment_template = body("jira-ruby/issue_10002_comment.GET.json")["comments"][0]
        self.version_template = body("jira-ruby/version_10000.GET.json")
        for method in ("GET", "POST", "PUT"):
            rsps.add_callback(method, _URL, callback=self.handle)

    def connector(self, **options: Any) -> JiraConnector:
        options.setdefault("memo", DictMemo())
        options.setdefault("retry", RetryPolicy(attempts=4, scale=0, sleep=lambda _s: None))
        options.setdefault("clock", self.world.clock)
        return JiraConnector(PROJECT, url=SITE, email="pm@acme.example", token=TOKEN,
                             project="billing", milestones="version", **options)

    @staticmethod
    def account(person: str) -> str:
        return f"712020:{person}"

    @staticmethod
    def key(number: int) -> str:
        return f"{PROJECT}-{number}"

    # -- rendering --------------------------------------------------------------------------

    def user(self, person: str) -> dict[str, Any]:
        user = dict(self.issue_template["fields"]["reporter"])
        user.update(accountId=self.account(person), displayName=person.title(),
                    emailAddress=f"{person}@example.com",
                    self=f"{SITE}/rest/api/2/user?accountId={self.account(person)}")
        return user

    def comment(self, comment_id: int) -> dict[str, Any]:
        c = self.world.comments[comment_id]
        item = dict(self.comment_template)
        item.update(id=str(comment_id), author=self.user(c.author),
                    updateAuthor=self.user(c.author), body=c.body,
                    created=jira_time(c.created), updated=jira_time(c.updated),
                    self=f"{SITE}/rest/api/2/issue/{3000 + c.number}/comment/{comment_id}")
        return item

    def issue(self, number: int) -> dict[str, Any]:
        i = self.world.issues[number]
        item = dict(self.issue_template)
        fields = item["fields"] = dict(self.issue_template["fields"])
        comments = [self.comment(c) for c, w in sorted(self.world.comments.items())
                    if w.number == number]
        histories = []
        current: list[str] = []
        for event in self.world.events:
            if event.number != number:
                continue
            before = list(current)
            if event.added:
                current.append(event.label)
            else:
                current = [n for n in current if n.casefold() != event.label.casefold()]
            histories.append({
                "id": str(event.id), "author": self.user(event.actor),
                "created": jira_time(event.at),
                "items": [{"field": "labels", "fieldtype": "jira", "fieldId": "labels",
                           "from": None, "fromString": " ".join(before), "to": None,
                           "toString": " ".join(current)}],
            })
        histories.reverse()  # the search embeds the changelog newest first
        fields.update(
            summary=i.title, created=jira_time(i.created), updated=jira_time(i.updated),
            reporter=self.user(i.author), creator=self.user(i.author), assignee=None,
            duedate=None, resolutiondate=None,
            labels=list(i.labels),
            fixVersions=[self.version(i.milestone)] if i.milestone else [],
            comment={"comments": comments, "maxResults": len(comments),
                     "total": len(comments), "startAt": 0},
        )
        item.update(id=str(3000 + number), key=self.key(number),
                    self=f"{SITE}/rest/api/2/issue/{3000 + number}",
                    changelog={"startAt": 0, "maxResults": len(histories),
                               "total": len(histories), "histories": histories})
        return item

    def version(self, number: int) -> dict[str, Any]:
        m = self.world.milestones[number]
        item = dict(self.version_template)
        item.update(id=str(10_000 + number), name=m.title, archived=False,
                    released=m.state != "open",
                    startDate=m.start.isoformat() if m.start else None,
                    releaseDate=m.due.isoformat() if m.due else None,
                    self=f"{SITE}/rest/api/2/version/{10_000 + number}")
        return item

    # -- routing ----------------------------------------------------------------------------

    def handle(self, request: requests.PreparedRequest) -> Answer:
        parts = urllib.parse.urlsplit(request.url or "")
        path = urllib.parse.unquote(parts.path)
        method = request.method or "GET"
        payload: Any = json.loads(request.body) if request.body else None
        fault = self.faults.take(method, path)
        try:
            status, headers, text = apply_fault(fault, lambda: self.route(method, path, payload))
        except Exception:
            self.log.append((method, path, 0))
            raise
        self.log.append((method, path, status))
        return status, headers, text

    def _number(self, ref: str) -> int | None:
        if ref.startswith(f"{PROJECT}-"):
            number = int(ref.split("-", 1)[1])
        elif ref.isdigit():
            number = int(ref) - 3000
        else:
            return None
        return number if number in self.world.issues else None

    def route(self, method: str, path: str, payload: Any) -> Answer:  # noqa: C901
        world = self.world
        if method == "GET" and path == "/rest/api/2/serverInfo":
            return _ok({"baseUrl": SITE, "deploymentType": "Cloud", "version": "1001.0.0"})
        if method == "GET" and path == "/rest/api/2/field":
            return _ok([{"id": "summary", "name": "Summary", "schema": {"type": "string"}}])
        if method == "GET" and path == "/rest/api/2/myself":
            return _ok({**self.user(world.me), "timeZone": "UTC", "accountType": "atlassian"})
        if method == "GET" and path == "/rest/api/2/search/jql":
            issues = [self.tamper.get(n, _same)(self.issue(n)) for n in sorted(world.issues)]
            return _ok({"issues": issues, "isLast": True})
        if method == "GET" and path == f"/rest/api/2/project/{PROJECT}/versions":
            return _ok([self.version(n) for n in sorted(world.milestones)])
        match = re.fullmatch(r"/rest/api/2/issue/([^/]+)/changelog", path)
        if match and method == "GET" and (number := self._number(match.group(1))) is not None:
            histories = self.issue(number)["changelog"]["histories"][::-1]  # oldest first
            return _ok({"startAt": 0, "maxResults": 100, "total": len(histories),
                        "isLast": True, "values": histories})
        match = re.fullmatch(r"/rest/api/2/issue/([^/]+)/comment(?:/(\d+))?", path)
        if match and (number := self._number(match.group(1))) is not None:
            if method == "GET" and match.group(2) is None:
                found = [self.comment(c) for c, w in sorted(world.comments.items())
                         if w.number == number]
                return _ok({"startAt": 0, "maxResults": 100, "total": len(found),
                            "comments": found})
            if method == "POST" and match.group(2) is None:
                created = world.post(number, world.me, payload["body"])
                return 201, {"Content-Type": "application/json"}, json.dumps(
                    self.comment(created.id))
            if method == "PUT" and match.group(2):
                comment = world.comments.get(int(match.group(2)))
                if comment is None or comment.author != world.me:
                    return 403, {}, json.dumps({"errorMessages": ["You cannot edit it."]})
                world.edit(comment.id, payload["body"])
                return _ok(self.comment(comment.id))
        match = re.fullmatch(r"/rest/api/2/issue/([^/]+)", path)
        if match and method == "PUT" and (number := self._number(match.group(1))) is not None:
            for verb in payload["update"]["labels"]:
                if "add" in verb:
                    world.add_label(number, verb["add"], world.me)
                else:
                    world.remove_label(number, verb["remove"], world.me)
            return 204, {}, ""
        return 404, {}, json.dumps({"errorMessages": ["Not found"]})


def _same(item: dict[str, Any]) -> Any:
    return item


def _ok(data: Any) -> Answer:
    return 200, {"Content-Type": "application/json"}, json.dumps(data)
