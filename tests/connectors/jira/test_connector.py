"""The Jira connector over HTTP, served recorded payloads by ``responses``.

Where the connector asks a different URL than the recorder did (REST v2 where
the recording was made on v3, fewer query parameters), the recorded body is
served at the connector's URL and the test says so. No test sleeps: retry
waits are zero or recorded.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from connectors.base import Connector, DictMemo
from connectors.errors import CannotPostComment, CommentGone, FatalError, RetriableError
from connectors.markers import Marker
from connectors.model import PUBLIC, Visibility
from connectors.retry import RetryPolicy
from tests.connectors.jira.support import (
    CLOUD,
    EMAIL,
    ME_CLOUD,
    NOW,
    SERVER,
    TOKEN,
    add_recorded,
    body,
    make,
    query,
    warm_memo,
)
from tests.markers import jira_tag

SAM1 = "specharness/search_jql_SAM1.json"
SAM1_SITE = "https://moliveiracaio.atlassian.net"
AGILE = "devlake/agile_board_issues_expand_changelog.json"
RUBY = "http://localhost:2990/jira"
FIELDS = (
    "summary,status,created,updated,resolutiondate,statuscategorychangedate,reporter,creator,"
    "assignee,labels,duedate,priority,fixVersions,comment,issuelinks"
)
MARKER_TEXT = "scope.0123456789abcdef:warning"
MARKER = Marker.parse(MARKER_TEXT)
SPRINT_FIELDS = '{"sprint": "customfield_10020", "story_points": []}'
# The status list (GET /rest/api/2/status) built from the spec shape for the
# statuses DevLake's EE issues pass through; no recording of it exists.
STATUSES = [
    {"id": sid, "name": name, "statusCategory": {"key": key}}
    for sid, name, key in [
        ("1", "Open", "new"),
        ("3", "In Progress", "indeterminate"),
        ("5", "Resolved", "done"),
        ("6", "Closed", "done"),
        ("10000", "To Do", "new"),
        ("10020", "Inbox", "new"),
        ("10029", "Ready for Dev", "new"),
        ("10033", "To Do", "new"),
        ("10068", "已完成", "done"),
    ]
]


def search_url(site: str = CLOUD) -> str:
    return f"{site}/rest/api/2/search/jql"


def search_params(jql: str = 'project = "BILL" ORDER BY updated ASC', **extra: str) -> Any:
    params = {"jql": jql, "fields": FIELDS, "expand": "changelog", "maxResults": "100"} | extra
    return matchers.query_param_matcher(params)


def empty_versions(rsps: responses.RequestsMock, site: str = CLOUD) -> None:
    rsps.add("GET", f"{site}/rest/api/2/project/BILL/versions", json=[])


def agile_issues() -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = body(AGILE, 0)["issues"]
    return issues


def test_satisfies_the_connector_protocol() -> None:
    connector = make()
    assert isinstance(connector, Connector)
    assert connector.markup == "jira"


# --- search ------------------------------------------------------------------


def test_cloud_enhanced_search_pages_by_token() -> None:
    # SAM1 is a real last page ({"issues": [...], "isLast": true}, no token). No
    # multi-page /search/jql recording exists, so the first page is a copy of its
    # first four issues plus a nextPageToken. Recorded on /rest/api/3 with
    # fields=*all; the connector asks v2 (wiki bodies) for its own fields.
    last = body(SAM1)
    first = {"issues": copy.deepcopy(last["issues"][:4]), "nextPageToken": "tok-2", "isLast": False}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(SAM1_SITE), json=first, match=[search_params()])
        add_recorded(
            rsps, SAM1, url=search_url(SAM1_SITE), match=[search_params(nextPageToken="tok-2")]
        )
        empty_versions(rsps, SAM1_SITE)
        result = make(url=SAM1_SITE).fetch(None)
    # The four issues seen twice (as when an issue is updated between pages) are kept once.
    assert [issue.key for issue in result.snapshot.issues] == [f"SAM1-{n}" for n in range(1, 11)]
    assert result.complete
    assert result.requests == 3
    assert result.cursor == "2026-07-28T21:16:35.018000+00:00"  # SAM1-10's updated, in UTC
    assert result.snapshot.issues[0].url == f"{SAM1_SITE}/browse/SAM1-1"
    assert result.snapshot.issues[4].state == "closed"


def test_a_repeated_page_token_stops_the_loop() -> None:
    page = {"issues": [], "nextPageToken": "same", "isLast": False}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json=page, match=[search_params()])
        rsps.add("GET", search_url(), json=page, match=[search_params(nextPageToken="same")])
        with pytest.raises(FatalError) as caught:
            make().fetch(None)
    assert str(caught.value) == (
        f"Jira {CLOUD}: GET /rest/api/2/search/jql: nextPageToken repeated; stopping a loop"
    )


def test_data_center_service_desk_reads_internal_notes_from_comment_properties() -> None:
    # EE-1 is a real v2 agile bean (DevLake) with its comments embedded. Data Center marks
    # a Service Management internal note only in the comment property sd.public.comment,
    # which no search embeds, so on a service desk project the comments of an issue with
    # new ones are listed again with expand=properties. That listing is jira-ruby's
    # recorded Data Center one, its second comment given the property in the documented
    # EntityProperty shape ({key, value}).
    issue = agile_issues()[0]
    listing = body("jira-ruby/issue_10002_comment.GET.json")
    listing["comments"][1]["properties"] = [
        {"key": "sd.public.comment", "value": {"internal": True}}]
    memo = warm_memo(deployment="server", fields=SPRINT_FIELDS, project_type="service_desk",
                     me={"id": "admin", "name": "admin", "time_zone": "Asia/Shanghai"})
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{SERVER}/rest/api/2/search",
                 json={"startAt": 0, "maxResults": 100, "total": 1, "issues": [issue]})
        rsps.add("GET", f"{SERVER}/rest/api/2/status", json=STATUSES)
        rsps.add("GET", f"{SERVER}/rest/api/2/issue/{issue['id']}/comment", json=listing,
                 match=[matchers.query_param_matcher(
                     {"startAt": "0", "maxResults": "100", "expand": "properties"})])
        add_recorded(
            rsps, "devlake/agile_board_sprints.json", url=f"{SERVER}/rest/agile/1.0/board/8/sprint"
        )
        connector = make(url=SERVER, email=None, memo=memo, milestones="sprint", boards=(8,))
        result = connector.fetch(None)
    assert [(c.id, c.visibility) for c in result.snapshot.comments] == [
        ("10000", PUBLIC), ("10001", Visibility("internal"))]
    assert result.requests == 4


def test_data_center_classic_search_pages_by_start_at() -> None:
    # The EE issues are real v2 agile beans; DevLake did not keep the page
    # envelope, so startAt/maxResults/total are added here. The server returns
    # fewer than asked (its jira.search.views.default.max), as Data Center may.
    issues = agile_issues()
    pages = [
        {"startAt": 0, "maxResults": 4, "total": 6, "issues": issues[:4]},
        {"startAt": 4, "maxResults": 4, "total": 6, "issues": issues[4:]},
    ]
    url = f"{SERVER}/rest/api/2/search"
    fields = f"{FIELDS},customfield_10020"
    memo = warm_memo(
        deployment="server",
        fields=SPRINT_FIELDS,
        me={"id": "admin", "name": "admin", "time_zone": "Asia/Shanghai"},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        for start, page in zip(("0", "4"), pages, strict=True):
            params = {"jql": 'project = "BILL" ORDER BY updated ASC', "fields": fields,
                      "expand": "changelog", "maxResults": "100", "startAt": start}  # fmt: skip
            rsps.add("GET", url, json=page, match=[matchers.query_param_matcher(params)])
        rsps.add("GET", f"{SERVER}/rest/api/2/status", json=STATUSES)
        # Recorded with jql= and paging parameters; served to the connector's plain listing.
        add_recorded(
            rsps, "devlake/agile_board_sprints.json", url=f"{SERVER}/rest/agile/1.0/board/8/sprint"
        )
        connector = make(url=SERVER, email=None, memo=memo, milestones="sprint", boards=(8,))
        result = connector.fetch(None)
        auth = {call.request.headers["Authorization"] for call in rsps.calls}
    assert auth == {f"Bearer {TOKEN}"}  # a Data Center personal access token
    assert [i.key for i in result.snapshot.issues] == [
        "EE-1",
        "EE-14",
        "EE-17",
        "EE-19",
        "EE-23",
        "EE-25",
    ]
    assert result.requests == 4
    ee1 = result.snapshot.comments[0]
    assert ee1.issue_key == "EE-1"
    assert ee1.body_excerpt.startswith(
        "[Dingding Zhang|https://gitlab.com/zhangdingding] mentioned"
    )
    sprints = {m.key for m in result.snapshot.milestones}
    assert len(sprints) == 29 and "sprint:15" not in sprints  # 15 belongs to board 13
    ee17 = [
        (c.before, c.after)
        for c in result.snapshot.changes
        if c.issue_key == "EE-17" and c.field == "milestone"
    ]
    assert ee17[-2:] == [("sprint:9", None), (None, "sprint:17")]
    assert DictMemo(memo)["jira.statuses"].startswith('{"1": "new"')


def test_cloud_requests_carry_basic_auth() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        empty_versions(rsps)
        make().fetch(None)
        sent = {call.request.headers["Authorization"] for call in rsps.calls}
    assert sent == {"Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()}


def test_steady_state_is_one_search_and_one_listing() -> None:
    cursor = "2026-07-28T21:16:35.018000+00:00"
    # JQL reads dates in the account's zone (São Paulo, UTC-3), to the minute,
    # and the connector reaches back one minute more.
    jql = 'project = "BILL" AND updated >= "2026/07/28 18:15" ORDER BY updated ASC'
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(
            "GET", search_url(), json={"issues": [], "isLast": True}, match=[search_params(jql)]
        )
        empty_versions(rsps)
        connector = make()
        result = connector.fetch(cursor)
    assert (result.requests, connector.requests_made) == (2, 2)
    assert result.cursor == cursor and not result.complete


def test_without_the_account_time_zone_the_delta_reaches_back_further() -> None:
    memo = warm_memo(me={"id": "me", "name": "me", "time_zone": ""})
    jql = 'project = "BILL" AND updated >= "2026/07/28 07:15" ORDER BY updated ASC'
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(
            "GET", search_url(), json={"issues": [], "isLast": True}, match=[search_params(jql)]
        )
        empty_versions(rsps)
        make(memo=memo).fetch("2026-07-28T21:16:35+00:00")


def test_auto_deployment_and_discovery_happen_once_then_come_from_the_memo() -> None:
    memo = DictMemo()
    server_info = {"baseUrl": CLOUD, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                   "deploymentType": "Cloud", "serverTitle": "Jira"}  # fmt: skip
    sprint = {"type": "array", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}
    fields = [
        *body("specharness/field.json"),
        {"id": "customfield_10020", "name": "Sprint", "schema": sprint},
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{CLOUD}/rest/api/2/serverInfo", json=server_info)
        rsps.add("GET", f"{CLOUD}/rest/api/2/field", json=fields)
        rsps.add("GET", f"{CLOUD}/rest/api/2/myself", json=ME_CLOUD)
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        empty_versions(rsps)
        first = make(memo=memo)
        assert first.fetch(None).requests == 5
        assert first.whoami() == "712020:forewarn-bot"
        # jira's Cloud-only methods check this (enhanced_search_issues returns None without it).
        assert first._client._is_cloud is True
        assert first.requests_made == 5
    assert memo["jira.deployment"] == "cloud"
    assert memo["jira.fields"] == (
        '{"sprint": "customfield_10020", "story_points": [], "flagged": "customfield_10021", '
        '"epic_link": null, "start": ["customfield_10015"], "due": "duedate", '
        '"wanted": [null, null], "missing": []}')
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        empty_versions(rsps)
        assert make(memo=memo).fetch(None).requests == 2


def test_status_categories_restored_into_the_memo_after_construction_are_used() -> None:
    # `forewarn run --once` builds the connector, then restores the project's memo
    # from the state store and fetches: the categories learnt by an earlier cycle must
    # count then. EE-1's changelog names statuses 1, 3, 6, 10020, 10029 and 10068
    # (its own, done); the others are known only from the memo: no GET /status.
    memo = DictMemo()
    connector = make(memo=memo)
    memo.update(warm_memo())
    known = {"1": "new", "3": "indeterminate", "6": "done", "10020": "new", "10029": "new",
             "10068": "done"}  # as in STATUSES
    memo.set("jira.statuses", json.dumps(known))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [agile_issues()[0]], "isLast": True})
        empty_versions(rsps)
        result = connector.fetch("2020-01-01T00:00:00+00:00")
    assert result.requests == 2  # the search and the versions
    assert json.loads(memo["jira.statuses"]) == known


def test_sprint_mode_on_a_site_without_a_sprint_field_is_a_clear_error() -> None:
    memo = warm_memo()
    del memo["jira.fields"]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_recorded(rsps, "specharness/field.json", url=f"{CLOUD}/rest/api/2/field")
        with pytest.raises(FatalError) as caught:
            make(memo=memo, milestones="sprint").fetch(None)
    assert str(caught.value) == (
        f"Jira {CLOUD}: no Sprint field on this site (custom field type"
        " com.pyxis.greenhopper.jira:gh-sprint): project BILL has no board with sprints;"
        " use 'milestones: version'"
    )


# --- changelogs and comments beyond what the search embeds --------------------


def capped_13954(total: int = 100) -> dict[str, Any]:
    """Issue 13954 as a search returns it: changelog capped to its newest two histories.

    Issue 13954's key and fields were not recorded: the fields are EE-17's bean,
    the histories are 13954's own (issue_changelog_api3), newest first as the
    search's expand gives them.
    """
    values = body("devlake/issue_changelog_api3.json", 1)["values"]
    issue = copy.deepcopy(agile_issues()[2])
    issue.update(id="13954", key="EE-13954")
    issue["changelog"] = {
        "startAt": 0,
        "maxResults": 2,
        "total": total,
        "histories": values[:-3:-1],
    }
    return issue


def test_a_capped_changelog_is_completed_for_that_issue_only() -> None:
    complete = agile_issues()[0]  # EE-1: total 25 = all 25 histories embedded
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [complete, capped_13954()], "isLast": True})
        # Recorded on /rest/api/3 (the same PageBeanChangelog; changelog strings are
        # plain in both versions). The 98 entries missing are on this first page.
        changelog = f"{CLOUD}/rest/api/2/issue/13954/changelog"
        first = matchers.query_param_matcher({"startAt": "0", "maxResults": "100"})
        add_recorded(
            rsps, "devlake/issue_changelog_api3.json", index=1, url=changelog, match=[first]
        )
        rsps.add("GET", f"{CLOUD}/rest/api/2/status", json=STATUSES)
        board = warm_memo(fields=SPRINT_FIELDS)
        board.set("jira.boards", json.dumps({"ids": [8], "at": NOW.isoformat()}))
        rsps.add(
            "GET", f"{CLOUD}/rest/agile/1.0/board/8/sprint", json={"isLast": True, "values": []}
        )
        result = make(memo=board, milestones="sprint").fetch(None)
    moves = [
        c for c in result.snapshot.changes if c.issue_key == "EE-13954" and c.field == "milestone"
    ]
    assert [c.after for c in moves[:3]] == ["sprint:38", "sprint:40", "sprint:41"]  # full changelog
    assert [c.before for c in moves if c.before] == ["sprint:60"]
    assert result.requests == 4


def test_only_the_missing_changelog_entries_are_paged() -> None:
    # The server may cap maxResults below what was asked: pages of one entry here
    # (built from 13954's recorded histories; no multi-page recording exists).
    values = body("devlake/issue_changelog_api3.json", 1)["values"]
    issue = capped_13954(total=5)  # embeds the newest two: the oldest three are missing
    changelog = f"{CLOUD}/rest/api/2/issue/13954/changelog"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [issue], "isLast": True})
        for start in (0, 1, 2):
            page = {"startAt": start, "maxResults": 1, "total": 5, "isLast": False,
                    "values": [values[start]]}  # fmt: skip
            match = matchers.query_param_matcher({"startAt": str(start), "maxResults": "100"})
            rsps.add("GET", changelog, json=page, match=[match])
        sprints = f"{CLOUD}/rest/agile/1.0/board/8/sprint"
        rsps.add("GET", sprints, json={"isLast": True, "values": []})
        memo = warm_memo(fields=SPRINT_FIELDS)
        result = make(memo=memo, milestones="sprint", boards=(8,)).fetch(None)
    moves = [(c.before, c.after) for c in result.snapshot.changes if c.field == "milestone"]
    assert moves == [(None, "sprint:38"), ("sprint:60", None)]  # oldest fetched, newest embedded
    assert result.requests == 5  # search, three one-entry pages, sprints


def test_a_delta_needs_no_more_changelog_when_the_capped_one_reaches_the_cursor() -> None:
    capped = capped_13954()  # newest two histories: 2021-05-10 and 2022-03-28
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [capped], "isLast": True})
        empty_versions(rsps)
        # The older of the two (2021-05-10) is before the cursor: nothing since is missing.
        result = make().fetch("2022-01-01T00:00:00+00:00")
    assert result.requests == 2  # search and versions: no changelog pages


def test_comments_beyond_the_embedded_page_are_listed_and_adf_becomes_text() -> None:
    # A search result whose comment page is capped. The airbyte listing was recorded
    # on /rest/api/3 (ADF bodies); served at the v2 path to show both are read.
    # Airbyte trimmed that file: its second comment came from issue 10075.
    issue = body(SAM1)["issues"][0]
    issue["id"] = "10625"
    issue["fields"]["comment"] = {"startAt": 0, "maxResults": 0, "total": 2, "comments": []}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [issue], "isLast": True})
        add_recorded(
            rsps,
            "airbyte/issue_comments_v3_adf.json",
            url=f"{CLOUD}/rest/api/2/issue/10625/comment",
        )
        empty_versions(rsps)
        result = make().fetch(None)
        assert query(rsps.calls[1]) == {"startAt": "0", "maxResults": "100"}
    first, second = result.snapshot.comments
    assert (first.id, first.body_excerpt) == ("10755", "Closed")
    assert second.id == "10521" and second.body_excerpt.startswith("Lorem ipsum dolor sit amet")
    assert result.snapshot.people["5fc9e78d2730d800760becc4"].name == "integration test"


def test_a_malformed_issue_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    page = body(SAM1)
    del page["issues"][2]["fields"]["created"]
    page["issues"][5]["fields"]["status"] = None
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json=page)
        empty_versions(rsps)
        with caplog.at_level(logging.WARNING, logger="connectors.jira.read"):
            result = make().fetch(None)
    assert len(result.snapshot.issues) == 8
    assert result.skipped == ("SAM1-3: missing created", "SAM1-6: SAM1-6 status is not an object")
    assert [r.getMessage() for r in caplog.records] == [
        f"Jira {CLOUD}: skipping issue SAM1-3: missing created",
        f"Jira {CLOUD}: skipping issue SAM1-6: SAM1-6 status is not an object",
    ]
    assert result.cursor == "2026-07-28T21:16:35.018000+00:00"


# --- milestones --------------------------------------------------------------


#: The boards Jira relates to BILL: Atlassian's documented board shape (GET
#: /rest/agile/1.0/board, jira-software-agile.extract.json's getAllBoards); not recorded.
BOARDS = {"maxResults": 50, "startAt": 0, "isLast": True, "values": [
    {"id": 13, "name": "Emma board", "type": "kanban"},
    {"id": 8, "name": "EE board", "type": "scrum"}]}  # fmt: skip
BOARDS_QUERY = {"projectKeyOrId": "BILL", "startAt": "0", "maxResults": "50"}
SPRINTS = "devlake/agile_board_sprints.json"


def test_every_scrum_board_is_found_by_project_then_remembered_for_a_day() -> None:
    memo = warm_memo(fields=SPRINT_FIELDS)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        rsps.add("GET", f"{CLOUD}/rest/agile/1.0/board", json=BOARDS,
                 match=[matchers.query_param_matcher(BOARDS_QUERY)])  # fmt: skip
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        result = make(memo=memo, milestones="sprint").fetch(None)
        assert query(rsps.calls[2]) == {"startAt": "0", "maxResults": "50"}
    assert json.loads(memo["jira.boards"]) == {"ids": [8], "at": NOW.isoformat()}
    keys = [m.key for m in result.snapshot.milestones]
    assert keys[:3] == ["sprint:7", "sprint:9", "sprint:17"]  # 15 is board 13's
    assert all(m.kind == "sprint" for m in result.snapshot.milestones)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        assert make(memo=memo, milestones="sprint").fetch(None).requests == 2
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        rsps.add("GET", f"{CLOUD}/rest/agile/1.0/board", json=BOARDS)
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        a_day_later = make(memo=memo, milestones="sprint", clock=lambda: NOW + timedelta(days=1))
        assert a_day_later.fetch(None).requests == 3  # a board added since would be seen


def two_scrum_boards() -> dict[str, Any]:
    both = copy.deepcopy(BOARDS)
    both["values"][0]["type"] = "scrum"
    return both


def test_the_sprints_of_every_board_count_each_once() -> None:
    # Board 8's recorded list holds sprint 15 of board 13 (shared issues); board 13 lists it too.
    board_13 = {"isLast": True, "values": [
        s for s in body(SPRINTS)["values"] if s["originBoardId"] == 13]}  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        rsps.add("GET", f"{CLOUD}/rest/agile/1.0/board", json=two_scrum_boards())
        rsps.add("GET", f"{CLOUD}/rest/agile/1.0/board/13/sprint", json=board_13)
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        result = make(memo=warm_memo(fields=SPRINT_FIELDS), milestones="sprint").fetch(None)
    keys = [m.key for m in result.snapshot.milestones]
    assert len(keys) == 30 and keys.count("sprint:15") == 1
    assert result.requests == 4  # search, boards (once a day), one sprint list per board


def test_boards_named_in_the_config_are_not_looked_up() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        result = make(memo=warm_memo(fields=SPRINT_FIELDS), milestones="sprint",
                      boards=(8,)).fetch(None)
    assert "sprint:15" not in [m.key for m in result.snapshot.milestones]
    assert result.requests == 2


def test_a_project_without_a_scrum_board_says_what_to_do() -> None:
    kanban = copy.deepcopy(BOARDS)
    kanban["values"] = kanban["values"][:1]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        rsps.add("GET", f"{CLOUD}/rest/agile/1.0/board", json=kanban)
        with pytest.raises(FatalError) as raised:
            make(memo=warm_memo(fields=SPRINT_FIELDS), milestones="sprint").fetch(None)
    assert str(raised.value) == (
        f"Jira {CLOUD}: project BILL has no Scrum board (needed for milestones: sprint): use "
        "milestones: version, or name boards: [id, ...]")


def test_sprints_and_versions_together() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        add_recorded(rsps, SPRINTS, url=f"{CLOUD}/rest/agile/1.0/board/8/sprint")
        # The project's versions list holds version objects like the recorded one.
        rsps.add("GET", f"{CLOUD}/rest/api/2/project/BILL/versions",
                 json=[body("jira-ruby/version_10000.GET.json")])
        result = make(memo=warm_memo(fields=SPRINT_FIELDS), milestones=("sprint", "version"),
                      boards=(8,)).fetch(None)
    kinds = {m.kind for m in result.snapshot.milestones}
    assert kinds == {"sprint", "version"}


def test_go_jira_sprints_with_future_sprints() -> None:
    memo = warm_memo(
        deployment="server",
        fields=SPRINT_FIELDS,
        me={"id": "admin", "name": "admin", "time_zone": "America/Los_Angeles"},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(
            "GET",
            "https://jira.com/rest/api/2/search",
            json={"startAt": 0, "total": 0, "issues": []},
        )
        add_recorded(rsps, "go-jira/sprints.json")
        result = make(
            url="https://jira.com", email=None, memo=memo, milestones="sprint", boards=(734,)
        ).fetch(None)
    by_key = {m.key: m for m in result.snapshot.milestones}
    assert list(by_key) == [
        "sprint:740",
        "sprint:776",
        "sprint:807",
        "sprint:832",
        "sprint:845",
        "sprint:846",
    ]
    assert (by_key["sprint:846"].start_on, by_key["sprint:846"].due_on) == (None, None)
    assert by_key["sprint:807"].due_on == date(2016, 6, 8)
    assert by_key["sprint:832"].state == "open"


def test_versions_on_a_server_with_a_context_path() -> None:
    # The recording is GET /version/10000; /project/KEY/versions lists the same objects.
    memo = warm_memo(
        deployment="server", me={"id": "admin", "name": "admin", "time_zone": "Pacific/Auckland"}
    )
    version = body("jira-ruby/version_10000.GET.json")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{RUBY}/rest/api/2/search", json={"startAt": 0, "total": 0, "issues": []})
        rsps.add("GET", f"{RUBY}/rest/api/2/project/BILL/versions", json=[version])
        result = make(url=RUBY + "/", email=None, memo=memo).fetch(None)
    (milestone,) = result.snapshot.milestones
    assert (milestone.key, milestone.title, milestone.due_on, milestone.state) == (
        "version:10000",
        "1.0",
        date(2012, 1, 12),
        "open",
    )


# --- comments: find, create, edit --------------------------------------------


def ruby_comments(*, spoof: bool = True, ours: bool = True) -> dict[str, Any]:
    """jira-ruby's two comments by "admin" (forewarn's account here), reshaped in memory."""
    page: dict[str, Any] = body("jira-ruby/issue_10002_comment.GET.json")
    if spoof:
        page["comments"][0]["author"]["name"] = "mallory"
        page["comments"][0]["body"] = "I can paste markers too " + jira_tag(MARKER_TEXT)
    if ours:
        page["comments"][1]["body"] = "Scope grew by 2 issues.\n" + jira_tag(MARKER_TEXT)
    return page


def ruby_memo() -> DictMemo:
    return warm_memo(
        deployment="server", me={"id": "admin", "name": "admin", "time_zone": "Pacific/Auckland"}
    )


COMMENTS = f"{RUBY}/rest/api/2/issue/SAMPLEPROJECT-1/comment"


def test_find_comment_needs_our_author_and_the_marker() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", COMMENTS, json=ruby_comments())
        found = make(url=RUBY, email=None, memo=ruby_memo()).find_comment("SAMPLEPROJECT-1", MARKER)
    assert found is not None
    assert (found.id, found.issue_key) == ("10001", "SAMPLEPROJECT-1")


def test_a_spoofed_marker_is_not_ours() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", COMMENTS, json=ruby_comments(ours=False))
        found = make(url=RUBY, email=None, memo=ruby_memo()).find_comment("SAMPLEPROJECT-1", MARKER)
    assert found is None


def test_create_comment_posts_wiki_markup_with_the_marker() -> None:
    # Recorded as POST /issue/10002/comment; SAMPLEPROJECT-1 is issue 10002's key.
    text = "Scope grew by 2 issues.\n" + jira_tag(MARKER_TEXT)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_recorded(rsps, "jira-ruby/issue_10002_comment.POST.json", url=COMMENTS,
                     match=[matchers.json_params_matcher({"body": text})])  # fmt: skip
        connector = make(url=RUBY, email=None, memo=ruby_memo())
        assert (
            connector.create_comment("SAMPLEPROJECT-1", "Scope grew by 2 issues.", marker=MARKER)
            == "10001"
        )
    assert connector.requests_made == 1


@pytest.mark.parametrize(
    "lost",
    [
        {"body": requests.ConnectionError("connection reset by peer")},
        {"body": requests.ReadTimeout("read timed out")},
        {"status": 502, "json": {"errorMessages": []}},
        {"status": 504, "body": "<html>Gateway Timeout</html>"},
    ],
)
def test_a_lost_creation_is_found_by_marker_not_posted_twice(lost: dict[str, Any]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("POST", COMMENTS, **lost)
        rsps.add("GET", COMMENTS, json=ruby_comments())  # the first POST did land
        connector = make(url=RUBY, email=None, memo=ruby_memo())
        assert (
            connector.create_comment("SAMPLEPROJECT-1", "Scope grew by 2 issues.", marker=MARKER)
            == "10001"
        )
        assert [call.request.method for call in rsps.calls] == ["POST", "GET"]


def test_a_lost_creation_that_did_not_land_is_posted_again() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("POST", COMMENTS, body=requests.ConnectionError("connection reset by peer"))
        rsps.add("GET", COMMENTS, json=ruby_comments(ours=False))
        add_recorded(rsps, "jira-ruby/issue_10002_comment.POST.json", url=COMMENTS)
        connector = make(url=RUBY, email=None, memo=ruby_memo())
        assert connector.create_comment("SAMPLEPROJECT-1", "Scope grew.", marker=MARKER) == "10001"
        assert [call.request.method for call in rsps.calls] == ["POST", "GET", "POST"]


def test_a_refused_creation_is_not_retried() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(
            "POST",
            COMMENTS,
            status=400,
            json={"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}},
        )
        with pytest.raises(CannotPostComment) as caught:
            make(url=RUBY, email=None, memo=ruby_memo()).create_comment(
                "SAMPLEPROJECT-1", "", marker=MARKER
            )
        assert len(rsps.calls) == 1
    assert str(caught.value) == (
        f"Jira {RUBY}: cannot post a comment on SAMPLEPROJECT-1: Jira {RUBY}: POST"
        " /rest/api/2/issue/SAMPLEPROJECT-1/comment -> HTTP 400:"
        " comment: Comment body can not be empty!"
    )


def test_edit_comment_puts_the_new_body() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        new_body = matchers.json_params_matcher({"body": "Answered on 2026-07-29."})
        url = f"{CLOUD}/rest/api/2/issue/BILL-7/comment/10001"
        rsps.add("PUT", url, json={"id": "10001"}, match=[new_body])
        make().edit_comment("BILL-7", "10001", "Answered on 2026-07-29.")


RESTRICTED = [
    # Restricted to a project role or a group: the documented ``visibility`` of a comment.
    (Visibility("role", "Developers"), {"visibility": {"type": "role", "value": "Developers"}}),
    (Visibility("group", "acme-team"), {"visibility": {"type": "group", "value": "acme-team"}}),
    (PUBLIC, {}),
]


@pytest.mark.parametrize(("visibility", "extra"), RESTRICTED)
def test_a_restricted_comment_is_posted_and_edited_restricted(
    visibility: Visibility, extra: dict[str, Any]
) -> None:
    text = "Scope grew by 2 issues.\n" + jira_tag(MARKER_TEXT)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_recorded(rsps, "jira-ruby/issue_10002_comment.POST.json", url=COMMENTS,
                     match=[matchers.json_params_matcher({"body": text} | extra)])
        rsps.add("PUT", f"{COMMENTS}/10001", json={"id": "10001"},
                 match=[matchers.json_params_matcher({"body": "Answered."} | extra)])
        connector = make(url=RUBY, email=None, memo=ruby_memo())
        assert connector.create_comment("SAMPLEPROJECT-1", "Scope grew by 2 issues.",
                                        marker=MARKER, visibility=visibility) == "10001"
        connector.edit_comment("SAMPLEPROJECT-1", "10001", "Answered.", visibility=visibility)


def test_an_internal_note_is_created_through_service_management() -> None:
    # Atlassian documents creating an internal note with POST /servicedeskapi/request/{key}/
    # comment and "public": false (jsdPublic is read-only on the platform API). The answer
    # below is the documented shape of that operation (Service Management REST API, "Add
    # request comment"), with values in place of its "<string>" placeholders. An edit goes
    # through the platform API and keeps the note internal with its sd.public.comment
    # property.
    text = "Waiting for a reply.\n" + jira_tag(MARKER_TEXT)
    note = {"id": "10001", "body": text, "public": False,
            "author": {"name": "forewarn", "key": "forewarn", "emailAddress": EMAIL,
                       "displayName": "forewarn", "active": True, "timeZone": "UTC",
                       "_links": {}},
            "created": {"iso8601": "2026-07-29T12:00:00+0000",
                        "jira": "2026-07-29T12:00:00.000+0000", "friendly": "Today 12:00",
                        "epochMillis": 1785326400000},
            "_links": {"self": f"{RUBY}/rest/servicedeskapi/request/10002/comment/10001"}}
    internal = {"properties": [{"key": "sd.public.comment", "value": {"internal": True}}]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("POST", f"{RUBY}/rest/servicedeskapi/request/SAMPLEPROJECT-1/comment",
                 json=note, status=201,
                 match=[matchers.json_params_matcher({"body": text, "public": False})])
        rsps.add("PUT", f"{COMMENTS}/10001", json={"id": "10001"},
                 match=[matchers.json_params_matcher({"body": "Answered."} | internal)])
        connector = make(url=RUBY, email=None, memo=ruby_memo())
        note_id = connector.create_comment("SAMPLEPROJECT-1", "Waiting for a reply.",
                                           marker=MARKER, visibility=Visibility("internal"))
        connector.edit_comment("SAMPLEPROJECT-1", note_id, "Answered.",
                               visibility=Visibility("internal"))
    assert note_id == "10001"
def test_editing_a_comment_someone_deleted_is_comment_gone() -> None:
    """Jira's documented error shape; the message is Jira's for a comment id it lacks."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("PUT", f"{CLOUD}/rest/api/2/issue/BILL-7/comment/10001", status=404,
                 json={"errorMessages": ["Can not find a comment for the id: 10001."],
                       "errors": {}})
        with pytest.raises(CommentGone) as raised:
            make().edit_comment("BILL-7", "10001", "Answered.")
    assert str(raised.value) == (f"Jira {CLOUD}: PUT /rest/api/2/issue/BILL-7/comment/10001 -> "
                                 "HTTP 404: Can not find a comment for the id: 10001.")


