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

Reads are ``connectors/jira/read.py``'s; what is learnt once (deployment type,
field ids, the account, the board, status categories) is kept in the
connector's Memo by ``connectors/jira/facts.py``. The client is still told the
deployment type: jira's Cloud-only methods check it.

Writes: comments carry their ``connectors.markers.Marker`` as an ``{anchor}``
macro, invisible when rendered); a creation whose response is lost is never
repeated blindly: the issue's comments are searched for the marker first. A
restricted comment carries ``visibility`` (a project role or group) on creation
and on every edit; a Jira Service Management internal note is created through
the Service Management API (``"public": false``, as Atlassian documents) and
edited through the platform API with the ``sd.public.comment`` property
``{"internal": true}`` it keeps the flag in. Labels change
through the ``update`` verbs only, never by overwriting the set.

Who holds a project role or is in a group (``members``) is
``connectors/jira/members.py``'s, read at most daily.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from jira import JIRA, JIRAError

from connectors.base import (
    AccessReport,
    AccessRequest,
    FetchProgress,
    FetchResult,
    Markup,
    Memo,
    RateLimit,
    RemoteComment,
)
from connectors.errors import (
    CannotPostComment,
    CommentGone,
    FatalError,
    NotFound,
    RetriableError,
    TrackerError,
)
from connectors.jira import parse as jp
from connectors.jira.access import ProjectAccess
from connectors.jira.epics import MEMO_EPICS, EpicBook
from connectors.jira.facts import Deployment, SiteFacts
from connectors.jira.http import JiraHttp
from connectors.jira.members import Directory
from connectors.jira.milestones import MilestoneMode, reads
from connectors.jira.pages import Getter
from connectors.jira.parse import validate_label
from connectors.jira.read import Found, Reader
from connectors.markers import Marker
from connectors.model import Membership, Visibility, now, utc
from connectors.retry import RetryPolicy

__all__ = ["JiraConnector", "validate_label"]

log = logging.getLogger(__name__)

