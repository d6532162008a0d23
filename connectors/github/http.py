"""HTTP for the GitHub connector: one request at a time through PyGithub's requester.

Every request goes through ``connectors.retry.RetryPolicy`` (PyGithub is built
with ``retry=None``, so nothing retries underneath it). Failures are classed
here, once:

* 429, and 403 that is a rate limit (``X-RateLimit-Remaining: 0``, a
  ``Retry-After``, or a "secondary rate limit"/"abuse" message) -> retriable,
  waiting what the server asked (``Retry-After``, else ``X-RateLimit-Reset``
  when the budget is spent, else at least 60 s as GitHub's docs ask for
  secondary limits: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
* 5xx, dropped connections and timeouts -> retriable;
* a host that does not resolve or a certificate that does not verify -> fatal
  (``connectors/network.py``): waiting does not fix a URL;
* everything else -> fatal; 401 (``CredentialsRefused``) and 404 (``NotFound``)
  say what to check.

Messages are one line: the repository, what failed, why, and what to check
(``GitHub acme/portal: 401: the token was refused; check
FOREWARN_GITHUB_TOKEN``); never a header: the token lives in the
Authorization header only.

Writes are paced (at least ``min_write_interval`` seconds between mutating
requests, as GitHub's best-practice guide asks). The quota left is noted from
every response; the publisher stops writing when it runs low.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import requests
from github.GithubException import GithubException
from github.Requester import Requester

from connectors.base import FetchProgress
from connectors.errors import (
    MASK,
    CredentialsRefused,
    FatalError,
    NotFound,
    RateLimited,
    RetriableError,
    TrackerError,
    Unreachable,
    masked,
)
from connectors.network import no_answer
from connectors.retry import RetryPolicy, server_wait

log = logging.getLogger(__name__)
T = TypeVar("T")

#: GitHub's advice for a secondary limit without Retry-After: wait at least a minute.
SECONDARY_LIMIT_WAIT = 60.0
#: Connection-level failures after which the request may or may not have landed.
LOST = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
_RATE_WORDS = ("rate limit", "abuse")
_ISSUE_PATH = re.compile(r"/repos/[^/]+/[^/]+/issues/(\d+)(?:/|$)")
_COMMENT_PATH = re.compile(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
_REPO_PATH = re.compile(r"/(?:repos/[^/]+/[^/]+|repositories/\d+)(?:/|$)")
#: GitHub's token formats (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) and JSON Web Tokens.
_CREDENTIAL = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)"
)


class _ScrubCredentials(logging.Filter):
    """PyGithub's DEBUG line for a request prints the response body as it came, and the
    answer to a GitHub App's ``POST /app/installations/{id}/access_tokens`` is a fresh
    installation token that no configuration knows (so no redactor of configured secrets
    can mask it). Tokens and JWTs in its records are replaced before any handler sees them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CREDENTIAL.search(message):
            record.msg = _CREDENTIAL.sub("(credential removed)", message)
            record.args = ()
        return True


# PyGithub logs each request on "github.Requester" (its module's logger).
logging.getLogger("github.Requester").addFilter(_ScrubCredentials())


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    #: Response headers, names lower-cased (PyGithub lower-cases them).
    headers: Mapping[str, str]
    data: Any


