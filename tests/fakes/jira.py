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
  (someone else's: 403), bodies kept as the wiki strings REST v2 takes and gives.
  A comment is restricted as Jira Cloud documents it: ``visibility`` ``{type:
  role|group, value}`` on a role- or group-restricted one, ``jsdPublic: false`` on
  a Service Management internal note (``true`` on the others); a POST or PUT
  restricts with the same ``visibility``, or keeps an internal note internal with
  the ``sd.public.comment`` property ``{"internal": true}``; ``POST
  /rest/servicedeskapi/request/{key}/comment`` with ``"public": false`` creates
  an internal note and answers in the Service Management shape Atlassian
  documents (``id``, ``body``, ``public``, ``author``, ``created`` as
  ``{iso8601, jira, friendly, epochMillis}``, ``_links``);
* people as Cloud shows them: no ``emailAddress`` where the profile hides it,
  ``accountType`` ``customer`` for a service desk customer;
* with ``deployment="server"``, a Data Center site instead: requests carry a
  personal access token (``Authorization: Bearer``), the search is the classic
  ``GET /rest/api/2/search`` paged by ``startAt``/``total``, serverInfo says
  ``Server``, and people are Data Center users: ``name`` (how forewarn names
  them there), a ``key`` that differs from it (``JIRAUSER10001``, as Jira 8
  keys users created since), ``displayName``, ``emailAddress``, ``active``,
  ``timeZone``, and no ``accountId`` or ``accountType``: nothing says an
  automation account is not a person. Comments carry no ``jsdPublic`` there;
  a role's user actors name their user (``name``);
* project roles and groups: ``GET /project/{key}/role`` (name -> URL),
  ``/project/{key}/role/{id}`` (user and group actors) and ``/group/member``
  (``startAt`` pages), from the World's ``roles`` and ``groups``;
* labels only through ``PUT /issue/{key}`` with ``{"update": {"labels":
  [{"add"|"remove": name}]}}``: any ``fields`` in that body is refused with a
  400, as forewarn must never overwrite the label set. Label, sprint, version
  and status changes are changelog entries (``labels`` items hold the
  space-separated sets);
* every request must carry the basic auth of the configured e-mail and token;
* for ``check-config --connect``: ``GET /project/{key}``, ``GET /issue/{key}``,
  ``GET /mypermissions`` (every permission granted but those in ``denied``),
  ``GET /agile/1.0/board/{id}`` and ``GET /user/assignable/search`` (the
  project's people; those in ``hidden_emails`` show none, as Cloud's profile
  visibility does). ``base_url`` is the site's own URL as serverInfo says it
  (a second host name for one site keeps the first's).

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
``labels`` item is the recorded Fix Version item with its field renamed);
so do a project (``GET /project/{key}``: ``id``, ``key``, ``name``,
``projectTypeKey``) and ``mypermissions`` (``{"permissions": {KEY: {id, key,
name, type, description, havePermission}}}``, the example of Atlassian's REST v2
reference); a user of the assignable search is a recorded person. A Data Center
user is jira-ruby's recorded Server author (``name``, ``emailAddress``,
``avatarUrls``, ``displayName``, ``active``; tests/fixtures/jira/SOURCES.md) with
the ``key`` and ``timeZone`` the Jira Server platform REST reference documents for
a user; the classic search page is ``{startAt, maxResults, total, issues}`` as
documented there.

