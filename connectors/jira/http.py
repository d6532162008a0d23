"""HTTP for the Jira connector: one request at a time, classed, counted, one retry policy.

``connectors/jira/connector.py`` builds the authenticated session with the ``jira``
library (which stays in that module) and hands it here with the library's
error class. Every request goes through ``send`` so that

* retries happen in one place, ``connectors.retry`` (the library's own
  ResilientSession is built with ``max_retries=0``);
* failures are classed retriable (429, 5xx, no response) or fatal (other
  4xx; a host that does not resolve, a certificate that does not verify), in
  one line naming the site, the cause and what to check (a refused token, an
  unknown project), and never a credential: the library's error text prints
  the request headers, Authorization included, so it is never shown or
  chained;
* ``requests_made`` counts every HTTP request, retries included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any

import requests

from connectors.base import FetchProgress
from connectors.errors import (
    CredentialsRefused,
    FatalError,
    NotFound,
    RetriableError,
    TrackerError,
    Unreachable,
    masked,
)
from connectors.jira.pages import as_object
from connectors.jira.parse import error_detail
from connectors.network import no_answer
from connectors.retry import RetryPolicy, server_wait

_NO_RESPONSE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
#: How Jira says a project key is unknown: the search (400) and project resources (404).
_UNKNOWN_PROJECT = re.compile(
    r"value '([^']+)' does not exist for the field 'project'"
    r"|No project could be found with key '([^']+)'"
)


#: What each read is part of, for progress: the last path segment that says it.
_LISTINGS = {"jql": "issues", "search": "issues", "sprint": "sprints", "versions": "versions",
             "changelog": "changelogs", "comment": "comments"}


def _listing(path: str) -> str:
    """``/rest/api/2/search/jql`` -> ``issues``; an issue read again whole (Data Center's
    changelog) -> ``changelogs``; what a fetch learns once -> ``site``."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last in _LISTINGS:
        return _LISTINGS[last]
    return "changelogs" if "/issue/" in path else "site"


@dataclass(eq=False)
class JiraHttp:
    """Requests to one Jira site through an authenticated session."""

    site: str
    session: requests.Session
    _: KW_ONLY
    #: Exceptions the session raises for an HTTP error answer; they carry
    #: ``status_code`` and ``response`` (jira's JIRAError does).
    http_errors: tuple[type[Exception], ...]
    retry: RetryPolicy
    clock: Callable[[], datetime]
    #: What a 401 means and what to check ("the API token was refused; check …").
    refused: str = "the credentials were refused; check the e-mail and token"
    #: The token (and the Basic-auth value it travels in): masked in every message.
    secrets: tuple[str, ...] = ()
    requests_made: int = field(default=0, init=False)
    #: Hears each read while a fetch runs, by listing (``issues``, ``sprints``, …).
    on_page: FetchProgress | None = field(default=None, init=False)
    _pages: dict[str, int] = field(default_factory=dict, init=False)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: object = None,
    ) -> requests.Response:
        """One request, no retry; a failure becomes RetriableError or FatalError."""
        what = f"{method} {path}"
        self.requests_made += 1
        try:
            response = self.session.request(
                method,
                self.site + path,
                params=params,
                data=None if body is None else json.dumps(body),
            )
        except self.http_errors as err:
            status = getattr(err, "status_code", None)
            # ``from None``: the library's error text holds the request headers.
            raise self.error(what, status, getattr(err, "response", None)) from None
        except _NO_RESPONSE as err:
            found = no_answer(err, self.site)
            msg = f"Jira {self.site}: {found}; check url"
            raise (RetriableError(msg) if found.retriable else Unreachable(msg)) from None
        except requests.RequestException as err:
            # ``from None``: an invalid header's error quotes the header, credentials and all.
            msg = masked(f"Jira {self.site}: {what}: {no_answer(err, self.site).cause}",
                         self.secrets)
            raise FatalError(msg) from None
        if not response.ok:  # a plain session does not raise
            raise self.error(what, response.status_code, response)
        if self.on_page is not None and method == "GET":
            listing = _listing(path)
            self._pages[listing] = self._pages.get(listing, 0) + 1
            self.on_page(listing, self._pages[listing], None)
        return response

    def reading(self, progress: FetchProgress | None) -> None:
        """Tell ``progress`` of each read from now on (None: stop telling)."""
        self.on_page = progress
        self._pages = {}

    def error(
        self, what: str, status: int | None, response: requests.Response | None
    ) -> TrackerError:
        detail = ""
        if response is not None:
            try:
                detail = error_detail(response.json(), self.secrets)
            except ValueError:
                detail = ""
        msg = f"Jira {self.site}: {what} -> HTTP {status}" + (f": {detail}" if detail else "")
        if status is None or status == 429 or status >= 500:
            headers = response.headers if response is not None else {}
            return RetriableError(msg, wait_seconds=server_wait(headers, now=self.clock()))
        if status == 401:
            return CredentialsRefused(f"Jira {self.site}: 401: {self.refused}", status=status)
        unknown = _UNKNOWN_PROJECT.search(detail) if status in (400, 404) else None
        if unknown is not None:
            key = unknown.group(1) or unknown.group(2)
            return NotFound(f"Jira {self.site}: project {key} not found, or the account cannot "
                            "browse it (check jira_project and the Browse projects permission)",
                            status=status)
        if status == 404:
            return NotFound(msg, status=status)
        return FatalError(msg, status=status)

    def get_once(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A GET without retry (inside an attempt that is itself retried), parsed."""
        response = self.send("GET", path, params=params)
        try:
            return response.json()
        except ValueError:
            status = response.status_code
            msg = f"Jira {self.site}: GET {path}: the response is not JSON (HTTP {status})"
            raise FatalError(msg) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A GET through the retry policy, parsed."""
        return self.retry.call(
            lambda: self.get_once(path, params), what=f"GET {path} on {self.site}"
        )

    def get_object(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return as_object(self.get(path, params), f"GET {path}", self.site)

    def get_object_once(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        return as_object(self.get_once(path, params), f"GET {path}", self.site)

    def write(self, method: str, path: str, body: object) -> requests.Response:
        """An idempotent write (PUT) through the retry policy."""
        return self.retry.call(
            lambda: self.send(method, path, body=body), what=f"{method} {path} on {self.site}"
        )
