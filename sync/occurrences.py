"""A finding that ends and comes back: which comment it is written to.

An alert comment is resolved (edited to say so) when its finding ends. When
the same finding (same fingerprint, same level) comes back:

* within ``REOPEN_WITHIN`` of its resolution, the resolved comment is
  **reopened in place**: edited back into an open alert, which notifies nobody.
  A finding that flaps (a pause label put on and taken off, an issue closed
  and reopened by mistake) was announced moments ago; a fresh notification
  each time is noise, and the thread keeps one comment;
* later, it is a **new occurrence**: a new comment, which notifies as a new
  finding does, under a marker of its own (``…:critical:2``). The old comment
  stays resolved, the history of the first occurrence. Its own marker is what
  keeps a lost response safe: looking for the new comment before posting it
  again finds the new one, never the old one resolved long ago.

A comment the state store does not know (a lost database, a lost response) is
taken from the tracker by its marker: the newest occurrence it shows, resolved
or not (``RESOLVED_TAGS``), and resolved when it was last edited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.markers import Marker, is_resolved
from connectors.model import Comment
from sync.store.state import CommentRecord

#: A finding back within this time of its resolution reopens its comment in place.
REOPEN_WITHIN = timedelta(hours=24)
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Latest:
    """The newest occurrence of a finding's comment at one level, as recorded or as shown."""

    marker: Marker
    record: CommentRecord | None
    seen: Comment | None

    @property
    def resolved(self) -> bool:
        if self.record is not None:
            return self.record.resolved
        return self.seen is not None and is_resolved(self.seen.body_excerpt)

    @property
    def resolved_at(self) -> datetime | None:
        if self.record is not None:
            return self.record.resolved_at
        seen = self.seen
        return (seen.updated_at or seen.created_at) if seen is not None else None

    def reopens(self, now: datetime) -> bool:
        """Resolved recently enough to be reopened in place rather than posted again."""
        when = self.resolved_at
        return self.resolved and when is not None and now - when <= REOPEN_WITHIN


class Occurrences:
    """Every occurrence of every finding's comments, by fingerprint and level."""

    def __init__(self, records: Iterable[CommentRecord], shown: Mapping[str, Comment]) -> None:
        self._records: dict[Key, dict[int, CommentRecord]] = defaultdict(dict)
        #: The fingerprints with any comment, recorded or shown: for every other one
        #: ``latest`` is None at every level, which most findings need to know alone.
        self.subjects: set[str] = set()
        for record in records:
            if record.kind == "alert":
                self._records[_key(record.marker)][record.marker.occurrence] = record
                self.subjects.add(record.marker.subject)
        # Keys are ``str(Marker)``: split, not parsed, as a cycle sees tens of thousands;
        # only the one a finding writes to becomes a Marker.
        self._shown: dict[Key, dict[int, tuple[str, Comment]]] = defaultdict(dict)
        for text, comment in shown.items():
            subject, _, rest = text.partition(":")
            level, _, occurrence = rest.partition(":")
            number = int(occurrence) if occurrence.isdigit() else 1
            self._shown[(subject, level)][number] = (text, comment)
            self.subjects.add(subject)

    def latest(self, marker: Marker, target: str) -> Latest | None:
        """The newest occurrence of ``marker``'s finding and level, recorded or on ``target``."""
        key = (marker.subject, marker.level)
        recorded = self._records.get(key, {})
        shown = self._shown.get(key, {})
        newest = max(recorded, default=0)
        for number, (_, comment) in shown.items():
            if number > newest and comment.issue_key == target:
                newest = number
        if not newest:
            return None
        record = recorded.get(newest)
        text, seen = shown.get(newest, ("", None))
        if seen is not None and seen.issue_key != target:
            seen = None
        found = record.marker if record is not None else Marker.parse(text)
        return Latest(found, record, seen)


def _key(marker: Marker) -> Key:
    return (marker.subject, marker.level)