# --- labels ------------------------------------------------------------------


def test_labels_change_through_update_verbs_only() -> None:
    issue = f"{CLOUD}/rest/api/2/issue/BILL-7"
    add = {"update": {"labels": [{"add": "scope-creep"}, {"add": "awaiting-reply"}]}}
    remove = {"update": {"labels": [{"remove": "scope-creep"}]}}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("PUT", issue, status=204, match=[matchers.json_params_matcher(add)])
        rsps.add("PUT", issue, status=204, match=[matchers.json_params_matcher(remove)])
        connector = make()
        connector.add_labels("BILL-7", ["scope-creep", "awaiting-reply"])
        connector.remove_label("BILL-7", "scope-creep")
        connector.add_labels("BILL-7", [])
        connector.ensure_label("scope-creep", color="ff0000", description="scope grew")
    assert connector.requests_made == 2


def test_a_label_with_a_space_is_refused_before_any_request() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        connector = make()
        with pytest.raises(FatalError) as caught:
            connector.add_labels("BILL-7", ["ok", "scope creep"])
        with pytest.raises(FatalError):
            connector.ensure_label("awaiting reply", color="", description="")
    assert str(caught.value) == (
        f"Jira {CLOUD}: cannot label BILL-7: Jira labels cannot contain spaces:"
        " 'scope creep' (use 'scope-creep')"
    )


