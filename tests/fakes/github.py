"""A World served as one GitHub repository's REST API, through ``responses`` callbacks.

What forewarn writes is what the next cycle reads back, and the fake answers
the requests the GitHub connector sends the way GitHub does where forewarn's
behaviour depends on it:

* lists page at ``per_page`` (30 by default, at most 100) with ``Link``
  headers whose ``next`` URLs switch to ``/repositories/{id}/...``
  (octokit ``paginate-issues``);
* ``/issues`` (``state``, ``since``; newest created first) and
  ``/issues/comments`` (``since``; oldest first) filter on ``updated_at``;
  ``/issues/events`` lists newest first: ``labeled``/``unlabeled``,
  ``milestoned``/``demilestoned`` (by title), ``closed``/``reopened``;
* the milestone list carries an ``ETag`` and answers ``304`` to a matching
  ``If-None-Match``;
* ``POST /issues/{n}/labels`` creates a missing label as GitHub does,
  ``POST /labels`` answers 422 ``already_exists`` for a name taken in any case,
  ``DELETE /issues/{n}/labels/{name}`` answers 404 when the label is not on it,
  ``PATCH`` of someone else's comment answers 403;
* every answer carries ``Date`` and ``X-RateLimit-*`` (a fault's headers win);
* ``GET /repos/{o}/{r}`` gives the repository with the account's ``permissions``
  (``role`` says which), ``GET /repos/{o}/{r}/issues/{n}`` one issue, and
  ``GET /user`` the token's scopes in ``X-OAuth-Scopes`` (``scopes``; None: a
  fine-grained token, which sends none); with ``token`` set, any other token is
  answered 401 ``Bad credentials``.

Every payload is a copy of a recorded one (tests/fixtures/github/, see
SOURCES.md there) with ids, numbers, titles, dates, people, associations,
milestones and labels changed: an issue of octokit's ``paginate-issues``, a
comment of PyGithub's ``PaginatedList.testCustomPerPageIteration``, a
milestone of github3.py's ``Repository_milestones``, one event of each kind
from PyGithub's ``IssueEvent.setUp``, octokit's label catalogue and created
label, the 422 of octokit's ``errors`` scenario (code changed to
``already_exists``), PyGithub's ``GET /user``, 404, 401 and 5xx, and the
repository of PyGithub's ``Milestone.setUp`` (its ``X-OAuth-Scopes`` header,
``read:discussion, repo``, is the raw recording's). The 403 and 404 of
a label have no recording: they carry GitHub's documented ``message``.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from connectors.base import DictMemo
from connectors.github.connector import GitHubConnector
from connectors.retry import RetryPolicy
from tests.connectors.github.support import GITHUB_TOKEN, github_exchanges
from tests.fakes.http import FakeServer, Json, Reply, Route
from tests.fakes.world import DONE, Event, World

API = "https://api.github.com"
REPO = "acme/portal"
#: octokit's recorded repository id: its ``Link`` pages go to ``/repositories/515435940``.
REPO_ID = 515435940
PACIFIC = ZoneInfo("America/Los_Angeles")
_DOCS = "https://docs.github.com/rest"


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@functools.cache
def _body_text(name: str, index: int) -> str:
    return json.dumps(github_exchanges(name)[index]["response"]["body"])


def recorded(name: str, index: int) -> Any:
    """A fresh copy of one recorded response body."""
    return json.loads(_body_text(name, index))


def _rehome(data: Any, *pairs: tuple[str, str]) -> Any:
    """A recorded payload with every occurrence of each ``old`` replaced (URLs, names)."""
    text = json.dumps(data)
    for old, new in pairs:
        text = text.replace(old, new)
    return json.loads(text)


@functools.cache
def _event_text(kind: str) -> str:
    for exchange in github_exchanges("pygithub-replaydata/IssueEvent.setUp"):
        body = exchange["response"]["body"]
        if isinstance(body, dict) and body.get("event") == kind:
            return json.dumps(body)
    raise LookupError(kind)


#: The labels a new repository comes with (octokit's recorded catalogue).
_DEFAULT_LABELS = {x["name"] for x in recorded("octokit-fixtures/labels.raw-fixture", 1)}


class FakeGitHub(FakeServer):
    """GitHub for one repository (``owner/name``) over a World."""

    CONTENT_TYPE = "application/json; charset=utf-8"
    #: ``{repo}`` stands for the repository's path, by name or (``Link`` pages) by id.
    ROUTES: ClassVar[list[Route]] = [
        ("GET", r"/user", "_whoami"),
        ("GET", r"{repo}", "_repository"),
        ("GET", r"{repo}/issues/(\d+)", "_get_issue"),
        ("GET", r"{repo}/milestones", "_list_milestones"),
        ("GET", r"{repo}/issues", "_list_issues"),
        ("GET", r"{repo}/issues/comments", "_list_comments"),
        ("GET", r"{repo}/issues/events", "_list_events"),
        ("GET", r"{repo}/issues/(\d+)/comments", "_list_issue_comments"),
        ("POST", r"{repo}/issues/(\d+)/comments", "_create_comment"),
        ("PATCH", r"{repo}/issues/comments/(\d+)", "_edit_comment"),
        ("POST", r"{repo}/issues/(\d+)/labels", "_add_labels"),
        ("DELETE", r"{repo}/issues/(\d+)/labels/([^/]+)", "_remove_label"),
        ("GET", r"{repo}/labels", "_list_labels"),
        ("POST", r"{repo}/labels", "_create_label"),
    ]

    def __init__(self, world: World, repo: str = REPO, *, repo_id: int = REPO_ID) -> None:
        where = rf"(?:/repos/{re.escape(repo)}|/repositories/{repo_id})"
        super().__init__(API, [(m, p.replace("{repo}", where), h) for m, p, h in self.ROUTES])
        self.world = world
        self.repo = repo
        self.repo_id = repo_id
        self.rate_remaining = 5000
        #: The account's role on the repository: pull, triage, push, maintain or admin.
        self.role = "push"
        #: What ``X-OAuth-Scopes`` says (None: a fine-grained token, no header).
        self.scopes: str | None = "read:discussion, repo"
        #: The only token accepted (None: any).
        self.token: str | None = None
        #: The primary rate limit, when enforced (:meth:`enforce_quota`): requests an hour.
        self.quota: int | None = None
        self.quota_resets = datetime.min.replace(tzinfo=UTC)
        # A new repository comes with GitHub's default labels (octokit's recorded catalogue).
        for label in recorded("octokit-fixtures/labels.raw-fixture", 1):
            world.create_label(label["name"], color=label["color"],
                               description=label["description"])

    @property
    def login(self) -> str:
        return self.world.me

    def connector(self, **options: Any) -> GitHubConnector:
        """The real connector, pointed at this repository; it never sleeps."""
        options.setdefault("token", GITHUB_TOKEN)
        options.setdefault("memo", DictMemo())
        options.setdefault("project", "portal")
        options.setdefault("retry", RetryPolicy(attempts=4, scale=0, sleep=lambda _s: None))
        options.setdefault("min_write_interval", 0)
        options.setdefault("clock", self.world.clock)
        options.setdefault("sleep", lambda _s: None)
        return GitHubConnector(self.repo, **options)

    def key(self, number: int) -> str:
        return f"{self.repo}#{number}"

    def lose(self, method: str, path: str, body: Any = None) -> None:
        """As the base class; the proxy's 502 carries PyGithub's recorded 5xx body."""
        retry = "pygithub-replaydata/Retry.testReturnsRepoAfter1Retry"
        super().lose(method, path, recorded(retry, 0) if body is None else body)

    # -- rendering --------------------------------------------------------------------------

    def _url(self, tail: str) -> str:
        return f"{API}/repos/{self.repo}/{tail}"

    def user(self, login: str) -> Json:
        """A user object: octokit's ``octokit-fixture-user-a`` renamed."""
        template = recorded("octokit-fixtures/paginate-issues.raw-fixture", 14)[0]["user"]
        data: Json = _rehome(template, ("octokit-fixture-user-a", login))
        data.update(id=int(hashlib.sha256(login.encode()).hexdigest()[:7], 16), type="User")
        return data

    def me(self) -> Json:
        """``GET /user``: PyGithub's recorded account renamed."""
        data: Json = _rehome(recorded("pygithub-replaydata/Exceptions.testUnknownObject", 0),
                             ("jacquev6", self.login))
        data.update(id=4_000_000_001, name="forewarn", company="Acme", email=None)
        return data

    def label(self, name: str) -> Json:
        found = self.world.catalogue[name.casefold()]
        data: Json = _rehome(
            recorded("octokit-fixtures/labels.raw-fixture", 2),
            ("octokit-fixture-org/tmp-scenario-labels-20220719043808548-dbtiq", self.repo))
        data.update(id=int(hashlib.sha256(found.name.encode()).hexdigest()[:7], 16),
                    node_id=f"LA_fake{found.name}", name=found.name, color=found.color,
                    description=found.description, default=found.name in _DEFAULT_LABELS,
                    url=self._url(f"labels/{urllib.parse.quote(found.name)}"))
        return data

    def milestone(self, number: int) -> Json:
        m = self.world.milestones[number]
        data: Json = _rehome(
            recorded("github3py-cassettes/Repository_milestones", 1)[3],
            ("sigmavirus24/github3.py", self.repo), ("/milestones/11", f"/milestones/{number}"),
            ("/milestone/11", f"/milestone/{number}"))
        # GitHub keeps a due date as midnight US-Pacific (T07:00Z in summer, T08:00Z in winter).
        due = datetime.combine(m.due, time(0, 0), tzinfo=PACIFIC) if m.due else None
        members = [i for i in self.world.issues.values() if i.milestone == number]
        data.update(
            id=4_000_000 + number, number=number, title=m.title,
            description=f"{m.title} milestone",
            created_at=stamp(m.created), updated_at=stamp(m.updated or m.created),
            due_on=stamp(due) if due else None, state=m.state,
            closed_at=stamp(m.closed) if m.closed else None,
            open_issues=sum(i.state == "open" for i in members),
            closed_issues=sum(i.state == "closed" for i in members),
        )
        return data

    def issue(self, number: int) -> Json:
        i = self.world.issues[number]
        old = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
        data: Json = _rehome(recorded("octokit-fixtures/paginate-issues.raw-fixture", 14)[0],
                             (old, self.repo), ("/issues/13", f"/issues/{number}"))
        people = [self.user(login) for login in i.assignees]
        data.update(
            id=3_000_000 + number, node_id=f"I_fake{number}", number=number, title=i.title,
            user=self.user(i.author), author_association=self.world.find(i.author).association,
            labels=[self.label(name) for name in i.labels], state=i.state,
            assignee=people[0] if people else None, assignees=people,
            milestone=self.milestone(i.milestone) if i.milestone is not None else None,
            comments=len(self.world.comments_on(number)),
            created_at=stamp(i.created), updated_at=stamp(i.updated),
            closed_at=stamp(i.closed) if i.closed else None, body=f"{i.title}.",
        )
        return data

    def comment(self, ident: int) -> Json:
        c = self.world.comments[ident]
        data: Json = _rehome(
            recorded("pygithub-replaydata/PaginatedList.testCustomPerPageIteration", 2)[2],
            ("PyGithub/PyGithub", self.repo))
        data.update(
            id=ident, node_id=f"IC_fake{ident}", url=self._url(f"issues/comments/{ident}"),
            html_url=f"https://github.com/{self.repo}/issues/{c.number}#issuecomment-{ident}",
            issue_url=self._url(f"issues/{c.number}"), user=self.user(c.author),
            author_association=self.world.find(c.author).association,
            created_at=stamp(c.created), updated_at=stamp(c.updated), body=c.body,
        )
        return data

    def event(self, index: int) -> Json | None:
        """The ``index``-th change of the world as GitHub shows it (None: it shows none)."""
        e = self.world.events[index]
        kind, extra = self._event_kind(e)
        if kind is None:
            return None
        data: Json = _rehome(json.loads(_event_text(kind)), ("PyGithub/PyGithub", self.repo))
        data.update(
            id=e.id, node_id=f"E_fake{e.id}", url=self._url(f"issues/events/{e.id}"),
            actor=self.user(e.actor), created_at=stamp(e.at), issue=self.issue(e.number),
            **extra,
        )
        return data

    def _event_kind(self, e: Event) -> tuple[str | None, Json]:
        if e.field == "label":
            name = e.after or e.before or ""
            found = self.world.catalogue.get(name.casefold())
            label = {"name": name, "color": found.color if found else "ededed"}
            return ("labeled" if e.after else "unlabeled"), {"label": label}
        if e.field == "milestone":
            number = e.after or e.before or "0"
            title = {"title": self.world.milestones[int(number)].title}
            return ("milestoned" if e.after else "demilestoned"), {"milestone": title}
        if DONE in (e.before, e.after):
            return ("closed" if e.after == DONE else "reopened"), {}
        return None, {}  # GitHub has no workflow status: To Do <-> In Progress does not show

    # -- HTTP -----------------------------------------------------------------------------

    def enforce_quota(self, limit: int) -> None:
        """GitHub's primary rate limit: ``limit`` requests an hour (the window starts with
        the first request), then 403 "API rate limit exceeded" until it resets."""
        self.quota = limit

    def dispatch(self, method: str, path: str, query: dict[str, str], body: Any,
                 headers: Mapping[str, str]) -> Reply:
        if self.token is not None and headers.get("Authorization") != f"token {self.token}":
            bad = "pygithub-replaydata/SpecificExceptions.testBadCredentials"
            return self.json(401, recorded(bad, 0))
        if self.quota is not None:
            now = self.world.clock()
            if now >= self.quota_resets:
                self.rate_remaining, self.quota_resets = self.quota, now + timedelta(hours=1)
            if self.rate_remaining <= 0:
                # The documented answer to a spent primary limit (docs.github.com, "Rate
                # limits for the REST API": 403, x-ratelimit-remaining 0, the reset time).
                return self.json(403, {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/"
                                         "rate-limits-for-the-rest-api"})
        return super().dispatch(method, path, query, body, headers)

    def headers(self, status: int) -> dict[str, str]:
        if status != 304 and self.rate_remaining > 0:  # a 304 does not count
            self.rate_remaining -= 1
        now = self.world.clock()
        resets = self.quota_resets if self.quota is not None else now + timedelta(hours=1)
        return {
            "Date": email.utils.format_datetime(now.astimezone(UTC), usegmt=True),
            "X-RateLimit-Limit": str(self.quota or 5000),
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(int(resets.timestamp())),
            "X-RateLimit-Resource": "core",
        }

    def _page(self, path: str, query: dict[str, str], rows: list[Any]) -> Reply:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            for rel, target in (("next", page + 1), ("last", last)):
                params = urllib.parse.urlencode({**query, "page": str(target)})
                links.append(f'<{API}/repositories/{self.repo_id}/{path}?{params}>; rel="{rel}"')
        return self.json(200, chunk, {"Link": ", ".join(links)} if links else None)

    def not_found(self) -> Reply:
        return self.json(404, recorded("pygithub-replaydata/Exceptions.testUnknownObject", 1))

    @staticmethod
    def _since(query: dict[str, str]) -> datetime | None:
        value = query.get("since")
        return parse_stamp(value) if value else None

    def repository(self) -> Json:
        """The repository as ``GET /repos/{o}/{r}`` shows it to this account."""
        data: Json = _rehome(recorded("pygithub-replaydata/Milestone.setUp", 0),
                             ("PyGithub/PyGithub", self.repo))
        roles = ("pull", "triage", "push", "maintain", "admin")
        rank = roles.index(self.role)
        data.update(id=self.repo_id, name=self.repo.split("/")[1], full_name=self.repo,
                    permissions={role: roles.index(role) <= rank for role in roles})
        return data

    def _whoami(self, **_: Any) -> Reply:
        status, headers, body = self.json(200, self.me())
        if self.scopes is not None:
            headers["X-OAuth-Scopes"] = self.scopes
        return status, headers, body

    def _repository(self, **_: Any) -> Reply:
        return self.json(200, self.repository())

    def _get_issue(self, number: str, **_: Any) -> Reply:
        if int(number) not in self.world.issues:
            return self.not_found()
        return self.json(200, self.issue(int(number)))

    def _list_milestones(self, *, query: dict[str, str], headers: Mapping[str, str], **_: Any
                         ) -> Reply:
        state = query.get("state", "open")
        rows = [self.spoil("milestone", n, self.milestone(n))
                for n, m in sorted(self.world.milestones.items())
                if state in ("all", m.state)]
        etag = 'W/"' + hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:32] + '"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        status, extra, text = self._page("milestones", query, rows)
        return status, {**extra, "ETag": etag}, text

    def _list_issues(self, *, query: dict[str, str], **_: Any) -> Reply:
        since, state = self._since(query), query.get("state", "open")
        issues = sorted(self.world.issues.values(), key=lambda i: i.created, reverse=True)
        rows = [self.spoil("issue", i.number, self.issue(i.number)) for i in issues
                if state in ("all", i.state) and (since is None or i.updated >= since)]
        return self._page("issues", query, rows)

    def _list_comments(self, *, query: dict[str, str], **_: Any) -> Reply:
        since = self._since(query)
        comments = sorted(self.world.comments.values(), key=lambda c: (c.created, c.id))
        rows = [self.spoil("comment", c.id, self.comment(c.id)) for c in comments
                if since is None or c.updated >= since]
        return self._page("issues/comments", query, rows)

    def _list_events(self, *, query: dict[str, str], **_: Any) -> Reply:
        events = self.world.events  # newest first: ids grow as events are recorded
        shown = ((events[i].id, self.event(i)) for i in reversed(range(len(events))))
        rows = [self.spoil("event", ident, data) for ident, data in shown if data is not None]
        return self._page("issues/events", query, rows)

    def _list_issue_comments(self, number: str, *, query: dict[str, str], **_: Any) -> Reply:
        rows = [self.comment(c.id) for c in self.world.comments_on(int(number))]
        return self._page(f"issues/{number}/comments", query, rows)

    def _list_labels(self, *, query: dict[str, str], **_: Any) -> Reply:
        return self._page("labels", query, [self.label(x.name)
                                            for x in self.world.catalogue.values()])

    def _create_comment(self, number: str, *, body: Any, **_: Any) -> Reply:
        if int(number) not in self.world.issues:
            return self.not_found()
        created = self.world.post(int(number), self.login, body["body"])
        return self.json(201, self.comment(created.id))

    def _edit_comment(self, ident: str, *, body: Any, **_: Any) -> Reply:
        comment = self.world.comments.get(int(ident))
        if comment is None:
            return self.not_found()
        if comment.author != self.login:
            return self.json(403, {"message": "Must have admin rights to Repository.",
                                   "documentation_url": _DOCS})
        # An edit moves the issue's updated_at too (bots that edit a comment on every run
        # make their issue look active: microsoft/TypeScript-Twoslash-Repro-Action#17).
        self.world.edit(comment.id, body["body"])
        return self.json(200, self.comment(comment.id))

    def _add_labels(self, number: str, *, body: Any, **_: Any) -> Reply:
        if int(number) not in self.world.issues:
            return self.not_found()
        for name in body["labels"]:
            self.world.add_label(int(number), name, self.login)
        return self.json(200, [self.label(x) for x in self.world.issues[int(number)].labels])

    def _remove_label(self, number: str, name: str, **_: Any) -> Reply:
        issue = self.world.issues.get(int(number))
        if issue is None or not self.world.remove_label(issue.number, urllib.parse.unquote(name),
                                                        self.login):
            return self.json(404, {"message": "Label does not exist", "documentation_url": _DOCS})
        return self.json(200, [self.label(x) for x in issue.labels])

    def _create_label(self, *, body: Any, **_: Any) -> Reply:
        label = self.world.create_label(body["name"], color=body["color"],
                                        description=body.get("description"))
        if label is None:
            error = recorded("octokit-fixtures/errors.raw-fixture", 1)
            error["errors"][0].update(code="already_exists", field="name")
            return self.json(422, error)
        return self.json(201, self.label(label.name))

    # -- what the tests look at -------------------------------------------------------------

    @property
    def labels(self) -> list[Json]:
        """The repository's label catalogue, as ``GET /labels`` lists it."""
        return [self.label(x.name) for x in self.world.catalogue.values()]

    def comments_on(self, number: int) -> list[Json]:
        return [self.comment(c.id) for c in self.world.comments_on(number)]

    def label_names(self, number: int) -> list[str]:
        return list(self.world.issues[number].labels)
