"""GitHub with several repositories and Projects (v2) at one API host, through ``responses``.

``FakeGitHubHost`` routes ``/repos/{owner}/{repo}/...`` (and ``/repositories/{id}/...``,
where Link pages go) to that repository's ``FakeGitHub`` (each over its own World; its
``calls`` list what it was asked, as the host's do), ``GET /user`` to the first, and
serves each ``FakeProject`` at ``/orgs/{owner}/projectsV2/{number}/fields`` and
``/items`` (``/users/...`` for a user's): both listings page at ``per_page`` with a
``Link`` ``after`` cursor, carry an ``ETag`` per page and answer 304 to a matching
``If-None-Match``; ``items`` gives the values of the field ids in ``fields=`` only.
Anything else on ``/orgs`` or ``/users`` is a 404.

Payloads are GitHub's documented examples (tests/fixtures/github/github-docs/, see
SOURCES.md there) with ids, names, dates and values changed: the fields of
"List project fields for organization", the item of "List items for an organization
owned project" (its content replaced by the repository's issue, as ``GET
/repos/{o}/{r}/issues/{n}`` serves it) and the draft of "Add item to organization
owned project". Iteration, date and number values follow the reference's schemas
(SOURCES.md says which).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import requests

from tests.fakes.github import API, FakeGitHub, recorded, stamp
from tests.fakes.http import FakeServer, Json, Reply

DOCS = "github-docs/projectsV2"
#: Field ids of the documented example, by the names the fake gives them.
SPRINT, TARGET, ESTIMATE, RELEASE, STATUS = 11223, 98765, 13579, 12345, 67891


@dataclass
class FakeItem:
    id: int
    repo: FakeGitHub | None
    number: int | None
    title: str
    creator: str
    created: datetime
    updated: datetime
    #: Field id -> value: an iteration or option id, a date, a number.
    values: dict[int, Any] = field(default_factory=dict)
    archived: datetime | None = None


@dataclass
class FakeIteration:
    id: str
    title: str
    start: date
    days: int = 14


class FakeProject:
    """One Project: a Sprint iteration field, a Release single select, a Target date and an
    Estimate number field (the documented example's fields, renamed)."""

    def __init__(self, owner: str, number: int, *, created: datetime, kind: str = "orgs",
                 iterations: Sequence[FakeIteration] = (),
                 releases: Sequence[tuple[str, str]] = ()) -> None:
        self.owner, self.number, self.kind = owner, number, kind
        self.iterations = list(iterations)
        self.releases = list(releases)
        self.fields_updated = created
        self.items: dict[int, FakeItem] = {}
        self.next_id = 1000

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.owner}/projectsV2/{self.number}"

    # -- what the team does ---------------------------------------------------------------

    def add(self, repo: FakeGitHub | None, number: int | None, *, at: datetime,
            creator: str = "alice", title: str = "", **values: Any) -> int:
        """An issue (or, with ``repo`` None, a draft titled ``title``) added to the Project."""
        self.next_id += 1
        item = FakeItem(id=self.next_id, repo=repo, number=number, title=title, creator=creator,
                        created=at, updated=at)
        self.items[item.id] = item
        self.set(item.id, at=at, **values)
        return item.id

    def set(self, item: int, *, at: datetime, sprint: str | None = None,
            target: date | None = None, estimate: float | None = None,
            release: str | None = None) -> None:
        found = self.items[item]
        for ident, value in ((SPRINT, sprint), (TARGET, target), (ESTIMATE, estimate),
                             (RELEASE, release)):
            if value is not None:
                found.values[ident] = value
        found.updated = at

    def move_iteration(self, ident: str, *, days: int, at: datetime) -> None:
        next(it for it in self.iterations if it.id == ident).days = days
        self.fields_updated = at

    def item_of(self, repo: FakeGitHub, number: int) -> int:
        return next(i.id for i in self.items.values() if i.repo is repo and i.number == number)

    # -- payloads -------------------------------------------------------------------------

    def _iteration(self, it: FakeIteration) -> Json:
        return {"id": it.id, "title": {"html": it.title, "raw": it.title},
                "start_date": it.start.isoformat(), "duration": it.days}

    def fields(self) -> list[Json]:
        template = {f["id"]: f for f in recorded(DOCS, 0)}
        url = f"{API}/projects/{self.number}"
        sprint = template[11223]
        sprint.update(name="Sprint", project_url=url, updated_at=stamp(self.fields_updated),
                      configuration={"duration": 14, "start_day": 1, "iterations": [
                          self._iteration(it) for it in self.iterations]})
        release = template[12345]
        release.update(name="Release", project_url=url, options=[
            {**release["options"][0], "id": ident, "name": {"html": name, "raw": name}}
            for ident, name in self.releases])
        template[98765].update(name="Target date", project_url=url)
        template[13579].update(name="Estimate", project_url=url)
        template[67891].update(project_url=url)
        return [template[ident] for ident in (STATUS, RELEASE, ESTIMATE, TARGET, SPRINT)]

    def _value(self, ident: int, value: Any) -> Any:
        if ident == SPRINT:
            return next(self._iteration(it) for it in self.iterations if it.id == value)
        if ident == RELEASE:
            name = dict(self.releases)[value]
            return {"id": value, "name": {"raw": name, "html": name}, "color": "GRAY",
                    "description": {"raw": "", "html": ""}}
        if ident == TARGET:
            return value.isoformat()
        return value

    def item(self, found: FakeItem, wanted: Sequence[int]) -> Json:
        data: Json = recorded(DOCS, 1)[0]
        names = {SPRINT: ("Sprint", "iteration"), TARGET: ("Target date", "date"),
                 ESTIMATE: ("Estimate", "number"), RELEASE: ("Release", "single_select")}
        if found.repo is not None and found.number is not None:
            content, kind = found.repo.issue(found.number), "Issue"
            creator = found.repo.user(found.creator)
        else:
            draft = recorded(DOCS, 2)["value"]
            content, kind = draft["content"], "DraftIssue"
            content.update(id=50_000 + found.id, title=found.title,
                           created_at=stamp(found.created), updated_at=stamp(found.updated))
            creator = content["user"] = {**draft["creator"], "login": found.creator}
        data.update(
            id=found.id, node_id=f"PVTI_fake{found.id}", content=content, content_type=kind,
            creator=creator, project_url=f"{API}{self.path}", created_at=stamp(found.created),
            updated_at=stamp(found.updated),
            archived_at=stamp(found.archived) if found.archived else None,
            item_url=f"{API}{self.path}/items/{found.id}",
            fields=[{"id": ident, "name": names[ident][0], "data_type": names[ident][1],
                     "value": self._value(ident, found.values[ident])}
                    for ident in wanted if ident in names and ident in found.values])
        return data

    def reply(self, host: FakeServer, listing: str, query: dict[str, str],
              headers: Mapping[str, str]) -> Reply:
        if listing == "fields":
            rows: list[Any] = self.fields()
        else:
            wanted = [int(x) for x in query.get("fields", "").split(",") if x.strip()]
            rows = [host.spoil("item", i.id, self.item(i, wanted)) for i in self.items.values()]
        per_page = min(int(query.get("per_page", "30")), 100)
        start = int(query.get("after") or 0)
        page = rows[start:start + per_page]
        etag = 'W/"' + hashlib.sha256(json.dumps([page, start, len(rows)]).encode()
                                      ).hexdigest()[:32] + '"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        extra = {"ETag": etag}
        if start + per_page < len(rows):
            params = urllib.parse.urlencode({**query, "after": str(start + per_page)})
            extra["Link"] = f'<{API}{self.path}/{listing}?{params}>; rel="next"'
        return FakeServer.json(200, page, extra)