Epics, parents and the custom fields "Target end" and "Story Points" are
``tests/fakes/jira_plans.py``'s (a mixin), with the recorded shapes they copy.
"""

from __future__ import annotations

import base64
import copy
import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.base import DictMemo
from connectors.jira.connector import JiraConnector
from connectors.model import PUBLIC, Visibility
from connectors.retry import RetryPolicy
from tests.connectors.jira.support import EMAIL, TOKEN
from tests.fakes.http import FakeServer, Json, Reply
from tests.fakes.jira_plans import JiraPlans, plan_fields
from tests.fakes.jira_recorded import SEARCH, recorded
from tests.fakes.jira_recorded import agile_issue as _agile_issue
from tests.fakes.jira_recorded import history_item as _history_item
from tests.fakes.jira_recorded import sam1 as _sam1
from tests.fakes.world import Event, WMilestone, World

SITE = "https://acme.atlassian.net"
SPRINT_FIELD = "customfield_10020"
#: A recorded Data Center (Server) comment listing: its authors are Server users.
SERVER_COMMENTS = "jira-ruby/issue_10002_comment.GET.json"
_JQL = re.compile(
    r'project = "(?P<project>[A-Z][A-Z0-9]*)"'
    r'(?: AND updated >= "(?P<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")?'
    r" ORDER BY updated ASC"
)
_HIDDEN = "Issue does not exist or you do not have permission to see it."


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeJira(FakeServer, JiraPlans):
    """One Jira Cloud site holding ``projects`` (project key -> its World)."""

    CONTENT_TYPE = "application/json;charset=UTF-8"

    def __init__(self, projects: dict[str, World], *, site: str = SITE, email: str = EMAIL,
                 token: str = TOKEN, boards: dict[str, int | tuple[int, ...]] | None = None,
                 deployment: Literal["cloud", "server"] = "cloud") -> None:
        super().__init__(site, [
            ("GET", r"/rest/api/2/serverInfo", "_server_info"),
            ("GET", r"/rest/api/2/field", "_fields"),
            ("GET", r"/rest/api/2/myself", "_myself"),
            ("GET", r"/rest/api/2/status", "_statuses"),
            ("GET", r"/rest/api/2/search/jql", "_search"),
            ("GET", r"/rest/api/2/search", "_classic_search"),
            ("GET", r"/rest/agile/1\.0/board", "_boards"),
            ("GET", r"/rest/agile/1\.0/board/(\d+)/sprint", "_board_sprints"),
            ("GET", r"/rest/agile/1\.0/sprint/(\d+)", "_sprint"),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)/versions", "_versions"),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)/role", "_roles"),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)/role/(\d+)", "_role"),
            ("GET", r"/rest/api/2/group/member", "_group_members"),
            ("GET", r"/rest/api/2/project/([A-Z0-9]+)", "_project"),
            ("GET", r"/rest/api/2/mypermissions", "_my_permissions"),
            ("GET", r"/rest/api/2/user/assignable/search", "_assignable"),
            ("GET", r"/rest/agile/1\.0/board/(\d+)", "_board"),
            ("GET", r"/rest/api/2/issue/([^/]+)/changelog", "_changelog"),
            ("GET", r"/rest/api/2/issue/([^/]+)/comment", "_list_comments"),
            ("POST", r"/rest/api/2/issue/([^/]+)/comment", "_create_comment"),
            ("PUT", r"/rest/api/2/issue/([^/]+)/comment/(\d+)", "_edit_comment"),
            ("POST", r"/rest/servicedeskapi/request/([^/]+)/comment", "_request_comment"),
            ("PUT", r"/rest/api/2/issue/([^/]+)", "_edit_issue"),
            ("GET", r"/rest/api/2/issue/([^/]+)", "_get_issue"),
        ])
        self.projects = projects
        self.deployment = deployment
        self.site = site
        self.email = email
        self.token = token
        #: project key -> its scrum boards (a sprint belongs to its ``board``, else the first)
        self.boards = {key: (value,) if isinstance(value, int) else value
                       for key, value in (boards or {}).items()}
        # The account's zone: JQL dates are read in it, timestamps are written in it.
        self.zone = ZoneInfo(_sam1("SAM1-1")["fields"]["reporter"]["timeZone"])
        self.home = next(iter(projects.values()))  # forewarn's account is the first world's me
        self.base_url = site
        #: Permissions (mypermissions keys) the account lacks, project-wide.
        self.denied: set[str] = set()
        #: People whose e-mail address Jira hides.
        self.hidden_emails: set[str] = set()
        JiraPlans.__init__(self)

    @staticmethod
    def account(person: str) -> str:
        """A person's account id (Cloud ids look like ``712020:<uuid>``)."""
        return f"712020:{person}"

    def user_id(self, person: str) -> str:
        """How the site names a person: the account id (Cloud), the user name (Data Center)."""
        return person if self.deployment == "server" else self.account(person)

    def key(self, number: int, project: str | None = None) -> str:
        return f"{project or next(iter(self.projects))}-{number}"

    def connector(self, **options: Any) -> JiraConnector:
        """The real connector, pointed at the first project (by versions); it never sleeps."""
        options.setdefault("memo", DictMemo())
        options.setdefault("retry", RetryPolicy(attempts=4, scale=0, sleep=lambda _s: None))
        options.setdefault("clock", self.home.clock)
        options.setdefault("project", "billing")
        options.setdefault("milestones", "version")
        email = self.email
        if self.deployment == "server":
            options.setdefault("deployment", "server")
            email = None  # a personal access token
        return JiraConnector(next(iter(self.projects)), url=self.site, email=email,
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
        if self.deployment == "server":
            return self._server_user(world, pid)
        who = world.find(pid)
        data: Json = copy.deepcopy(_sam1("SAM1-1")["fields"]["reporter"])
        account = self.account(pid)
        data.update(self=f"{self.site}/rest/api/2/user?accountId={urllib.parse.quote(account)}",
                    accountId=account, displayName=who.name, emailAddress=who.email,
                    accountType=who.account_type)
        if who.email is None:
            del data["emailAddress"]  # Cloud leaves it out where the profile hides it
        return data

    def _server_user(self, world: World, pid: str) -> Json:
        """A Data Center user: jira-ruby's recorded Server author renamed, with the documented
        ``key`` (Jira 8 keys users as ``JIRAUSER<id>``) and ``timeZone``; no account id or
        type."""
        who = world.find(pid)
        data: Json = copy.deepcopy(recorded(SERVER_COMMENTS)["comments"][0]["author"])
        number = 10_000 + sorted({*world.people, pid}).index(pid)
        data.update(self=f"{self.site}/rest/api/2/user?username={urllib.parse.quote(pid)}",
                    name=pid, key=f"JIRAUSER{number}", displayName=who.name,
                    emailAddress=who.email, timeZone=str(self.zone))
        if who.email is None:
            del data["emailAddress"]
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
                    endDate=_utc(end) if end else None, originBoardId=self.board_of(project, m))
        data.pop("completeDate", None)
        if m.closed is not None:
            data["completeDate"] = _utc(m.closed)
        return data

    def board_of(self, project: str, m: WMilestone) -> int:
        return m.board if m.board is not None else self.boards[project][0]

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
        self._jira_parts(project, number, fields)
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
        value.update(id=m.number, name=m.title, state=sprint["state"],
                     boardId=self.board_of(project, m),
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
                    updated=self.stamp(c.updated), jsdPublic=c.visibility.kind != "internal")
        if self.deployment == "server":
            del data["jsdPublic"]  # Data Center keeps it in a comment property, if at all
        data.pop("visibility", None)
        if c.visibility.kind in ("role", "group"):
            data["visibility"] = {"type": c.visibility.kind, "value": c.visibility.name,
                                  "identifier": c.visibility.name}
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
        planned = self._plan_item(project, e)
        if planned is not None:
            return planned
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
        expected = f"Bearer {self.token}" if self.deployment == "server" else f"Basic {basic}"
        if headers.get("Authorization") != expected:
            return self.json(401, {"errorMessages": ["Unauthorized"]})
        return super().dispatch(method, path, query, body, headers)

    def not_found(self) -> Reply:
        return self.error(404, "Not found")

    def error(self, status: int, message: str) -> Reply:
        return self.json(status, {"errorMessages": [message], "errors": {}})

    def _server_info(self, **_: Any) -> Reply:
        # Atlassian's documented serverInfo shape (no recording exists).
        if self.deployment == "server":
            return self.json(200, {"baseUrl": self.base_url, "version": "9.12.15",
                                   "versionNumbers": [9, 12, 15], "deploymentType": "Server",
                                   "buildNumber": 9120015, "serverTitle": "Jira"})
        return self.json(200, {"baseUrl": self.base_url, "version": "1001.0.0-SNAPSHOT",
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
        return self.json(200, [*fields, sprint, *plan_fields(fields)])


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
        """Cloud's enhanced search: pages by ``nextPageToken``, the last says ``isLast``."""
        found = self._searched(query)
        if found is None:
            return self.error(400, f"The JQL query is not understood: {query.get('jql')!r}")
        project, numbers = found
        size = min(int(query.get("maxResults", "50")), 100)
        token = query.get("nextPageToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        page: Json = {"issues": self._found(project, numbers[offset : offset + size], query)}
        if offset + size < len(numbers):
            page["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        else:
            page["isLast"] = True
        return self.json(200, page)

    def _classic_search(self, *, query: dict[str, str], **_: Any) -> Reply:
        """Data Center's search: ``startAt`` pages with ``total`` (Cloud removed it)."""
        if self.deployment != "server":
            return self.json(410, {"errorMessages": ["The requested API has been removed. "
                                                     "Please migrate to the /rest/api/3/search/jql "
                                                     "API."], "errors": {}})
        found = self._searched(query)
        if found is None:
            return self.error(400, f"The JQL query is not understood: {query.get('jql')!r}")
        project, numbers = found
        start, size = int(query.get("startAt", "0")), min(int(query.get("maxResults", "50")), 100)
        return self.json(200, {"startAt": start, "maxResults": size, "total": len(numbers),
                               "issues": self._found(project, numbers[start : start + size],
                                                     query)})

    def _searched(self, query: dict[str, str]) -> tuple[str, list[int]] | None:
        """The project and the numbers of its issues the JQL finds, oldest update first; None
        for a JQL the fake does not understand."""
        match = _JQL.fullmatch(query.get("jql", ""))
        if match is None or match.group("project") not in self.projects:
            return None
        project = match.group("project")
        world = self.projects[project]
        since = None
        if match.group("since"):
            since = datetime.strptime(match.group("since"), "%Y/%m/%d %H:%M").replace(
                tzinfo=self.zone)
        numbers = sorted((n for n, i in world.issues.items()
                          if since is None or i.updated >= since),
                         key=lambda n: (world.issues[n].updated, n))
        return project, numbers

    def _found(self, project: str, numbers: list[int], query: dict[str, str]) -> list[Any]:
        """The issues of one page, with the ``fields`` asked for and, with ``expand=changelog``,
        their changelog."""
        fields = query.get("fields", "").split(",")
        expand = "changelog" in query.get("expand", "").split(",")
        issues = []
        for number in numbers:
            item = self.spoil("issue", f"{project}-{number}", self.issue(number, project))
            if isinstance(item, dict) and isinstance(item.get("fields"), dict):
                item["fields"] = {k: v for k, v in item["fields"].items() if k in fields}
            if isinstance(item, dict) and not expand:
                item.pop("changelog", None)
            issues.append(item)
        return issues

    def board(self, ident: int) -> Json:
        """A board as the agile API lists it (Atlassian's documented shape)."""
        project = next(key for key, ids in self.boards.items() if ident in ids)
        name = f"{project} board" + (f" {ident}" if self.boards[project][0] != ident else "")
        return {"id": ident, "self": f"{self.site}/rest/agile/1.0/board/{ident}",
                "name": name, "type": "scrum"}

    def _boards(self, *, query: dict[str, str], **_: Any) -> Reply:
        project = query.get("projectKeyOrId", "")
        values = [self.board(ident) for ident in self.boards.get(project, ())]
        return self.json(200, {"maxResults": 50, "startAt": 0, "total": len(values),
                               "isLast": True, "values": values})

    def _board_sprints(self, board: str, *, query: dict[str, str], **_: Any) -> Reply:
        project = next((key for key, ids in self.boards.items() if int(board) in ids), None)
        if project is None:
            return self.error(404, f"Board {board} does not exist")
        every = [self.sprint(project, m) for m in self.projects[project].milestones.values()
                 if m.kind == "sprint" and self.board_of(project, m) == int(board)]
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

    def _refused(self, ref: str, body: Any) -> Reply | None:
        """What Jira answers a new comment it will not take: no such issue, no body."""
        if self._locate(ref) is None:
            return self.error(404, _HIDDEN)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            return self.error(400, "Comment body can not be empty!")
        return None

    def _create_comment(self, ref: str, *, body: Any, **_: Any) -> Reply:
        if (refused := self._refused(ref, body)) is not None:
            return refused
        project, world, number = self._locate(ref) or ("", self.home, 0)
        visibility = _restriction(body)
        if isinstance(visibility, str):
            return self.json(400, {"errorMessages": [], "errors": {"visibility": visibility}})
        created = world.post(number, world.me, body["body"], visibility=visibility or PUBLIC)
        return self.json(201, self.comment(project, created.id))

    def _edit_comment(self, ref: str, ident: str, *, body: Any, **_: Any) -> Reply:
        found = self._locate(ref)
        comment = found[1].comments.get(int(ident)) if found is not None else None
        if found is None or comment is None or comment.number != found[2]:
            return self.error(404, "Can not find a comment for the id")
        project, world, _ = found
        if comment.author != world.me:
            return self.error(403, "You do not have permission to edit this comment")
        visibility = _restriction(body)
        if isinstance(visibility, str):
            return self.json(400, {"errorMessages": [], "errors": {"visibility": visibility}})
        world.edit(comment.id, body["body"], visibility=visibility)
        return self.json(200, self.comment(project, comment.id))

    def _request_comment(self, ref: str, *, body: Any, **_: Any) -> Reply:
        if (refused := self._refused(ref, body)) is not None:
            return refused
        project, world, number = self._locate(ref) or ("", self.home, 0)
        internal = body.get("public") is False
        created = world.post(number, world.me, body["body"],
                             visibility=Visibility("internal") if internal else PUBLIC)
        author = self.person(world, world.me)
        stamp = self.stamp(created.created)
        return self.json(201, {
            "id": str(created.id), "body": created.body, "public": not internal,
            "author": {k: author[k] for k in ("accountId", "displayName", "emailAddress",
                                              "active", "timeZone") if k in author},
            "created": {"iso8601": stamp, "jira": stamp, "friendly": "Today",
                        "epochMillis": int(created.created.timestamp() * 1000)},
            "_links": {"self": f"{self.site}/rest/servicedeskapi/request/"
                               f"{self._issue_id(project, number)}/comment/{created.id}"},
        })

    def _roles(self, project: str, **_: Any) -> Reply:
        world = self.projects.get(project)
        if world is None:
            return self.error(404, f"No project could be found with key '{project}'.")
        return self.json(200, {name: f"{self.site}/rest/api/2/project/{project}/role/{ident}"
                               for ident, name in _role_ids(world).items()})

    def _role(self, project: str, ident: str, **_: Any) -> Reply:
        world = self.projects.get(project)
        name = _role_ids(world).get(int(ident)) if world is not None else None
        if world is None or name is None:
            return self.error(404, "Can not retrieve a role actor for a null project role.")
        data: Json = recorded("atlassian-docs/project_role_developers.json")
        actors: list[Json] = []
        for index, member in enumerate(world.roles[name]):
            if member.startswith("group:"):
                group = member.removeprefix("group:")
                actors.append({"actorGroup": {"name": group, "displayName": group},
                               "displayName": group, "id": 20_000 + index, "name": group,
                               "type": "atlassian-group-role-actor"})
            elif self.deployment == "server":  # Data Center names the user
                actors.append({"displayName": world.find(member).name, "id": 20_000 + index,
                               "name": member, "type": "atlassian-user-role-actor"})
            else:
                actors.append({"actorUser": {"accountId": self.account(member)},
                               "displayName": world.find(member).name, "id": 20_000 + index,
                               "type": "atlassian-user-role-actor"})
        data.update(self=f"{self.site}/rest/api/2/project/{project}/role/{ident}", name=name,
                    id=int(ident), actors=actors)
        data["scope"]["project"].update(key=project, name=f"{project} project")
        return self.json(200, data)

    def _group_members(self, *, query: dict[str, str], **_: Any) -> Reply:
        name = query.get("groupname", "")
        world = next((w for w in self.projects.values() if name in w.groups), None)
        if world is None:
            return self.error(404, f"Group '{name}' does not exist.")
        every = [self.person(world, pid) for pid in world.groups[name]]
        start, size = int(query.get("startAt", "0")), min(int(query.get("maxResults", "50")), 50)
        page = every[start : start + size]
        return self.json(200, {"self": f"{self.site}/rest/api/2/group/member",
                               "maxResults": size, "startAt": start, "total": len(every),
                               "isLast": start + size >= len(every), "values": page})

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

    def _project(self, key: str, **_: Any) -> Reply:
        if key not in self.projects:
            return self.error(404, f"No project could be found with key '{key}'.")
        ident = 10_000 + list(self.projects).index(key)
        return self.json(200, {"self": f"{self.site}/rest/api/2/project/{ident}",
                               "id": str(ident), "key": key, "name": f"{key} project",
                               "projectTypeKey": "software"})

    def _my_permissions(self, *, query: dict[str, str], **_: Any) -> Reply:
        issue = query.get("issueKey")
        if issue is not None and self._locate(issue) is None:
            return self.error(404, _HIDDEN)
        found = {key: {"id": str(10 + n), "key": key, "name": key.replace("_", " ").title(),
                       "type": "PROJECT", "description": f"Ability to {key.lower()}.",
                       "havePermission": key not in self.denied}
                 for n, key in enumerate(query.get("permissions", "").split(",")) if key}
        return self.json(200, {"permissions": found})

    def _assignable(self, *, query: dict[str, str], **_: Any) -> Reply:
        world = self.projects.get(query.get("project", ""))
        if world is None:
            return self.error(404, f"No project could be found with key '{query.get('project')}'.")
        people = []
        for pid in world.people:
            person = self.person(world, pid)
            if pid in self.hidden_emails:
                person["emailAddress"] = None
            people.append(person)
        return self.json(200, people)

    def _board(self, ident: str, **_: Any) -> Reply:
        if not any(int(ident) in ids for ids in self.boards.values()):
            return self.error(404, "Board does not exist or you do not have permission to see it.")
        return self.json(200, self.board(int(ident)))

    def _get_issue(self, ref: str, *, query: dict[str, str], **_: Any) -> Reply:
        found = self._locate(ref)
        if found is None:
            return self.error(404, _HIDDEN)
        project, _, number = found
        data = self.issue(number, project)
        wanted = query.get("fields", "").split(",")
        data["fields"] = {k: v for k, v in data["fields"].items() if k in wanted}
        data.pop("changelog", None)
        return self.json(200, data)

    # -- what the tests look at ------------------------------------------------------------

    def restricted(self, key: str) -> list[Visibility]:
        """Who may read each of forewarn's comments on the issue, oldest first."""
        project, _, number = key.partition("-")
        world = self.projects[project]
        return [c.visibility for c in world.comments_on(int(number)) if c.author == world.me]

    def comments_on(self, key: str) -> list[Json]:
        project, _, number = key.partition("-")
        world = self.projects[project]
        return [self.comment(project, c.id) for c in world.comments_on(int(number))]

    def ours(self, key: str) -> list[Json]:
        field = "name" if self.deployment == "server" else "accountId"
        mine = self.user_id(self.home.me)
        return [c for c in self.comments_on(key) if c["author"][field] == mine]

    def label_names(self, key: str) -> list[str]:
        project, _, number = key.partition("-")
        return list(self.projects[project].issues[int(number)].labels)


def _role_ids(world: World) -> dict[int, str]:
    """Role ids as the site numbers them: 10000, 10001, … in the World's order."""
    return {10_000 + index: name for index, name in enumerate(world.roles)}


def _restriction(body: Json) -> Visibility | str | None:
    """Who a POST or PUT restricts a comment to: Jira's ``visibility`` or the Service
    Management ``sd.public.comment`` property; a text says what is wrong; None: unsaid."""
    visibility = body.get("visibility")
    if isinstance(visibility, dict):
        kind, value = visibility.get("type"), visibility.get("value")
        if kind not in ("role", "group") or not isinstance(value, str) or not value:
            return "Visibility type must be role or group, with a value."
        return Visibility("role" if kind == "role" else "group", value)
    for prop in body.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key") == "sd.public.comment":
            internal = (prop.get("value") or {}).get("internal") is True
            return Visibility("internal") if internal else PUBLIC
    return None
