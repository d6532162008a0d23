"""Checks of ``team``, ``clients``, ``bots``, ``alerts``, ``backfill`` that need the tracker.

GitHub has no restricted comments, no project roles or groups and no service
desk customers; on Jira, ``clients: external`` means *outside the team's roles
or groups* and so needs a team that names one; Jira Service Management
customers are recognisable on Cloud only (``accountType: customer``). Like
``config/references.py``, these work on plain data and skip values of the wrong
type (the models report those), each problem at the key it is about.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from config.trackers import jira_is_cloud

#: (keys below the project, message)
Problem = tuple[tuple[str, ...], str]


def _names_membership(value: Any) -> bool:
    """Whether a ``team``/``clients`` value names a Jira role or group."""
    items = value if isinstance(value, list | tuple) else [value]
    return any(isinstance(item, Mapping) and ({"role", "group"} & set(item)) for item in items)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def audience_problems(project: Mapping[str, Any], kind: Any,
                      tracker: Mapping[str, Any]) -> Iterator[Problem]:
    """Every audience setting the project's tracker cannot honour, and what to write."""
    if kind == "github":
        yield from _github(project)
    elif kind == "jira":
        yield from _jira(project, tracker)
    yield from _backfill(project)


def _github(project: Mapping[str, Any]) -> Iterator[Problem]:
    alerts = _mapping(project.get("alerts"))
    if alerts.get("to") == "internal":
        yield ("alerts", "to"), ("alerts.to: internal needs Jira: GitHub has no restricted "
                                 "comments (use to: digest with an issue in a private "
                                 "repository)")
    if alerts.get("visible_to") is not None:
        yield ("alerts", "visible_to"), "visible_to needs Jira: GitHub has no restricted comments"
    issue = alerts.get("issue")
    if isinstance(issue, str) and "#" not in issue and not issue.isdigit():
        yield ("alerts", "issue"), ("alerts.issue is a GitHub issue here: a number, or "
                                    "owner/repo#N in another repository")
    for key, keyword in (("team", "members"), ("clients", "external")):
        if _names_membership(project.get(key)):
            yield (key,), (f"project roles and groups are Jira's: on GitHub write {key}: "
                           f"{keyword}, or logins")
    if _names_membership(project.get("bots")):
        yield ("bots",), ("project roles and groups are Jira's: on GitHub list bots by login "
                          "(GitHub marks apps itself: type Bot, logins ending in [bot])")
    if project.get("clients") == "customers":
        yield ("clients",), ("customers are Jira Service Management's: on GitHub write "
                             "clients: external, or logins")


def _jira(project: Mapping[str, Any], tracker: Mapping[str, Any]) -> Iterator[Problem]:
    clients = project.get("clients")
    if clients == "external" and not _names_membership(project.get("team")):
        yield ("clients",), ("on Jira, external means not in the team's roles or groups: give "
                             "team: {role: NAME} or {group: NAME}")
    url = tracker.get("url")
    if clients == "customers" and isinstance(url, str) \
            and not jira_is_cloud(url, str(tracker.get("deployment") or "auto")):
        yield ("clients",), ("customers needs Jira Cloud, where a service desk customer is an "
                             "account of type customer; on Data Center name them by "
                             "{group: NAME} or e-mail")
    issue = _mapping(project.get("alerts")).get("issue")
    if isinstance(issue, str) and "#" in issue:
        yield ("alerts", "issue"), "alerts.issue is a Jira issue here, like ACME-1"


def _backfill(project: Mapping[str, Any]) -> Iterator[Problem]:
    """``backfill: digest``, written out, needs a team issue to hold the digest."""
    alerts = _mapping(project.get("alerts"))
    if project.get("backfill") != "digest" or alerts.get("to") == "digest":
        return
    if alerts.get("issue") is None and project.get("status_issue") is None:
        yield ("backfill",), ("backfill: digest lists what the first cycle finds on a team "
                              "issue: set alerts.issue (or status_issue), or write backfill: "
                              "comment")
