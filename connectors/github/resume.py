"""A first sync that outlasts the request quota: it stops cleanly and continues where it stopped.

A repository of 100,000 issues and a million comments needs about 12,000
list requests to read whole, more than two hours of GitHub's 5,000 an hour
(docs/github.md). A first sync therefore reads its three listings (issues,
comments, events, in that order) page by page through a :class:`Pager` that
stops before a page when the quota left is at :data:`RESERVE` or below, or
when a page is refused for the quota and its reset is further away than a
cycle may wait (``RetryPolicy.max_server_wait``). Other failures fail the
cycle as before; what earlier cycles read is kept either way. Where it stopped is kept in the
connector's memo (:class:`FirstSync`, under ``connectors.base.MEMO_FIRST_SYNC``):
the listing, the URL of the first page not read (GitHub's ``Link`` URL, as
its docs ask), when the first sync began and the newest issue and event seen.
The sync layer saves the records read so far with that memo, in one
transaction, and evaluates nothing yet (``FetchResult.partial``); the next
fetch without a cursor continues from the memo.

Pages shift while a long sync reads them (new issues and events come first
in their listings): a record may be read twice (merged by key), never
missed; whatever changed after the first sync began is read again by the
first incremental fetch, whose cursor is bounded by that start.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from connectors.base import MEMO_FIRST_SYNC, FetchResult
from connectors.errors import FatalError, RateLimited
from connectors.github.http import Response, Transport, last_page, next_link
from connectors.github.parse import format_timestamp
from connectors.github.read import MEMO_NEWEST_EVENT, FetchRun, Reader, server_date
from connectors.model import parse_utc

log = logging.getLogger(__name__)

Stage = Literal["issues", "comments", "events"]
STAGES: tuple[Stage, ...] = ("issues", "comments", "events")
#: Requests a first sync leaves unspent: the publisher stops writing at the same floor
#: (sync.publish.RATE_LIMIT_FLOOR), and other projects may share the token.
RESERVE = 100


@dataclass
class FirstSync:
    """Where an unfinished first sync stands; kept in the memo as JSON between cycles."""

    stage: Stage = "issues"
    #: The first page of ``stage``'s listing not read yet (None: its first page).
    next: str | None = None
    #: The server's ``Date`` when the first sync began (ISO): the cursor never passes it.
    started: str | None = None
    #: The newest issue ``updated_at`` read so far (ISO).
    high_water: str | None = None
    newest_event: int = 0
    #: Records read so far, per listing (for the progress line).
    read: dict[str, int] = field(default_factory=dict)

    @classmethod
    def loads(cls, text: str | None) -> FirstSync | None:
        """The state kept in the memo; None when there is none (or it cannot be read)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            state = cls(**data)
        except (ValueError, TypeError) as error:
            log.warning("the first sync's resume point cannot be read (%s): starting over", error)
            return None
        if state.stage not in STAGES:
            return None
        return state

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def count(self, stage: Stage, records: int) -> None:
        self.read[stage] = self.read.get(stage, 0) + records

    def cursor(self) -> str | None:
        """The cursor a finished first sync hands on: the newest issue read, never past
        the moment it began (what changed while it read is read again next time)."""
        if self.high_water is None:
            return None
        bound = [parse_utc(self.high_water)]
        bound += [parse_utc(self.started)] if self.started else []
        return format_timestamp(min(bound))

    def progress(self, why: str) -> str:
        """One line for the run's log: what was read, where it stopped, why."""
        counts = ", ".join(f"{self.read.get(stage, 0):,} {stage}" for stage in STAGES)
        return f"read so far: {counts}; stopped in the {self.stage} listing: {why}"


