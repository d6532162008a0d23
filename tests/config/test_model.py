"""The models on their own: calendars, schedules, durations, trackers, which rules apply."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from config import Calendar, Config, GitHubTracker, JiraTracker, Project, Summary
from config.model import redact_url
from config.pydantic_errors import describe_error
from config.references import reference_problems
from rules.calendar import BusinessCalendar
from tests.config.conftest import Load, Problems


def _error(model: type[Any], **values: Any) -> str:
    """The one error message a model gives for ``values``, as the loader would print it."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(values)
    (error,) = caught.value.errors()
    return describe_error(error)


# ---------------------------------------------------------------------------- calendars


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timezone": "Asia/Shanghia"},
         'unknown time zone "Asia/Shanghia" (did you mean "Asia/Shanghai"?)'),
        ({"timezone": "Mars/Olympus"}, 'unknown time zone "Mars/Olympus"'),
        ({"timezone": "../etc/passwd"}, 'unknown time zone "../etc/passwd"'),
        ({"holidays": "XX"}, 'no public holidays known for country "XX" '
                             "(use a code the holidays package supports, like CN, US, DE)"),
        ({"holidays": "US", "subdiv": "ZZ"}, 'unknown subdivision "ZZ" of US (one of: AK, AL, '
                                             "AR, AS, AZ, CA, CO, CT, DC, DE, FL, GA, …)"),
        ({"subdiv": "CA"}, "subdiv needs holidays (the country it belongs to)"),
        ({"hours": "18:00-09:00"}, 'working hours end before they start: "18:00-09:00"'),
        ({"hours": "09:00"}, 'not working hours: "09:00" (write 09:00-18:00)'),
        ({"hours": "9am-6pm"}, 'not a time of day: "9am" (write HH:MM, like 09:00)'),
        ({"hours": "09:00-25:00"}, 'not a time of day: "25:00" (write HH:MM, like 09:00)'),
        ({"workdays": ["mon", "funday"]}, 'not a weekday: "funday" '
                                          "(use mon, tue, wed, thu, fri, sat, sun)"),
        ({"workdays": ["mon", "monday"]}, '"mon" is listed twice'),
        ({"workdays": []}, "at least one working day is needed"),
        ({"extra_holidays": ["next friday"]}, 'expected a date like 2025-10-01, got "next friday"'),
    ],
)
def test_calendar_problems(values: dict[str, Any], message: str) -> None:
    assert _error(Calendar, **values) == message


def test_calendar_defaults_are_utc_office_hours() -> None:
    calendar = Calendar()
    assert (calendar.timezone, calendar.weekday_numbers) == ("UTC", (0, 1, 2, 3, 4))
    assert (calendar.start, calendar.end, calendar.holidays) == (time(9), time(18), None)


def test_calendar_normalises_what_it_accepts() -> None:
    calendar = Calendar.model_validate(
        {"workdays": ["Sunday", "mon"], "hours": "8:30-24:00", "holidays": "cn",
         "extra_holidays": ["2026-12-24"]}
    )
    assert calendar.workdays == ("sun", "mon")
    assert calendar.weekday_numbers == (6, 0)
    assert (calendar.hours, calendar.start, calendar.end) == ("08:30-24:00", time(8, 30), time(0))
    assert calendar.holidays == "CN"
    assert calendar.extra_holidays == (date(2026, 12, 24),)


def test_calendar_builds_the_business_calendar() -> None:
    calendar = Calendar(
        timezone="Asia/Shanghai", workdays=("mon", "tue"), hours="10:00-16:00",
        holidays="CN", extra_holidays=(date(2026, 12, 24),),
    )
    business = calendar.business_calendar()
    assert isinstance(business, BusinessCalendar)
    assert (business.timezone, business.workdays) == ("Asia/Shanghai", frozenset({0, 1}))
    assert (business.start, business.end, business.holidays) == (time(10), time(16), "CN")
    assert business.extra_holidays == frozenset({date(2026, 12, 24)})
    assert not business.is_business_day(date(2026, 10, 1))  # National Day


# ---------------------------------------------------------------------------- summary


