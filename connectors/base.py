"""The Connector protocol every tracker implements (local, GitHub, Jira).

Reads: ``fetch(cursor)`` returns what changed since the cursor (everything
when the cursor is None) and the cursor to store once that data is safely
processed. Writes: comments found by marker, created, edited; labels added,
removed and created. The sync layer is the only caller and it never sees a
vendor object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.markers import Marker, Markup
from connectors.model import Snapshot

__all__ = ["Connector", "DictMemo", "FetchResult", "Markup", "Memo", "RateLimit", "RemoteComment"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A snapshot and the cursor that covers it.

    ``complete`` is True when the snapshot holds the whole project (first
    sync, or a tracker too small to bother), False when it is a delta to merge
    into what the state store already holds. ``skipped`` lists records that
    could not be read, each with the reason, so the run can report them.
    """

    snapshot: Snapshot
    cursor: str | None
    complete: bool
    skipped: tuple[str, ...] = ()
    requests: int = 0


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What the tracker says is left of its request quota (GitHub's X-RateLimit-*)."""

    remaining: int
    resets_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RemoteComment:
    """A comment of forewarn's found in the tracker by its marker."""

    id: str
    issue_key: str
    body: str


class Memo(Protocol):
    """A small per-project key-value store that the sync layer persists for a connector.

    Connectors keep here what the tracker cannot tell them cheaply: milestone
    title history (GitHub names milestones by title in events), ETags, the
    newest event id seen, Jira's deployment type and custom field ids. Values
    are saved only when the cycle that produced them succeeds.
    """

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


class DictMemo(dict[str, str]):
    """An in-memory Memo, for tests and one-shot runs without a state store."""

    def set(self, key: str, value: str) -> None:
        self[key] = value


@runtime_checkable
class Connector(Protocol):
    """One tracker project, seen through forewarn's eyes."""

    #: "markdown" (GitHub, local) or "jira" (wiki markup).
    markup: Markup

    @property
    def requests_made(self) -> int:
        """Requests sent so far (reads and writes), for metrics and benchmarks."""
        ...

    @property
    def rate_limit(self) -> RateLimit | None:
        """The quota left, where the tracker tells it (None: Jira, the local tracker)."""
        ...

    def whoami(self) -> str:
        """The person id forewarn writes as; its comments are never client feedback."""
        ...

    def fetch(self, cursor: str | None) -> FetchResult: ...

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        """forewarn's own comment on the issue that carries this marker, if any: its author
        is forewarn's account AND it holds the marker (anyone can paste a marker)."""
        ...

    def create_comment(self, issue_key: str, body: str, *, marker: Marker) -> str:
        """Post the body stamped with its marker (``Marker.stamp``) and return the comment's
        id; never posts twice for one marker (``RetryPolicy.post_once``)."""
        ...

    def edit_comment(self, issue_key: str, comment_id: str, body: str) -> None:
        """Replace the body; ``CommentGone`` when someone deleted the comment."""
        ...

    def add_labels(self, issue_key: str, labels: list[str]) -> None: ...

    def remove_label(self, issue_key: str, label: str) -> None: ...

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """Create the label if it does not exist (a no-op where labels are free text)."""
        ...
