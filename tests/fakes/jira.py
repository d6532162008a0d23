"""Worlds served as one Jira Cloud site's REST API (v2 and agile), through ``responses`` callbacks.

Each World is one project (``BILL``: issue ``BILL-5`` is the world's issue 5);
its milestones are fix versions, or sprints (``kind="sprint"``) of the
project's board. What forewarn writes is what the next cycle reads, and the
fake answers the requests the Jira connector sends:

* ``GET /rest/api/2/search/jql``: the enhanced search. It reads the JQL the
  connector writes (``project = "KEY" [AND updated >= "yyyy/MM/dd HH:mm"]
  ORDER BY updated ASC``), compares the date **in the account's time zone and
  to the minute** as Jira does, returns only the ``fields`` asked for, embeds
  the changelog (newest first, at most 100) only with ``expand=changelog``, and
  pages by ``nextPageToken`` (the last page says ``isLast``);
* ``serverInfo``, ``/field``, ``/myself``, ``/status``, the agile board and
  sprint lists (``startAt``/``isLast``), ``/project/KEY/versions`` and
  ``/issue/KEY/changelog`` (oldest first);
* comments: ``GET``/``POST /issue/{key}/comment``, ``PUT .../comment/{id}``
  (someone else's: 403), bodies kept as the wiki strings REST v2 takes and gives;
* labels only through ``PUT /issue/{key}`` with ``{"update": {"labels":
  [{"add"|"remove": name}]}}``: any ``fields`` in that body is refused with a
  400, as forewarn must never overwrite the label set. Label, sprint, version
  and status changes are changelog entries (``labels`` items hold the
  space-separated sets);
* every request must carry the basic auth of the configured e-mail and token.

Payloads are copies of recorded ones (tests/fixtures/jira/, see SOURCES.md
there) with ids, keys, names, dates, people and values changed: issues,
statuses and people from specharness's enhanced search ``search_jql_SAM1``
(Jira Cloud, 2026), ``/field`` from the same site plus a Sprint field copied
from its "Flagged" custom field with the ``gh-sprint`` schema, changelog
histories and their Sprint, Fix Version and status items, comments and
embedded sprints and fix versions from DevLake's agile issues, board sprints
from DevLake's sprint list, versions from jira-ruby's ``version/10000``.
``serverInfo``, the board list, page envelopes and the ``labels`` changelog
item have no recording: they follow Atlassian's documented shapes (the
``labels`` item is the recorded Fix Version item with its field renamed).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import DictMemo
from connectors.jira.connector import JiraConnector
from connectors.retry import RetryPolicy
from tests.connectors.jira.support import EMAIL, TOKEN, interactions
from tests.fakes.http import FakeServer, Json, Reply
from tests.fakes.world import Event, WMilestone, World

SITE = "https://acme.atlassian.net"
SPRINT_FIELD = "customfield_10020"
SEARCH = "specharness/search_jql_SAM1.json"
AGILE = "devlake/agile_board_issues_expand_changelog.json"
_JQL = re.compile(
    r'project = "(?P<project>[A-Z][A-Z0-9]*)"'
    r'(?: AND updated >= "(?P<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")?'
    r" ORDER BY updated ASC"
)
_HIDDEN = "Issue does not exist or you do not have permission to see it."


@functools.cache
def _recorded(name: str, index: int) -> str:
    return json.dumps(interactions(name)[index]["response"]["body"])


def recorded(name: str, index: int = 0) -> Any:
    """A fresh copy of one recorded response body."""
    return json.loads(_recorded(name, index))


@functools.cache
def _sam1_text(key: str) -> str:
    return json.dumps(next(i for i in recorded(SEARCH)["issues"] if i["key"] == key))


def _sam1(key: str) -> Json:
    """A fresh copy of one issue of the recorded Cloud enhanced search."""
    found: Json = json.loads(_sam1_text(key))
    return found


@functools.cache
def _agile_text(key: str) -> str:
    for page in (recorded(AGILE, 0), recorded(AGILE, 1)):
        for issue in page["issues"]:
            if issue["key"] == key:
                return json.dumps(issue)
    raise LookupError(key)


def _agile_issue(key: str) -> Json:
    """A fresh copy of one recorded agile issue bean (DevLake)."""
    found: Json = json.loads(_agile_text(key))
    return found


def _history_item(field: str) -> Json:
    """A recorded changelog item of EE-1 (DevLake), by field name."""
    for history in _agile_issue("EE-1")["changelog"]["histories"]:
        for item in history["items"]:
            if item["field"] == field:
                found: Json = item
                return found
    raise LookupError(field)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeJira(FakeServer):
    """One Jira Cloud site holding ``projects`` (project key -> its World)."""

    CONTENT_TYPE = "application/json;charset=UTF-8"

    def __init__(self, projects: dict[str, World], *, site: str = SITE, email: str = EMAIL,
                 token: str = TOKEN, boards: dict[str, int] | None = None) -> None:
        super().__init__(site, [
            ("GET", r"/rest/api/2/serverInfo", "_server_info"),
            ("GET", r"/rest/api/2/field", "_fields"),
            ("GET", r"/rest/api/2/myself", "_myself"),
            ("GET", r"/rest/api/2/status", "_statuses"),
            ("GET", r"/rest/api/2/search/jql", "_search"),
            ("GET", r"/rest/agile/1\.0/board", "_boards"),
            ("GET", r"/rest/agile/1\.0/board/(\d+)/sprint", "_board_sprints"),
            ("GET", r"/rest/agile/1\.0/sprint/(\d+)", "_sprint"),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)/versions", "_versions"),
            ("GET", r"/rest/api/2/issue/([^/]+)/changelog", "_changelog"),
            ("GET", r"/rest/api/2/issue/([^/]+)/comment", "_list_comments"),
            ("POST", r"/rest/api/2/issue/([^/]+)/comment", "_create_comment"),
            ("PUT", r"/rest/api/2/issue/([^/]+)/comment/(\d+)", "_edit_comment"),
            ("PUT", r"/rest/api/2/issue/([^/]+)", "_edit_issue"),
        ])
        self.projects = projects
        self.site = site
        self.email = email
        self.token = token
        #: project key -> its scrum board (whose sprints are the project's sprints)
        self.boards = boards or {}
        # The account's zone: JQL dates are read in it, timestamps are written in it.
        self.zone = ZoneInfo(_sam1("SAM1-1")["fields"]["reporter"]["timeZone"])
        self.home = next(iter(projects.values()))  # forewarn's account is the first world's me

    @staticmethod
    def account(person: str) -> str:
        """A person's account id (Cloud ids look like ``712020:<uuid>``)."""
        return f"712020:{person}"

    def key(self, number: int, project: str | None = None) -> str:
        return f"{project or next(iter(self.projects))}-{number}"

    def connector(self, **options: Any) -> JiraConnector:
        """The real connector, pointed at the first project (by versions); it never sleeps."""
        options.setdefault("memo", DictMemo())
        options.setdefault("retry", RetryPolicy(attempts=4, scale=0, sleep=lambda _s: None))
        options.setdefault("clock", self.home.clock)
        options.setdefault("project", "billing")
        options.setdefault("milestones", "version")
        return JiraConnector(next(iter(self.projects)), url=self.site, email=self.email,
                             token=self.token, **options)

    # -- rendering ----------------------------------------------------------------------

    def stamp(self, value: datetime) -> str:
        """Jira's format, in the account's time zone: ``2026-07-28T18:16:29.633-0300``."""
        local = value.astimezone(self.zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + \
            local.strftime("%z")  # fmt: skip

    def _locate(self, ref: str) -> tuple[str, World, int] | None:
        """(project, world, number) of an issue key or id."""
        for project, world in self.projects.items():
            for number in world.issues:
                if ref in (f"{project}-{number}", self._issue_id(project, number)):
                    return project, world, number
        return None

    def _issue_id(self, project: str, number: int) -> str:
        """10000 + 1000 x the project's place on the site + the issue number."""
        return str(10_000 + 1000 * list(self.projects).index(project) + number)

    def person(self, world: World, pid: str) -> Json:
        who = world.find(pid)
        data: Json = copy.deepcopy(_sam1("SAM1-1")["fields"]["reporter"])
        account = self.account(pid)
        data.update(self=f"{self.site}/rest/api/2/user?accountId={urllib.parse.quote(account)}",
                    accountId=account, displayName=who.name, emailAddress=who.email)
        return data

    @staticmethod
    def status(name: str) -> Json:
        """A recorded status: "To Do" (SAM1-1), "In Progress" (SAM1-3) or "Done" (SAM1-5)."""
        key = {"To Do": "SAM1-1", "In Progress": "SAM1-3", "Done": "SAM1-5"}[name]
        found: Json = _sam1(key)["fields"]["status"]
        return found

    def sprint(self, project: str, m: WMilestone) -> Json:
        data: Json = recorded("devlake/agile_board_sprints.json")["values"][0]
        start = m.start or m.created
        # A sprint ends at the hour it started, on its last day.
        end = datetime.combine(m.due, start.timetz()) if m.due else None
        data.update(id=m.number, name=m.title, self=f"{self.site}/rest/agile/1.0/sprint/{m.number}",
                    state="closed" if m.state == "closed" else "active", startDate=_utc(start),
                    endDate=_utc(end) if end else None, originBoardId=self.boards[project])
        data.pop("completeDate", None)
        if m.closed is not None:
            data["completeDate"] = _utc(m.closed)
        return data

    def version(self, m: WMilestone) -> Json:
        data: Json = recorded("jira-ruby/version_10000.GET.json")
        release = m.due
        data.update(
            self=f"{self.site}/rest/api/2/version/{m.number}", id=str(m.number), name=m.title,
            description=f"Release {m.title}", archived=False, released=m.state != "open",
            startDate=m.start.date().isoformat() if m.start else None,
            releaseDate=release.isoformat() if release else None,
            userReleaseDate=release.strftime("%d/%b/%y") if release else None,
        )
        return data

    def issue(self, number: int, project: str | None = None) -> Json:
        """The issue with every field and its changelog (the search leaves out what it was
        not asked for)."""
        project = project or next(iter(self.projects))
        world = self.projects[project]
        i = world.issues[number]
        data = _sam1("SAM1-1")
        ident = self._issue_id(project, number)
        milestone = world.milestones.get(i.milestone) if i.milestone is not None else None
        sprints = versions = None
        if milestone is not None and milestone.kind == "sprint":
            sprints = [self._sprint_value(project, milestone)]
        elif milestone is not None:
            versions = [self._fix_version(milestone)]
        changed = [e.at for e in world.events if e.number == number and e.field == "status"]
        comments = [self.comment(project, c.id) for c in world.comments_on(number)]
        fields = data["fields"]
        fields.update(
            summary=i.title, status=self.status(i.status), created=self.stamp(i.created),
            updated=self.stamp(i.updated),
            statuscategorychangedate=self.stamp(max(changed, default=i.closed or i.created)),
            resolutiondate=self.stamp(i.closed) if i.closed else None,
            reporter=self.person(world, i.author), creator=self.person(world, i.author),
            assignee=self.person(world, i.assignees[0]) if i.assignees else None,
            labels=list(i.labels), duedate=i.due.isoformat() if i.due else None,
            fixVersions=versions or [],
            comment={"comments": comments, "self": f"{self.site}/rest/api/2/issue/{ident}/comment",
                     "maxResults": len(comments), "total": len(comments), "startAt": 0},
            **{SPRINT_FIELD: sprints},
        )
        fields["project"].update(key=project, name=f"{project} project")
        histories = self._histories(project, world, number)
        newest = list(reversed(histories))[:100]
        data.update(id=ident, key=f"{project}-{number}",
                    self=f"{self.site}/rest/api/2/issue/{ident}",
                    changelog={"startAt": 0, "maxResults": len(newest), "total": len(histories),
                               "histories": newest})
        return data

    def _sprint_value(self, project: str, m: WMilestone) -> Json:
        value: Json = copy.deepcopy(_agile_issue("K5-2")["fields"][SPRINT_FIELD][0])
        sprint = self.sprint(project, m)
        value.update(id=m.number, name=m.title, state=sprint["state"], boardId=self.boards[project],
                     startDate=sprint["startDate"], endDate=sprint["endDate"])
        return value

    def _fix_version(self, m: WMilestone) -> Json:
        value: Json = copy.deepcopy(_agile_issue("EE-1")["fields"]["fixVersions"][0])
        version = self.version(m)
        value.update(id=version["id"], name=m.title, self=version["self"],
                     released=version["released"], releaseDate=version["releaseDate"])
        return value

    def comment(self, project: str, ident: int) -> Json:
        world = self.projects[project]
        c = world.comments[ident]
        data: Json = copy.deepcopy(_agile_issue("EE-1")["fields"]["comment"]["comments"][0])
        author = self.person(world, c.author)
        issue = self._issue_id(project, c.number)
        data.update(id=str(ident), self=f"{self.site}/rest/api/2/issue/{issue}/comment/{ident}",
                    author=author, updateAuthor=author, body=c.body, created=self.stamp(c.created),
                    updated=self.stamp(c.updated))
        return data

    def _histories(self, project: str, world: World, number: int) -> list[Json]:
        """The issue's changelog, oldest first."""
        histories, labels = [], []
        for e in (e for e in world.events if e.number == number):
            before = list(labels)
            if e.field == "label" and e.after:
                labels.append(e.after)
            elif e.field == "label":
                labels = [n for n in labels if n.casefold() != (e.before or "").casefold()]
            data: Json = copy.deepcopy(_agile_issue("EE-1")["changelog"]["histories"][0])
            data.update(id=str(e.id), items=[self._item(project, world, e, before, labels)],
                        author=self.person(world, e.actor), created=self.stamp(e.at))
            histories.append(data)
        return histories

    def _item(self, project: str, world: World, e: Event, before: list[str],
              labels: list[str]) -> Json:
        if e.field == "label":
            item = _history_item("Fix Version")
            item.update(field="labels", fieldId="labels", fieldtype="jira",
                        **{"from": None, "to": None},
                        fromString=" ".join(before), toString=" ".join(labels))
            return item
        if e.field == "status":
            item = _history_item("status")
            item.update(**{"from": self.status(e.before or "To Do")["id"],
                           "to": self.status(e.after or "To Do")["id"]},
                        fromString=e.before, toString=e.after)
            return item
        olds, news = (world.milestones[int(n)] if n else None for n in (e.before, e.after))
        if any(m is not None and m.kind == "sprint" for m in (olds, news)):
            # The Sprint item names sprints by id and by name, "" for none.
            item = _history_item("Sprint")
            item.update(**{"from": e.before or "", "to": e.after or ""},
                        fromString=olds.title if olds else "", toString=news.title if news else "")
        else:
            item = _history_item("Fix Version")
            item.update(**{"from": e.before, "to": e.after},
                        fromString=olds.title if olds else None,
                        toString=news.title if news else None)
        return item

    # -- HTTP ---------------------------------------------------------------------------

    def dispatch(self, method: str, path: str, query: dict[str, str], body: Any,
                 headers: Mapping[str, str]) -> Reply:
        basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if headers.get("Authorization") != f"Basic {basic}":
            return self.json(401, {"errorMessages": ["Unauthorized"]})
        return super().dispatch(method, path, query, body, headers)

    def not_found(self) -> Reply:
        return self.error(404, "Not found")

    def error(self, status: int, message: str) -> Reply:
        return self.json(status, {"errorMessages": [message], "errors": {}})

    def _server_info(self, **_: Any) -> Reply:
        # Atlassian's documented serverInfo shape (no recording exists).
        return self.json(200, {"baseUrl": self.site, "version": "1001.0.0-SNAPSHOT",
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
        return self.json(200, [*fields, sprint])

    def _myself(self, **_: Any) -> Reply:
        return self.json(200, self.person(self.home, self.home.me))

    def _statuses(self, **_: Any) -> Reply:
        # The site's workflow statuses: the recorded ones of the SAM1 issues (the list of
        # ``GET /status`` holds the same objects as an issue's ``status`` field).
        found: dict[str, Json] = {}
        for issue in recorded(SEARCH)["issues"]:
            found.setdefault(issue["fields"]["status"]["id"], issue["fields"]["status"])
        return self.json(200, list(found.values()))

    def _search(self, *, query: dict[str, str], **_: Any) -> Reply:
        match = _JQL.fullmatch(query.get("jql", ""))
        if match is None or match.group("project") not in self.projects:
            return self.error(400, f"The JQL query is not understood: {query.get('jql')!r}")
        project = match.group("project")
        world = self.projects[project]
        since = None
        if match.group("since"):
            since = datetime.strptime(match.group("since"), "%Y/%m/%d %H:%M").replace(
                tzinfo=self.zone)
        numbers = sorted((n for n, i in world.issues.items()
                          if since is None or i.updated >= since),
                         key=lambda n: (world.issues[n].updated, n))
        size = min(int(query.get("maxResults", "50")), 100)
        token = query.get("nextPageToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        fields = query.get("fields", "").split(",")
        expand = "changelog" in query.get("expand", "").split(",")
        issues = []
        for number in numbers[offset : offset + size]:
            item = self.spoil("issue", f"{project}-{number}", self.issue(number, project))
            if isinstance(item, dict) and isinstance(item.get("fields"), dict):
                item["fields"] = {k: v for k, v in item["fields"].items() if k in fields}
            if isinstance(item, dict) and not expand:
                item.pop("changelog", None)
            issues.append(item)
        page: Json = {"issues": issues}
        if offset + size < len(numbers):
            page["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        else:
            page["isLast"] = True
        return self.json(200, page)

    def _boards(self, *, query: dict[str, str], **_: Any) -> Reply:
        project = query.get("projectKeyOrId", "")
        values = [{"id": board, "self": f"{self.site}/rest/agile/1.0/board/{board}",
                   "name": f"{project} board", "type": "scrum"}
                  for key, board in self.boards.items() if key == project]
        return self.json(200, {"maxResults": 50, "startAt": 0, "total": len(values),
                               "isLast": True, "values": values})

    def _board_sprints(self, board: str, *, query: dict[str, str], **_: Any) -> Reply:
        project = next((key for key, b in self.boards.items() if b == int(board)), None)
        if project is None:
            return self.error(404, f"Board {board} does not exist")
        every = [self.sprint(project, m) for m in self.projects[project].milestones.values()
                 if m.kind == "sprint"]
        if query.get("state"):  # "Filters results to sprints in specified states" (comma list)
            wanted = set(query["state"].split(","))
            every = [sprint for sprint in every if sprint["state"] in wanted]
        start, size = int(query.get("startAt", "0")), min(int(query.get("maxResults", "50")), 50)
        return self.json(200, {"maxResults": size, "startAt": start,
                               "isLast": start + size >= len(every),
                               "values": every[start : start + size]})

    def _sprint(self, ident: str, **_: Any) -> Reply:
        """``GET /rest/agile/1.0/sprint/{sprintId}``: the sprint alone, as the board lists it."""
        for project, world in self.projects.items():
            found = world.milestones.get(int(ident))
            if found is not None and found.kind == "sprint" and project in self.boards:
                return self.json(200, self.sprint(project, found))
        return self.error(404, f"Sprint with id {ident} does not exist")

    def _versions(self, project: str, **_: Any) -> Reply:
        world = self.projects.get(project)
        milestones = world.milestones.values() if world is not None else []
        return self.json(200, [self.version(m) for m in milestones if m.kind != "sprint"])

    def _changelog(self, ref: str, **_: Any) -> Reply:
        found = self._locate(ref)
        if found is None:
            return self.error(404, _HIDDEN)
        histories = self._histories(*found)
        return self.json(200, {"startAt": 0, "maxResults": 100, "total": len(histories),
                               "isLast": True, "values": histories})

    def _list_comments(self, ref: str, *, query: dict[str, str], **_: Any) -> Reply:
        found = self._locate(ref)
        if found is None:
            return self.error(404, _HIDDEN)
        project, world, number = found
        every = [self.comment(project, c.id) for c in world.comments_on(number)]
        start, size = int(query.get("startAt", "0")), int(query.get("maxResults", "50"))
        return self.json(200, {"startAt": start, "maxResults": size, "total": len(every),
                               "comments": every[start : start + size]})

    def _create_comment(self, ref: str, *, body: Any, **_: Any) -> Reply:
        found = self._locate(ref)
        if found is None:
            return self.error(404, _HIDDEN)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return self.error(400, "Comment body can not be empty!")
        project, world, number = found
        created = world.post(number, world.me, body["body"])
        return self.json(201, self.comment(project, created.id))

    def _edit_comment(self, ref: str, ident: str, *, body: Any, **_: Any) -> Reply:
        found = self._locate(ref)
        comment = found[1].comments.get(int(ident)) if found is not None else None
        if found is None or comment is None or comment.number != found[2]:
            return self.error(404, "Can not find a comment for the id")
        project, world, _ = found
        if comment.author != world.me:
            return self.error(403, "You do not have permission to edit this comment")
        world.edit(comment.id, body["body"])
        return self.json(200, self.comment(project, comment.id))

    def _edit_issue(self, ref: str, *, body: Any, **_: Any) -> Reply:
        found = self._locate(ref)
        if found is None:
            return self.error(404, _HIDDEN)
        if not isinstance(body, dict) or set(body) != {"update"} or set(body["update"]) != {
            "labels"
        }:
            return self.error(400, "forewarn edits labels through update verbs only")
        verbs = body["update"]["labels"]
        if any(" " in name for verb in verbs for name in verb.values()):
            return self.json(400, {"errorMessages": [],
                                   "errors": {"labels": "The label can't contain spaces."}})
        _, world, number = found
        for verb in verbs:
            if "add" in verb:
                world.add_label(number, verb["add"], world.me)
            else:
                world.remove_label(number, verb["remove"], world.me)
        return 204, {}, ""

    # -- what the tests look at ------------------------------------------------------------

    def comments_on(self, key: str) -> list[Json]:
        project, _, number = key.partition("-")
        world = self.projects[project]
        return [self.comment(project, c.id) for c in world.comments_on(int(number))]

    def ours(self, key: str) -> list[Json]:
        mine = self.account(self.home.me)
        return [c for c in self.comments_on(key) if c["author"]["accountId"] == mine]

    def label_names(self, key: str) -> list[str]:
        project, _, number = key.partition("-")
        return list(self.projects[project].issues[int(number)].labels)
