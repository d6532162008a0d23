"""Jira Cloud and Data Center: one project read in, alerts written back (wiki markup, REST v2).

The ``jira`` library is imported here and nowhere else, and none of its
objects leaves the Jira connector (its ``jira_*`` helpers see the client's
session only as a ``requests.Session``). It builds the authenticated session
(basic auth with the account e-mail and an API token on Cloud, a bearer
personal access token on Data Center) with ``max_retries=0`` (its
ResilientSession would otherwise sleep 20 s and more on a dropped connection
and retry under our policy) and ``get_server_info=False``;
``connectors/jira/http.py`` then sends every request under the one retry
policy of ``connectors.retry``, classed retriable or fatal, counted in
``requests_made``, its errors free of credentials.

Reads: issues by JQL with ``expand=changelog`` (Cloud: enhanced search
``/rest/api/2/search/jql`` paged by ``nextPageToken``; Data Center: classic
``/rest/api/2/search`` paged by ``startAt``), the board's sprints or the
project's versions, a capped changelog completed for that issue only, and
comments as wiki strings. jira's own ``enhanced_search_issues`` silently
returns None unless the client learnt "Cloud" from serverInfo; we call the
endpoint ourselves and still set ``deploymentType`` on the client.

What is learnt once is kept in the connector's Memo: the deployment type, the
Sprint and story-point field ids, the account (``/myself``: id and time zone),
the board id and status categories. A steady-state cycle is then one search
plus one milestone listing.

Writes: comments carry their ``connectors.markers.Marker`` as an ``{anchor}``
macro, invisible when rendered); a creation whose response is lost is never
repeated blindly: the issue's comments are searched for the marker first.
Labels change through the ``update`` verbs only, never by overwriting the set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira import JIRA, JIRAError

from connectors.base import FetchResult, Markup, Memo, RateLimit, RemoteComment
from connectors.errors import CannotPostComment, FatalError, RetriableError, TrackerError
from connectors.jira import changelog as jc
from connectors.jira import pages
from connectors.jira import parse as jp
from connectors.jira.changelog import StatusBook
from connectors.jira.fields import SPRINT_SCHEMA, FieldIds, discover_fields, search_fields
from connectors.jira.http import JiraHttp
from connectors.jira.milestones import MilestoneMode, sprint_milestone, version_milestone
from connectors.jira.pages import Getter
from connectors.jira.parse import validate_label
from connectors.markers import Marker
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot, now, utc
from connectors.retry import RetryPolicy

__all__ = ["JiraConnector", "validate_label"]

log = logging.getLogger(__name__)

Deployment = Literal["cloud", "server"]

#: Issues, changelog entries and comments per page (the documented maximum).
PAGE = 100
#: Agile API lists (boards, sprints) cap at 50 per page.
AGILE_PAGE = 50
#: Connect and read timeouts, seconds.
TIMEOUT = (10.0, 60.0)
MEMO_DEPLOYMENT = "jira.deployment"
MEMO_FIELDS = "jira.fields"
MEMO_MYSELF = "jira.myself"
MEMO_BOARD = "jira.board"
MEMO_STATUSES = "jira.statuses"
#: Board types that have sprints ("simple" is a team-managed board).
_SPRINT_BOARDS = ("scrum", "simple")
_DEFAULT_RETRY = RetryPolicy()


def _build_client(site: str, *, email: str | None, token: str) -> JIRA:
    """An authenticated client that sends nothing until asked and never retries."""
    common: dict[str, Any] = {
        "server": site,
        "options": {"check_update": False, "rest_api_version": "2"},
        "max_retries": 0,
        "get_server_info": False,
        "validate": False,
        "timeout": TIMEOUT,
    }
    if email:
        return JIRA(basic_auth=(email, token), **common)
    return JIRA(token_auth=token, **common)


@dataclass
class _Found:
    """What one fetch gathered from the search, by issue key.

    An issue updated while we page moves to a later page and is seen twice;
    the later copy is the newer one.
    """

    newest: datetime | None
    records: dict[str, tuple[Issue, list[Comment], list[Change]]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(
        self, issue: Issue, comments: list[Comment], changes: list[Change], people: list[Person]
    ) -> None:
        self.records.pop(issue.key, None)
        self.records[issue.key] = (issue, comments, changes)
        for person in people:
            self.people.setdefault(person.id, person)

    def snapshot(
        self, project: str, *, fetched_at: datetime, milestones: list[Milestone]
    ) -> Snapshot:
        records = self.records.values()
        return Snapshot(
            project=project,
            fetched_at=fetched_at,
            issues=tuple(issue for issue, _, _ in records),
            milestones=tuple(milestones),
            comments=tuple(c for _, its, _ in records for c in its),
            changes=tuple(c for _, _, its in records for c in its),
            people=self.people,
        )


class JiraConnector:
    """One Jira project through forewarn's eyes (satisfies ``connectors.base.Connector``)."""

    markup: Markup = "jira"

    def __init__(
        self,
        project_key: str,
        *,
        url: str,
        email: str | None,
        token: str,
        memo: Memo,
        project: str,
        milestones: Literal["sprint", "version"] = "version",
        board_id: int | None = None,
        deployment: Literal["auto", "cloud", "server"] = "auto",
        retry: RetryPolicy = _DEFAULT_RETRY,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.site = url.rstrip("/")
        if not token:
            msg = f"Jira {self.site}: no API token (Cloud) or personal access token (Data Center)"
            raise FatalError(msg)
        self.project_key = project_key
        self.project = project
        self.memo = memo
        self.milestones: MilestoneMode = milestones
        self.board_id = board_id
        self.retry = retry
        self.clock = clock
        self._client = _build_client(self.site, email=email, token=token)
        self.http = JiraHttp(
            self.site, self._client._session, http_errors=(JIRAError,), retry=retry, clock=clock
        )
        self._deployment: Deployment | None = None
        if deployment != "auto":
            self._set_deployment(deployment)
        self._ids: FieldIds | None = None
        self._fields_fresh = False
        self._me: dict[str, str] | None = None
        self._statuses = StatusBook.from_json(memo.get(MEMO_STATUSES))
        self._statuses_fetched = False
        self._bad_zones: set[str] = set()

    @property
    def requests_made(self) -> int:
        """Every HTTP request this connector sent, retries included."""
        return self.http.requests_made

    @property
    def rate_limit(self) -> RateLimit | None:
        """Jira announces no quota ahead; it answers 429 with Retry-After when it is spent."""
        return None

    def __repr__(self) -> str:
        return f"JiraConnector(site={self.site!r}, project_key={self.project_key!r})"

    # --- what is learnt once -------------------------------------------------

    def _set_deployment(self, kind: Deployment) -> None:
        self._deployment = kind
        # jira's Cloud-only methods (enhanced_search_issues among them) return
        # None unless the client knows; we call the endpoints ourselves but
        # keep the client truthful.
        self._client.deploymentType = "Cloud" if kind == "cloud" else "Server"

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

    def _myself(self) -> dict[str, str]:
        if self._me is None:
            cached = jp.memo_json(self.memo.get(MEMO_MYSELF))
            if isinstance(cached, dict) and cached.get("id"):
                self._me = {str(k): str(v) for k, v in cached.items()}
            else:
                raw = self.http.get_object("/rest/api/2/myself")
                pid = jp.person_id(raw)
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

    def whoami(self) -> str:
        """The account forewarn writes as: accountId on Cloud, user name on Data Center."""
        return self._myself()["id"]

    def _zone(self) -> tzinfo | None:
        """The account's time zone, in which JQL reads dates (None when Jira hides it)."""
        name = self._myself().get("time_zone")
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if name not in self._bad_zones:
                self._bad_zones.add(name)
                log.warning("Jira %s: unknown time zone %r on the account", self.site, name)
            return None

    def _field_ids(self, *, need_sprint: bool) -> FieldIds:
        if self._ids is None and isinstance(jp.memo_json(self.memo.get(MEMO_FIELDS)), dict):
            self._ids = FieldIds.from_json(self.memo.get(MEMO_FIELDS) or "{}")
        stale = need_sprint and self._ids is not None and self._ids.sprint is None
        if self._ids is None or (stale and not self._fields_fresh):
            self._ids = discover_fields(self.http.get("/rest/api/2/field"))
            self._fields_fresh = True
            self.memo.set(MEMO_FIELDS, self._ids.to_json())
        if need_sprint and self._ids.sprint is None:
            msg = (
                f"Jira {self.site}: no Sprint field on this site (custom field type"
                f" {SPRINT_SCHEMA}): project {self.project_key} has no board with"
                " sprints; use 'milestones: version'"
            )
            raise FatalError(msg)
        return self._ids

    def _ensure_statuses(self, needed: set[str]) -> None:
        """Fetch status categories once per fetch when a changelog names an unknown status."""
        if self._statuses_fetched or all(self._statuses.knows(s) for s in needed):
            return
        self._statuses_fetched = True
        try:
            listing = self.http.get("/rest/api/2/status")
        except TrackerError as err:
            log.warning("Jira %s: status categories unavailable (%s); using names", self.site, err)
            return
        for status in listing if isinstance(listing, list) else []:
            self._statuses.learn(status)

    def _board(self) -> int:
        if self.board_id is not None:
            return self.board_id
        cached = self.memo.get(MEMO_BOARD)
        if cached and cached.isdigit():
            self.board_id = int(cached)
            return self.board_id
        page = self.http.get_object("/rest/agile/1.0/board", {"projectKeyOrId": self.project_key})
        boards = [
            b
            for b in page.get("values") or []
            if isinstance(b, dict)
            and isinstance(b.get("id"), int)
            and b.get("type") in _SPRINT_BOARDS
        ]
        if not boards:
            msg = (
                f"Jira {self.site}: project {self.project_key} has no Scrum board"
                " (needed for 'milestones: sprint'); set board_id or use 'milestones: version'"
            )
            raise FatalError(msg)
        board = int(boards[0]["id"])
        if len(boards) > 1:
            log.warning(
                "Jira %s: project %s has %d sprint boards; using %d (%s); set board_id to choose",
                self.site,
                self.project_key,
                len(boards),
                board,
                boards[0].get("name", ""),
            )
        self.board_id = board
        self.memo.set(MEMO_BOARD, str(board))
        return board

    # --- reads ---------------------------------------------------------------

    def _search(self, jql: str, fields: list[str]) -> Iterator[object]:
        """Every issue the JQL matches, page by page."""
        params: dict[str, Any] = {
            "jql": jql,
            "fields": ",".join(fields),
            "expand": "changelog",
            "maxResults": PAGE,
        }
        if self.deployment == "cloud":
            path = "/rest/api/2/search/jql"
            return pages.enhanced_search(self.http.get_object, path, params, site=self.site)
        return pages.classic_search(self.http.get_object, "/rest/api/2/search", params)

    def _complete_histories(self, issue_id: str, embedded: list[Any], total: int) -> list[Any]:
        """A capped changelog made whole (the search embeds only the newest entries)."""
        ref = quote(issue_id, safe="")
        if self.deployment == "server":
            # Data Center returns the whole changelog on the issue itself.
            raw = self.http.get_object(
                f"/rest/api/2/issue/{ref}", {"fields": "updated", "expand": "changelog"}
            )
            return jp.embedded_histories(raw)[0]
        path = f"/rest/api/2/issue/{ref}/changelog"
        return pages.older_histories(self.http.get_object, path, embedded, total, size=PAGE)

    def _all_comments(self, issue_ref: str, *, get: Getter | None = None) -> list[Any]:
        path = f"/rest/api/2/issue/{quote(issue_ref, safe='')}/comment"
        fetch = get or self.http.get_object
        return pages.start_at_list(fetch, path, "comments", size=PAGE, site=self.site)

    def _read_issue(
        self, raw: object, *, ids: FieldIds, me: str, since: datetime | None
    ) -> tuple[Issue, list[Comment], list[Change], list[Person]]:
        """One search result with its full changelog and comments; raises on bad data."""
        issue, people = jp.issue_from(raw, site=self.site, ids=ids, mode=self.milestones)
        data: dict[str, Any] = raw  # type: ignore[assignment]  # issue_from checked it
        self._statuses.learn(data["fields"].get("status"))
        histories, total = jp.embedded_histories(raw)
        if total > len(histories) and not jc.covers(histories, since):
            histories = self._complete_histories(str(data["id"]), histories, total)
        self._ensure_statuses(jc.status_ids_in(histories))
        changes, actors = jc.changes_from(
            issue.key,
            histories,
            ids=ids,
            mode=self.milestones,
            statuses=self._statuses,
            since=since,
        )
        raw_comments, count = jp.embedded_comments(raw)
        if count > len(raw_comments):
            raw_comments = self._all_comments(str(data["id"]))
        comments: list[Comment] = []
        for item in raw_comments:
            comment, author = jp.comment_from(item, issue.key, me=me)
            if author is not None:
                people.append(author)
            if since is None or (comment.updated_at or comment.created_at) >= since:
                comments.append(comment)
        return issue, comments, changes, people + actors

    def _milestones(self, skipped: list[str]) -> list[Milestone]:
        """The board's sprints or the project's versions, as ``milestones`` says."""
        if self.milestones == "sprint":
            board = self._board()
            zone = self._zone()
            path = f"/rest/agile/1.0/board/{board}/sprint"
            listing = pages.start_at_list(
                self.http.get_object, path, "values", size=AGILE_PAGE, site=self.site
            )
            # A board lists sprints of other boards that share its issues: not ours.
            ours = [raw for raw in listing
                    if not isinstance(raw, dict) or raw.get("originBoardId") in (None, board)]
            return self._parse_each(ours, "sprint", skipped,
                                    lambda raw: sprint_milestone(raw, zone=zone))
        path = f"/rest/api/2/project/{quote(self.project_key, safe='')}/versions"
        versions = self.http.get(path)
        if not isinstance(versions, list):
            msg = f"Jira {self.site}: GET {path}: expected a list"
            raise FatalError(msg)
        return self._parse_each(versions, "version", skipped, version_milestone)

    def _parse_each(
        self, listing: list[Any], what: str, skipped: list[str],
        parse: Callable[[object], Milestone],
    ) -> list[Milestone]:
        """Every milestone that parses; one that does not is logged and listed in ``skipped``."""
        found: list[Milestone] = []
        for raw in listing:
            try:
                found.append(parse(raw))
            except (KeyError, TypeError, ValueError) as err:
                name = f"{what} {raw.get('id') if isinstance(raw, dict) else '?'}"
                log.warning("Jira %s: skipping %s: %s", self.site, name, err)
                skipped.append(f"{name}: {err}")
        return found

    def _cursor(self, cursor: str | None) -> datetime | None:
        since = jp.parse_cursor(cursor)
        if cursor and since is None:
            log.warning("Jira %s: unreadable cursor %r: doing a full sync", self.site, cursor)
        return since

    def fetch(self, cursor: str | None) -> FetchResult:
        """Issues updated since the cursor (all without one), their changes and comments,
        and all milestones. The new cursor is the newest ``updated`` seen, ISO UTC."""
        first_request = self.requests_made
        fetched_at = utc(self.clock())
        since = self._cursor(cursor)
        self.deployment  # noqa: B018 - learnt first: the search endpoint depends on it
        ids = self._field_ids(need_sprint=self.milestones == "sprint")
        me = self.whoami()
        zone = self._zone()
        # JQL compares to the minute, in the account's zone: reach back a little.
        reach = since - jp.cursor_margin(zone is not None) if since is not None else None
        jql = jp.jql_for(self.project_key, reach, zone=zone or UTC)
        statuses_before = self._restore_statuses()
        found = _Found(newest=since)
        for raw in self._search(jql, search_fields(ids, self.milestones)):
            self._read_into(found, raw, ids=ids, me=me, since=reach)
        milestones = self._milestones(found.skipped)
        if self._statuses.to_json() != statuses_before:
            self.memo.set(MEMO_STATUSES, self._statuses.to_json())
        return FetchResult(
            snapshot=found.snapshot(self.project, fetched_at=fetched_at, milestones=milestones),
            cursor=found.newest.isoformat() if found.newest is not None else None,
            complete=since is None,
            skipped=tuple(found.skipped),
            requests=self.requests_made - first_request,
        )

    def _restore_statuses(self) -> str:
        """Status categories as the memo knows them now; returns them as JSON, to compare."""
        # The sync layer may fill the memo after building the connector (a one-shot run
        # restores it from the state store just before fetching): read what it knows now.
        stored = StatusBook.from_json(self.memo.get(MEMO_STATUSES)).categories
        self._statuses.categories = {**stored, **self._statuses.categories}
        self._statuses_fetched = False
        return self._statuses.to_json()

    def _read_into(
        self, found: _Found, raw: object, *, ids: FieldIds, me: str, since: datetime | None
    ) -> None:
        """One search result into ``found``; one that cannot be read is skipped."""
        updated = jp.raw_updated(raw)
        if updated is not None and (found.newest is None or updated > found.newest):
            found.newest = updated
        try:
            issue, comments, changes, people = self._read_issue(raw, ids=ids, me=me, since=since)
        except (KeyError, TypeError, ValueError) as err:
            name = jp.raw_name(raw)
            log.warning("Jira %s: skipping issue %s: %s", self.site, name, err)
            found.skipped.append(f"{name}: {err}")
            return
        found.add(issue, comments, changes, people)

    # --- writes --------------------------------------------------------------

    def _find_comment(
        self, issue_key: str, marker: Marker, *, me: str, get: Getter | None = None
    ) -> RemoteComment | None:
        for raw in self._all_comments(issue_key, get=get):
            if not isinstance(raw, dict) or jp.person_id(raw.get("author")) != me:
                continue  # a marker in someone else's comment is a spoof
            text = jp.body_text(raw.get("body"))
            if Marker.find(text) == marker:
                return RemoteComment(id=str(raw["id"]), issue_key=issue_key, body=text)
        return None

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        """forewarn's own comment carrying ``marker``: author is us AND the marker is there."""
        return self._find_comment(issue_key, marker, me=self.whoami())

    def create_comment(self, issue_key: str, body: str, *, marker: Marker) -> str:
        """Post a wiki-markup comment carrying the marker; never posts twice for one marker."""
        me = self.whoami()
        text = marker.stamp(body, self.markup)
        path = f"/rest/api/2/issue/{quote(issue_key, safe='')}/comment"

        def post() -> str:
            response = self.http.send("POST", path, body={"body": text})
            try:
                return str(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                # Created, but we cannot tell its id: the next attempt finds it by marker.
                msg = f"Jira {self.site}: POST {path}: unreadable response"
                raise RetriableError(msg) from None

        def find() -> str | None:
            found = self._find_comment(issue_key, marker, me=me, get=self.http.get_object_once)
            return found.id if found is not None else None

        try:
            return self.retry.post_once(post, find=find, what=f"Jira {self.site}: POST {path}")
        except TrackerError as err:
            msg = f"Jira {self.site}: cannot post a comment on {issue_key}: {err}"
            raise CannotPostComment(msg) from err

    def edit_comment(self, issue_key: str, comment_id: str, body: str) -> None:
        issue, ident = quote(issue_key, safe=""), quote(comment_id, safe="")
        self.http.write("PUT", f"/rest/api/2/issue/{issue}/comment/{ident}", {"body": body})

    def _label(self, issue_key: str, name: str) -> str:
        problem = validate_label(name)
        if problem:
            msg = f"Jira {self.site}: cannot label {issue_key}: {problem}"
            raise FatalError(msg)
        return name

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        """Add labels with the ``update`` verb: other labels on the issue stay as they are."""
        names = [self._label(issue_key, name) for name in labels]
        if not names:
            return
        body = {"update": {"labels": [{"add": name} for name in names]}}
        self.http.write("PUT", f"/rest/api/2/issue/{quote(issue_key, safe='')}", body)

    def remove_label(self, issue_key: str, label: str) -> None:
        body = {"update": {"labels": [{"remove": self._label(issue_key, label)}]}}
        self.http.write("PUT", f"/rest/api/2/issue/{quote(issue_key, safe='')}", body)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """Jira labels are free text: nothing to create, but the name must be valid."""
        self._label("(any issue)", name)
