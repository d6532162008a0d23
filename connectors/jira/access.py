"""What forewarn may do in one Jira project, asked without writing (``check-config --connect``).

Every request is a GET:

* ``/rest/api/2/myself``: the credentials are accepted, and whose they are;
* ``/rest/api/2/serverInfo``: Cloud or Data Center, whatever ``deployment`` says;
* ``/rest/api/2/project/{key}``: the project is there and the account can browse it;
* ``/rest/api/2/mypermissions?projectKey=…&permissions=…``: Browse projects, Add
  comments, Edit own comments, Edit issues (labels are issue edits), as the
  project's permission scheme grants them to the account
  (https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-permissions/#api-rest-api-2-mypermissions-get);
* ``/rest/api/2/issue/{key}`` and ``mypermissions?issueKey=…`` for each target issue
  (the status issue): there, and open to the account's comments (issue security
  levels can hide one issue of a visible project);
* for sprints, the project's boards (``/rest/agile/1.0/board``), and each board the
  config names that Jira does not relate to the project (``/board/{id}``);
* when the project names a ``due_field`` or an ``estimate_field``, ``/rest/api/2/field``:
  a field of that name (or id) exists and holds a date, or a number;
* when clients or team are told by e-mail, ``/rest/api/2/user/assignable/search``:
  how many of the people who work in the project show no e-mail address (Jira Cloud
  hides them by profile visibility), whom such patterns cannot place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from connectors.base import AccessReport, AccessRequest, Check
from connectors.errors import TrackerError
from connectors.jira.facts import SiteFacts
from connectors.jira.fields import DATE_TYPES, NUMBER_TYPES, named_field
from connectors.jira.http import JiraHttp
from connectors.jira.milestones import MilestoneMode, reads
from connectors.jira.values import obj_or_empty

#: What forewarn needs in the project, with the names Jira's admin screens show.
NEEDED = {"BROWSE_PROJECTS": "Browse projects", "ADD_COMMENTS": "Add comments",
          "EDIT_OWN_COMMENTS": "Edit own comments", "EDIT_ISSUES": "Edit issues"}
ON_AN_ISSUE = ("ADD_COMMENTS", "EDIT_OWN_COMMENTS")
#: People asked for when counting hidden e-mail addresses (one page).
PEOPLE_PAGE = 100


@dataclass
class ProjectAccess:
    """The checks of one project through ``http``."""

    http: JiraHttp
    facts: SiteFacts
    project_key: str
    mode: MilestoneMode
    checks: list[Check] = field(default_factory=list)
    facts_seen: list[tuple[str, str]] = field(default_factory=list)
    #: The site as it names itself (serverInfo ``baseUrl``): one site under two host
    #: names is still one site.
    base_url: str = ""

    def run(self, request: AccessRequest) -> AccessReport:
        me = self._credentials()
        if me is None:
            return AccessReport(tuple(self.checks))
        self._site()
        project = self._project()
        if project is None:
            return AccessReport(tuple(self.checks), facts=tuple(self.facts_seen))
        granted = self._permissions()
        for name, key, option in request.targets:
            self._target(name, key, option)
        self._say("labels", "EDIT_ISSUES" in granted,
                  "set by editing issues (Edit issues granted)" if "EDIT_ISSUES" in granted
                  else "labels are issue edits, and Edit issues is not granted",
                  "" if "EDIT_ISSUES" in granted else "grant Edit issues to the account")
        if reads(self.mode, "sprint"):
            self._boards()
        if self.facts.due_field or self.facts.estimate_field:
            self._fields()
        if request.emails:
            self._emails()
        identity = f"jira:{self.base_url or self.http.site}:{project.get('id')}"
        return AccessReport(tuple(self.checks), identity=identity, facts=tuple(self.facts_seen))

    def _say(self, name: str, ok: bool, detail: str, hint: str = "") -> None:
        self.checks.append(Check(name, ok, detail.removeprefix(f"Jira {self.http.site}: "),
                                 hint))

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(path, params)

    def _credentials(self) -> dict[str, Any] | None:
        try:
            me = self.http.get_object("/rest/api/2/myself")
        except TrackerError as error:
            self._say("credentials", False, str(error))
            return None
        who = me.get("displayName") or me.get("name") or me.get("accountId")
        ident = me.get("accountId") or me.get("name")
        self._say("credentials", True, f"accepted: writes as {who} ({ident})")
        return me

    def _site(self) -> None:
        try:
            info = self.http.get_object("/rest/api/2/serverInfo")
        except TrackerError as error:
            self._say("site", False, str(error))
            return
        self.base_url = str(info.get("baseUrl") or "").rstrip("/")
        cloud = info.get("deploymentType") == "Cloud"
        self.facts_seen.append(("deployment", "cloud" if cloud else "server"))
        kind = "Jira Cloud" if cloud else f"Jira {info.get('deploymentType') or 'Server'}"
        self._say("site", True, f"{kind} {info.get('version', '')}".rstrip())

    def _project(self) -> dict[str, Any] | None:
        path = f"/rest/api/2/project/{quote(self.project_key, safe='')}"
        try:
            project = self.http.get_object(path)
        except TrackerError as error:
            self._say("project", False, str(error))
            return None
        self._say("project", True, f"{self.project_key} found (“{project.get('name', '')}”)")
        return project

    def _granted(self, **context: str) -> set[str] | None:
        """Which of the needed permissions the account has here; None when Jira won't say."""
        wanted = ON_AN_ISSUE if "issueKey" in context else tuple(NEEDED)
        try:
            data = self.http.get_object("/rest/api/2/mypermissions",
                                        {**context, "permissions": ",".join(wanted)})
        except TrackerError as error:
            self._say("permissions", False, str(error))
            return None
        found = obj_or_empty(data.get("permissions"))
        return {key for key in wanted if obj_or_empty(found.get(key)).get("havePermission")}

    def _permissions(self) -> set[str]:
        granted = self._granted(projectKey=self.project_key)
        if granted is None:
            return set()
        missing = [NEEDED[key] for key in NEEDED if key not in granted]
        if missing:
            self._say("permissions", False, f"not granted: {', '.join(missing)}",
                      "grant them in the project's permission scheme (or a role that has them)")
        else:
            self._say("permissions", True, ", ".join(NEEDED.values()))
        return granted

    def _target(self, name: str, key: str, option: str) -> None:
        path = f"/rest/api/2/issue/{quote(key, safe='')}"
        try:
            issue = self.http.get_object(path, {"fields": "summary,status"})
        except TrackerError as error:
            self._say(name, False, str(error), f"create an issue for it, or fix {option}")
            return
        granted = self._granted(issueKey=key)
        fields = obj_or_empty(issue.get("fields"))
        status = obj_or_empty(fields.get("status"))
        found = f"{key} found (“{fields.get('summary', '')}”, {status.get('name', 'open')})"
        if granted is not None and not set(ON_AN_ISSUE) <= granted:
            self._say(name, False, f"{found}, but the account may not comment on it",
                      "grant Add comments and Edit own comments (or lift its security level)")
        elif granted is not None:
            self._say(name, True, f"{found}; comments allowed")

    def _boards(self) -> None:
        try:
            found = dict(self.facts.find_boards())
            named = self.facts.board_ids
            for ident in named:
                if ident not in found:
                    board = self.http.get_object(f"/rest/agile/1.0/board/{ident}")
                    found[ident] = str(board.get("name") or ident)
        except TrackerError as error:
            self._say("boards", False, str(error), "check boards")
            return
        watched = list(named or found)
        if not watched:
            self._say("boards", False, f"{self.project_key} has no Scrum board",
                      "use milestones: version, or name boards: [id, ...]")
            return
        shown = ", ".join(f"{ident} ({found[ident]})" for ident in watched)
        self._say("boards", True, f"sprints read from {shown}")

    def _fields(self) -> None:
        """A ✓/✗ line for each field the config names, with the id it found."""
        try:
            listing = self.http.get("/rest/api/2/field")
        except TrackerError as error:
            self._say("fields", False, str(error), "check the account may list fields")
            return
        items = [item for item in listing if isinstance(item, dict)
                 and isinstance(item.get("id"), str)] if isinstance(listing, list) else []
        named = (("due_field", self.facts.due_field, DATE_TYPES, "a date"),
                 ("estimate_field", self.facts.estimate_field, NUMBER_TYPES, "a number"))
        for option, name, types, what in named:
            if not name:
                continue
            ident, problem = named_field(items, name, types, option)
            if ident is not None:
                self._say(option, True, f"“{name}” is {ident} ({what})")
            else:
                self._say(option, False, (problem or "").removeprefix(f"{option}: "),
                          f"name {what} field as Jira lists it (Settings › Issues › Custom "
                          "fields), or its id")

    def _emails(self) -> None:
        try:
            people = self._get("/rest/api/2/user/assignable/search",
                               {"project": self.project_key, "maxResults": PEOPLE_PAGE})
        except TrackerError as error:
            self._say("e-mails", False, str(error))
            return
        humans = [p for p in people if isinstance(p, dict)
                  and p.get("accountType", "atlassian") == "atlassian"] \
            if isinstance(people, list) else []
        hidden = sum(not p.get("emailAddress") for p in humans)
        if hidden:
            self._say("e-mails", False, f"{hidden} of {len(humans)} people who can be assigned "
                      "issues show no e-mail address: e-mail patterns cannot place them",
                      "list their account ids in clients or team")
        else:
            self._say("e-mails", True, f"visible for all {len(humans)} people who can be "
                                       "assigned issues")