@pytest.mark.parametrize(
    ("every", "normal", "weekday", "at"),
    [
        ("monday 09:00", "monday 09:00", 0, time(9)),
        ("Fri 17:30", "friday 17:30", 4, time(17, 30)),
        ("sunday  7:05", "sunday 07:05", 6, time(7, 5)),
        ("daily 08:00", "daily 08:00", None, time(8)),
        ("day 08:00", "daily 08:00", None, time(8)),
        ("08:00", "daily 08:00", None, time(8)),
    ],
)
def test_summary_schedule(every: str, normal: str, weekday: int | None, at: time) -> None:
    summary = Summary(every=every)
    assert (summary.every, summary.weekday, summary.at) == (normal, weekday, at)


@pytest.mark.parametrize(
    ("every", "message"),
    [
        (every, f'not a schedule: "{every}" (a weekday or daily, then HH:MM: monday 09:00)')
        for every in ("mondays 09:00", "monday 9am", "monday", "weekly 09:00", "")
    ]
    + [("monday 24:00", 'not a time of day: "24:00" (write HH:MM, like 09:00)')],
)
def test_summary_schedule_problems(every: str, message: str) -> None:
    assert _error(Summary, every=every) == message


# ---------------------------------------------------------------------------- durations, percents

PROJECT = {"name": "p", "tracker": "gh"}


@pytest.mark.parametrize(
    ("every", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("90s", timedelta(seconds=90)),
        (" 1.5h ", timedelta(minutes=90)),
    ],
)
def test_durations(every: str, expected: timedelta) -> None:
    assert Project.model_validate({**PROJECT, "every": every}).every == expected


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("15 minutes", "not a duration: '15 minutes' (use a number and a unit: 30m, 16h, 3d, 1w)"),
        (15, "a duration needs a unit: write 15h or 15d"),
        (True, "a duration like 16h, 3d or 90m"),
        ("30s", "a cycle needs at least 1m between runs"),
    ],
)
def test_duration_problems(every: object, message: str) -> None:
    assert _error(Project, **PROJECT, every=every) == message


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [("10%", 0.1), ("2.5%", 0.025), (0.1, 0.1), ("0.25", 0.25), (0, 0.0), ("150%", 1.5)],
)
def test_percentages(load: Load, threshold: object, expected: float) -> None:
    text = f"version: 1\nrules:\n  - {{id: s, kind: scope_creep, threshold: {threshold!r}}}\n"
    (rule,) = load(text.replace("'", '"')).rules
    assert rule.threshold == pytest.approx(expected)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("ten", "not a percentage: 'ten' (write 10% or 0.1)"),
        ("10", "ambiguous percentage 10: write 10% or 0.1"),
        ('"10"', "ambiguous percentage '10': write 10% or 0.1"),
        ("-5%", "percentage out of range: '-5%'"),
        ("true", "a percentage like 10% or a fraction like 0.1"),
    ],
)
def test_percentage_problems(problems: Problems, threshold: str, message: str) -> None:
    text = f'version: 1\nrules:\n  - {{id: s, kind: scope_creep, threshold: {threshold}}}\n'
    assert problems(text) == [f"forewarn.yaml:3:43: rules[0].threshold: {message}"]


