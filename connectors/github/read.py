"""Reading one GitHub repository: the four repo-wide lists behind ``GitHubConnector.fetch``.

Milestones, issues, comments and issue events are each read at 100 a page,
following ``Link`` headers; a broken item is skipped (logged, and listed in
the run's ``skipped``) and the page goes on. What the next read needs is kept
in the connector's memo: the milestones' ETag and last list (a 304 answers
from it), the milestone title history, the newest event id seen.
"""

from __future__ import annotations

import email.utils
import functools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from connectors.base import Memo
from connectors.codec import milestone_from, milestone_to, parse_each
from connectors.errors import FatalError, RecordSkipped
from connectors.github.http import Response, Transport
from connectors.github.parse import (
    EVENT_FIELDS,
    TitleHistory,
    add_person,
    comment_issue_number,
    describe,
    format_timestamp,
    is_pull_request,
    is_pull_request_comment,
    milestone_key,
    parse_comment,
    parse_event,
    parse_issue,
    parse_milestone,
)
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot, parse_utc

log = logging.getLogger(__name__)

PER_PAGE = 100
#: ``since`` is sent this much before the cursor: GitHub's timestamps have one-second resolution.
OVERLAP = timedelta(seconds=1)
# Memo keys.
MEMO_TITLES = "milestone_titles"
MEMO_MILESTONES = "milestones"
MEMO_MILESTONES_ETAG = "milestones_etag"
MEMO_NEWEST_EVENT = "newest_event_id"

#: Where a listing's pages come from: ``Transport.pages``, or a first sync's ``Pager``
#: that stops when the quota runs low (connectors/github/resume.py).
Pages = Callable[[str, Mapping[str, Any]], Iterator[Response]]


def items(response: Response, what: str, repo: str) -> list[Any]:
    """The items of a list page; anything but a JSON array is a broken answer."""
    if response.data is None:
        return []
    if not isinstance(response.data, list):
        msg = f"GitHub {repo}: {what} answered {type(response.data).__name__}, expected a list"
        raise FatalError(msg)
    return response.data


