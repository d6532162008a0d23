"""GitHub: one repository seen through forewarn's eyes.

PyGithub is used here and in the helpers next to it (``github_http``: requests
and errors, ``github_read``: the lists, ``github_parse``: payloads to records);
no PyGithub object leaves them.

Reads, all at 100 a page and never one request per issue:

* ``fetch(None)``: milestones (``state=all``), issues (``state=all``; pull
  requests dropped by their ``pull_request`` key unless
  ``include_pull_requests``), repo-wide comments and repo-wide issue events
  (milestoned, demilestoned, labeled, unlabeled, closed, reopened -> ``Change``).
* ``fetch(cursor)``: milestones with ``If-None-Match`` (a 304 costs no rate
  limit), issues with ``since``; only when an issue changed, comments with
  ``since`` and events newest first down to the newest one already seen.
  An unchanged repository costs 2 requests. Returns ``complete=False``.
* A first sync that the quota cannot cover stops before it runs out and
  continues next cycle where it stopped (``resume.py``): ``partial=True``
  until its listings are read whole.

Several repositories (``repos``) and a GitHub Project (``board``) are one plan read by
``plan_read.py`` (the Project itself by ``project_read.py``): each repository as
above, milestones merged by title, the Project's iterations or groups as milestones;
writes then go to any repository of the plan.

The cursor is the newest issue ``updated_at`` seen (bounded by the server's
``Date`` when the listing began, so that an issue edited during a long
pagination is read again next time); ``since`` is sent one second earlier,
which the idempotent merge absorbs.

The connector's ``Memo`` (persisted by the sync layer) keeps what GitHub
cannot tell cheaply: the milestone title history (events name milestones by
title), the milestones' ETag and last list, the newest event id seen, the
login forewarn writes as and a GitHub App's installation id.

Writes: comments carry ``<!-- forewarn:MARKER -->`` and are forewarn's only
when the author is ``whoami()`` too. Comments may also go to the issues of
``team_repos`` (the team digest's issue in a private repository: the same token
or App installation must be able to write there); labels only to the project's
own repository. GitHub has no restricted comments: a restricted one is refused.
A comment creation whose response was lost is retried only after looking for
its marker. Writes are paced; the
quota left (``rate_limit``) tells the publisher when to stop writing.
See docs/github.md for set-up, permissions and request costs.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from github import Auth, Consts, Github, GithubIntegration
from github.Requester import Requester

from connectors.base import (
    AccessReport,
    AccessRequest,
    FetchProgress,
    FetchResult,
    Markup,
    Memo,
    RateLimit,
    RemoteComment,
    restriction_refused,
)
from connectors.errors import CannotPostComment, CommentGone, FatalError, NotFound
from connectors.github.access import RepositoryAccess
from connectors.github.bodies import fit_comment
from connectors.github.credentials import refused_hint, sign_in
from connectors.github.http import Transport
from connectors.github.labels import Labels
from connectors.github.parse import format_timestamp
from connectors.github.plan_read import PlanReader
from connectors.github.project_read import Board, project_checks
from connectors.github.read import PER_PAGE, FetchRun, Reader, items
from connectors.github.resume import first_sync
from connectors.markers import Marker
from connectors.model import Change, Comment, Membership, Visibility, now, parse_utc
from connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

LABEL_DESCRIPTION_LIMIT = 100
MEMO_WHOAMI = "whoami"
MEMO_INSTALLATION = "app_installation"

_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
DEFAULT_RETRY = RetryPolicy()


def _named_repos(repo: str | None, repos: tuple[str, ...], board: Board | None
                 ) -> tuple[str, ...]:
    """The repositories a plan names, the home one first, each ``owner/name``."""
    named = tuple(dict.fromkeys(name for name in (repo, *repos) if name))
    for name in named:
        if not _REPO_RE.match(name):
            msg = f"GitHub repository must be 'owner/name', got {name!r}"
            raise FatalError(msg)
    if not named and board is None:
        msg = "GitHub: name a repository (owner/name) or a Project"
        raise FatalError(msg)
    return named


class GitHubConnector:
    """One GitHub repository (``owner/name``), several (``repos``: one plan, milestones merged
    by title), and a GitHub Project as the plan (``board``); authenticate with a token or as
    a GitHub App."""

    markup: Markup = "markdown"

    def __init__(
        self,
        repo: str | None,
        *,
        repos: tuple[str, ...] = (),
        board: Board | None = None,
        token: str | None = None,
        app_id: int | None = None,
        private_key: str | None = None,
        installation_id: int | None = None,
        base_url: str | None = None,
        memo: Memo,
        project: str,
        include_pull_requests: bool = False,
        team_repos: tuple[str, ...] = (),
        retry: RetryPolicy = DEFAULT_RETRY,
        min_write_interval: float = 1.0,
        clock: Callable[[], datetime] = now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        timeout: int = Consts.DEFAULT_TIMEOUT,
        credentials: str | None = None,
    ) -> None:
        """``credentials`` names where the token or App key comes from (a config key, a
        variable), for the hint of a refused one. ``repo`` is the home repository (None: a
        ``board`` without one); ``repos`` are the plan's other repositories."""
        named = _named_repos(repo, repos, board)
        #: The home repository, or the Project's name when there is none (for messages).
        self.repo = named[0] if named else board.prefix if board else ""
        #: The repositories the config names (the home one first).
        self.repos = named
        self.board = board
        #: Other repositories forewarn comments in (the team digest's issue), never labels.
        self.team_repos = tuple(name for name in team_repos
                                if name.casefold() not in {r.casefold() for r in named})
        self.project = project
        self.memo = memo
        self.include_pull_requests = include_pull_requests
        self.policy = retry
        self.clock = clock
        self.base_url = (base_url or Consts.DEFAULT_BASE_URL).rstrip("/")
        self._timeout = timeout
        self._installation_id = installation_id
        self._token_auth, self._app_auth, self._identity = sign_in(
            self.repo, token=token, app_id=app_id, private_key=private_key,
            installation_id=installation_id,
        )
        if self._app_auth is not None and installation_id is None and not named:
            msg = f"GitHub {self.repo}: a GitHub App without repo needs installation_id"
            raise FatalError(msg)
        self._github: Github | None = None
        self._http = Transport(
            connect=self._connect, repo=self.repo, policy=retry, clock=clock, sleep=sleep,
            monotonic=monotonic, min_write_interval=min_write_interval,
            base_url=self.base_url, refused=refused_hint(self._app_auth is not None, credentials),
            secrets=(token,) if token else (),
        )
        self._reader = Reader(http=self._http, repo=self.repo, memo=memo,
                              include_pull_requests=include_pull_requests, whoami=self.whoami)
        #: Several repositories or a Project: read as one plan (plan_read.py).
        self._plan = self._plan_reader() if len(named) > 1 or board is not None else None
        self._me: str | None = None
        self._labels = Labels(self._http, self.repo)

    def _plan_reader(self) -> PlanReader:
        return PlanReader(http=self._http, repos=self.repos, board=self.board, memo=self.memo,
                          include_pull_requests=self.include_pull_requests,
                          whoami=self.whoami, clock=self.clock, project=self.project,
                          team_repos=self.team_repos)

    def _connect(self) -> Requester:
        """PyGithub's requester, built on first use (an App may first look up its installation)."""
        if self._github is None:
            auth: Auth.Auth
            if self._app_auth is not None:
                auth = self._app_auth.get_installation_auth(self._installation())
            else:
                assert self._token_auth is not None
                auth = self._token_auth
            # One retry layer (ours): retry=None. PyGithub's own pacing sleeps with
            # time.sleep, so it is off too and Transport paces writes itself.
            self._github = Github(auth=auth, lazy=True, per_page=PER_PAGE, **self._client_options())
        return self._github.requester

    def _integration(self) -> GithubIntegration:
        """The App itself (JWT auth): its slug, its installation on the repository."""
        assert self._app_auth is not None
        return GithubIntegration(auth=self._app_auth, **self._client_options())

    def _client_options(self) -> dict[str, Any]:
        """PyGithub without its own retries (ours is the one layer) or pacing (Transport's)."""
        return {"base_url": self.base_url, "timeout": self._timeout, "retry": None,
                "seconds_between_requests": None, "seconds_between_writes": None}

    def _installation(self) -> int:
        """The App's installation on this repository: configured, remembered, or asked once.

        Runs inside a request's retry: a single attempt here, the caller retries.
        """
        if self._installation_id is not None:
            return self._installation_id
        remembered = self._recall(MEMO_INSTALLATION, "id")
        if isinstance(remembered, int):
            self._installation_id = remembered
            return remembered
        owner, name = self.repo.split("/")
        what = f"GET /repos/{self.repo}/installation"
        integration = self._integration()
        self._http.requests_made += 1
        ident = self._http.guard(lambda: integration.get_repo_installation(owner, name).id, what)
        self._installation_id = ident
        self._remember(MEMO_INSTALLATION, "id", ident)
        return ident

    def _recall(self, key: str, field: str) -> object:
        """What the memo keeps about this account under ``key``; None if it was another one."""
        try:
            data = json.loads(self.memo.get(key) or "{}")
            return data.get(field) if data.get("auth") == self._identity else None
        except (ValueError, AttributeError):
            return None

    def _remember(self, key: str, field: str, value: object) -> None:
        self.memo.set(key, json.dumps({"auth": self._identity, field: value}))

    def __repr__(self) -> str:
        auth = "app" if self._app_auth is not None else "token"
        return f"GitHubConnector(repo={self.repo!r}, base_url={self.base_url!r}, auth={auth!r})"

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (each retry counts; App token refreshes are not seen)."""
        return self._http.requests_made

    @property
    def rate_limit(self) -> RateLimit | None:
        """``X-RateLimit-Remaining``/``-Reset`` of the last response, None before the first."""
        remaining = self._http.rate_limit_remaining
        if remaining is None:
            return None
        reset = self._http.rate_limit_reset
        resets_at = datetime.fromtimestamp(reset, tz=UTC) if reset is not None else None
        return RateLimit(remaining=remaining, resets_at=resets_at)

    def close(self) -> None:
        if self._github is not None:
            self._github.close()

    # -- identity ---------------------------------------------------------------------

    def whoami(self) -> str:
        """The login forewarn writes as: ``/user`` for a token, ``<app-slug>[bot]`` for an App."""
        if self._me is None:
            remembered = self._recall(MEMO_WHOAMI, "login")
            if isinstance(remembered, str):
                self._me = remembered
            else:
                self._me = self._ask_login()
                self._remember(MEMO_WHOAMI, "login", self._me)
        return self._me

    def _ask_login(self) -> str:
        if self._app_auth is None:
            data = self._http.call("GET", "/user").data
            login = data.get("login") if isinstance(data, dict) else None
        else:
            integration = self._integration()

            def app_slug() -> str | None:
                self._http.requests_made += 1
                return self._http.guard(lambda: integration.get_app().slug, "GET /app")

            slug = self.policy.call(app_slug, what=f"GitHub {self.repo}: GET /app")
            login = f"{slug}[bot]" if slug else None
        if not isinstance(login, str) or not login:
            msg = f"GitHub {self.repo}: cannot tell which account forewarn writes as"
            raise FatalError(msg)
        return login

    def check_access(self, request: AccessRequest) -> AccessReport:
        """What forewarn may do on the repository, asked with GETs only (see access.py)."""
        app = self._app_auth is not None
        reader = self._plan.project_reader() if self._plan is not None else None
        access = RepositoryAccess(self._http, self.repos[0] if self.repos else "", self.whoami,
                                  app, others=self.repos[1:])
        if reader is not None:
            access.board = functools.partial(project_checks, reader)
        return access.run(request)

    # -- reads ------------------------------------------------------------------------

    def fetch(self, cursor: str | None, *, progress: FetchProgress | None = None) -> FetchResult:
        self._http.on_page = progress
        try:
            return self._fetch(cursor)
        finally:
            self._http.on_page = None

    def _fetch(self, cursor: str | None) -> FetchResult:
        self._labels.forget()  # a new cycle reads the label catalogues again, once each
        since = self._since(cursor)
        if self._plan is not None:
            return self._plan.fetch(since)
        if since is None:
            return first_sync(self._reader, self._http, clock=self.clock, project=self.project)
        started = self._http.requests_made
        run = FetchRun()
        milestones = self._reader.milestones(run, conditional=True)
        history = self._reader.history(milestones)
        issues, changed, high_water = self._reader.issues(run, since)
        comments: tuple[Comment, ...] = ()
        changes: tuple[Change, ...] = ()
        # An issue's updated_at moves on every comment, label, milestone and state
        # change: when no issue changed there is nothing new to read there.
        if changed:
            comments = self._reader.comments(run, since)
            changes = self._reader.events(run, since, history)
        new_cursor = cursor
        if high_water is not None and high_water > since:
            new_cursor = format_timestamp(high_water)
        return FetchResult(
            snapshot=run.snapshot(self.project, self.clock(), issues=issues,
                                  milestones=milestones, comments=comments, changes=changes),
            cursor=new_cursor,
            complete=False,
            skipped=tuple(run.skipped),
            requests=self._http.requests_made - started,
        )

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        """GitHub has no project roles or groups here: ``team: members`` is its keyword."""
        if not groups:
            return {}
        msg = (f"GitHub {self.repo}: project roles and groups are Jira's "
               f"({', '.join(map(str, groups))}); on GitHub write team: members or logins")
        raise FatalError(msg)

    def _since(self, cursor: str | None) -> datetime | None:
        if cursor is None:
            return None
        try:
            return parse_utc(cursor)
        except ValueError:
            log.warning("GitHub %s: unreadable cursor %r; reading everything", self.repo, cursor)
            return None

    # -- writes -----------------------------------------------------------------------

    def _number(self, issue_key: str) -> tuple[str, int]:
        """(repository, number) of an issue of the plan's repositories (labels go there only)."""
        return self._issue(issue_key, commentable=False)

    def _issue(self, issue_key: str, *, commentable: bool = True) -> tuple[str, int]:
        """(repository, number) of an issue of the plan's repositories (those the config names
        and those of the Project's items), or of a team repository when it is only
        commented on."""
        prefix, sep, number = issue_key.rpartition("#")
        allowed = (*self.repos, *(self._plan.known_repos() if self._plan else ()))
        if commentable:
            allowed = (*allowed, *self.team_repos)
        repo = next((name for name in allowed if name.casefold() == prefix.casefold()), None)
        if not sep or repo is None or not number.isdigit():
            msg = f"GitHub {self.repo}: {issue_key!r} is not an issue of this repository"
            raise FatalError(msg)
        return repo, int(number)

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        """forewarn's own comment holding the marker; a marker pasted by anyone else is ignored."""
        return self._find(self._issue(issue_key), issue_key, marker, retry=True)

    def _find(
        self, where: tuple[str, int], issue_key: str, marker: Marker, *, retry: bool
    ) -> RemoteComment | None:
        tag = marker.tag(self.markup)
        me = self.whoami().casefold()
        path = f"/repos/{where[0]}/issues/{where[1]}/comments"
        for page in self._http.pages(path, {"per_page": PER_PAGE}, retry=retry):
            for raw in items(page, f"GET {path}", self.repo):
                if not isinstance(raw, dict):
                    continue
                body = raw.get("body")
                user = raw.get("user")
                login = user.get("login") if isinstance(user, dict) else None
                if not isinstance(body, str) or tag not in body or not isinstance(login, str):
                    continue
                if login.casefold() != me:
                    log.info("GitHub %s: %s carries marker %s but was written by %s; ignored",
                             self.repo, issue_key, marker, login)
                    continue
                return RemoteComment(id=str(raw.get("id")), issue_key=issue_key, body=body)
        return None

    def _public_only(self, visibility: Visibility | None) -> None:
        refused = restriction_refused(f"GitHub {self.repo}", visibility)
        if refused:
            raise FatalError(refused)

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        """Post once: before any retry, look for the marker in case the first post landed."""
        self._public_only(visibility)
        where = self._issue(issue_key)
        tag = marker.tag(self.markup)
        text = fit_comment(marker.stamp(body, self.markup), tag)
        path = f"/repos/{where[0]}/issues/{where[1]}/comments"

        def post() -> str:
            data = self._http.once("POST", path, body={"body": text}).data
            ident = data.get("id") if isinstance(data, dict) else None
            if not isinstance(ident, int):
                msg = f"GitHub {self.repo}: POST {path} answered without a comment id"
                raise CannotPostComment(msg)
            return str(ident)

        def find() -> str | None:
            found = self._find(where, issue_key, marker, retry=False)
            return found.id if found is not None else None

        try:
            return self.policy.post_once(post, find=find, what=f"GitHub {self.repo}: POST {path}")
        except FatalError as error:
            raise CannotPostComment(str(error)) from None

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        self._public_only(visibility)
        repo, _ = self._issue(issue_key)
        if not comment_id.isdigit():
            msg = f"GitHub {self.repo}: {comment_id!r} is not a comment id"
            raise FatalError(msg)
        marker = Marker.find(body)
        tag = marker.tag(self.markup) if marker is not None else None
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        try:
            self._http.call("PATCH", path, body={"body": fit_comment(body, tag)})
        except NotFound as error:
            raise CommentGone(str(error)) from None

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        if not labels:
            return
        repo, number = self._number(issue_key)
        self._labels.ready(repo, labels)  # another repository of the plan: made there first
        self._http.call("POST", f"/repos/{repo}/issues/{number}/labels",
                        body={"labels": list(labels)})

    def remove_label(self, issue_key: str, label: str) -> None:
        name = urllib.parse.quote(label, safe="")
        repo, number = self._number(issue_key)
        path = f"/repos/{repo}/issues/{number}/labels/{name}"
        response = self._http.call("DELETE", path, accept=(404,))
        if response.status == 404:
            log.debug("GitHub %s: label %r was already off %s", self.repo, label, issue_key)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """The label in the home repository; in the plan's others when first applied there."""
        self._labels.want(name, color=color, description=description[:LABEL_DESCRIPTION_LIMIT])
        if self.repos:
            self._labels.ready(self.repos[0], [name])
