"""A stateful fake of a Jira Cloud site, served through ``responses`` callbacks.

It keeps projects, issues (with their changelogs and comments), a board's
sprints and fix versions in memory, so what forewarn writes is what the next
cycle reads, and it answers the requests the Jira connector sends:

* ``GET /rest/api/2/search/jql``: the enhanced search. It reads the JQL the
  connector writes (``project = "KEY" [AND updated >= "yyyy/MM/dd HH:mm"]
  ORDER BY updated ASC``), compares the date **in the account's time zone and
  to the minute** as Jira does, returns only the ``fields`` asked for, embeds
  the changelog (newest first) only with ``expand=changelog``, and pages by
  ``nextPageToken`` (the last page says ``isLast``);
* ``serverInfo``, ``/field``, ``/myself``, ``/status``, the agile board and sprint lists
  (``startAt``/``isLast``), ``/project/KEY/versions``;
* comments: ``GET``/``POST /issue/{key}/comment``, ``PUT .../comment/{id}``,
  bodies kept as the wiki strings REST v2 takes and gives;
* labels only through ``PUT /issue/{key}`` with ``{"update": {"labels":
  [{"add"|"remove": name}]}}``: any ``fields`` in that body is refused with a
  400, as forewarn must never overwrite the label set. Each label change
  writes a changelog entry (``labels``, space-separated sets); each comment
  and label change moves the issue's ``updated``;
* every request must carry the basic auth of the configured e-mail and token.

Payloads are copies of recorded ones (tests/fixtures/jira/, see SOURCES.md
there) with ids, keys, names, dates, people and values changed: issues,
statuses and people from specharness's enhanced search ``search_jql_SAM1``
(Jira Cloud, 2026), ``/field`` from the same site plus a Sprint field copied
from its "Flagged" custom field with the ``gh-sprint`` schema, changelog
histories and their Sprint and Fix Version items, comments and embedded
sprints and fix versions from DevLake's agile issues, board sprints from
DevLake's sprint list, versions from jira-ruby's ``version/10000``.
``serverInfo``, the board list and the ``labels`` changelog item have no
recording: they follow Atlassian's documented shapes (the ``labels`` item is
the recorded Fix Version item with its field renamed).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import responses
from requests import PreparedRequest

from tests.connectors.jira.support import interactions
from tests.e2e.support import Call

Json = dict[str, Any]
Reply = tuple[int, dict[str, str], str]

SPRINT_FIELD = "customfield_10020"
SEARCH = "specharness/search_jql_SAM1.json"
AGILE = "devlake/agile_board_issues_expand_changelog.json"
_JQL = re.compile(
    r'project = "(?P<project>[A-Z][A-Z0-9]*)"'
    r'(?: AND updated >= "(?P<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")?'
    r" ORDER BY updated ASC"
)


@functools.cache
def _recorded(name: str, index: int) -> str:
    return json.dumps(interactions(name)[index]["response"]["body"])


def recorded(name: str, index: int = 0) -> Any:
    """A fresh copy of one recorded response body."""
    return json.loads(_recorded(name, index))


def _sam1(key: str) -> Json:
    """One issue of the recorded Cloud enhanced search."""
    found: Json = next(i for i in recorded(SEARCH)["issues"] if i["key"] == key)
    return found


def _agile_issue(key: str) -> Json:
    for page in (recorded(AGILE, 0), recorded(AGILE, 1)):
        for issue in page["issues"]:
            if issue["key"] == key:
                found: Json = issue
                return found
    raise LookupError(key)


def _history_item(field: str) -> Json:
    """A recorded changelog item of EE-1 (DevLake), by field name."""
    for history in _agile_issue("EE-1")["changelog"]["histories"]:
        for item in history["items"]:
            if item["field"] == field:
                found: Json = copy.deepcopy(item)
                return found
    raise LookupError(field)


class FakeJira:
    """One Jira Cloud site; its clock is the test's."""

    def __init__(self, site: str, *, email: str, token: str, clock: Callable[[], datetime]) -> None:
        self.site = site
        self.email = email
        self.token = token
        self.clock = clock
        template = _sam1("SAM1-1")["fields"]["reporter"]
        self.zone = ZoneInfo(template["timeZone"])  # the account's zone: JQL dates are read in it
        self.me = self.person("712020:forewarn-bot", "forewarn", "forewarn@acme.example")
        self.issues: dict[str, Json] = {}  # key -> issue (all fields)
        self.histories: dict[str, list[Json]] = {}  # key -> oldest first
        self.comments: dict[str, list[Json]] = {}  # key -> oldest first
        self.boards: dict[str, int] = {}
        self.sprints: dict[int, list[Json]] = {}  # board -> sprints
        self.versions: dict[str, list[Json]] = {}  # project -> versions
        self.calls: list[Call] = []
        #: (method, path) of writes that are carried out but answered with a 502, once each.
        self.lose_next: list[tuple[str, str]] = []
        self._ids = 10_000

    # -- templates -------------------------------------------------------------------

    def _next_id(self) -> str:
        self._ids += 1
        return str(self._ids)

    def stamp(self, value: datetime) -> str:
        """Jira's format, in the account's time zone: ``2026-07-28T18:16:29.633-0300``."""
        local = value.astimezone(self.zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + \
            local.strftime("%z")  # fmt: skip

    def parse(self, value: str) -> datetime:
        return datetime.fromisoformat(value)

    def person(self, account_id: str, name: str, email: str) -> Json:
        data: Json = copy.deepcopy(_sam1("SAM1-1")["fields"]["reporter"])
        data.update(
            self=f"{self.site}/rest/api/2/user?accountId={urllib.parse.quote(account_id)}",
            accountId=account_id,
            displayName=name,
            emailAddress=email,
        )
        return data

    @staticmethod
    def status(name: str) -> Json:
        """A recorded status: "To Do" (SAM1-1), "In Progress" (SAM1-3) or "Done" (SAM1-5)."""
        key = {"To Do": "SAM1-1", "In Progress": "SAM1-3", "Done": "SAM1-5"}[name]
        found: Json = _sam1(key)["fields"]["status"]
        return found

    # -- the world outside forewarn (test set-up) ---------------------------------------

    def add_board(self, project: str, board: int) -> None:
        self.boards[project] = board
        self.sprints[board] = []

    def add_sprint(
        self, board: int, sprint_id: int, name: str, *, state: str, start: datetime,
        end: datetime, complete: datetime | None = None,
    ) -> None:
        data: Json = copy.deepcopy(recorded("devlake/agile_board_sprints.json")["values"][0])
        data.update(
            id=sprint_id,
            name=name,
            self=f"{self.site}/rest/agile/1.0/sprint/{sprint_id}",
            state=state,
            startDate=start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            endDate=end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            originBoardId=board,
        )
        data.pop("completeDate", None)
        if complete is not None:
            data["completeDate"] = complete.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.sprints[board].append(data)

    def add_version(self, project: str, version_id: str, name: str, *, release: date) -> None:
        data: Json = recorded("jira-ruby/version_10000.GET.json")
        data.update(
            self=f"{self.site}/rest/api/2/version/{version_id}",
            id=version_id,
            name=name,
            description=f"Release {name}",
            releaseDate=release.isoformat(),
            userReleaseDate=release.strftime("%d/%b/%y"),
            released=False,
            archived=False,
        )
        self.versions.setdefault(project, []).append(data)

    def move_release(self, project: str, version_id: str, release: date) -> None:
        """A PM edits the release date (no issue is touched)."""
        for version in self.versions[project]:
            if version["id"] == version_id:
                version.update(releaseDate=release.isoformat(),
                               userReleaseDate=release.strftime("%d/%b/%y"))

    def add_issue(
        self, key: str, summary: str, *, reporter: Json, created: datetime,
        status: str = "To Do", assignee: Json | None = None, due: date | None = None,
        sprints: tuple[int, ...] = (), versions: tuple[str, ...] = (),
        resolved: datetime | None = None,
    ) -> None:
        project = key.split("-")[0]
        data = _sam1("SAM1-1")
        ident = self._next_id()
        fields = data["fields"]
        fields.update(
            summary=summary,
            status=self.status(status),
            created=self.stamp(created),
            updated=self.stamp(resolved or created),
            statuscategorychangedate=self.stamp(resolved or created),
            resolutiondate=self.stamp(resolved) if resolved else None,
            reporter=reporter,
            creator=reporter,
            assignee=assignee,
            labels=[],
            duedate=due.isoformat() if due else None,
            fixVersions=[],
            comment={},
        )
        fields["project"].update(key=project, name=f"{project} project")
        fields[SPRINT_FIELD] = None
        data.update(id=ident, key=key, self=f"{self.site}/rest/api/2/issue/{ident}")
        self.issues[key] = data
        self.histories[key] = []
        self.comments[key] = []
        for sprint in sprints:
            self._set_sprints(key, [*self._sprint_ids(key), sprint])
        for version in versions:
            self._add_fix_version(key, version)

    def _sprint_ids(self, key: str) -> list[int]:
        return [int(s["id"]) for s in self.issues[key]["fields"][SPRINT_FIELD] or []]

    def _set_sprints(self, key: str, ids: list[int]) -> None:
        template = _agile_issue("K5-2")["fields"][SPRINT_FIELD][0]
        values = []
        for sprint in (s for board in self.sprints.values() for s in board if s["id"] in ids):
            value = copy.deepcopy(template)
            value.update(id=sprint["id"], name=sprint["name"], state=sprint["state"],
                         boardId=sprint["originBoardId"], startDate=sprint["startDate"],
                         endDate=sprint["endDate"])
            values.append(value)
        self.issues[key]["fields"][SPRINT_FIELD] = values or None

    def _add_fix_version(self, key: str, version_id: str) -> None:
        project = key.split("-")[0]
        version = next(v for v in self.versions[project] if v["id"] == version_id)
        value = copy.deepcopy(_agile_issue("EE-1")["fields"]["fixVersions"][0])
        value.update(id=version_id, name=version["name"], self=version["self"],
                     released=version["released"], releaseDate=version["releaseDate"])
        self.issues[key]["fields"]["fixVersions"].append(value)

    def move_to_sprint(self, key: str, sprint: int, *, at: datetime, actor: Json) -> None:
        """Someone adds the issue to a sprint: the changelog records the Sprint id lists."""
        before = self._sprint_ids(key)
        after = [*before, sprint]
        self._set_sprints(key, after)
        item = _history_item("Sprint")
        item.update(fieldId=SPRINT_FIELD,
                    **{"from": ", ".join(map(str, before)), "to": ", ".join(map(str, after))},
                    fromString="", toString=f"Sprint {sprint}")
        self._history(key, [item], at=at, author=actor)

    def transition(self, key: str, status: str, *, at: datetime, actor: Json) -> None:
        """Someone moves the issue to another status: the changelog records it."""
        fields = self.issues[key]["fields"]
        before, after = fields["status"], self.status(status)
        fields.update(status=after, statuscategorychangedate=self.stamp(at),
                      resolutiondate=self.stamp(at) if status == "Done" else None)
        item = _history_item("status")
        item.update(**{"from": before["id"], "to": after["id"]}, fromString=before["name"],
                    toString=after["name"])
        self._history(key, [item], at=at, author=actor)

    def comment(self, key: str, *, author: Json, body: str, at: datetime) -> str:
        return str(self._comment(key, author=author, body=body, at=at)["id"])

    # -- state changes -------------------------------------------------------------------

    def _touch(self, key: str, at: datetime) -> None:
        self.issues[key]["fields"]["updated"] = self.stamp(at)

    def _history(self, key: str, items: list[Json], *, at: datetime, author: Json) -> None:
        data: Json = copy.deepcopy(_agile_issue("EE-1")["changelog"]["histories"][0])
        data.update(id=self._next_id(), items=items, author=author, created=self.stamp(at))
        self.histories[key].append(data)
        self._touch(key, at)

    def _comment(self, key: str, *, author: Json, body: str, at: datetime) -> Json:
        template = _agile_issue("EE-1")["fields"]["comment"]["comments"][0]
        data: Json = copy.deepcopy(template)
        ident = self._next_id()
        issue_id = self.issues[key]["id"]
        data.update(
            id=ident,
            self=f"{self.site}/rest/api/2/issue/{issue_id}/comment/{ident}",
            author=author,
            updateAuthor=author,
            body=body,
            created=self.stamp(at),
            updated=self.stamp(at),
        )
        self.comments[key].append(data)
        self._touch(key, at)
        return data

    def _labels(self, key: str, *, add: list[str], remove: list[str]) -> None:
        labels: list[str] = self.issues[key]["fields"]["labels"]
        before = list(labels)
        labels[:] = [x for x in labels if x not in remove] + [x for x in add if x not in labels]
        if labels == before:
            return
        item = _history_item("Fix Version")
        item.update(field="labels", fieldId="labels", fieldtype="jira",
                    **{"from": None, "to": None},
                    fromString=" ".join(before), toString=" ".join(labels))
        self._history(key, [item], at=self.clock(), author=self.me)

    # -- rendering ----------------------------------------------------------------------

    def _issue_by_ref(self, ref: str) -> str | None:
        if ref in self.issues:
            return ref
        return next((k for k, v in self.issues.items() if v["id"] == ref), None)

    def render(self, key: str, fields: list[str], *, changelog: bool) -> Json:
        data = copy.deepcopy(self.issues[key])
        comments = copy.deepcopy(self.comments[key])
        data["fields"]["comment"] = {
            "comments": comments,
            "self": f"{self.site}/rest/api/2/issue/{data['id']}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }
        data["fields"] = {k: v for k, v in data["fields"].items() if k in fields}
        if changelog:
            newest = list(reversed(copy.deepcopy(self.histories[key])))[:100]
            data["changelog"] = {
                "startAt": 0,
                "maxResults": len(newest),
                "total": len(self.histories[key]),
                "histories": newest,
            }
        return data

    # -- HTTP ---------------------------------------------------------------------------

    def serve(self, rsps: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(self.site) + r"/.*")
        for method in ("GET", "POST", "PUT", "DELETE"):
            rsps.add_callback(method, pattern, callback=self.handle,
                              content_type="application/json;charset=UTF-8")

    def handle(self, request: PreparedRequest) -> Reply:
        parts = urllib.parse.urlsplit(request.url or "")
        query = dict(urllib.parse.parse_qsl(parts.query))
        raw = request.body
        text = raw.decode() if isinstance(raw, bytes) else raw
        body = json.loads(text) if text else None
        method = request.method or "GET"
        basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {basic}":
            reply: Reply = (401, {}, json.dumps({"errorMessages": ["Unauthorized"]}))
        else:
            reply = self._dispatch(method, parts.path, query, body)
        if (method, parts.path) in self.lose_next:
            # Done, but the answer is lost on the way back: an empty 502 from the edge.
            self.lose_next.remove((method, parts.path))
            reply = (502, {}, "")
        self.calls.append(Call(method, parts.path, query, body, reply[0]))
        return reply

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", r"/rest/api/2/serverInfo", self._server_info),
            ("GET", r"/rest/api/2/field", self._fields),
            ("GET", r"/rest/api/2/myself", self._myself),
            ("GET", r"/rest/api/2/status", self._statuses),
            ("GET", r"/rest/api/2/search/jql", self._search),
            ("GET", r"/rest/agile/1\.0/board", self._boards),
            ("GET", r"/rest/agile/1\.0/board/(\d+)/sprint", self._board_sprints),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)/versions", self._versions),
            ("GET", r"/rest/api/2/issue/([^/]+)/comment", self._list_comments),
            ("POST", r"/rest/api/2/issue/([^/]+)/comment", self._create_comment),
            ("PUT", r"/rest/api/2/issue/([^/]+)/comment/(\d+)", self._edit_comment),
            ("PUT", r"/rest/api/2/issue/([^/]+)", self._edit_issue),
        ]
        for verb, route, handler in routes:
            found = re.fullmatch(route, path)
            if verb == method and found is not None:
                return handler(*found.groups(), query=query, body=body)
        return self._error(404, "Not found")

    @staticmethod
    def _json(status: int, data: Any) -> Reply:
        return status, {}, "" if data is None else json.dumps(data)

    def _error(self, status: int, message: str) -> Reply:
        return self._json(status, {"errorMessages": [message], "errors": {}})

    def _server_info(self, **_: Any) -> Reply:
        # Atlassian's documented serverInfo shape (no recording exists).
        return self._json(200, {"baseUrl": self.site, "version": "1001.0.0-SNAPSHOT",
                                "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud",
                                "buildNumber": 100285, "serverTitle": "Jira"})

    def _fields(self, **_: Any) -> Reply:
        fields: list[Json] = recorded("specharness/field.json")
        sprint = copy.deepcopy(next(f for f in fields if f["name"] == "Flagged"))
        sprint.update(id=SPRINT_FIELD, key=SPRINT_FIELD, name="Sprint", untranslatedName="Sprint",
                      clauseNames=["cf[10020]", "Sprint"],
                      schema={"type": "array", "items": "json",
                              "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                              "customId": 10020})
        return self._json(200, [*fields, sprint])

    def _myself(self, **_: Any) -> Reply:
        return self._json(200, self.me)

    def _statuses(self, **_: Any) -> Reply:
        # The site's workflow statuses: the recorded ones of the SAM1 issues (the list of
        # ``GET /status`` holds the same objects as an issue's ``status`` field).
        found: dict[str, Json] = {}
        for issue in recorded(SEARCH)["issues"]:
            found.setdefault(issue["fields"]["status"]["id"], issue["fields"]["status"])
        return self._json(200, list(found.values()))

    def _search(self, *, query: dict[str, str], **_: Any) -> Reply:
        match = _JQL.fullmatch(query.get("jql", ""))
        if match is None:
            return self._error(400, f"The JQL query is not understood: {query.get('jql')!r}")
        project = match.group("project")
        since = None
        if match.group("since"):
            since = datetime.strptime(match.group("since"), "%Y/%m/%d %H:%M").replace(
                tzinfo=self.zone
            )
        def updated(key: str) -> datetime:
            return self.parse(self.issues[key]["fields"]["updated"])

        keys = sorted(
            (k for k in self.issues
             if k.split("-")[0] == project and (since is None or updated(k) >= since)),
            key=lambda k: (updated(k), int(self.issues[k]["id"])),
        )
        size = min(int(query.get("maxResults", "50")), 100)
        token = query.get("nextPageToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        fields = query.get("fields", "").split(",")
        expand = "changelog" in query.get("expand", "").split(",")
        page: Json = {
            "issues": [self.render(k, fields, changelog=expand)
                       for k in keys[offset : offset + size]],
        }
        if offset + size < len(keys):
            page["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        else:
            page["isLast"] = True
        return self._json(200, page)

    def _boards(self, *, query: dict[str, str], **_: Any) -> Reply:
        project = query.get("projectKeyOrId", "")
        values = [{"id": board, "self": f"{self.site}/rest/agile/1.0/board/{board}",
                   "name": f"{project} board", "type": "scrum"}
                  for key, board in self.boards.items() if key == project]
        return self._json(200, {"maxResults": 50, "startAt": 0, "total": len(values),
                                "isLast": True, "values": values})

    def _board_sprints(self, board: str, *, query: dict[str, str], **_: Any) -> Reply:
        every = self.sprints.get(int(board))
        if every is None:
            return self._error(404, f"Board {board} does not exist")
        start, size = int(query.get("startAt", "0")), min(int(query.get("maxResults", "50")), 50)
        return self._json(200, {"maxResults": size, "startAt": start,
                                "isLast": start + size >= len(every),
                                "values": every[start : start + size]})

    def _versions(self, project: str, **_: Any) -> Reply:
        return self._json(200, self.versions.get(project, []))

    def _list_comments(self, ref: str, *, query: dict[str, str], **_: Any) -> Reply:
        key = self._issue_by_ref(ref)
        if key is None:
            return self._error(404, "Issue does not exist or you do not have permission to see it.")
        every = self.comments[key]
        start, size = int(query.get("startAt", "0")), int(query.get("maxResults", "50"))
        return self._json(200, {"startAt": start, "maxResults": size, "total": len(every),
                                "comments": every[start : start + size]})

    def _create_comment(self, ref: str, *, body: Any, **_: Any) -> Reply:
        key = self._issue_by_ref(ref)
        if key is None:
            return self._error(404, "Issue does not exist or you do not have permission to see it.")
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return self._error(400, "Comment body can not be empty!")
        return self._json(201, self._comment(key, author=self.me, body=body["body"],
                                             at=self.clock()))

    def _edit_comment(self, ref: str, ident: str, *, body: Any, **_: Any) -> Reply:
        key = self._issue_by_ref(ref)
        found = next((c for c in self.comments.get(key or "", []) if c["id"] == ident), None)
        if key is None or found is None:
            return self._error(404, "Can not find a comment for the id")
        if found["author"]["accountId"] != self.me["accountId"]:
            return self._error(403, "You do not have permission to edit this comment")
        found.update(body=body["body"], updated=self.stamp(self.clock()), updateAuthor=self.me)
        self._touch(key, self.clock())
        return self._json(200, found)

    def _edit_issue(self, ref: str, *, body: Any, **_: Any) -> Reply:
        key = self._issue_by_ref(ref)
        if key is None:
            return self._error(404, "Issue does not exist or you do not have permission to see it.")
        if not isinstance(body, dict) or set(body) != {"update"} or set(body["update"]) != {
            "labels"
        }:
            return self._error(400, "forewarn edits labels through update verbs only")
        add = [op["add"] for op in body["update"]["labels"] if "add" in op]
        remove = [op["remove"] for op in body["update"]["labels"] if "remove" in op]
        if any(" " in name for name in add + remove):
            return self._json(400, {"errorMessages": [],
                                    "errors": {"labels": "The label can't contain spaces."}})
        self._labels(key, add=add, remove=remove)
        return 204, {}, ""

    # -- what the tests look at ------------------------------------------------------------

    def ours(self, key: str) -> list[Json]:
        return [c for c in self.comments[key] if c["author"]["accountId"] == self.me["accountId"]]

    def label_names(self, key: str) -> list[str]:
        return list(self.issues[key]["fields"]["labels"])

    def writes(self, since: int = 0) -> list[Call]:
        return [call for call in self.calls[since:] if call.is_write]
