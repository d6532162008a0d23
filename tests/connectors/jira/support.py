"""Helpers for the Jira connector tests: recorded payloads, a quiet connector, request checks.

The payloads under ``tests/fixtures/jira/`` are unchanged copies of the
normalized recordings (see ``tests/fixtures/jira/SOURCES.md``). Tests that need
a shape no recording has (a first page with a ``nextPageToken``, a page
envelope DevLake did not keep, a due-date changelog item) build it in the test
from a deep copy and say so there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from connectors.base import DictMemo
from connectors.jira.connector import JiraConnector
from connectors.retry import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jira"
CLOUD = "https://acme.atlassian.net"
SERVER = "https://jira.acme.example/jira"
EMAIL = "pm@acme.example"
TOKEN = "s3cr3t-api-token-DO-NOT-LOG"
NOW = datetime(2026, 7, 29, 12, 0, tzinfo=UTC)
ME_CLOUD = {
    "accountId": "712020:forewarn-bot",
    "displayName": "forewarn",
    "timeZone": "America/Sao_Paulo",
    "accountType": "atlassian",
}


def interactions(name: str) -> list[dict[str, Any]]:
    """The recorded exchanges of one fixture file, in order."""
    data: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def body(name: str, index: int = 0) -> Any:
    """A deep copy of one recorded response body (tests may reshape the copy)."""
    return copy.deepcopy(interactions(name)[index]["response"]["body"])


def add_recorded(
    rsps: responses.RequestsMock,
    name: str,
    *,
    index: int = 0,
    url: str | None = None,
    match: list[Any] | None = None,
) -> None:
    """Serve one recorded exchange (SOURCES.md's loader), optionally at another URL.

    ``url`` is used where the connector asks another path for the same
    resource (REST v2 where the recording was made on v3, or without the
    recorder's extra query parameters); each test says why.
    """
    exchange = interactions(name)[index]
    request, response = exchange["request"], exchange["response"]
    headers = {k: v for k, v in response["headers"].items() if k.lower() != "content-type"}
    ctype = next(
        (v for k, v in response["headers"].items() if k.lower() == "content-type"),
        "application/json",
    )
    payload = response["body"]
    text = payload if isinstance(payload, str) else "" if payload is None else json.dumps(payload)
    rsps.add(
        request["method"],
        url or request["url"],
        body=text,
        status=response["status"],
        headers=headers,
        content_type=ctype,
        match=match or [],
    )


def query(call: Any) -> dict[str, str]:
    """The query parameters a recorded call sent (one value each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def no_sleep() -> RetryPolicy:
    return RetryPolicy(attempts=3, scale=0, sleep=lambda _seconds: None)


def warm_memo(
    *,
    deployment: str = "cloud",
    fields: str = '{"sprint": null, "story_points": []}',
    me: dict[str, str] | None = None,
    project_type: str = "software",
) -> DictMemo:
    """A memo as a previous cycle left it: no serverInfo, /field, /myself (nor, on Data
    Center, /project) needed."""
    memo = DictMemo()
    memo.set("jira.deployment", deployment)
    memo.set("jira.project_type", project_type)
    memo.set("jira.fields", fields)
    who = me or {"id": ME_CLOUD["accountId"], "name": "forewarn", "time_zone": "America/Sao_Paulo"}
    memo.set("jira.myself", json.dumps(who))
    return memo


def make(
    *,
    url: str = CLOUD,
    email: str | None = EMAIL,
    memo: DictMemo | None = None,
    retry: RetryPolicy | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
    **options: Any,
) -> JiraConnector:
    return JiraConnector(
        "BILL",
        url=url,
        email=email,
        token=TOKEN,
        memo=memo if memo is not None else warm_memo(),
        project="billing",
        retry=retry or no_sleep(),
        clock=clock,
        **options,
    )