#: Connect and read timeouts, seconds. Jira answers a write in well under a second; one
#: that hangs is given up after 30 s (then retried, or left for the next cycle), as
#: PyGithub's 15 s on GitHub, so that a slow site cannot hold a cycle for minutes a write.
TIMEOUT = (10.0, 30.0)
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
        milestones: MilestoneMode = "version",
        boards: tuple[int, ...] = (),
        deployment: Literal["auto", "cloud", "server"] = "auto",
        due_field: str | None = None,
        estimate_field: str | None = None,
        retry: RetryPolicy = _DEFAULT_RETRY,
        clock: Callable[[], datetime] = now,
        credentials: str | None = None,
    ) -> None:
        """``credentials`` names where the e-mail and token come from (config keys, a
        variable), for the hint of a refused one; ``due_field`` and ``estimate_field`` name
        the fields that hold the promise and the size (``connectors/jira/fields.py``)."""
        self.site = url.rstrip("/")
        if not token:
            msg = f"Jira {self.site}: no API token (Cloud) or personal access token (Data Center)"
            raise FatalError(msg)
        self.project_key = project_key
        self.project = project
        self.memo = memo
        self.milestones: MilestoneMode = milestones
        self.retry = retry
        self.clock = clock
        self._client = _build_client(self.site, email=email, token=token)
        what = "the e-mail and API token were" if email else "the personal access token was"
        basic = base64.b64encode(f"{email}:{token}".encode()).decode() if email else token
        self.http = JiraHttp(
            self.site, self._client._session, http_errors=(JIRAError,), retry=retry, clock=clock,
            refused=f"{what} refused; check {credentials or 'email and token'}",
            secrets=(token, basic),
        )
        self.facts = SiteFacts(
            self.http, memo, site=self.site, project_key=project_key, board_ids=tuple(boards),
            deployment_setting=deployment, on_deployment=self._tell_client, clock=clock,
            due_field=due_field, estimate_field=estimate_field,
        )
        self._reader = Reader(
            self.http, self.facts, site=self.site, project_key=project_key, mode=milestones
        )
        self._directory = Directory(self.http, memo, site=self.site, project_key=project_key,
                                    clock=clock)

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

    def _tell_client(self, kind: Deployment) -> None:
        # jira's Cloud-only methods (enhanced_search_issues among them) return
        # None unless the client knows; we call the endpoints ourselves but
        # keep the client truthful.
        self._client.deploymentType = "Cloud" if kind == "cloud" else "Server"

    def whoami(self) -> str:
        """The account forewarn writes as: accountId on Cloud, user name on Data Center."""
        return self.facts.myself()["id"]

    def check_access(self, request: AccessRequest) -> AccessReport:
        """What forewarn may do in the project, asked with GETs only (see access.py)."""
        return ProjectAccess(self.http, self.facts, self.project_key, self.milestones).run(
            request)

    # --- reads ---------------------------------------------------------------

    def _cursor(self, cursor: str | None) -> datetime | None:
        since = jp.parse_cursor(cursor)
        if cursor and since is None:
            log.warning("Jira %s: unreadable cursor %r: doing a full sync", self.site, cursor)
        return since

    def fetch(self, cursor: str | None, *, progress: FetchProgress | None = None) -> FetchResult:
        """Issues updated since the cursor (all without one), their changes and comments,
        and all milestones. The new cursor is the newest ``updated`` seen, ISO UTC."""
        self.http.reading(progress)
        try:
            return self._fetch(cursor)
        finally:
            self.http.reading(None)

    def _fetch(self, cursor: str | None) -> FetchResult:
        first_request = self.requests_made
        fetched_at = utc(self.clock())
        since = self._cursor(cursor)
        self.facts.deployment  # noqa: B018 - learnt first: the search endpoint depends on it
        ids = self.facts.field_ids(need_sprint=reads(self.milestones, "sprint"))
        if self.facts.names_changed or (reads(self.milestones, "epic")
                                        and self.memo.get(MEMO_EPICS) is None):
            # Cached issues hold other fields' values, or no epic was ever kept: read whole.
            log.info("Jira %s: project %s read whole (new field names, or epics not yet "
                     "known)", self.site, self.project_key)
            since = None
        me = self.whoami()
        zone = self.facts.zone()
        # JQL compares to the minute, in the account's zone: reach back a little.
        reach = since - jp.cursor_margin(zone is not None) if since is not None else None
        jql = jp.jql_for(self.project_key, reach, zone=zone or UTC)
        statuses_before = self.facts.restore_statuses()
        epics = EpicBook.load(self.memo, whole=since is None) \
            if reads(self.milestones, "epic") else None
        found = Found(newest=since, epics=epics)
        self._reader.issues(found, jql, ids=ids, me=me, since=reach)
        milestones = self._reader.milestones(found.skipped, found.epics)
        self.facts.save_statuses(statuses_before)
        self.facts.names_changed = False  # read whole once: the cache now holds the new fields
        return FetchResult(
            snapshot=found.snapshot(self.project, fetched_at=fetched_at, milestones=milestones),
            cursor=found.newest.isoformat() if found.newest is not None else None,
            complete=since is None,
            skipped=tuple(found.skipped),
            requests=self.requests_made - first_request,
        )

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        """Who holds each project role or is in each group (person ids), read at most daily."""
        return self._directory.members(groups)

    # --- writes --------------------------------------------------------------

    def _find_comment(
        self, issue_key: str, marker: Marker, *, me: str, get: Getter | None = None
    ) -> RemoteComment | None:
        for raw in self._reader.comments(issue_key, get=get):
            if not isinstance(raw, dict) or jp.person_id(raw.get("author")) != me:
                continue  # a marker in someone else's comment is a spoof
            text = jp.body_text(raw.get("body"))
            if Marker.find(text) == marker:
                return RemoteComment(id=str(raw["id"]), issue_key=issue_key, body=text)
        return None

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        """forewarn's own comment carrying ``marker``: author is us AND the marker is there."""
        return self._find_comment(issue_key, marker, me=self.whoami())

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        """Post a wiki-markup comment carrying the marker; never posts twice for one marker."""
        me = self.whoami()
        text = marker.stamp(body, self.markup)
        key = quote(issue_key, safe="")
        if visibility is not None and visibility.kind == "internal":
            # Atlassian documents creating an internal note through Service Management
            # ("public": false); the platform's jsdPublic is read-only.
            path = f"/rest/servicedeskapi/request/{key}/comment"
            payload: dict[str, object] = {"body": text, "public": False}
        else:
            path = f"/rest/api/2/issue/{key}/comment"
            payload = jp.comment_payload(text, visibility)

        def post() -> str:
            response = self.http.send("POST", path, body=payload)
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

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        issue, ident = quote(issue_key, safe=""), quote(comment_id, safe="")
        try:
            self.http.write("PUT", f"/rest/api/2/issue/{issue}/comment/{ident}",
                            jp.comment_payload(body, visibility))
        except NotFound as error:
            raise CommentGone(str(error)) from None

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
