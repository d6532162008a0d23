"""The recorded Jira payloads the fake site copies its answers from (tests/fixtures/jira/).

Each helper returns a fresh copy: the fake reshapes what it serves.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from tests.connectors.jira.support import interactions
from tests.fakes.http import Json

SEARCH = "specharness/search_jql_SAM1.json"
AGILE = "devlake/agile_board_issues_expand_changelog.json"


@functools.cache
def _recorded(name: str, index: int) -> str:
    return json.dumps(interactions(name)[index]["response"]["body"])


def recorded(name: str, index: int = 0) -> Any:
    """A fresh copy of one recorded response body."""
    return json.loads(_recorded(name, index))


@functools.cache
def _sam1_text(key: str) -> str:
    return json.dumps(next(i for i in recorded(SEARCH)["issues"] if i["key"] == key))


def sam1(key: str) -> Json:
    """A fresh copy of one issue of the recorded Cloud enhanced search."""
    found: Json = json.loads(_sam1_text(key))
    return found


@functools.cache
def _agile_text(key: str) -> str:
    for page in (recorded(AGILE, 0), recorded(AGILE, 1)):
        for issue in page["issues"]:
            if issue["key"] == key:
                return json.dumps(issue)
    raise LookupError(key)


def agile_issue(key: str) -> Json:
    """A fresh copy of one recorded agile issue bean (DevLake)."""
    found: Json = json.loads(_agile_text(key))
    return found


def history_item(field: str) -> Json:
    """A recorded changelog item of EE-1 (DevLake), by field name."""
    for history in agile_issue("EE-1")["changelog"]["histories"]:
        for item in history["items"]:
            if item["field"] == field:
                found: Json = item
                return found
    raise LookupError(field)


def recorded_item(key: str, field: str) -> Json:
    """A recorded changelog item of a DevLake issue, by field name."""
    for history in agile_issue(key)["changelog"]["histories"]:
        for item in history["items"]:
            if item["field"] == field:
                found: Json = item
                return found
    raise LookupError(field)
