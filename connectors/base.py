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
    "MEMO_FIRST_SYNC", "AccessReport", "AccessRequest", "Check", "Connector", "DictMemo",
    "FetchProgress", "FetchResult", "Markup", "Memo", "RateLimit", "RemoteComment",
    "restriction_refused",
]

#: The memo key under which a connector keeps where an unfinished first sync resumes
#: (an empty value: none). The sync layer empties it when it holds no cached records to
#: continue from, so that a first sync starts over rather than resume onto nothing.
MEMO_FIRST_SYNC = "first_sync"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A snapshot and the cursor that covers it.

    ``complete`` is True when the snapshot holds the whole project (first
    sync, or a tracker too small to bother), False when it is a delta to merge
    into what the state store already holds. ``skipped`` lists records that
    could not be read, each with the reason, so the run can report them.

    ``partial`` is True when a first sync stopped before the end of its
    listings (the request quota ran low): the snapshot holds the records read
    so far, which the sync layer keeps without evaluating rules on them, and
    the connector's memo says where each listing resumes; the next fetch with
    no cursor continues there and returns ``complete=False`` (records to merge).
    """

    snapshot: Snapshot
    cursor: str | None
    complete: bool
    skipped: tuple[str, ...] = ()
    requests: int = 0
    partial: bool = False
    #: For a partial fetch: what is left and when it continues, for the run's log.
    progress: str | None = None


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


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``forewarn check-config --connect``: what was checked, whether it holds,
    what was found, and what to do when it does not hold."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequest:
    """What a project will ask of its tracker, for ``Connector.check_access``."""

    #: Issues forewarn writes to besides the findings' own, each with what it is for and
    #: the config key that names it: ``("status issue", "acme/portal#1", "status_issue")``.
    targets: tuple[tuple[str, str, str], ...] = ()
    #: Labels forewarn puts on issues.
    labels: tuple[str, ...] = ()
    #: Whether clients or team are told apart by e-mail address (patterns like *@x.com).
    emails: bool = False
    #: Below this many requests left forewarn stops writing (``sync.publish``).
    floor: int = 100


@dataclass(frozen=True, slots=True)
class AccessReport:
    """The checks, in order; ``identity`` names the tracker project as the tracker knows it
    (a repository id, a Jira project id on its site), so two projects on one are found
    even when the config spells it two ways; ``facts`` are what was learnt on the way
    (``deployment``)."""

    checks: tuple[Check, ...]
    identity: str | None = None
    facts: tuple[tuple[str, str], ...] = ()


class FetchProgress(Protocol):
    """Told after each page a fetch reads, so a long first sync is not silent: which
    listing (``issues``, ``comments``, ``sprints``…), how many of its pages are read,
    and how many it has when the tracker says (GitHub's ``Link: rel="last"``).
    Connectors call it and never print."""

    def __call__(self, listing: str, pages: int, total: int | None) -> None: ...


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

    def fetch(self, cursor: str | None, *, progress: FetchProgress | None = None) -> FetchResult:
        """What changed since ``cursor`` (everything without one); ``progress`` hears each
        page read."""
        ...

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
        """Replace the body; a restricted comment is edited with its restriction again;
        ``CommentGone`` when someone deleted the comment."""
        ...

    def add_labels(self, issue_key: str, labels: list[str]) -> None: ...

    def remove_label(self, issue_key: str, label: str) -> None: ...

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        """Create the label if it does not exist (a no-op where labels are free text)."""
        ...

    def check_access(self, request: AccessRequest) -> AccessReport:
        """What forewarn may do here, without writing anything: the credentials, the
        project, each target issue and whether it may be commented on, labels, boards,
        e-mail visibility, the quota left (``check-config --connect``)."""
        ...
