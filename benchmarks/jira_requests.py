"""How many HTTP requests the Jira connector makes on a 10,000-issue Cloud project.

A synthetic site is served by ``responses`` callbacks: enhanced search
(``/rest/api/2/search/jql``, 100 issues a page, ``nextPageToken``) that really
filters on the JQL ``updated >=`` clause in the account's time zone, a board
with 120 sprints (about four years of them, all closed but the last) that
honours the ``state`` filter, the field list, serverInfo, ``/myself`` and the
status list.
Twenty issues have a changelog longer than the search embeds (150 histories),
as long-lived issues do.

Cycles measured:

1. initial sync with an empty memo (deployment, fields, account, board learnt);
2. steady state, nothing changed, in a *new* connector restored from the memo
   (a one-shot ``forewarn run --once``) and in the same connector (the daemon);
3. after 50 issues changed;
4. steady state on a project whose sprints live on three boards (one sprint
   listing per board).

Run: ``.venv/bin/python benchmarks/jira_requests.py``. No network is used.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import responses

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import DictMemo, FetchResult
from connectors.jira.connector import JiraConnector
from connectors.retry import RetryPolicy

SITE = "https://bench.atlassian.net"
ISSUES = 10_000
SPRINTS = 120
LONG_HISTORIES = 20  # issues whose changelog (150 entries) exceeds the embedded 100
PAGE = 100
ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 7, 29, 12, 0, tzinfo=UTC)
SPRINT_FIELD = "customfield_10020"
STATUSES = {"1": ("To Do", "new"), "3": ("In Progress", "indeterminate"), "10001": ("Done", "done")}
_JQL_SINCE = re.compile(r'updated >= "(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"')


def jira_time(value: datetime) -> str:
    """Jira's timestamp format: ``2026-07-28T18:16:29.633+0200``."""
    local = value.astimezone(ZONE)
    millis = f"{local.microsecond // 1000:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + millis + local.strftime("%z")