class FakeGitHubHost(FakeServer):
    """Several FakeGitHub repositories and FakeProjects behind one ``api.github.com``."""

    CONTENT_TYPE = FakeGitHub.CONTENT_TYPE

    def __init__(self, *repos: FakeGitHub, projects: Sequence[FakeProject] = ()) -> None:
        super().__init__(API, [])
        self.repos = list(repos)
        self.projects = {(p.kind, p.owner.casefold(), p.number): p for p in projects}

    def _repo(self, path: str) -> FakeGitHub | None:
        for repo in self.repos:
            if re.match(rf"/repos/{re.escape(repo.repo)}(/|$)|/repositories/{repo.repo_id}(/|$)",
                        path, flags=re.IGNORECASE):
                return repo
        return self.repos[0] if path == "/user" else None

    def dispatch(self, method: str, path: str, query: dict[str, str], body: Any,
                 headers: Mapping[str, str]) -> Reply:
        found = re.fullmatch(r"/(orgs|users)/([^/]+)/projectsV2/(\d+)/(fields|items)", path)
        if found is not None:
            kind, owner, number, listing = found.groups()
            project = self.projects.get((kind, owner.casefold(), int(number)))
            if project is None or method != "GET":
                return self.json(404, {"message": "Not Found", "documentation_url":
                                       "https://docs.github.com/rest/projects"})
            return project.reply(self, listing, query, headers)
        repo = self._repo(path)
        if repo is None:
            return self.not_found()
        return repo.dispatch(method, path, query, body, headers)

    def handle(self, request: requests.PreparedRequest) -> Reply:
        reply = super().handle(request)
        repo = self._repo(self.calls[-1].path)
        if repo is not None:
            repo.calls.append(self.calls[-1])
        return reply

    def headers(self, status: int) -> dict[str, str]:
        return self.repos[0].headers(status)

    def not_found(self) -> Reply:
        return self.repos[0].not_found()
