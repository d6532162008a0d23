"""The Connector protocol every tracker implements (local, GitHub, Jira).

Reads: ``fetch(cursor)`` returns what changed since the cursor (everything
when the cursor is None) and the cursor to store once that data is safely
processed; ``members(...)`` says who holds the Jira project roles and groups a
project's ``team``/``clients`` name. Writes: comments found by marker, created,
edited (public, or restricted to a role, a group, or the team as an internal
note); labels added, removed and created. The sync layer is the only caller
and it never sees a vendor object.

Why ``members`` is a method and not part of the snapshot: who holds a role
changes on its own schedule, not with issues, so it has no place in the
incremental fetch and its cursor. The connector reads it at most once a day
(kept in its memo) and only when the config names a role or group, so a
steady-state cycle costs what it cost before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.markers import Marker, Markup
from connectors.model import Membership, Snapshot, Visibility

__all__ = [
    "Connector", "DictMemo", "FetchResult", "Markup", "Memo", "RateLimit", "RemoteComment",
    "restriction_refused",
]


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


def restriction_refused(tracker: str, visibility: Visibility | None) -> str | None:
    """Why a tracker without restricted comments cannot write this one (None: public)."""
    if visibility is None or visibility.is_public:
        return None
    return (f"{tracker} has no restricted comments: a comment visible to {visibility} "
            "only cannot be written there (use alerts.to: digest on a team issue)")


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

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        """The person ids holding each Jira project role or in each group; read at most once
        a day (the memo keeps them). Trackers without roles or groups raise FatalError: the
        config refuses ``{role: …}``/``{group: …}`` there first."""
        ...

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        """forewarn's own comment on the issue that carries this marker, if any: its author
        is forewarn's account AND it holds the marker (anyone can paste a marker)."""
        ...

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        """Post the body stamped with its marker (``Marker.stamp``) and return the comment's
        id; never posts twice for one marker (``RetryPolicy.post_once``). ``visibility``
        restricts who may read it (None or public: anyone who sees the issue); a tracker
        that cannot restrict comments raises FatalError rather than post it publicly."""
        ...

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        """Replace the body; a restricted comment is edited with its restriction again."""
        ...

    def add_labels(self, issue_key: str, labels: list[str]) -> None: ...

    def remove_label(self, issue_key: str, label: str) -> None: ...

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """Create the label if it does not exist (a no-op where labels are free text)."""
        ...