def server_date(headers: Mapping[str, str]) -> datetime | None:
    value = headers.get("date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _milestones_to_json(milestones: tuple[Milestone, ...]) -> str:
    return json.dumps([milestone_to(m) for m in milestones], ensure_ascii=False)


def _milestones_from_json(text: str) -> tuple[Milestone, ...] | None:
    """The list kept in the memo, or None when any of it is unreadable (then read again)."""
    broken: list[str] = []
    try:
        kept = parse_each(json.loads(text), milestone_from, "milestone", broken)
    except (ValueError, TypeError):
        return None
    return None if broken else tuple(kept)


class FetchRun:
    """What one fetch gathers: records, the people behind them, what was skipped."""

    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self.skipped: list[str] = []

    def skip(self, name: str, reason: object) -> None:
        log.warning("skipped %s: %s", name, reason)
        self.skipped.append(f"{name}: {reason}")

    def snapshot(
        self, project: str, fetched_at: datetime, *, issues: tuple[Issue, ...],
        milestones: tuple[Milestone, ...], comments: tuple[Comment, ...],
        changes: tuple[Change, ...],
    ) -> Snapshot:
        return Snapshot(project=project, fetched_at=fetched_at, issues=issues,
                        milestones=milestones, comments=comments, changes=changes,
                        people=self.people)


@dataclass(eq=False, kw_only=True)
class Reader:
    """The lists of one repository, read through one Transport."""

    http: Transport
    repo: str
    memo: Memo
    include_pull_requests: bool
    whoami: Callable[[], str]
    #: Pull-request numbers seen in the last issues listing (their comments are dropped).
    pull_numbers: set[int] = field(default_factory=set, init=False)

    def history(self, milestones: tuple[Milestone, ...]) -> TitleHistory:
        """The title history, brought up to date with the milestones just read."""
        history = TitleHistory.loads(self.memo.get(MEMO_TITLES))
        history.observe(milestones)
        self.memo.set(MEMO_TITLES, history.dumps())
        return history

    def milestones(self, run: FetchRun, *, conditional: bool) -> tuple[Milestone, ...]:
        etag = self.memo.get(MEMO_MILESTONES_ETAG)
        cached = self.memo.get(MEMO_MILESTONES)
        headers = {"If-None-Match": etag} if conditional and etag and cached else None
        path = f"/repos/{self.repo}/milestones"
        raws: list[Any] = []
        pages = 0
        first_etag = ""
        for page in self.http.pages(path, {"state": "all", "per_page": PER_PAGE}, headers=headers):
            pages += 1
            if page.status == 304:
                kept = _milestones_from_json(cached or "")
                if kept is not None:
                    return kept
                return self.milestones(run, conditional=False)
            if pages == 1:
                first_etag = page.headers.get("etag", "")
            raws.extend(items(page, f"GET {path}", self.repo))
        milestones: list[Milestone] = []
        for raw in raws:
            try:
                milestones.append(parse_milestone(raw, self.repo))
            except RecordSkipped as error:
                run.skip(describe("milestone", raw, self.repo), error)
        result = tuple(milestones)
        # A 304 on page 1 says nothing about page 2: only a one-page list is revalidated.
        self.memo.set(MEMO_MILESTONES_ETAG, first_etag if pages == 1 else "")
        self.memo.set(MEMO_MILESTONES, _milestones_to_json(result))
        return result

    def issues(
        self, run: FetchRun, since: datetime | None, *, pages: Pages | None = None
    ) -> tuple[tuple[Issue, ...], bool, datetime | None]:
        """Issues (whole records), whether any issue or PR changed, and the new high-water mark."""
        params: dict[str, Any] = {"state": "all", "per_page": PER_PAGE}
        if since is not None:
            params["since"] = format_timestamp(since - OVERLAP)
        issues: list[Issue] = []
        changed = False
        newest: datetime | None = None
        started: datetime | None = None
        self.pull_numbers = set()
        path = f"/repos/{self.repo}/issues"
        for index, page in enumerate((pages or self.http.pages)(path, params)):
            if index == 0:
                started = server_date(page.headers)
            for raw in items(page, f"GET {path}", self.repo):
                updated = _timestamp(raw, "updated_at")
                if updated is None or since is None or updated > since:
                    changed = True
                if updated is not None and (newest is None or updated > newest):
                    newest = updated
                issue = self._issue(run, raw)
                if issue is not None:
                    issues.append(issue)
        if newest is not None and started is not None:
            newest = min(newest, started)
        return tuple(issues), changed, newest

    def _issue(self, run: FetchRun, raw: Any) -> Issue | None:
        """One item of the issues list, its people noted; None for a pull request (unless
        they are included) and for a broken item (skipped)."""
        if is_pull_request(raw):
            number = raw.get("number")
            if isinstance(number, int):
                self.pull_numbers.add(number)
            if not self.include_pull_requests:
                return None
        try:
            parsed = parse_issue(raw, self.repo)
        except RecordSkipped as error:
            run.skip(describe("issue", raw, self.repo), error)
            return None
        for person in parsed.people:
            add_person(run.people, person)
        return parsed.issue

    def comments(
        self, run: FetchRun, since: datetime | None, *, pages: Pages | None = None
    ) -> tuple[Comment, ...]:
        params: dict[str, Any] = {"per_page": PER_PAGE}
        if since is not None:
            params["since"] = format_timestamp(since - OVERLAP)
        path = f"/repos/{self.repo}/issues/comments"
        comments: list[Comment] = []
        for page in (pages or self.http.pages)(path, params):
            for raw in items(page, f"GET {path}", self.repo):
                if not self.include_pull_requests and self._on_pull_request(raw):
                    continue
                try:
                    comment, author = parse_comment(raw, self.repo, me=self.whoami)
                except RecordSkipped as error:
                    run.skip(describe("comment", raw, self.repo), error)
                    continue
                comments.append(comment)
                add_person(run.people, author)
        return tuple(comments)

    def _on_pull_request(self, raw: Any) -> bool:
        if is_pull_request_comment(raw):
            return True
        try:
            return comment_issue_number(raw) in self.pull_numbers
        except (RecordSkipped, TypeError, AttributeError):
            return False

    def events(
        self, run: FetchRun, since: datetime | None, history: TitleHistory, *,
        pages: Pages | None = None, newest: int = 0,
    ) -> tuple[Change, ...]:
        """Repo-wide issue events, newest first; an incremental read stops at what it has seen.

        ``newest``: the newest event id an earlier part of the same first sync read.
        """
        walk = _EventWalk(seen=self._newest_event_seen(since),
                          floor=since - OVERLAP if since is not None else None)
        walk.newest = max(walk.newest, newest)
        milestone_for = functools.partial(self._milestone_for, history)
        changes: list[Change] = []
        path = f"/repos/{self.repo}/issues/events"
        for page in (pages or self.http.pages)(path, {"per_page": PER_PAGE}):
            reached = False
            for raw in items(page, f"GET {path}", self.repo):
                place = walk.place(raw)
                reached = reached or place == "reached"
                change = self._event(run, raw, milestone_for) if place == "new" else None
                if change is not None:
                    changes.append(change)
            if reached:
                break
        self.memo.set(MEMO_NEWEST_EVENT, str(walk.newest))
        return tuple(changes)

    def _newest_event_seen(self, since: datetime | None) -> int:
        """The newest event id the last read saw; 0 for a whole read."""
        if since is None:
            return 0
        try:
            return int(self.memo.get(MEMO_NEWEST_EVENT) or 0)
        except ValueError:
            return 0

    def _milestone_for(self, history: TitleHistory, title: str, at: datetime) -> str:
        number = history.resolve(title, at)
        if number is None:
            msg = f"no milestone titled {title!r} (deleted, or renamed before forewarn saw it)"
            raise RecordSkipped(msg)
        return milestone_key(self.repo, number)

    def _event(
        self, run: FetchRun, raw: Any, milestone_for: Callable[[str, datetime], str]
    ) -> Change | None:
        """The change one event records, its actor noted; None for events forewarn
        does not read and for a broken one (skipped)."""
        issue = raw.get("issue") if isinstance(raw, dict) else None
        if not self.include_pull_requests and is_pull_request(issue):
            return None
        kind = raw.get("event") if isinstance(raw, dict) else None
        if isinstance(kind, str) and kind not in EVENT_FIELDS:
            return None  # a type forewarn does not read (a broken one is skipped below)
        try:
            event = parse_event(raw, self.repo, milestone_for=milestone_for)
        except RecordSkipped as error:
            run.skip(describe("event", raw, self.repo), error)
            return None
        if event.actor is not None:
            add_person(run.people, event.actor)
        return event.change


class _EventWalk:
    """Where a newest-first walk through the events stands.

    An event at or below the newest id seen last time, or created before the
    cursor (less the overlap), is where an incremental read has caught up; an
    id met twice (a page shifted while we read) is read once.
    """

    def __init__(self, *, seen: int, floor: datetime | None) -> None:
        self.seen = seen
        self.floor = floor
        self.newest = seen
        self.done: set[int] = set()

    def place(self, raw: Any) -> Literal["new", "repeat", "reached"]:
        ident = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(ident, int):
            if self.seen and ident <= self.seen:
                return "reached"
            if ident in self.done:
                return "repeat"
            self.done.add(ident)
            self.newest = max(self.newest, ident)
        if self.floor is not None:
            created = _timestamp(raw, "created_at")
            if created is not None and created < self.floor:
                return "reached"
        return "new"


def _timestamp(raw: Any, field: str) -> datetime | None:
    """A timestamp field of a raw item, or None when it is missing or unreadable."""
    value = raw.get(field) if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None
