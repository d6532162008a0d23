"""Helpers for the GitHub connector tests: recorded payloads replayed through ``responses``.

The fixtures built on them (``github_replay``, ``github_connector``, ...) are in conftest.py.

Payloads come from tests/fixtures/github/ (copies of recorded exchanges, see
SOURCES.md there). A test may register a recorded response at the URL the
connector asks for (its repository, ``state=all&per_page=100``): the body,
status and headers stay as recorded unless the test says otherwise.

PyGithub sends every request with the port spelled out
(``https://api.github.com:443/...``) and ``responses`` compares it literally,
so registered URLs get the default port added here.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses

GITHUB_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
GITHUB_TOKEN = "ghp_F0rewarnTestT0ken0123456789abcdefXYZ"
GITHUB_NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
_KEEP: Any = object()


def github_url(url: str) -> str:
    """The URL as PyGithub sends it: the default port written out."""
    parts = urllib.parse.urlsplit(url)
    if parts.port is None:
        port = 443 if parts.scheme == "https" else 80
        parts = parts._replace(netloc=f"{parts.hostname}:{port}")
    return urllib.parse.urlunsplit(parts)


def github_exchanges(name: str) -> list[dict[str, Any]]:
    """The recorded interactions of one file, e.g. ``pygithub-replaydata/Milestone.setUp``."""
    path = GITHUB_FIXTURES / (name if name.endswith(".json") else f"{name}.json")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def github_exchange(name: str, index: int) -> dict[str, Any]:
    return copy.deepcopy(github_exchanges(name)[index])


class GitHubReplay:
    """Registers recorded responses; ``responses`` checks every one was asked for."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        self.token = GITHUB_TOKEN
        self.now = GITHUB_NOW

    @staticmethod
    def exchanges(name: str) -> list[dict[str, Any]]:
        return github_exchanges(name)

    @staticmethod
    def exchange(name: str, index: int) -> dict[str, Any]:
        """One recorded interaction (a copy: tests may adapt it)."""
        return github_exchange(name, index)

    @staticmethod
    def body(name: str, index: int) -> Any:
        """The recorded response body of one interaction (a copy)."""
        return github_exchange(name, index)["response"]["body"]

    def add(
        self,
        exchange: dict[str, Any],
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        body: Any = _KEEP,
        headers: dict[str, str] | None = None,
        drop_headers: Sequence[str] = (),
        match: Sequence[Any] = (),
    ) -> None:
        request, response = exchange["request"], exchange["response"]
        recorded = dict(response["headers"])
        recorded.update(headers or {})
        dropped = {name.lower() for name in drop_headers}
        kept = {k: v for k, v in recorded.items() if k.lower() not in dropped}
        ctype = next((v for k, v in kept.items() if k.lower() == "content-type"), None)
        others = {k: v for k, v in kept.items() if k.lower() != "content-type"}
        data = response["body"] if body is _KEEP else body
        text = data if isinstance(data, str) else "" if data is None else json.dumps(data)
        self.rsps.add(
            method or request["method"],
            github_url(url or request["url"]),
            body=text,
            status=status or response["status"],
            headers=others,
            content_type=ctype,
            match=list(match),
        )

    def add_json(
        self,
        method: str,
        url: str,
        data: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        match: Sequence[Any] = (),
    ) -> None:
        """A response built by the test (an empty list, or items taken from recordings)."""
        self.rsps.add(
            method,
            github_url(url),
            body=json.dumps(data),
            status=status,
            headers=headers or {},
            content_type="application/json; charset=utf-8",
            match=list(match),
        )

    def add_error(self, method: str, url: str, error: Exception) -> None:
        self.rsps.add(method, github_url(url), body=error)

    @property
    def calls(self) -> list[Any]:
        return list(self.rsps.calls)