class Site:
    """The synthetic Jira site's data and its HTTP handlers."""

    def __init__(self) -> None:
        start = NOW - timedelta(days=365)
        step = timedelta(days=365) / ISSUES
        self.updated = [start + step * n for n in range(ISSUES)]
        self.calls: Counter[str] = Counter()

    def touch(self, count: int, at: datetime) -> None:
        for n in range(count):
            self.updated[n * (ISSUES // count)] = at + timedelta(seconds=n)

    # --- payloads ------------------------------------------------------------

    def user(self, n: int) -> dict[str, Any]:
        return {
            "accountId": f"acc-{n % 40}",
            "displayName": f"Person {n % 40}",
            "accountType": "app" if n % 40 == 39 else "atlassian",
            "timeZone": "Europe/Berlin",
        }

    def history(self, n: int, h: int, created: datetime) -> dict[str, Any]:
        when = created + timedelta(hours=h)
        if h == 0:
            item = {
                "field": "Sprint",
                "fieldtype": "custom",
                "fieldId": SPRINT_FIELD,
                "from": "",
                "fromString": "",
                "to": str(n % SPRINTS + 1),
                "toString": "S",
            }
        elif h == 1:
            item = {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": "1",
                "fromString": "To Do",
                "to": "3",
                "toString": "In Progress",
            }
        else:
            item = {
                "field": "labels",
                "fieldtype": "jira",
                "fieldId": "labels",
                "from": None,
                "fromString": "",
                "to": None,
                "toString": f"l{h}",
            }
        return {
            "id": str(n * 1000 + h),
            "author": self.user(n),
            "created": jira_time(when),
            "items": [item],
        }

    def histories(self, n: int) -> list[dict[str, Any]]:
        created = self.updated[n] - timedelta(days=30)
        count = 150 if n < LONG_HISTORIES else 3
        return [self.history(n, h, created) for h in range(count)]

    def issue(self, n: int) -> dict[str, Any]:
        created = self.updated[n] - timedelta(days=30)
        status_id = ("1", "3", "10001")[n % 3]
        name, category = STATUSES[status_id]
        histories = self.histories(n)
        embedded = list(reversed(histories))[:100]  # the search gives the newest 100, newest first
        comments = [
            {
                "id": f"{n}0{c}",
                "author": self.user(n + c),
                "body": f"Comment {c} on {n}",
                "created": jira_time(created + timedelta(days=c)),
                "updated": jira_time(created + timedelta(days=c)),
            }
            for c in range(2)
        ]
        return {
            "id": str(100_000 + n),
            "key": f"BENCH-{n + 1}",
            "fields": {
                "summary": f"Issue {n + 1}",
                "status": {"id": status_id, "name": name, "statusCategory": {"key": category}},
                "created": jira_time(created),
                "updated": jira_time(self.updated[n]),
                "resolutiondate": jira_time(self.updated[n]) if category == "done" else None,
                "reporter": self.user(n),
                "creator": self.user(n),
                "assignee": self.user(n + 1),
                "labels": ["client"] if n % 7 == 0 else [],
                "duedate": (created + timedelta(days=45)).date().isoformat(),
                "priority": {"name": "Medium"},
                "fixVersions": [],
                SPRINT_FIELD: [
                    {"id": n % SPRINTS + 1, "name": "S", "state": "active", "boardId": 1}
                ],
                "comment": {"startAt": 0, "maxResults": 2, "total": 2, "comments": comments},
            },
            "changelog": {
                "startAt": 0,
                "maxResults": len(embedded),
                "total": len(histories),
                "histories": embedded,
            },
        }

    # --- handlers ------------------------------------------------------------

    def _params(self, request: Any) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}

    def search(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["search/jql"] += 1
        params = self._params(request)
        match = _JQL_SINCE.search(params["jql"])
        since = None
        if match:
            since = datetime.strptime(match.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=ZONE)
        order = sorted(
            (n for n in range(ISSUES) if since is None or self.updated[n] >= since),
            key=lambda n: self.updated[n],
        )
        token = params.get("nextPageToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        size = int(params.get("maxResults", "50"))
        chunk = order[offset : offset + size]
        page: dict[str, Any] = {"issues": [self.issue(n) for n in chunk]}
        if offset + size < len(order):
            page["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        else:
            page["isLast"] = True
        return 200, {}, json.dumps(page)

    def changelog(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["issue/{id}/changelog"] += 1
        n = int(urlsplit(request.url).path.split("/")[-2]) - 100_000
        params = self._params(request)
        start, size = int(params["startAt"]), int(params["maxResults"])
        values = self.histories(n)
        page = {
            "startAt": start,
            "maxResults": size,
            "total": len(values),
            "isLast": start + size >= len(values),
            "values": values[start : start + size],
        }
        return 200, {}, json.dumps(page)

    def sprints(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["board/{id}/sprint"] += 1
        board = int(urlsplit(request.url).path.split("/")[-2])
        params = self._params(request)
        start, size = int(params["startAt"]), int(params["maxResults"])
        every = [
            {
                "id": s,
                "name": f"Sprint {s}",
                "state": "closed" if s % 1000 < SPRINTS else "active",
                "startDate": "2026-01-01T09:00:00.000Z",
                "endDate": "2026-01-15T17:00:00.000Z",
                "originBoardId": board,
            }
            for s in range(board * 1000 + 1, board * 1000 + SPRINTS + 1)
        ]
        if params.get("state"):  # the Agile API's filter: "active,future" lists the open ones
            wanted = set(params["state"].split(","))
            every = [sprint for sprint in every if sprint["state"] in wanted]
        page = {
            "startAt": start,
            "maxResults": size,
            "isLast": start + size >= len(every),
            "values": every[start : start + size],
        }
        return 200, {}, json.dumps(page)

    def fixed(self, name: str, payload: Any) -> Callable[[Any], tuple[int, dict[str, str], str]]:
        def handler(_request: Any) -> tuple[int, dict[str, str], str]:
            self.calls[name] += 1
            return 200, {}, json.dumps(payload)

        return handler

    def install(self, rsps: responses.RequestsMock) -> None:
        api = re.escape(SITE)
        for pattern, handler in [
            (r"/rest/api/2/search/jql.*", self.search),
            (r"/rest/api/2/issue/\d+/changelog.*", self.changelog),
            (r"/rest/agile/1.0/board/\d+/sprint.*", self.sprints),
        ]:
            rsps.add_callback("GET", re.compile(api + pattern), callback=handler)
        fields = [
            {"id": "summary", "name": "Summary", "schema": {"type": "string", "system": "summary"}},
            {
                "id": SPRINT_FIELD,
                "name": "Sprint",
                "custom": True,
                "schema": {
                    "type": "array",
                    "items": "json",
                    "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                },
            },
            {
                "id": "customfield_10016",
                "name": "Story point estimate",
                "custom": True,
                "schema": {"type": "number"},
            },
        ]
        statuses = [
            {"id": k, "name": name, "statusCategory": {"key": key}}
            for k, (name, key) in STATUSES.items()
        ]
        myself = {"accountId": "acc-bot", "displayName": "forewarn", "timeZone": "Europe/Berlin"}
        boards = {"isLast": True, "values": [{"id": 1, "name": "BENCH board", "type": "scrum"}]}
        info = {"deploymentType": "Cloud", "versionNumbers": [1001, 0, 0]}
        for path, name, payload in [
            ("/rest/api/2/serverInfo", "serverInfo", info),
            ("/rest/api/2/field", "field", fields),
            ("/rest/api/2/myself", "myself", myself),
            ("/rest/api/2/status", "status", statuses),
        ]:
            rsps.add_callback("GET", SITE + path, callback=self.fixed(name, payload))
        board = re.compile(api + r"/rest/agile/1.0/board\?.*")
        rsps.add_callback("GET", board, callback=self.fixed("board", boards))


def connector(memo: DictMemo, clock: Callable[[], datetime],
              boards: tuple[int, ...] = ()) -> JiraConnector:
    return JiraConnector(
        "BENCH",
        url=SITE,
        email="bot@bench.example",
        token="bench-token",  # served by responses, never sent anywhere
        memo=memo,
        project="bench",
        milestones="sprint",
        boards=boards,
        retry=RetryPolicy(attempts=1, scale=0),
        clock=clock,
    )


def measure(site: Site, label: str, run: Callable[[], FetchResult]) -> dict[str, Any]:
    site.calls.clear()
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    row = {
        "cycle": label,
        "requests": result.requests,
        "issues": len(result.snapshot.issues),
        "changes": len(result.snapshot.changes),
        "comments": len(result.snapshot.comments),
        "by_endpoint": dict(sorted(site.calls.items())),
        "seconds": round(seconds, 2),
    }
    assert sum(site.calls.values()) == result.requests, (site.calls, result.requests)
    return row


def main() -> list[dict[str, Any]]:
    site = Site()
    memo = DictMemo()
    now = [NOW]
    rows = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.install(rsps)
        daemon = connector(memo, lambda: now[0])
        initial = measure(site, "initial sync (empty memo)", lambda: daemon.fetch(None))
        rows.append(initial)
        first = daemon.fetch  # keep the daemon's client for the in-process cycle
        cursor = None

        def full() -> FetchResult:
            nonlocal cursor
            result = connector(DictMemo(memo), lambda: now[0]).fetch(None)
            cursor = result.cursor
            return result

        rows.append(measure(site, "initial sync (memo restored)", full))
        now[0] = NOW + timedelta(minutes=10)

        def one_shot() -> FetchResult:
            return connector(DictMemo(memo), lambda: now[0]).fetch(cursor)

        rows.append(measure(site, "steady state, one-shot run", one_shot))
        rows.append(measure(site, "steady state, daemon", lambda: first(cursor)))
        site.touch(50, NOW + timedelta(minutes=12))
        now[0] = NOW + timedelta(minutes=15)
        rows.append(measure(site, "after 50 issues changed", one_shot))
        rows.append(measure(site, "same, sprints on three boards", lambda: connector(
            DictMemo(memo), lambda: now[0], boards=(1, 2, 3)).fetch(cursor)))
    width = max(len(r["cycle"]) for r in rows)
    print(
        f"Jira connector, synthetic Cloud project: {ISSUES} issues, {SPRINTS} sprints, "
        f"{LONG_HISTORIES} issues with 150-entry changelogs"
    )
    print(f"{'cycle':<{width}}  requests  issues  changes  seconds  by endpoint")
    for row in rows:
        print(
            f"{row['cycle']:<{width}}  {row['requests']:>8}  {row['issues']:>6}"
            f"  {row['changes']:>7}  {row['seconds']:>7}  {row['by_endpoint']}"
        )
    return rows


if __name__ == "__main__":
    main()