# --- retries and errors ------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says() -> None:
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), status=429, headers={"Retry-After": "7"},
                 json={"errorMessages": ["Rate limit exceeded."]})  # fmt: skip
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True})
        empty_versions(rsps)
        result = make(retry=RetryPolicy(attempts=3, sleep=waits.append)).fetch(None)
    assert waits == [7.0]
    assert result.requests == 3


def test_429_with_an_iso_rate_limit_reset() -> None:
    waits: list[float] = []
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-07-29T12:01Z"}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("PUT", f"{CLOUD}/rest/api/2/issue/BILL-7", status=429, headers=headers)
        rsps.add("PUT", f"{CLOUD}/rest/api/2/issue/BILL-7", status=204)
        make(retry=RetryPolicy(attempts=3, sleep=waits.append)).remove_label("BILL-7", "x")
    assert waits == [60.0]  # the test clock says 12:00


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetriableError), (503, RetriableError), (404, FatalError), (410, FatalError)],
)
def test_errors_are_classed(status: int, error: type[Exception]) -> None:
    attempts = 3 if error is RetriableError else 1
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        for _ in range(attempts):
            rsps.add("GET", search_url(), status=status, json={"errorMessages": ["nope"]})
        with pytest.raises(error) as caught:
            make().fetch(None)
        assert len(rsps.calls) == attempts
    assert str(caught.value) == f"Jira {CLOUD}: GET /rest/api/2/search/jql -> HTTP {status}: nope"


