"""The Connector protocol every tracker implements (local, GitHub, Jira).

Reads: ``fetch(cursor)`` returns what changed since the cursor (everything
when the cursor is None) and the cursor to store once that data is safely
processed. Writes: comments found by marker, created, edited; labels added,
removed and created. The sync layer is the only caller and it never sees a
vendor object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from connectors.model import Snapshot

Markup = Literal["markdown", "jira"]


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
    extra: dict[str, str] = field(default_factory=dict)


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

    def whoami(self) -> str:
        """The person id forewarn writes as; its comments are never client feedback."""
        ...

    def fetch(self, cursor: str | None) -> FetchResult: ...

    def find_comment(self, issue_key: str, marker: str) -> RemoteComment | None:
        """forewarn's own comment on the issue that carries this marker, if any."""
        ...

    def create_comment(self, issue_key: str, body: str, *, marker: str) -> str:
        """Post a comment and return its id; never posts twice for one marker."""
        ...

    def edit_comment(self, issue_key: str, comment_id: str, body: str) -> None: ...

    def add_labels(self, issue_key: str, labels: list[str]) -> None: ...

    def remove_label(self, issue_key: str, label: str) -> None: ...

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """Create the label if it does not exist (a no-op where labels are free text)."""
        ...