@dataclass(eq=False)
class Pager:
    """The pages of a first sync's listings, each only while the quota lasts."""

    http: Transport
    state: FirstSync
    clock: Callable[[], datetime]
    reserve: int = RESERVE
    #: Why the listings stopped before their end (None: they did not).
    paused: str | None = field(default=None, init=False)

    def pages(self, stage: Stage, path: str, params: Mapping[str, Any]) -> Iterator[Response]:
        """The pages of ``stage``'s listing from where it stopped; nothing for a listing
        already read, or once the first sync paused."""
        if self.paused is not None or STAGES.index(stage) < STAGES.index(self.state.stage):
            return
        resuming = self.state.stage == stage and self.state.next is not None
        url: str | None = self.state.next if resuming else path
        query: Mapping[str, Any] | None = None if resuming else params
        self.state.stage = stage
        seen: set[str] = set()
        done, total = 0, None
        while url is not None:
            self.paused = self._quota_spent()
            if self.paused is None:
                try:
                    response = self.http.call("GET", url, params=query)
                except RateLimited as error:  # spent, and the reset is further than a cycle waits
                    self.paused = str(error)
            if self.paused is not None:
                self.state.next = describe_next(url, query)
                return
            if self.state.started is None:
                self.state.started = _date(response.headers)
            following = next_link(response.headers)
            if self.http.on_page is not None:  # progress, as Transport.pages tells it
                done += 1
                total = total or last_page(response.headers) or (
                    done if following is None else None)
                self.http.on_page(stage, done, total)
            yield response
            if following is not None and following in seen:
                msg = f"GitHub {self.http.repo}: pagination loops back to {following}"
                raise FatalError(msg)
            if following is not None:
                seen.add(following)
            url, query = following, None
        self.state.next = None
        if stage != STAGES[-1]:
            self.state.stage = STAGES[STAGES.index(stage) + 1]

    def _quota_spent(self) -> str | None:
        remaining, reset = self.http.rate_limit_remaining, self.http.rate_limit_reset
        if remaining is None or remaining > self.reserve or reset is None:
            return None  # without a reset time the figure says nothing: the next answer will
        resets_at = datetime.fromtimestamp(reset, tz=UTC)
        if resets_at <= self.clock():
            return None  # a new hour: the figure is stale
        return (f"{remaining} requests of the quota left until {resets_at:%Y-%m-%d %H:%M} UTC; "
                "it continues then")


def describe_next(url: str, query: Mapping[str, Any] | None) -> str:
    """The URL to resume at: a Link URL as given, or the listing's path with its query."""
    if not query:
        return url
    return f"{url}?{urlencode(sorted((k, str(v)) for k, v in query.items()), safe=':')}"


def _date(headers: Mapping[str, str]) -> str | None:
    when = server_date(headers)
    return when.isoformat() if when else None


def first_sync(
    reader: Reader, http: Transport, *, clock: Callable[[], datetime], project: str
) -> FetchResult:
    """Everything, listing after listing, as far as the quota goes.

    The first part of a first sync returns ``complete=True`` (the records replace
    whatever was cached); a part that continues one returns records to merge.
    """
    started = http.requests_made
    memo = reader.memo
    kept = FirstSync.loads(memo.get(MEMO_FIRST_SYNC))
    state = kept or FirstSync()
    pager = Pager(http, state, clock)
    run = FetchRun()
    milestones = reader.milestones(run, conditional=False)
    history = reader.history(milestones)
    issues, _, high_water = reader.issues(run, None, pages=functools.partial(pager.pages,
                                                                          "issues"))
    if high_water is not None:
        state.high_water = max(filter(None, (state.high_water, high_water.isoformat())),
                               key=parse_utc)
    comments = reader.comments(run, None, pages=functools.partial(pager.pages, "comments"))
    changes = reader.events(run, None, history, newest=state.newest_event,
                            pages=functools.partial(pager.pages, "events"))
    state.newest_event = int(memo.get(MEMO_NEWEST_EVENT) or 0)
    state.count("issues", len(issues))
    state.count("comments", len(comments))
    state.count("events", len(changes))
    snapshot = run.snapshot(project, clock(), issues=issues, milestones=milestones,
                            comments=comments, changes=changes)
    requests = http.requests_made - started
    if pager.paused is not None:
        memo.set(MEMO_FIRST_SYNC, state.dumps())
        log.info("GitHub %s: first sync paused: %s", reader.repo, state.progress(pager.paused))
        return FetchResult(snapshot=snapshot, cursor=None, complete=kept is None,
                           skipped=tuple(run.skipped), requests=requests, partial=True,
                           progress=state.progress(pager.paused))
    memo.set(MEMO_FIRST_SYNC, "")
    return FetchResult(snapshot=snapshot, cursor=state.cursor(), complete=kept is None,
                       skipped=tuple(run.skipped), requests=requests)