def describe_request(method: str, url: str, params: Mapping[str, Any] | None = None) -> str:
    """``GET /repos/o/r/issues?state=all``: the path and query only, never the host or a header."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path
    query = parts.query
    if params:
        extra = urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()), safe=":")
        query = f"{query}&{extra}" if query else extra
    return f"{method} {path}?{query}" if query else f"{method} {path}"


def next_link(headers: Mapping[str, str], rel: str = "next") -> str | None:
    """The ``rel="next"`` (or another ``rel``) URL of a Link header.

    Followed as given: after page 1 GitHub's links switch to ``/repositories/{id}/...``
    (octokit ``paginate-issues``), and its docs say not to build page URLs by hand.
    """
    value = headers.get("link")
    if not value:
        return None
    for link in requests.utils.parse_header_links(value):
        if link.get("rel") == rel and link.get("url"):
            return link["url"]
    return None


def last_page(headers: Mapping[str, str]) -> int | None:
    """How many pages a list has, from its ``rel="last"`` link (None on the last page)."""
    url = next_link(headers, "last")
    pages = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("page") if url else None
    return int(pages[0]) if pages and pages[0].isdigit() else None


def _clean(text: str, secrets: Collection[str], limit: int) -> str:
    """A text from GitHub or from requests, without a credential, at most ``limit`` long."""
    return masked(_CREDENTIAL.sub(MASK, text), secrets)[:limit]


def _message(data: Any, secrets: Collection[str]) -> str:
    if isinstance(data, Mapping):
        message = data.get("message")
        if isinstance(message, str):
            return _clean(message.strip(), secrets, 300)
    return ""


@dataclass(eq=False, kw_only=True)
class Transport:
    """Sends requests for one repository and keeps the counters the connector exposes."""

    connect: Callable[[], Requester]
    repo: str
    policy: RetryPolicy
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    min_write_interval: float
    #: The API root, named when it cannot be reached.
    base_url: str = "https://api.github.com"
    #: What a 401 means and what to check: "the token was refused; check FOREWARN_GITHUB_TOKEN".
    refused: str = "the token was refused; check the token"
    #: The token: masked in every message (a server may echo it in an error body).
    secrets: tuple[str, ...] = ()
    requests_made: int = field(default=0, init=False)
    #: Hears each page of a list while a fetch runs.
    on_page: FetchProgress | None = field(default=None, init=False)
    rate_limit_remaining: int | None = field(default=None, init=False)
    rate_limit_reset: int | None = field(default=None, init=False)
    _last_write: float | None = field(default=None, init=False)

    # -- classification -------------------------------------------------------------

    def error_for(
        self, status: int, headers: Mapping[str, str], data: Any, what: str
    ) -> TrackerError:
        message = _message(data, self.secrets)
        text = f"GitHub {self.repo}: {what} failed: HTTP {status}" + (
            f" {message}" if message else ""
        )
        lowered = message.lower()
        limited = status == 429 or (
            status == 403
            and (
                headers.get("x-ratelimit-remaining", "").strip() == "0"
                or "retry-after" in headers
                or any(word in lowered for word in _RATE_WORDS)
            )
        )
        if limited:
            wait = server_wait(headers, now=self.clock())
            return RateLimited(text, wait_seconds=SECONDARY_LIMIT_WAIT if wait is None else wait)
        if status >= 500:
            return RetriableError(text, wait_seconds=server_wait(headers, now=self.clock()))
        if status == 401:
            return CredentialsRefused(f"GitHub {self.repo}: 401: {self.refused}")
        if status in (404, 410):
            return NotFound(f"GitHub {self.repo}: {status}: {self._missing(what)}")
        if status == 403:
            text += ("; the token may not do this (a fine-grained token needs Issues: "
                     "read and write on this repository)")
        return FatalError(text)

    def _missing(self, what: str) -> str:
        """What a 404 most likely means, from the request that got it."""
        path = what.split(" ", 1)[-1].split("?", 1)[0]
        if (found := _COMMENT_PATH.search(path)) is not None:
            return f"comment {found.group(1)} not found (deleted?) ({what})"
        if (found := _ISSUE_PATH.search(path)) is not None:
            return (f"issue {self.repo}#{found.group(1)} not found, or the token cannot see it "
                    f"({what})")
        if _REPO_PATH.match(path):
            return (f"repository {self.repo} not found, or the token cannot see it "
                    "(check repo and the token's access)")
        return f"{what}: not found"

    def unreachable(self, error: requests.RequestException, what: str) -> TrackerError:
        """A request without an answer: fatal when waiting cannot help (DNS, TLS)."""
        found = no_answer(error, self.base_url)
        check = "check base_url" if "api.github.com" not in found.host else "check the network"
        msg = _clean(f"GitHub {self.repo}: {found}; {check}", self.secrets, 500)
        return RetriableError(msg) if found.retriable else Unreachable(msg)

    def _note(self, headers: Mapping[str, str] | None, *, answered: bool = False) -> None:
        if not headers:
            return
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is None:
            if answered and self.rate_limit_remaining == 0:
                # A spent quota, then an answer without the figures: it was reset since.
                self.rate_limit_remaining = self.rate_limit_reset = None
            return
        try:
            if remaining is not None:
                self.rate_limit_remaining = int(float(remaining))
            if reset is not None:
                self.rate_limit_reset = int(float(reset))
        except ValueError:
            log.debug("GitHub %s: unreadable rate-limit headers", self.repo)

    def guard(self, func: Callable[[], T], what: str, *, raised_by: str | None = None) -> T:
        """Run one PyGithub call (no retry here) with its exceptions classed.

        ``raised_by`` names the request behind a ``GithubException`` when it is not
        ``what`` itself (a GitHub App's installation token is fetched on the way).
        """
        try:
            return func()
        except GithubException as error:
            headers = {k.lower(): v for k, v in (error.headers or {}).items()}
            self._note(headers)
            raise self.error_for(error.status, headers, error.data, raised_by or what) from None
        except LOST as error:
            raise self.unreachable(error, what) from None
        except requests.exceptions.RequestException as error:
            found = no_answer(error, self.base_url)
            msg = f"GitHub {self.repo}: {what}: {_clean(found.cause, self.secrets, 300)}"
            raise FatalError(msg) from None

    # -- requests -------------------------------------------------------------------

    def _pace(self) -> None:
        if self.min_write_interval <= 0 or self._last_write is None:
            return
        wait = self._last_write + self.min_write_interval - self.monotonic()
        if wait > 0:
            self.sleep(wait)

    def once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
    ) -> Response:
        """One HTTP request, no retry. Statuses in ``accept`` come back instead of raising."""
        what = describe_request(method, url, params)
        writing = method != "GET"
        if writing:
            self._pace()
        requester = self.connect()
        self.requests_made += 1
        try:
            status, response_headers, output = self.guard(
                lambda: requester.requestJson(
                    method, url, dict(params or {}), dict(headers or {}), body
                ),
                what,
                # requestJson raises only for the App's installation-token request.
                raised_by=f"the installation token request (before {what})",
            )
        finally:
            if writing:
                self._last_write = self.monotonic()
        self._note(response_headers, answered=status < 400)
        try:
            data = json.loads(output) if output else None
        except ValueError:
            if status < 400:
                msg = (
                    f"GitHub {self.repo}: {what} failed: HTTP {status} with a body that is not JSON"
                )
                raise RetriableError(msg) from None
            data = None
        if status >= 400 and status not in accept:
            raise self.error_for(status, response_headers, data, what)
        return Response(status=status, headers=response_headers, data=data)

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
    ) -> Response:
        """One request under the retry policy (only for idempotent requests)."""
        return self.policy.call(
            lambda: self.once(
                method, url, params=params, body=body, headers=headers, accept=accept
            ),
            what=f"GitHub {self.repo}: {describe_request(method, url, params)}",
        )

    def pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        retry: bool = True,
    ) -> Iterator[Response]:
        """Each page of a list, following ``Link: rel="next"``; each page retried on its own.

        A generator: the caller may stop early (events stop at the newest one already seen).
        ``retry=False`` sends each page once, for use inside a retry that is already running.
        """
        send = self.call if retry else self.once
        url: str | None = path
        query: Mapping[str, Any] | None = params
        seen: set[str] = set()
        listing = path.rstrip("/").rsplit("/", 1)[-1]  # issues, comments, events, …
        total: int | None = None
        while url is not None:
            response = send("GET", url, params=query, headers=headers, accept=accept)
            following = next_link(response.headers)
            if self.on_page is not None:
                done = len(seen) + 1
                total = total or last_page(response.headers) or (
                    done if following is None else None)
                self.on_page(listing, done, total)
            yield response
            if following is not None and following in seen:
                again = describe_request("GET", following)
                msg = f"GitHub {self.repo}: pagination loops back to {again}"
                raise FatalError(msg)
            if following is not None:
                seen.add(following)
            url, query, headers = following, None, None
