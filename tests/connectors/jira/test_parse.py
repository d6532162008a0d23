"""Jira payloads → records, straight from recorded responses (connectors/jira/parse.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.jira import changelog as jc
from connectors.jira import epics
from connectors.jira import fields as jf
from connectors.jira import milestones as jm
from connectors.jira import parse as jp
from connectors.jira import values as jv
from connectors.model import PUBLIC, Change, Milestone, Visibility
from tests.connectors.jira.support import body
from tests.markers import jira_tag

SAM1 = "specharness/search_jql_SAM1.json"
AGILE = "devlake/agile_board_issues_expand_changelog.json"
CHANGELOGS = "devlake/issue_changelog_api3.json"
MERICO = jf.FieldIds(sprint="customfield_10020")


def agile_issue(key: str) -> dict[str, Any]:
    issues = body(AGILE, 0)["issues"] + body(AGILE, 1)["issues"]
    return next(issue for issue in issues if issue["key"] == key)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- scalars -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-28T18:16:29.633-0300", utc(2026, 7, 28, 21, 16, 29, 633000)),
        ("2020-06-12T00:38:51.882Z", utc(2020, 6, 12, 0, 38, 51, 882000)),
        ("2016-04-28T05:08:48.543-07:00", utc(2016, 4, 28, 12, 8, 48, 543000)),
        ("2021-03-05T16:04:01.164+0800", utc(2021, 3, 5, 8, 4, 1, 164000)),
        (None, None),
        ("", None),
    ],
)
def test_timestamps(text: str | None, expected: datetime | None) -> None:
    assert jv.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-14", date(2026, 8, 14)),
        ("2019-05-31 00:00:00.0", date(2019, 5, 31)),
        (None, None),
        ("", None),
    ],
)
def test_days(text: str | None, expected: date | None) -> None:
    assert jv.parse_day(text) == expected


def test_a_day_that_is_not_iso_is_an_error() -> None:
    with pytest.raises(ValueError, match="not an ISO date: '31/May/19'"):
        jv.parse_day("31/May/19")


# --- issues ------------------------------------------------------------------


def test_cloud_issue_from_the_enhanced_search() -> None:
    raw = body(SAM1)["issues"][0]
    issue, people = jp.issue_from(
        raw, site="https://moliveiracaio.atlassian.net", ids=jf.FieldIds(), mode="version"
    )
    assert issue.key == "SAM1-1"
    assert issue.title == "Implement User Authentication"
    assert issue.url == "https://moliveiracaio.atlassian.net/browse/SAM1-1"
    assert issue.state == "open"
    assert issue.created_at == utc(2026, 7, 28, 21, 16, 29, 633000)
    assert issue.updated_at == utc(2026, 7, 28, 21, 16, 31, 280000)
    assert issue.author == "712020:f1408ca9-67e0-4f72-8639-0c3e7c064d99"
    assert issue.assignees == ()
    assert issue.due_on == date(2026, 8, 14)
    assert issue.priority is None  # team-managed project: no priority field
    assert issue.closed_at is None
    assert people[0].name == "Caio Machado de Oliveira"
    assert people[0].email == "user@example.com"
    assert people[0].kind == "unknown"


def test_a_done_issue_without_resolution_date_closes_at_its_category_change() -> None:
    raw = body(SAM1)["issues"][4]
    issue, _ = jp.issue_from(raw, site="https://x", ids=jf.FieldIds(), mode="version")
    assert (issue.key, issue.state) == ("SAM1-5", "closed")
    assert issue.closed_at == utc(2026, 7, 28, 21, 16, 32, 77000)


def test_server_issue_names_people_by_user_name() -> None:
    raw = body("jira-ruby/issue_10002.GET.json")  # Jira Server 5 (2012): no statusCategory
    issue, _ = jp.issue_from(
        raw, site="http://localhost:2990/jira", ids=jf.FieldIds(), mode="version"
    )
    assert issue.key == "SAMPLEPROJECT-1"
    assert issue.url == "http://localhost:2990/jira/browse/SAMPLEPROJECT-1"
    assert (issue.author, issue.assignees) == ("admin", ("admin",))
    assert (issue.priority, issue.due_on, issue.state) == ("Major", date(2011, 12, 14), "open")


@pytest.mark.parametrize(
    ("mode", "keys"),
    [("sprint", ("sprint:17",)), ("version", ())],
)
def test_milestone_keys_follow_the_configured_kind(
    mode: jm.MilestoneMode, keys: tuple[str, ...]
) -> None:
    issue, _ = jp.issue_from(agile_issue("EE-17"), site="https://x", ids=MERICO, mode=mode)
    assert issue.milestone_keys == keys


def test_fix_versions_become_version_keys() -> None:
    issue, _ = jp.issue_from(agile_issue("EE-1"), site="https://x", ids=MERICO, mode="version")
    assert issue.milestone_keys == ("version:10026",)


def test_story_points_come_from_the_discovered_field() -> None:
    raw = agile_issue("EE-1")
    raw["fields"]["customfield_10016"] = 5.0  # Story point estimate on a team-managed site
    ids = jf.FieldIds(story_points=("customfield_10028", "customfield_10016"))
    issue, _ = jp.issue_from(raw, site="https://x", ids=ids, mode="version")
    assert issue.estimate == 5.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([{"id": 7, "name": "EE Sprint 7"}, {"id": 9}], ["7", "9"]),
        (
            [
                "com.atlassian.greenhopper.service.sprint.Sprint@14b1c359[id=31,rapidViewId=12,"
                "state=CLOSED,name=Sprint 4,goal=,startDate=2019-01-07T10:00:00.000Z]"
            ],
            ["31"],
        ),
        (None, []),
    ],
)
def test_sprint_field_values(value: object, expected: list[str]) -> None:
    assert jf.sprint_ids(value) == expected


# --- custom fields -----------------------------------------------------------


def test_field_discovery_on_a_site_without_sprints() -> None:
    fields = body("specharness/field.json")
    # customfield_10021 is "Flagged" there: found by name, never read as a sprint;
    # customfield_10015 is the Timeline's "Start date" (a date): when an epic starts.
    assert jf.discover_fields(fields) == jf.FieldIds(sprint=None, story_points=(),
                                                     flagged="customfield_10021",
                                                     start=("customfield_10015",))


def test_field_discovery_finds_sprint_by_schema_and_points_by_name() -> None:
    fields = body("specharness/field.json")
    fields += [
        {"id": "customfield_10020", "name": "Sprint", "custom": True,
         "schema": {"type": "array", "items": "json",
                    "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020}},
        {"id": "customfield_10028", "name": "Story Points", "custom": True,
         "schema": {"type": "number",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"}},
        {"id": "customfield_10016", "name": "Story point estimate", "custom": True,
         "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"}},
    ]  # fmt: skip
    ids = jf.discover_fields(fields)
    assert ids == jf.FieldIds("customfield_10020", ("customfield_10028", "customfield_10016"),
                              "customfield_10021", start=("customfield_10015",))
    assert jf.FieldIds.from_json(ids.to_json()) == ids


# --- changelogs --------------------------------------------------------------


def changes(raw: dict[str, Any], mode: jm.MilestoneMode, **kw: Any) -> list[tuple[Any, ...]]:
    statuses = kw.pop("statuses", jc.StatusBook())
    statuses.learn(raw["fields"]["status"])  # as the connector does: 10068 "已完成" is done
    found, _ = jc.changes_from(
        raw["key"], raw["changelog"]["histories"], ids=MERICO, mode=mode, statuses=statuses, **kw
    )
    return [(c.at.isoformat(), c.field, c.before, c.after) for c in found]


def test_sprint_moves_become_leave_and_join() -> None:
    # EE-17 by name: Sprint 7 → 8, 8 → none, none → 8, 8 → 9 (ids 7, 9, 17).
    moves = [c for c in changes(agile_issue("EE-17"), "sprint") if c[1] == "milestone"]
    assert moves == [
        ("2020-06-12T00:29:19.614000+00:00", "milestone", None, "sprint:7"),
        ("2020-06-17T07:26:56.197000+00:00", "milestone", "sprint:7", None),
        ("2020-06-17T07:26:56.197000+00:00", "milestone", None, "sprint:9"),
        ("2020-06-17T07:27:15.198000+00:00", "milestone", "sprint:9", None),
        ("2020-06-17T07:29:43.593000+00:00", "milestone", None, "sprint:9"),
        ("2020-07-10T06:37:06.529000+00:00", "milestone", "sprint:9", None),
        ("2020-07-10T06:37:06.529000+00:00", "milestone", None, "sprint:17"),
    ]


def test_fix_version_moves_match_on_ids() -> None:
    # EE-1: v2.7.0 (10008) removed and "SaaS" (10026, now named v2.7.0) added at once.
    moves = [c for c in changes(agile_issue("EE-1"), "version") if c[1] == "milestone"]
    assert moves == [
        ("2020-07-13T21:35:54.638000+00:00", "milestone", "version:10008", None),
        ("2020-07-13T21:35:54.638000+00:00", "milestone", None, "version:10026"),
    ]


def test_sprint_changes_are_ignored_in_version_mode_and_back() -> None:
    assert not any(
        c[3] and c[3].startswith("sprint:") for c in changes(agile_issue("EE-17"), "version")
    )
    assert not any(
        c[3] and c[3].startswith("version:") for c in changes(agile_issue("EE-17"), "sprint")
    )


def test_sprint_carry_over_lists() -> None:
    values = body(CHANGELOGS, 1)["values"]  # issue 13954, oldest first
    found, _ = jc.changes_from(
        "EE-13954", values, ids=MERICO, mode="sprint", statuses=jc.StatusBook()
    )
    moves = [(c.before, c.after) for c in found if c.field == "milestone"]
    assert moves == [
        (None, "sprint:38"),
        (None, "sprint:40"),
        (None, "sprint:41"),
        (None, "sprint:42"),
        (None, "sprint:43"),
        (None, "sprint:46"),
        (None, "sprint:47"),
        (None, "sprint:50"),
        (None, "sprint:57"),
        (None, "sprint:60"),
        ("sprint:60", None),
    ]
    assert found[-1].actor == "5e9711ba34f7b90c0fbc37d3"


def test_changelog_order_does_not_matter() -> None:
    raw = agile_issue("EE-17")
    newest_first = changes(raw, "sprint")
    raw["changelog"]["histories"].reverse()
    assert changes(raw, "sprint") == newest_first


def test_status_changes_flip_state_by_category() -> None:
    book = jc.StatusBook({"1": "new", "3": "indeterminate", "5": "done", "6": "done"})
    states = [c for c in changes(agile_issue("EE-19"), "version", statuses=book) if c[1] == "state"]
    # Resolved (done) → To Do reopens it; In Development → Resolved closes it again.
    assert states == [
        ("2020-06-12T01:46:30.363000+00:00", "state", "open", "closed"),
        ("2020-06-12T04:58:47.406000+00:00", "state", "closed", "open"),
        ("2020-06-18T08:34:11.171000+00:00", "state", "open", "closed"),
    ]


def test_unknown_statuses_fall_back_to_their_names() -> None:
    states = [c for c in changes(agile_issue("EE-19"), "version") if c[1] == "state"]
    assert [c[2:] for c in states] == [("open", "closed"), ("closed", "open"), ("open", "closed")]


def test_only_changes_since_the_cursor_in_a_delta() -> None:
    found = changes(agile_issue("EE-17"), "sprint", since=utc(2020, 7, 10))
    assert [c[1:] for c in found] == [
        ("milestone", "sprint:9", None),
        ("milestone", None, "sprint:17"),
        ("state", "open", "closed"),
    ]


def test_due_date_changes() -> None:
    # No recording of a duedate item exists (SOURCES.md): built from the spec shape
    # (field/fieldId "duedate"), with both string styles seen on Cloud and Server.
    raw = {
        "key": "BILL-7",
        "changelog": {
            "histories": [
                {"id": "2", "created": "2026-07-20T10:00:00.000-0300",
                 "author": {"accountId": "pm-1", "displayName": "PM"},
                 "items": [{"field": "duedate", "fieldtype": "jira", "fieldId": "duedate",
                            "from": "2026-08-14", "fromString": "2026-08-14 00:00:00.0",
                            "to": "2026-08-21", "toString": "2026-08-21 00:00:00.0"}]},
                {"id": "1", "created": "2026-07-01T09:00:00.000-0300",
                 "author": {"accountId": "pm-1", "displayName": "PM"},
                 "items": [{"field": "duedate", "fieldtype": "jira", "fieldId": "duedate",
                            "from": None, "fromString": None, "to": None,
                            "toString": "2026-08-14 00:00:00.0"}]},
            ]
        },
    }  # fmt: skip
    found, people = jc.changes_from(
        "BILL-7",
        raw["changelog"]["histories"],
        ids=MERICO,
        mode="version",
        statuses=jc.StatusBook(),
    )
    assert found == [
        Change("BILL-7", "due_on", utc(2026, 7, 1, 12), None, "2026-08-14", actor="pm-1"),
        Change("BILL-7", "due_on", utc(2026, 7, 20, 13), "2026-08-14", "2026-08-21", actor="pm-1"),
    ]
    assert people[0].name == "PM"


def test_label_changes_are_set_differences() -> None:
    # The OAS3 example shape: space-separated label sets.
    history = {"id": "9", "created": "2026-07-20T10:00:00.000+0000", "items": [
        {"field": "labels", "fieldtype": "jira", "fieldId": "labels", "from": None,
         "fromString": "label-1 stale", "to": None, "toString": "label-1 label-2"}]}  # fmt: skip
    found, _ = jc.changes_from(
        "BILL-7", [history], ids=MERICO, mode="version", statuses=jc.StatusBook()
    )
    assert [(c.field, c.before, c.after) for c in found] == [
        ("label", "stale", None),
        ("label", None, "label-2"),
    ]


# --- milestones --------------------------------------------------------------


def test_board_sprints() -> None:
    sprints = body("devlake/agile_board_sprints.json")["values"]
    first = jm.sprint_milestone(sprints[0], zone=ZoneInfo("Asia/Shanghai"))
    assert first == Milestone(
        key="sprint:7",
        title="EE Sprint 7",
        kind="sprint",
        state="closed",
        start_on=utc(2020, 6, 12, 0, 38, 51, 882000),
        due_on=date(2020, 6, 26),
        closed_at=utc(2020, 6, 22, 5, 59, 58, 980000),
    )


def test_sprint_end_day_is_the_day_the_team_sees() -> None:
    # 2020-07-10T06:00Z is still 9 July in Los Angeles.
    sprint = body("devlake/agile_board_sprints.json")["values"][1]
    assert jm.sprint_milestone(sprint, zone=ZoneInfo("America/Los_Angeles")).due_on == date(
        2020, 7, 9
    )
    assert jm.sprint_milestone(sprint).due_on == date(2020, 7, 10)


def test_future_sprints_have_no_dates() -> None:
    values = body("go-jira/sprints.json")["values"]
    parsed = {m.key: m for m in (jm.sprint_milestone(v) for v in values)}
    assert parsed["sprint:832"].state == "open" and parsed["sprint:832"].closed_at is None
    assert parsed["sprint:832"].due_on == date(2016, 6, 28)
    future = parsed["sprint:845"]
    assert (future.state, future.start_on, future.due_on, future.closed_at) == (
        "open",
        None,
        None,
        None,
    )
    assert parsed["sprint:740"].closed_at == utc(2016, 4, 28, 12, 8, 48, 543000)


@pytest.mark.parametrize(
    ("changes_", "state", "closed_at"),
    [
        ({}, "open", None),
        ({"released": True}, "closed", utc(2012, 1, 12)),
        ({"archived": True}, "closed", None),
    ],
)
def test_versions(changes_: dict[str, Any], state: str, closed_at: datetime | None) -> None:
    raw = body("jira-ruby/version_10000.GET.json") | changes_
    version = jm.version_milestone(raw)
    assert (version.key, version.title, version.kind) == ("version:10000", "1.0", "version")
    assert (version.due_on, version.start_on) == (date(2012, 1, 12), None)
    assert (version.state, version.closed_at) == (state, closed_at)


def test_version_start_is_midnight_utc() -> None:
    raw = body("jira-ruby/version_10000.GET.json") | {"startDate": "2012-01-02"}
    assert jm.version_milestone(raw).start_on == utc(2012, 1, 2)


# --- comments ----------------------------------------------------------------


def test_v2_comments_are_wiki_strings() -> None:
    raw = body("jira-ruby/issue_10002_comment.GET.json")["comments"][0]
    comment, author = jp.comment_from(raw, "SAMPLEPROJECT-1", me="someone-else")
    assert comment.body_excerpt == "This is a comment. Creative."
    assert (comment.id, comment.author, comment.is_ours) == ("10000", "admin", False)
    assert comment.created_at == utc(2012, 1, 10, 21, 2, 14, 430000)
    assert comment.updated_at == utc(2012, 1, 12, 2, 15, 13, 74000)
    assert author is not None and author.email == "admin@example.com"


def test_v3_adf_comments_become_text() -> None:
    raw = body("airbyte/issue_comments_v3_adf.json")["comments"][0]
    comment, _ = jp.comment_from(raw, "AB-1", me=None)
    assert comment.body_excerpt == "Closed"


def test_adf_keeps_line_structure() -> None:
    doc = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Hi "},
                                          {"type": "mention", "attrs": {"text": "@Ann"}}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]}]}]}  # fmt: skip
    assert jp.body_text(doc) == "Hi @Ann\none"


def test_marker_only_read_in_our_own_comments() -> None:
    raw = body("jira-ruby/issue_10002_comment.GET.json")["comments"][1]
    raw["body"] = "Scope grew.\n" + jira_tag("scope.0123456789abcdef:warning")
    ours, _ = jp.comment_from(raw, "SAMPLEPROJECT-1", me="admin")
    theirs, _ = jp.comment_from(raw, "SAMPLEPROJECT-1", me="forewarn")
    assert (ours.is_ours, ours.marker) == (True, "scope.0123456789abcdef:warning")
    assert (theirs.is_ours, theirs.marker) == (False, None)


def test_excerpt_is_capped() -> None:
    raw = body("jira-ruby/issue_10002_comment.GET.json")["comments"][1]
    raw["body"] = "x" * 2000
    comment, _ = jp.comment_from(raw, "K-1", me=None)
    assert len(comment.body_excerpt) == 500


DOCUMENTED_COMMENTS = "atlassian-docs/issue_comments_role_visibility.json"


def documented_comment(**changes: Any) -> dict[str, Any]:
    """Atlassian's documented comment (restricted to role Administrators), reshaped: the
    variants below use only fields the same Comment schema documents (visibility,
    jsdPublic, properties as {key, value})."""
    raw: dict[str, Any] = body(DOCUMENTED_COMMENTS)["comments"][0]
    raw.update(changes)
    return {key: value for key, value in raw.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, Visibility("role", "Administrators")),  # the documented example as it is
        ({"visibility": {"type": "group", "value": "acme-team", "identifier": "276f955c"}},
         Visibility("group", "acme-team")),
        ({"visibility": None}, PUBLIC),
        ({"visibility": None, "jsdPublic": True}, PUBLIC),
        ({"visibility": None, "jsdPublic": False}, Visibility("internal")),
        ({"visibility": None, "properties": [
            {"key": "sd.public.comment", "value": {"internal": True}}]}, Visibility("internal")),
        ({"visibility": None, "properties": [
            {"key": "sd.public.comment", "value": {"internal": False}}]}, PUBLIC),
        ({"visibility": None, "properties": [{"key": "other", "value": {"internal": True}}]},
         PUBLIC),
        ({"visibility": {"type": "role"}}, PUBLIC),  # no role named: nothing restricts it
    ],
)
def test_comment_visibility(changes: dict[str, Any], expected: Visibility) -> None:
    comment, _ = jp.comment_from(documented_comment(**changes), "KEY-1", me=None)
    assert comment.visibility == expected
    assert comment.is_public is (expected == PUBLIC)
    assert comment.body_excerpt.startswith("Lorem ipsum dolor sit amet")


def test_account_type_is_kept_for_service_management_customers() -> None:
    raw = documented_comment(visibility=None)
    raw["author"] = dict(raw["author"], accountType="customer")
    _, author = jp.comment_from(raw, "KEY-1", me=None)
    assert author is not None
    assert (author.id, author.account_type, author.kind) == (
        "5b10a2844c20165700ede21g", "customer", "unknown")


@pytest.mark.parametrize(
    ("name", "display"),
    [("automation", "Automation for Jira"), ("ci-runner", "CI Runner")],
)
def test_a_data_center_author_is_its_user_name_and_has_no_type(name: str,
                                                                display: str) -> None:
    # jira-ruby's recorded Server comment, its author given the key and time zone a later
    # Server sends (a key that is not the name, as Jira 8.4+ keys new users): forewarn names
    # people by user name there; nothing in the payload says "bot", so the connector says
    # "unknown" and rules/people.py decides (Jira's automation user is a bot by default).
    raw = body("jira-ruby/issue_10002_comment.GET.json")["comments"][0]
    raw["author"] = dict(raw["author"], name=name, key="JIRAUSER10400", displayName=display,
                         timeZone="Europe/Berlin")
    _, author = jp.comment_from(raw, "KEY-1", me=None)
    assert author is not None
    assert (author.id, author.name, author.kind, author.account_type) == (
        name, display, "unknown", None)


# --- JQL, labels -------------------------------------------------------------


def test_full_sync_jql() -> None:
    assert jp.jql_for("BILL", None, zone=UTC) == 'project = "BILL" ORDER BY updated ASC'


def test_delta_jql_is_in_the_account_time_zone() -> None:
    since = utc(2026, 7, 28, 21, 16, 35)
    jql = jp.jql_for("BILL", since, zone=ZoneInfo("America/Sao_Paulo"))
    assert jql == 'project = "BILL" AND updated >= "2026/07/28 18:16" ORDER BY updated ASC'


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("scope-creep", None),
        ("awaiting_reply", None),
        ("scope creep", "Jira labels cannot contain spaces: 'scope creep' (use 'scope-creep')"),
        ("tab\there", "Jira labels cannot contain spaces: 'tab\\there' (use 'tab-here')"),
        ("", "a Jira label cannot be empty"),
        (
            "x" * 256,
            "Jira labels are at most 255 characters: '" + "x" * 40 + "'… has 256",
        ),
    ],
)
def test_validate_label(name: str, problem: str | None) -> None:
    assert jp.validate_label(name) == problem


# --- blockers and flags (risk rule) -------------------------------------------
#: Atlassian's issue linking model (developer.atlassian.com, "Jira issue linking model"):
#: the default "Blocks" type; an ``inwardIssue`` shows on this issue with the inward text.
BLOCKS = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
#: The IssueBean example of the platform REST reference (GET /rest/api/3/search/jql): a
#: "Dependent" link each way, the linked issue with its status (name only).
DEPENDENT = {"id": "10000", "inward": "depends on", "name": "Dependent",
             "outward": "is depended by"}


def linked(key: str, kind: dict[str, str], *, side: str = "inwardIssue",
           category: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": "Open"}
    if category:
        status["statusCategory"] = {"key": category}
    return {"id": "10002", side: {"id": "10004", "key": key, "fields": {"status": status}},
            "type": kind}


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([], ()),
        ([linked("PR-3", BLOCKS)], ("PR-3",)),                          # is blocked by PR-3
        ([linked("PR-2", BLOCKS, side="outwardIssue")], ()),            # blocks PR-2
        ([linked("PR-3", BLOCKS, category="done")], ()),                # its blocker is done
        ([linked("PR-3", BLOCKS, category="indeterminate")], ("PR-3",)),
        ([linked("PR-3", DEPENDENT)], ()),                              # another link type
        ([linked("PR-3", {**BLOCKS, "name": "Blocking"})], ("PR-3",)),  # renamed type
        ([linked("PR-3", BLOCKS), linked("PR-3", BLOCKS)], ("PR-3",)),
        (["junk", {"inwardIssue": None}], ()),
    ],
)
def test_blockers_from_issue_links(links: list[Any], expected: tuple[str, ...]) -> None:
    raw = body(SAM1)["issues"][0]  # recorded with "issuelinks": []; links built from the docs
    raw["fields"]["issuelinks"] = links
    issue, _ = jp.issue_from(raw, site="https://x", ids=jf.FieldIds(), mode="version")
    assert issue.blocked_by == expected


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        (None, False),  # as recorded
        ([{"self": "https://x/rest/api/3/customFieldOption/10019", "value": "Impediment",
           "id": "10019"}], True),
        ([], False),
    ],
)
def test_flagged_comes_from_the_discovered_field(value: Any, flagged: bool) -> None:
    ids = jf.discover_fields(body("specharness/field.json"))
    assert ids.flagged == "customfield_10021"
    raw = body(SAM1)["issues"][0]
    raw["fields"]["customfield_10021"] = value
    issue, _ = jp.issue_from(raw, site="https://x", ids=ids, mode="version")
    assert issue.flagged is flagged
    assert "customfield_10021" in jf.search_fields(ids, "version")
    assert "issuelinks" in jf.search_fields(ids, "version")


def test_status_category_and_the_agile_flag() -> None:
    issue, _ = jp.issue_from(agile_issue("EE-1"), site="https://x", ids=MERICO, mode="version")
    assert issue.flagged is False  # the agile API's own "flagged": false
    raw = agile_issue("EE-1")
    raw["fields"]["flagged"] = True
    flagged, _ = jp.issue_from(raw, site="https://x", ids=MERICO, mode="version")
    assert flagged.flagged is True
    sam, _ = jp.issue_from(body(SAM1)["issues"][0], site="https://x", ids=jf.FieldIds(),
                           mode="version")
    assert sam.status_category in ("new", "indeterminate")
    server, _ = jp.issue_from(body("jira-ruby/issue_10002.GET.json"), site="https://x",
                              ids=jf.FieldIds(), mode="version")
    assert server.status_category is None  # Jira Server 5: no status category


# --- epics, named fields (connectors/jira/epics.py, fields.py) ----------------------------

#: DevLake's site: Epic Link is customfield_10014, "Start date" 10015, "End date" 10060.
MERICO_EPICS = jf.FieldIds(sprint="customfield_10020", epic_link="customfield_10014",
                           start=("customfield_10015",))
SAM1_EPICS = jf.FieldIds(start=("customfield_10015",))


def sam1_issue(key: str) -> dict[str, Any]:
    return next(issue for issue in body(SAM1)["issues"] if issue["key"] == key)


@pytest.mark.parametrize(
    ("key", "milestone_keys", "due_on"),
    [
        ("SAM1-6", ("epic:SAM1-1",), date(2026, 8, 7)),   # a task whose parent is an epic
        ("SAM1-8", ("epic:SAM1-2",), date(2026, 8, 18)),
        ("SAM1-1", (), None),                              # the epic: not its own member,
    ],                                                     # its due date is the milestone's
)
def test_cloud_children_belong_to_their_parent_epic(
        key: str, milestone_keys: tuple[str, ...], due_on: date | None) -> None:
    issue, _ = jp.issue_from(sam1_issue(key), site="https://x", ids=SAM1_EPICS, mode="epic")
    assert (issue.milestone_keys, issue.due_on) == (milestone_keys, due_on)


def test_an_epic_is_a_milestone_due_on_its_due_date() -> None:
    # SAM1-1 and SAM1-5 are real Cloud epics (hierarchyLevel 1); SAM1-5 is done.
    todo, done = (sam1_issue("SAM1-1"), sam1_issue("SAM1-5"))
    assert jf.FieldIds().due == "duedate"
    assert epics.is_epic(todo["fields"]["issuetype"])
    assert not epics.is_epic(sam1_issue("SAM1-6")["fields"]["issuetype"])
    assert epics.epic_milestone("SAM1-1", todo["fields"], SAM1_EPICS) == Milestone(
        key="epic:SAM1-1", title="Implement User Authentication", kind="epic", state="open",
        created_at=utc(2026, 7, 28, 21, 16, 29, 633000), start_on=None,
        due_on=date(2026, 8, 14), closed_at=None)
    closed = epics.epic_milestone("SAM1-5", done["fields"], SAM1_EPICS)
    assert (closed.state, closed.due_on, closed.closed_at is not None) == \
        ("closed", date(2026, 8, 16), True)


@pytest.mark.parametrize(
    ("key", "ids", "expected"),
    [
        ("K5-2", MERICO_EPICS, ("epic:K5-1",)),  # parent (its type: Epic) and Epic Link
        ("K5-2", jf.FieldIds(), ("epic:K5-1",)),  # the parent alone says it
        ("EE-25", MERICO_EPICS, ()),              # a sub-task's parent is a story, not an epic
    ],
)
def test_company_managed_members_by_parent_or_epic_link(
        key: str, ids: jf.FieldIds, expected: tuple[str, ...]) -> None:
    issue, _ = jp.issue_from(agile_issue(key), site="https://x", ids=ids, mode="epic")
    assert issue.milestone_keys == expected


def test_an_epic_link_without_parent_names_the_epic() -> None:
    # Data Center sends no parent for an epic's child: only the Epic Link (its key). K5-2's
    # recorded Epic Link value, with the parent removed from the copy.
    raw = agile_issue("K5-2")
    del raw["fields"]["parent"]
    issue, _ = jp.issue_from(raw, site="https://x", ids=MERICO_EPICS, mode=("sprint", "epic"))
    assert issue.milestone_keys[-1] == "epic:K5-1"


def epic_changes(key: str, ids: jf.FieldIds = MERICO_EPICS, **kw: Any) -> list[tuple[Any, ...]]:
    raw = agile_issue(key)
    found, _ = jc.changes_from(key, raw["changelog"]["histories"], ids=ids, mode="epic",
                               statuses=jc.StatusBook(), **kw)
    return [(c.issue_key, c.at.isoformat(), c.field, c.before, c.after) for c in found
            if c.field == "milestone"]


def test_joining_an_epic_is_a_milestone_change() -> None:
    # Real items: EE-14's Epic Link to EE-13 (to: the id 10075, toString: the key); K5-2's
    # Epic Link and IssueParentAssociation 22 ms apart, one move recorded twice: one join.
    assert epic_changes("EE-14") == [
        ("EE-14", "2020-06-12T00:25:01.674000+00:00", "milestone", None, "epic:EE-13")]
    assert epic_changes("K5-2") == [
        ("K5-2", "2022-07-15T22:30:23.321000+00:00", "milestone", None, "epic:K5-1")]


def test_a_sub_task_parent_names_no_epic_that_exists() -> None:
    # EE-25's "Parent" item names EE-1, a story: the change names epic:EE-1, which no
    # milestone has (only epics are milestones), so it moves nothing.
    assert [c[2:] for c in epic_changes("EE-25")] == [("milestone", None, "epic:EE-1")]


def test_a_custom_due_field_is_read_and_its_changes_are_due_date_changes() -> None:
    # EE-14's real "End date" (customfield_10060: value "2020-06-12"; its changelog item
    # from None to "2020-06-12", toString "12/Jun/20"), named as the project's due_field.
    ids = jf.FieldIds(sprint="customfield_10020", due="customfield_10060")
    issue, _ = jp.issue_from(agile_issue("EE-14"), site="https://x", ids=ids, mode="sprint")
    assert issue.due_on == date(2020, 6, 12)
    found, _ = jc.changes_from("EE-14", agile_issue("EE-14")["changelog"]["histories"],
                               ids=ids, mode="sprint", statuses=jc.StatusBook())
    assert [(c.field, c.before, c.after) for c in found if c.field == "due_on"] == [
        ("due_on", None, "2020-06-12")]
    # The same change on an epic is its milestone's: a moved promise, not an issue's.
    epic, _ = jc.changes_from("EE-14", agile_issue("EE-14")["changelog"]["histories"],
                              ids=ids, mode="epic", statuses=jc.StatusBook(),
                              epic="epic:EE-14")
    assert [c.issue_key for c in epic if c.field == "due_on"] == ["epic:EE-14"]


@pytest.mark.parametrize(
    ("due", "estimate", "found", "missing"),
    [
        (None, None, ("duedate", ()), ()),
        ("Due date", None, ("duedate", ()), ()),
        ("start DATE", "Time Spent", ("customfield_10015", ("timespent",)), ()),  # any case
        ("customfield_10015", None, ("customfield_10015", ()), ()),               # or its id
        ("Target end", "Story Points", ("duedate", ()), (
            'due_field: no field named "Target end" on this site',
            'estimate_field: no field named "Story Points" on this site')),
        ("Summary", "Labels", ("duedate", ()), (
            'due_field: "Summary" (summary) holds a string, not a date or datetime',
            'estimate_field: "Labels" (labels) holds a array, not a number')),
    ],
)
def test_named_fields_are_found_by_name_and_type(
        due: str | None, estimate: str | None, found: tuple[str, tuple[str, ...]],
        missing: tuple[str, ...]) -> None:
    ids = jf.discover_fields(body("specharness/field.json"), due=due, estimate=estimate)
    assert (ids.due, ids.story_points) == found
    assert ids.missing == missing
    assert ids.wanted == (due, estimate)
    assert jf.FieldIds.from_json(ids.to_json()) == ids
