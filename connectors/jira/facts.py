"""What the Jira connector learns once and keeps in its Memo, so that no cycle asks twice.

The deployment type (``/serverInfo``), the Sprint, Epic Link, story-point and
named date field ids (``/field``), the account (``/myself``: id and time zone), the boards whose
sprints are the project's (looked up again once a day, so a new board is
seen), status categories (``/status``) and, on Data Center only, whether the
project is a Service Management project (``/project``: there an internal note
is marked only by a comment property). A steady-state cycle is then one search
plus one milestone listing per board (or the versions listing).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import Memo
from connectors.errors import FatalError, TrackerError
from connectors.jira.changelog import StatusBook
from connectors.jira.fields import SPRINT_SCHEMA, FieldIds, discover_fields
from connectors.jira.http import JiraHttp
from connectors.jira.pages import start_at_list
from connectors.jira.parse import memo_json, person_id
from connectors.model import now, parse_utc

log = logging.getLogger(__name__)

Deployment = Literal["cloud", "server"]

MEMO_DEPLOYMENT = "jira.deployment"
MEMO_FIELDS = "jira.fields"
MEMO_MYSELF = "jira.myself"
MEMO_BOARDS = "jira.boards"
MEMO_STATUSES = "jira.statuses"
MEMO_PROJECT_TYPE = "jira.project_type"
#: ``projectTypeKey`` of a Jira Service Management project.
SERVICE_DESK = "service_desk"
#: Board types that have sprints ("simple" is a team-managed board).
_SPRINT_BOARDS = ("scrum", "simple")
#: How long the boards found for a project are trusted before they are looked up again.
BOARDS_FRESH = timedelta(days=1)
#: Agile lists (boards, sprints) cap at 50 per page.
AGILE_PAGE = 50


@dataclass(eq=False)
class SiteFacts:
    """One site and project as learnt through ``http``; ``on_deployment`` hears the type."""

    http: JiraHttp
    memo: Memo
    _: KW_ONLY
    site: str
    project_key: str
    #: The boards the config names; empty: every Scrum board of the project.
    board_ids: tuple[int, ...]
    deployment_setting: Literal["auto", "cloud", "server"]
    on_deployment: Callable[[Deployment], None]
    clock: Callable[[], datetime] = now
    #: The names of the project's ``due_field`` and ``estimate_field``, when it names them.
    due_field: str | None = None
    estimate_field: str | None = None
    _deployment: Deployment | None = field(default=None, init=False)
    _ids: FieldIds | None = field(default=None, init=False)
    _fields_fresh: bool = field(default=False, init=False)
    #: The memo's fields were found for other field names: every cached issue holds the
    #: old fields' values, so the next fetch reads the project whole.
    names_changed: bool = field(default=False, init=False)
    _me: dict[str, str] | None = field(default=None, init=False)
    statuses: StatusBook = field(init=False)
    _statuses_fetched: bool = field(default=False, init=False)
    _bad_zones: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        if self.deployment_setting != "auto":
            self._set_deployment(self.deployment_setting)
        self.statuses = StatusBook.from_json(self.memo.get(MEMO_STATUSES))

    def _set_deployment(self, kind: Deployment) -> None:
        self._deployment = kind
        self.on_deployment(kind)

    @property
    def deployment(self) -> Deployment:
        """Either "cloud" or "server" (Data Center too): serverInfo once, then the memo."""
        if self._deployment is None:
            cached = self.memo.get(MEMO_DEPLOYMENT)
            if cached in ("cloud", "server"):
                self._set_deployment("cloud" if cached == "cloud" else "server")
            else:
                info = self.http.get_object("/rest/api/2/serverInfo")
                kind: Deployment = "cloud" if info.get("deploymentType") == "Cloud" else "server"
                self.memo.set(MEMO_DEPLOYMENT, kind)
                self._set_deployment(kind)
        assert self._deployment is not None
        return self._deployment

    def myself(self) -> dict[str, str]:
        """The account the token belongs to: ``id``, ``name`` and ``time_zone``."""
        if self._me is None:
            cached = memo_json(self.memo.get(MEMO_MYSELF))
            if isinstance(cached, dict) and cached.get("id"):
                self._me = {str(k): str(v) for k, v in cached.items()}
            else:
                raw = self.http.get_object("/rest/api/2/myself")
                pid = person_id(raw)
                if pid is None:
                    msg = f"Jira {self.site}: GET /rest/api/2/myself named no account"
                    raise FatalError(msg)
                self._me = {
                    "id": pid,
                    "name": str(raw.get("displayName") or pid),
                    "time_zone": str(raw.get("timeZone") or ""),
                }
                self.memo.set(MEMO_MYSELF, json.dumps(self._me, sort_keys=True))
        return self._me

    def zone(self) -> tzinfo | None:
        """The account's time zone, in which JQL reads dates (None when Jira hides it)."""
        name = self.myself().get("time_zone")
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if name not in self._bad_zones:
                self._bad_zones.add(name)
                log.warning("Jira %s: unknown time zone %r on the account", self.site, name)
            return None

    def field_ids(self, *, need_sprint: bool) -> FieldIds:
        """The site's field ids, from the memo; looked up again (``/field``) when the memo
        lacks one the project needs or was filled for other field names. A field the
        config names that the site lacks is fatal: nothing could be read right."""
        wanted = (self.due_field, self.estimate_field)
        if self._ids is None and isinstance(memo_json(self.memo.get(MEMO_FIELDS)), dict):
            self._ids = FieldIds.from_json(self.memo.get(MEMO_FIELDS) or "{}")
        stale = self._ids is not None and (
            (need_sprint and self._ids.sprint is None) or bool(self._ids.missing)
            or self._ids.wanted != wanted)
        if self._ids is None or (stale and not self._fields_fresh):
            self.names_changed = self._ids is not None and self._ids.wanted != wanted
            self._ids = discover_fields(self.http.get("/rest/api/2/field"),
                                        due=self.due_field, estimate=self.estimate_field)
            self._fields_fresh = True
            self.memo.set(MEMO_FIELDS, self._ids.to_json())
        if need_sprint and self._ids.sprint is None:
            msg = (
                f"Jira {self.site}: no Sprint field on this site (custom field type"
                f" {SPRINT_SCHEMA}): project {self.project_key} has no board with"
                " sprints; use 'milestones: version'"
            )
            raise FatalError(msg)
        if self._ids.missing:
            msg = (f"Jira {self.site}: {'; '.join(self._ids.missing)} (check the name in "
                   "Jira's custom fields, or leave the option out)")
            raise FatalError(msg)
        return self._ids

    def ensure_statuses(self, needed: set[str]) -> None:
        """Fetch status categories once per fetch when a changelog names an unknown status."""
        if self._statuses_fetched or all(self.statuses.knows(s) for s in needed):
            return
        self._statuses_fetched = True
        try:
            listing = self.http.get("/rest/api/2/status")
        except TrackerError as err:
            log.warning("Jira %s: status categories unavailable (%s); using names", self.site, err)
            return
        for status in listing if isinstance(listing, list) else []:
            self.statuses.learn(status)

    def restore_statuses(self) -> str:
        """Status categories as the memo knows them now; returns them as JSON, to compare."""
        # The sync layer may fill the memo after building the connector (a one-shot run
        # restores it from the state store just before fetching): read what it knows now.
        stored = StatusBook.from_json(self.memo.get(MEMO_STATUSES)).categories
        self.statuses.categories = {**stored, **self.statuses.categories}
        self._statuses_fetched = False
        return self.statuses.to_json()

    def save_statuses(self, before: str) -> None:
        """Keep the status categories in the memo when this fetch learnt any."""
        if self.statuses.to_json() != before:
            self.memo.set(MEMO_STATUSES, self.statuses.to_json())

    def service_desk(self) -> bool:
        """Whether the project is a Service Management project (``projectTypeKey``), once."""
        kind = self.memo.get(MEMO_PROJECT_TYPE)
        if not kind:
            raw = self.http.get_object(f"/rest/api/2/project/{quote(self.project_key, safe='')}")
            kind = str(raw.get("projectTypeKey") or "unknown")
            self.memo.set(MEMO_PROJECT_TYPE, kind)
        return kind == SERVICE_DESK

    def boards(self) -> tuple[int, ...]:
        """The boards whose sprints are the project's: the ones configured, else every
        Scrum (or team-managed) board of the project, as remembered for a day."""
        if self.board_ids:
            return self.board_ids
        cached = memo_json(self.memo.get(MEMO_BOARDS))
        if isinstance(cached, dict) and self._fresh(cached.get("at")):
            ids = cached.get("ids")
            if isinstance(ids, list) and ids and all(isinstance(i, int) for i in ids):
                return tuple(ids)
        found = self.find_boards()
        if not found:
            msg = (
                f"Jira {self.site}: project {self.project_key} has no Scrum board (needed for "
                "milestones: sprint): use milestones: version, or name boards: [id, ...]"
            )
            raise FatalError(msg)
        if len(found) > 1:
            log.info("Jira %s: project %s: reading the sprints of %d boards: %s (boards: "
                     "[...] to choose)", self.site, self.project_key, len(found),
                     ", ".join(f"{ident} ({name})" for ident, name in found))
        ids = [ident for ident, _ in found]
        self.memo.set(MEMO_BOARDS, json.dumps({"ids": ids, "at": self.clock().isoformat()}))
        return tuple(ids)

    def find_boards(self) -> list[tuple[int, str]]:
        """(id, name) of every board with sprints that Jira relates to the project."""
        listing = start_at_list(
            lambda path, params: self.http.get_object(
                path, {**params, "projectKeyOrId": self.project_key}),
            "/rest/agile/1.0/board", "values", size=AGILE_PAGE, site=self.site)
        return [(int(b["id"]), str(b.get("name") or b["id"])) for b in listing
                if isinstance(b, dict) and isinstance(b.get("id"), int)
                and b.get("type") in _SPRINT_BOARDS]

    def _fresh(self, at: object) -> bool:
        try:
            return isinstance(at, str) and self.clock() - parse_utc(at) < BOARDS_FRESH
        except ValueError:
            return False
