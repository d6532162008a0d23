"""GitHub Projects payloads -> fields, iterations and items, on GitHub's documented examples.

The payloads are tests/fixtures/github/github-docs/projectsV2.json (SOURCES.md there):
the field list, an item and a draft of the REST reference; the iteration, date and
number values follow the reference's schemas.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from connectors.errors import RecordSkipped
from connectors.github.project_parse import Iteration, issue_of, parse_fields, parse_item
from tests.connectors.github.support import github_exchange

DOCS = "github-docs/projectsV2"


def body(index: int) -> Any:
    return github_exchange(DOCS, index)["response"]["body"]


def test_fields_by_name_with_iterations_and_options() -> None:
    fields = parse_fields(body(0))
    assert {name: (f.id, f.data_type) for name, f in fields.items()} == {
        "priority": (12345, "single_select"), "status": (67891, "single_select"),
        "team notes": (24680, "text"), "story points": (13579, "number"),
        "due date": (98765, "date"), "sprint": (11223, "iteration"),
    }  # fmt: skip
    assert fields["sprint"].iterations == (
        Iteration("iter_1", "Sprint 1", date(2022, 7, 1), 14),
        Iteration("iter_2", "Sprint 2", date(2022, 7, 15), 14),
    )
    assert [it.end for it in fields["sprint"].iterations] == [date(2022, 7, 14),
                                                              date(2022, 7, 28)]
    assert fields["status"].options == (("option_4", "Todo"), ("option_5", "In Progress"),
                                        ("option_6", "Done"))
    assert fields["sprint"].updated_at == datetime(2022, 6, 20, 16, 45, tzinfo=UTC)


def test_a_field_without_id_or_name_is_left_out() -> None:
    broken = [{"name": "Sprint", "data_type": "iteration"}, {"id": 3, "data_type": "date"}]
    assert parse_fields([*broken, *body(0)]).keys() == parse_fields(body(0)).keys()


def test_the_documented_item_a_pull_request_with_its_status() -> None:
    item = parse_item(body(1)[0], group=3, due=None, estimate=None)
    assert (item.id, item.repo, item.number, item.pull_request) == (
        13, "github/Hello-World", 6, True)
    assert item.creator == "monalisa"
    assert item.created_at == datetime(2025, 8, 1, 18, 44, 51, tzinfo=UTC)
    assert item.updated_at == datetime(2025, 8, 6, 19, 25, 18, tzinfo=UTC)
    assert item.group == "98236657"  # the single select's option


def test_the_documented_draft_has_no_issue() -> None:
    item = parse_item(body(2)["value"], group=11223, due=None, estimate=None)
    assert (item.repo, item.number, item.title, item.creator) == (
        None, None, "Example Draft Issue", "octocat")
    assert item.group is None


ITERATION = {"id": "iter_2", "title": {"html": "Sprint 2", "raw": "Sprint 2"},
             "start_date": "2022-07-15", "duration": 14}


@pytest.mark.parametrize(("entry", "read"), [
    ({"id": 11223, "name": "Sprint", "data_type": "iteration", "value": ITERATION},
     {"group": "iter_2"}),
    ({"id": 98765, "name": "Due date", "data_type": "date", "value": "2022-07-20"},
     {"due": date(2022, 7, 20)}),
    ({"id": 13579, "name": "Story points", "data_type": "number", "value": 5},
     {"estimate": 5.0}),
    ({"id": 13579, "name": "Story points", "data_type": "number", "value": 2.5},
     {"estimate": 2.5}),
    ({"id": 98765, "name": "Due date", "data_type": "date", "value": None}, {"due": None}),
    ({"id": 13579, "name": "Story points", "data_type": "number", "value": "5"},
     {"estimate": None}),
])
def test_iteration_date_and_number_values(entry: dict[str, Any], read: dict[str, Any]) -> None:
    raw = body(1)[0]
    raw["fields"].append(entry)
    item = parse_item(raw, group=11223, due=98765, estimate=13579)
    assert {key: getattr(item, key) for key in read} == read


@pytest.mark.parametrize(("change", "reason"), [
    ({"id": None}, "item has no id or created_at"),
    ({"created_at": "yesterday"}, "item has no id or created_at"),
    ({"content_type": "Epic"}, "unknown content_type 'Epic'"),
    ({"content": {"title": "no url"}}, "content has no issue url (url or html_url)"),
])
def test_a_broken_item_is_skipped(change: dict[str, Any], reason: str) -> None:
    raw = {**body(1)[0], **change}
    with pytest.raises(RecordSkipped, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_item(raw, group=None, due=None, estimate=None)


@pytest.mark.parametrize(("content", "expected"), [
    ({"url": "https://api.github.com/repos/acme/web/issues/12"}, ("acme/web", 12)),
    ({"html_url": "https://github.com/acme/api/issues/7"}, ("acme/api", 7)),
    ({"url": "https://ghe.example/api/v3/repos/acme/docs/issues/3"}, ("acme/docs", 3)),
])
def test_the_repository_of_an_item(content: dict[str, str], expected: tuple[str, int]) -> None:
    assert issue_of(content) == expected
