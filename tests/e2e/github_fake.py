"""A stateful fake of one GitHub repository, served through ``responses`` callbacks.

It keeps issues, comments, labels, milestones and issue events in memory, so
that what forewarn writes is what the next cycle reads back, and it answers
the requests the GitHub connector sends the way GitHub does where forewarn's
behaviour depends on it:

* lists page at ``per_page`` (30 by default, at most 100) with ``Link``
  headers whose ``next`` URLs switch to ``/repositories/{id}/...``
  (octokit ``paginate-issues``);
* ``/issues`` (``state``, ``since``; newest created first) and
  ``/issues/comments`` (``since``; oldest first) filter on ``updated_at``;
  ``/issues/events`` lists newest first;
* the milestone list carries an ``ETag`` and answers ``304`` to a matching
  ``If-None-Match``;
* adding or removing a label records a ``labeled``/``unlabeled`` event, and a
  new or edited comment or a label change moves the issue's ``updated_at``;
* ``POST /issues/{n}/labels`` creates a missing label as GitHub does,
  ``POST /labels`` answers 422 ``already_exists`` for a name taken in any case,
  ``DELETE /issues/{n}/labels/{name}`` answers 404 when the label is not on it;
* every answer carries ``Date`` and ``X-RateLimit-*``.

Every payload is a copy of a recorded one (tests/fixtures/github/, see
SOURCES.md there) with ids, numbers, titles, dates, people, associations,
milestones and labels changed: an issue of octokit's ``paginate-issues``, a
comment of PyGithub's ``PaginatedList.testCustomPerPageIteration``, a
milestone of github3.py's ``Repository_milestones``, one event of each kind
from PyGithub's ``IssueEvent.setUp``, octokit's label catalogue and created
label, the 422 of octokit's ``errors`` scenario (code changed to
``already_exists``) and PyGithub's ``GET /user`` and 404.
"""

from __future__ import annotations

import copy
import email.utils
import functools
import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import responses
from requests import PreparedRequest

from tests.connectors.github.support import github_exchanges
from tests.e2e.support import WRITE_METHODS, Call

Json = dict[str, Any]
Reply = tuple[int, dict[str, str], str]

API = "https://api.github.com"
PACIFIC = ZoneInfo("America/Los_Angeles")


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@functools.cache
def _body_text(name: str, index: int) -> str:
    return json.dumps(github_exchanges(name)[index]["response"]["body"])


def _body(name: str, index: int) -> Any:
    """A fresh copy of one recorded response body."""
    return json.loads(_body_text(name, index))


def _rehome(data: Any, old: str, new: str) -> Any:
    """A recorded payload moved to another repository (every URL and name in it)."""
    return json.loads(json.dumps(data).replace(old, new))


@functools.cache
def _event_text(kind: str) -> str:
    for exchange in github_exchanges("pygithub-replaydata/IssueEvent.setUp"):
        body = exchange["response"]["body"]
        if isinstance(body, dict) and body.get("event") == kind:
            return json.dumps(body)
    raise LookupError(kind)


def _event_template(kind: str) -> Json:
    """PyGithub's ``IssueEvent.setUp`` recorded one event of each kind."""
    data: Json = json.loads(_event_text(kind))
    return data