# ---------------------------------------------------------------------------- projects


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"status_issue": 7}, "status_issue", 7),
        ({"status_issue": "#7"}, "status_issue", 7),
        ({"status_issue": "BILL-1"}, "status_issue", "BILL-1"),
        ({"clients": "external"}, "clients", "external"),
        ({"clients": "*@client.example"}, "clients", ("*@client.example",)),
        ({"clients": ["bob", "*@client.example"]}, "clients", ("bob", "*@client.example")),
        ({"team": "members"}, "team", "members"),
        ({"team": ["alice"]}, "team", ("alice",)),
        ({"bots": "renovate[bot]"}, "bots", ("renovate[bot]",)),
        ({"notify": ["alice", "bob"]}, "notify", ("alice", "bob")),
        ({"milestones": ["sprint", "version"]}, "milestones", ("sprint", "version")),
        ({"milestones": "sprint"}, "milestones", "sprint"),
        ({"boards": [12, 15]}, "board_ids", (12, 15)),
        ({"board": 12}, "board_ids", (12,)),  # the one-board spelling of boards: [12]
        ({}, "board_ids", ()),  # every board of the project
    ],
)
def test_project_values(values: dict[str, Any], field: str, expected: object) -> None:
    assert getattr(Project.model_validate({**PROJECT, **values}), field) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status_issue": 0}, "not an issue: 0 (a Jira key like ACME-1, a GitHub issue like "
                              "acme/portal-internal#1, or a number in the project's own "
                              "repository)"),
        ({"status_issue": "bill-1"}, "not an issue: 'bill-1' (a Jira key like ACME-1, a GitHub "
                                     "issue like acme/portal-internal#1, or a number in the "
                                     "project's own repository)"),
        ({"clients": [1, 2]}, 'use "external" or "customers", or a list of logins, emails, '
                              'account ids, globs like "*@client.example", {role: NAME} or '
                              "{group: NAME}"),
        ({"team": [{"rol": "Developers"}]}, "not a role or group: {rol: Developers} "
                                            "(write {role: NAME} or {group: NAME})"),
        ({"team": {"role": "Developers", "group": "acme"}},
         "not a role or group: {role: Developers, group: acme} "
         "(write {role: NAME} or {group: NAME})"),
        ({"alerts": {"to": "digest"}}, "to: digest needs issue: the team issue that holds the "
                                       "digest (like ACME-1 or acme/portal-internal#1)"),
        ({"alerts": {"visible_to": {"role": "Developers"}}},
         "visible_to restricts internal or digest alerts; alerts on the issue (to: issue) are "
         "public"),
        ({"alerts": {"to": "digest", "issue": "acme"}},
         "not an issue: 'acme' (a Jira key like ACME-1, a GitHub issue like "
         "acme/portal-internal#1, or a number in the project's own repository)"),
        ({"backfill": "all"}, '"all" is not one of: digest, comment'),
        ({"repo": "acme"}, 'not a repository: "acme" (write owner/name)'),
        ({"jira_project": "bill"}, 'not a Jira project key: "bill" (uppercase, like BILL)'),
        ({"write_budget": -1}, "should be greater than or equal to 0"),
        ({"board": 0}, "should be greater than 0"),
        ({"milestones": "epics"}, '"epics" is not a kind of milestone: write milestone, '
                                  "sprint, version or epic, or several, like [sprint, version]"),
        ({"milestones": ["sprint", "sprint"]},
         "list each kind of milestone once (sprint is there twice)"),
        ({"boards": []}, "list each board once, like [12, 15] (leave boards out for every "
                         "board)"),
        ({"board": 12, "boards": [15]}, "give boards: [...] or board, not both"),
        # notify: mentioned as written, so nothing in it may end a mention or start markup.
        *(({"notify": ["alice", bad]}, f'not a login or account id: "{bad}" (letters, digits '
           "and . _ - : @ /, starting with a letter or digit)")
          for bad in ("[~evil]", "@alice", "two words", "a|b", "x*", "<b>", "", "-x", "é")),
        ({"cycle_deadline": "5s"}, "a cycle needs at least 10s to write"),
        ({"every": "15m", "cycle_deadline": "20m"},
         "the deadline (20m) must come before the next cycle is due (every 15m)"),
    ],
)
def test_project_problems(values: dict[str, Any], message: str) -> None:
    assert _error(Project, **PROJECT, **values) == message


@pytest.mark.parametrize(("values", "deadline"), [
    ({}, timedelta(minutes=12)),
    ({"every": "1h"}, timedelta(minutes=48)),
    ({"cycle_deadline": "5m"}, timedelta(minutes=5)),
    ({"every": "1h", "cycle_deadline": "1h"}, timedelta(hours=1)),
])
def test_a_cycle_writes_until_its_deadline(values: dict[str, Any], deadline: timedelta) -> None:
    assert Project.model_validate({**PROJECT, **values}).deadline == deadline


@pytest.mark.parametrize("person", ["alice", "acme/pm-team", "557058:f58131cb-b67d-43c7-b30d",
                                    "j.smith", "pm@acme.example", "5b10ac8d82e05b22cc7d4ef5"])
def test_notify_takes_logins_teams_and_account_ids(person: str) -> None:
    assert Project.model_validate({**PROJECT, "notify": person}).notify == (person,)


def test_a_rules_notify_is_checked_where_it_stands(problems: Problems) -> None:
    text = ("version: 1\nrules:\n  - {id: s, kind: scope_creep, notify: [ok, \"[~x]\"]}\n")
    assert problems(text) == [
        'forewarn.yaml:3:45: rule "s": not a login or account id: "[~x]" (letters, digits and '
        ". _ - : @ /, starting with a letter or digit)"]


