"""Paged Jira reads over a plain ``get(path, params) -> dict`` function.

Three kinds of paging, each ended by what the server says and guarded
against loops:

* enhanced search (Cloud ``/search/jql``): a ``nextPageToken`` per page, no
  ``startAt`` and no ``total``; the last page has ``isLast`` and no token;
  a token seen twice is an error, not an endless loop;
* classic search (Data Center ``/search``): ``startAt`` and ``total``;
* ``startAt`` lists (agile sprints, comments, changelogs): ``isLast`` where
  given, else ``total``, else a short page.

No HTTP here: ``connectors/jira/read.py`` passes its retried GET in, so these are
tested with the connector and reused by its one-shot (unretried) lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from connectors.errors import FatalError

Getter = Callable[[str, dict[str, Any]], dict[str, Any]]


def as_object(data: object, what: str, site: str) -> dict[str, Any]:
    """A response that must be a JSON object."""
    if not isinstance(data, dict):
        msg = f"Jira {site}: {what}: expected a JSON object, got {type(data).__name__}"
        raise FatalError(msg)
    return data


def enhanced_search(
    get: Getter, path: str, params: dict[str, Any], *, site: str
) -> Iterator[object]:
    """Every issue of a Cloud enhanced search, following ``nextPageToken``."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        page = get(path, {**params, "nextPageToken": token} if token else params)
        yield from page.get("issues") or []
        following = page.get("nextPageToken")
        if not following or page.get("isLast") is True:
            return
        if following in seen:
            msg = f"Jira {site}: GET {path}: nextPageToken repeated; stopping a loop"
            raise FatalError(msg)
        seen.add(str(following))
        token = str(following)


def classic_search(get: Getter, path: str, params: dict[str, Any]) -> Iterator[object]:
    """Every issue of a Data Center search, by ``startAt`` until ``total``."""
    start = 0
    while True:
        page = get(path, {**params, "startAt": start})
        issues = page.get("issues") or []
        yield from issues
        start += len(issues)
        total = page.get("total")
        if not issues or not isinstance(total, int) or start >= total:
            return


def paged_done(
    page: Mapping[str, Any], values: Sequence[object], *, start: int, asked: int
) -> bool:
    """Whether a startAt-paged response (agile lists, changelogs, comments) is the last page.

    ``isLast`` when given; else ``total``; else a short page. Some recorded
    pages carry none of them (DevLake kept only the values).
    """
    is_last = page.get("isLast")
    if isinstance(is_last, bool):
        return is_last or not values
    total = page.get("total")
    if isinstance(total, int):
        return start + len(values) >= total or not values
    return len(values) < asked


def start_at_list(get: Getter, path: str, key: str, *, size: int, site: str) -> list[Any]:
    """All values of a ``startAt``-paged list (sprints, comments, changelog entries)."""
    found: list[Any] = []
    start = 0
    while True:
        page = as_object(get(path, {"startAt": start, "maxResults": size}), path, site)
        values = page.get(key) or []
        found.extend(values)
        if paged_done(page, values, start=start, asked=size):
            return found
        start += len(values)


def older_histories(
    get: Getter, path: str, embedded: list[Any], total: int, *, size: int
) -> list[Any]:
    """A capped changelog made whole from ``/issue/{id}/changelog`` (oldest first).

    The search kept the newest entries, so only the oldest
    ``total - len(embedded)`` are fetched; both are merged by history id.
    """
    missing = total - len(embedded)
    older: list[Any] = []
    start = 0
    while len(older) < missing:
        page = get(path, {"startAt": start, "maxResults": size})
        values = page.get("values") or []
        older.extend(values)
        if paged_done(page, values, start=start, asked=size):
            break
        start += len(values)
    merged: dict[str, Any] = {}
    for index, history in enumerate(older + embedded):
        ident = history.get("id") if isinstance(history, dict) else None
        merged[str(ident) if ident else f"#{index}"] = history
    return list(merged.values())