class FakeRepository:
    """One repository (``owner/name``) whose clock is the test's."""

    def __init__(self, full_name: str, *, repo_id: int, clock: Callable[[], datetime]) -> None:
        self.full_name = full_name
        self.repo_id = repo_id
        self.clock = clock
        self.issues: dict[int, Json] = {}
        self.issue_milestone: dict[int, int | None] = {}
        self.comments: dict[int, Json] = {}
        self.events: list[Json] = []
        self.milestones: dict[int, Json] = {}
        self.labels: list[Json] = [
            self._rehome_octokit(label)
            for label in _body("octokit-fixtures/labels.raw-fixture", 1)
        ]
        self.calls: list[Call] = []
        #: (method, path) of writes that are carried out but answered with a 502, once each.
        self.lose_next: list[tuple[str, str]] = []
        self.rate_remaining = 5000
        self._ids = 4_000_000_000
        me = _body("pygithub-replaydata/Exceptions.testUnknownObject", 0)
        self.login = "forewarn-bot"
        self.me: Json = json.loads(json.dumps(me).replace("jacquev6", self.login))
        self.me.update(id=self._next_id(), name="forewarn", company="Acme", email=None)

    # -- templates -----------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _rehome_octokit(self, data: Any) -> Any:
        old = "octokit-fixture-org/tmp-scenario-labels-20220719043808548-dbtiq"
        return _rehome(data, old, self.full_name)

    def user(self, login: str, *, kind: str = "User") -> Json:
        """A user object: octokit's ``octokit-fixture-user-a`` renamed."""
        template = _body("octokit-fixtures/paginate-issues.raw-fixture", 14)[0]["user"]
        data: Json = json.loads(json.dumps(template).replace("octokit-fixture-user-a", login))
        data.update(id=int(hashlib.sha256(login.encode()).hexdigest()[:7], 16), type=kind)
        return data

    def _issue_url(self, number: int) -> str:
        return f"{API}/repos/{self.full_name}/issues/{number}"

    # -- the world outside forewarn (test set-up) -------------------------------------

    def add_milestone(
        self, number: int, title: str, *, created: datetime, due_on: date | None, creator: str
    ) -> None:
        data = _rehome(
            _body("github3py-cassettes/Repository_milestones", 1)[3],
            "sigmavirus24/github3.py",
            self.full_name,
        )
        data = json.loads(json.dumps(data).replace("/milestones/11", f"/milestones/{number}"))
        data = json.loads(json.dumps(data).replace("/milestone/11", f"/milestone/{number}"))
        # GitHub keeps a due date as midnight US-Pacific (T07:00Z in summer, T08:00Z in winter).
        due = (
            stamp(datetime.combine(due_on, time(0, 0), tzinfo=PACIFIC))
            if due_on is not None
            else None
        )
        data.update(
            id=self._next_id(),
            number=number,
            title=title,
            description=f"{title} milestone",
            creator=self.user(creator),
            created_at=stamp(created),
            updated_at=stamp(created),
            due_on=due,
            state="open",
            closed_at=None,
        )
        self.milestones[number] = data

    def move_due_date(self, number: int, due_on: date) -> None:
        """A PM edits the milestone's due date (issues are not touched)."""
        milestone = self.milestones[number]
        milestone["due_on"] = stamp(datetime.combine(due_on, time(0, 0), tzinfo=PACIFIC))
        milestone["updated_at"] = stamp(self.clock())

    def add_issue(
        self,
        number: int,
        title: str,
        *,
        author: str,
        association: str,
        created: datetime,
        assignees: tuple[str, ...] = (),
        state: str = "open",
        closed_at: datetime | None = None,
    ) -> None:
        template = _body("octokit-fixtures/paginate-issues.raw-fixture", 14)[0]
        old = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
        data: Json = _rehome(template, old, self.full_name)
        data = json.loads(json.dumps(data).replace("/issues/13", f"/issues/{number}"))
        people = [self.user(login) for login in assignees]
        data.update(
            id=self._next_id(),
            node_id=f"I_fake{number}",
            number=number,
            title=title,
            user=self.user(author),
            author_association=association,
            labels=[],
            state=state,
            assignee=people[0] if people else None,
            assignees=people,
            comments=0,
            created_at=stamp(created),
            updated_at=stamp(closed_at or created),
            closed_at=stamp(closed_at) if closed_at else None,
            body=f"{title}.",
        )
        self.issues[number] = data
        self.issue_milestone[number] = None
        if closed_at is not None:
            self._event(number, "closed", actor=author, at=closed_at)

    def set_milestone(self, number: int, milestone: int, *, at: datetime, actor: str) -> None:
        """Someone puts the issue in a milestone: GitHub records a ``milestoned`` event."""
        self.issue_milestone[number] = milestone
        self._touch(number, at)
        title = self.milestones[milestone]["title"]
        self._event(number, "milestoned", actor=actor, at=at, milestone={"title": title})

    def add_label(self, number: int, name: str, *, at: datetime, actor: str) -> None:
        self._label_on(number, name, at=at, actor=actor)

    def comment(
        self, number: int, *, author: str, association: str, body: str, at: datetime
    ) -> int:
        data = self._comment(number, user=self.user(author), association=association, body=body,
                             at=at)
        return int(data["id"])

    # -- state changes (shared by the set-up and the API) ------------------------------

    def _touch(self, number: int, at: datetime) -> None:
        self.issues[number]["updated_at"] = stamp(at)

    def _event(self, number: int, kind: str, *, actor: str, at: datetime, **extra: Any) -> None:
        data = _rehome(_event_template(kind), "PyGithub/PyGithub", self.full_name)
        if self.events:
            # Event ids grow with time: forewarn stops at the newest id it has seen.
            assert parse_stamp(self.events[-1]["created_at"]) <= at, "events out of order"
        ident = 9_000_000_000 + len(self.events) + 1
        data.update(
            id=ident,
            node_id=f"E_fake{ident}",
            url=f"{API}/repos/{self.full_name}/issues/events/{ident}",
            actor=self.me if actor == self.login else self.user(actor),
            created_at=stamp(at),
            issue=number,  # rendered with the issue as it is when listed
            **extra,
        )
        self.events.append(data)

    def _comment(
        self, number: int, *, user: Json, association: str, body: str, at: datetime
    ) -> Json:
        template = _body("pygithub-replaydata/PaginatedList.testCustomPerPageIteration", 2)[2]
        data: Json = _rehome(template, "PyGithub/PyGithub", self.full_name)
        ident = self._next_id()
        data.update(
            id=ident,
            node_id=f"IC_fake{ident}",
            url=f"{API}/repos/{self.full_name}/issues/comments/{ident}",
            html_url=f"https://github.com/{self.full_name}/issues/{number}#issuecomment-{ident}",
            issue_url=self._issue_url(number),
            user=user,
            author_association=association,
            created_at=stamp(at),
            updated_at=stamp(at),
            body=body,
        )
        self.comments[ident] = data
        self.issues[number]["comments"] += 1
        self._touch(number, at)
        return data

    def _find_label(self, name: str) -> Json | None:
        return next((x for x in self.labels if x["name"].casefold() == name.casefold()), None)

    def _new_label(self, name: str, color: str, description: str | None) -> Json:
        data: Json = self._rehome_octokit(_body("octokit-fixtures/labels.raw-fixture", 2))
        quoted = urllib.parse.quote(name)
        data.update(
            id=self._next_id(),
            url=f"{API}/repos/{self.full_name}/labels/{quoted}",
            name=name,
            color=color,
            description=description,
            default=False,
        )
        self.labels.append(data)
        return data

    def _label_on(self, number: int, name: str, *, at: datetime, actor: str) -> None:
        issue = self.issues[number]
        if any(x["name"].casefold() == name.casefold() for x in issue["labels"]):
            return
        label = self._find_label(name) or self._new_label(name, "ededed", None)
        issue["labels"].append(copy.deepcopy(label))
        self._touch(number, at)
        self._event(number, "labeled", actor=actor, at=at,
                    label={"name": label["name"], "color": label["color"]})

    # -- rendering ------------------------------------------------------------------------

    def render_milestone(self, number: int) -> Json:
        data = copy.deepcopy(self.milestones[number])
        members = [n for n, m in self.issue_milestone.items() if m == number]
        data["open_issues"] = sum(self.issues[n]["state"] == "open" for n in members)
        data["closed_issues"] = len(members) - data["open_issues"]
        return data

    def render_issue(self, number: int) -> Json:
        data = copy.deepcopy(self.issues[number])
        milestone = self.issue_milestone[number]
        data["milestone"] = self.render_milestone(milestone) if milestone is not None else None
        return data

    def render_event(self, event: Json) -> Json:
        data = copy.deepcopy(event)
        data["issue"] = self.render_issue(event["issue"])
        return data

    # -- HTTP -----------------------------------------------------------------------------

    def _headers(
        self, extra: dict[str, str] | None = None, *, counted: bool = True
    ) -> dict[str, str]:
        if counted:
            self.rate_remaining -= 1
        now = self.clock()
        headers = {
            "Date": email.utils.format_datetime(now.astimezone(UTC), usegmt=True),
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(int((now + timedelta(hours=1)).timestamp())),
            "X-RateLimit-Resource": "core",
        }
        headers.update(extra or {})
        return headers

    def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> Reply:
        return status, self._headers(extra), "" if data is None else json.dumps(data)

    def _page(self, path: str, query: dict[str, str], rows: list[Json]) -> Reply:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            for rel, target in (("next", page + 1), ("last", last)):
                params = urllib.parse.urlencode({**query, "page": str(target)})
                links.append(f'<{API}/repositories/{self.repo_id}/{path}?{params}>; rel="{rel}"')
        return self._json(200, chunk, {"Link": ", ".join(links)} if links else None)

    def serve(self, rsps: responses.RequestsMock) -> None:
        pattern = re.compile(r"https://api\.github\.com(:443)?/.*")
        for method in ("GET", *WRITE_METHODS):
            rsps.add_callback(method, pattern, callback=self.handle,
                              content_type="application/json; charset=utf-8")

    def handle(self, request: PreparedRequest) -> Reply:
        parts = urllib.parse.urlsplit(request.url or "")
        query = dict(urllib.parse.parse_qsl(parts.query))
        raw = request.body
        text = raw.decode() if isinstance(raw, bytes) else raw
        body = json.loads(text) if text else None
        method = request.method or "GET"
        reply = self._dispatch(method, parts.path, query, body, request.headers)
        if (method, parts.path) in self.lose_next:
            # Done, but the answer is lost on the way back: a 502 from the proxy in front.
            self.lose_next.remove((method, parts.path))
            error = _body("pygithub-replaydata/Retry.testReturnsRepoAfter1Retry", 0)
            reply = self._json(502, error)
        self.calls.append(Call(method, parts.path, query, body, reply[0]))
        return reply

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> Reply:
        if method == "GET" and path == "/user":
            return self._json(200, self.me)
        match = re.fullmatch(
            rf"(?:/repos/{re.escape(self.full_name)}|/repositories/{self.repo_id})(/.*)", path
        )
        if match is None:
            return self._not_found()
        tail = match.group(1)
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", r"/milestones", self._list_milestones),
            ("GET", r"/issues", self._list_issues),
            ("GET", r"/issues/comments", self._list_comments),
            ("GET", r"/issues/events", self._list_events),
            ("GET", r"/issues/(\d+)/comments", self._list_issue_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._edit_comment),
            ("POST", r"/issues/(\d+)/labels", self._add_labels),
            ("DELETE", r"/issues/(\d+)/labels/([^/]+)", self._remove_label),
            ("GET", r"/labels", self._list_labels),
            ("POST", r"/labels", self._create_label),
        ]
        for verb, route, handler in routes:
            found = re.fullmatch(route, tail)
            if verb == method and found is not None:
                return handler(*found.groups(), query=query, body=body, headers=headers)
        return self._not_found()

    def _not_found(self) -> Reply:
        return self._json(404, _body("pygithub-replaydata/Exceptions.testUnknownObject", 1))

    def _since(self, query: dict[str, str]) -> datetime | None:
        value = query.get("since")
        return parse_stamp(value) if value else None

    def _list_milestones(self, *, query: dict[str, str], headers: Any, **_: Any) -> Reply:
        state = query.get("state", "open")
        rows = [
            self.render_milestone(n)
            for n in sorted(self.milestones)
            if state == "all" or self.milestones[n]["state"] == state
        ]
        etag = 'W/"' + hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:32] + '"'
        if headers.get("If-None-Match") == etag:
            return 304, self._headers({"ETag": etag}, counted=False), ""
        status, extra, text = self._page("milestones", query, rows)
        extra["ETag"] = etag
        return status, extra, text

    def _list_issues(self, *, query: dict[str, str], **_: Any) -> Reply:
        since = self._since(query)
        state = query.get("state", "open")
        rows = [
            self.render_issue(n)
            for n in sorted(self.issues, key=lambda n: self.issues[n]["created_at"], reverse=True)
            if (state == "all" or self.issues[n]["state"] == state)
            and (since is None or parse_stamp(self.issues[n]["updated_at"]) >= since)
        ]
        return self._page("issues", query, rows)

    def _list_comments(self, *, query: dict[str, str], **_: Any) -> Reply:
        since = self._since(query)
        rows = [
            copy.deepcopy(c)
            for c in sorted(self.comments.values(), key=lambda c: (c["created_at"], c["id"]))
            if since is None or parse_stamp(c["updated_at"]) >= since
        ]
        return self._page("issues/comments", query, rows)

    def _list_events(self, *, query: dict[str, str], **_: Any) -> Reply:
        rows = [self.render_event(e) for e in sorted(self.events, key=lambda e: -int(e["id"]))]
        return self._page("issues/events", query, rows)

    def _list_issue_comments(self, number: str, *, query: dict[str, str], **_: Any) -> Reply:
        url = self._issue_url(int(number))
        rows = [copy.deepcopy(c) for c in self.comments.values() if c["issue_url"] == url]
        return self._page(f"issues/{number}/comments", query, rows)

    def _list_labels(self, *, query: dict[str, str], **_: Any) -> Reply:
        return self._page("labels", query, copy.deepcopy(self.labels))

    def _create_comment(self, number: str, *, body: Any, **_: Any) -> Reply:
        if int(number) not in self.issues:
            return self._not_found()
        data = self._comment(int(number), user=self.me, association="COLLABORATOR",
                             body=body["body"], at=self.clock())
        return self._json(201, data)

    def _edit_comment(self, ident: str, *, body: Any, **_: Any) -> Reply:
        comment = self.comments.get(int(ident))
        if comment is None:
            return self._not_found()
        comment.update(body=body["body"], updated_at=stamp(self.clock()))
        # An edit moves the issue's updated_at too (bots that edit a comment on every run
        # make their issue look active: microsoft/TypeScript-Twoslash-Repro-Action#17).
        self._touch(int(comment["issue_url"].rsplit("/", 1)[-1]), self.clock())
        return self._json(200, comment)

    def _add_labels(self, number: str, *, body: Any, **_: Any) -> Reply:
        if int(number) not in self.issues:
            return self._not_found()
        for name in body["labels"]:
            self._label_on(int(number), name, at=self.clock(), actor=self.login)
        return self._json(200, self.issues[int(number)]["labels"])

    def _remove_label(self, number: str, name: str, **_: Any) -> Reply:
        issue = self.issues.get(int(number))
        wanted = urllib.parse.unquote(name).casefold()
        if issue is None or not any(x["name"].casefold() == wanted for x in issue["labels"]):
            return self._json(404, {"message": "Label does not exist",
                                    "documentation_url": "https://docs.github.com/rest"})
        gone = next(x for x in issue["labels"] if x["name"].casefold() == wanted)
        issue["labels"].remove(gone)
        self._touch(int(number), self.clock())
        self._event(int(number), "unlabeled", actor=self.login, at=self.clock(),
                    label={"name": gone["name"], "color": gone["color"]})
        return self._json(200, issue["labels"])

    def _create_label(self, *, body: Any, **_: Any) -> Reply:
        if self._find_label(body["name"]) is not None:
            error = _body("octokit-fixtures/errors.raw-fixture", 1)
            error["errors"][0].update(code="already_exists", field="name")
            return self._json(422, error)
        label = self._new_label(body["name"], body["color"], body.get("description"))
        return self._json(201, label)

    # -- what the tests look at -------------------------------------------------------------

    def comments_on(self, number: int) -> list[Json]:
        url = self._issue_url(number)
        return sorted(
            (c for c in self.comments.values() if c["issue_url"] == url), key=lambda c: c["id"]
        )

    def label_names(self, number: int) -> list[str]:
        return [x["name"] for x in self.issues[number]["labels"]]

    def writes(self, since: int = 0) -> list[Call]:
        return [call for call in self.calls[since:] if call.is_write]