# ---------------------------------------------------------------------------- trackers


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"token": "t", "app_id": 1, "private_key": "k"},
         "use either token or a GitHub App (app_id, private_key), not both"),
        ({"private_key": "k"}, "a GitHub App needs app_id"),
        ({"app_id": 1}, "a GitHub App needs one of private_key or private_key_path"),
        ({"app_id": 1, "private_key": "k", "private_key_path": "k.pem"},
         "a GitHub App needs one of private_key or private_key_path"),
        ({"base_url": "ghe.example"}, 'not a URL: "ghe.example" (like https://github.example.com/api/v3)'),
    ],
)
def test_github_tracker_problems(values: dict[str, Any], message: str) -> None:
    assert _error(GitHubTracker, kind="github", **values) == message


def test_github_tracker_auth() -> None:
    app = GitHubTracker(kind="github", app_id=5, private_key="-----BEGIN-----")
    assert app.uses_app
    numeric = GitHubTracker.model_validate({"kind": "github", "token": 12345})
    assert numeric.token is not None
    assert numeric.token.get_secret_value() == "12345"
    assert not numeric.uses_app
    ghe = GitHubTracker.model_validate({"kind": "github", "base_url": "https://ghe.example/api/v3/"})
    assert ghe.base_url == "https://ghe.example/api/v3"


@pytest.mark.parametrize(
    ("values", "cloud"),
    [
        ({"url": "https://acme.atlassian.net/", "email": "pm@acme.com"}, True),
        ({"url": "https://jira.acme.internal"}, False),
        ({"url": "https://jira.acme.internal", "deployment": "cloud", "email": "a@b"}, True),
        ({"url": "https://acme.atlassian.net", "deployment": "server"}, False),
    ],
)
def test_jira_deployment(values: dict[str, Any], cloud: bool) -> None:
    assert JiraTracker.model_validate({"kind": "jira", **values}).is_cloud is cloud


def test_jira_cloud_needs_an_email() -> None:
    message = _error(JiraTracker, kind="jira", url="https://acme.atlassian.net")
    assert message == "Jira Cloud needs email (the account the API token belongs to)"


# ---------------------------------------------------------------------------- the whole config

CONFIG: dict[str, Any] = {
    "version": 1,
    "trackers": {"gh": {"kind": "github", "token": "t"}, "j": {"kind": "jira", "url": "https://j.example"}},
    "projects": [
        {"name": "portal", "tracker": "gh", "repo": "acme/portal", "rules": ["scope", "feedback"]},
        {"name": "billing", "tracker": "j", "jira_project": "BILL", "language": "zh-CN",
         "summary": {"every": "friday 16:00"}},
    ],
    "rules": [
        {"id": "scope", "kind": "scope_creep"},
        {"id": "slip", "kind": "schedule_slip", "projects": ["billing"]},
        {"id": "feedback", "kind": "unanswered_feedback"},
        {"id": "off", "kind": "scope_creep", "enabled": False},
    ],
    "summary": {"language": "en"},
}


def test_which_rules_apply() -> None:
    config = Config.model_validate(CONFIG)
    portal, billing = config.projects
    assert [rule.id for rule in config.rules_for(portal)] == ["scope", "feedback"]
    assert [rule.id for rule in config.rules_for(billing)] == ["scope", "slip", "feedback"]


def test_per_project_defaults() -> None:
    config = Config.model_validate(CONFIG)
    portal, billing = config.projects
    assert config.project("billing") is billing
    assert (config.language_for(portal), config.language_for(billing)) == ("en", "zh-CN")
    assert config.summary_for(portal) is config.summary
    assert config.summary_for(billing).weekday == 4
    assert config.milestones_for(portal) == ("milestone",)
    assert config.milestones_for(billing) == ("version",)
    assert config.calendar_for(portal) == Calendar()
    with pytest.raises(KeyError, match='no project named "portl" \\(did you mean "portal"\\?\\)'):
        config.project("portl")


def test_a_config_built_in_code_is_checked_too() -> None:
    broken = {**CONFIG, "projects": [{"name": "portal", "tracker": "gh2", "repo": "a/b"}]}
    with pytest.raises(ValidationError, match='project "portal": no tracker named "gh2"'):
        Config.model_validate(broken)


def test_reference_problems_skip_what_the_models_report() -> None:
    data = {"trackers": 5, "projects": [None, {"name": 3, "tracker": ["x"]}], "rules": "no"}
    assert reference_problems(data) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://forewarn:s3cret@db:5432/fw", "postgresql+psycopg://forewarn:***@db:5432/fw"),
        ("sqlite:///forewarn.db", "sqlite:///forewarn.db"),
        ("postgresql://db/fw", "postgresql://db/fw"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