def test_no_credential_in_logs_errors_or_repr(caplog: pytest.LogCaptureFixture) -> None:
    secrets = [TOKEN, base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()]
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        denial = {"errorMessages": ["Client must be authenticated to access this resource."]}
        rsps.add("GET", search_url(), status=401, json=denial)
        for _ in range(3):
            rsps.add("GET", f"{CLOUD}/rest/api/2/issue/BILL-7/comment", status=503)
        connector = make()
        with pytest.raises(FatalError) as denied:
            connector.fetch(None)
        with pytest.raises(RetriableError) as unavailable:
            connector.find_comment("BILL-7", MARKER)
    assert str(denied.value) == (
        f"Jira {CLOUD}: 401: the e-mail and API token were refused; check email and token"
    )
    assert denied.value.__cause__ is None and denied.value.__suppress_context__
    texts = [caplog.text, str(denied.value), str(unavailable.value), repr(connector)]
    assert "failed (Jira" in caplog.text  # the retry warnings were logged
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_validate_label_is_exported_for_the_config_layer() -> None:
    from connectors.jira.connector import validate_label

    assert validate_label("scope-creep") is None
    assert validate_label("needs reply") == (
        "Jira labels cannot contain spaces: 'needs reply' (use 'needs-reply')"
    )


def test_an_unreadable_cursor_means_a_full_sync(caplog: pytest.LogCaptureFixture) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", search_url(), json={"issues": [], "isLast": True}, match=[search_params()])
        empty_versions(rsps)
        with caplog.at_level(logging.WARNING, logger="connectors.jira.connector"):
            result = make().fetch("yesterday")
    assert result.complete
    assert caplog.messages == [f"Jira {CLOUD}: unreadable cursor 'yesterday': doing a full sync"]
