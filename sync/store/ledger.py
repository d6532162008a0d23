"""What forewarn wrote for a project (findings, comments, labels), and the copy a process holds.

Every cycle reads the three tables whole (83,000 findings and as many comment
records at 100,000 issues) and compares the findings with what is stored.
Between two cycles of a daemon nothing else writes them, so the process keeps
what it read and wrote (``Ledger``), and reads the tables again only when the
project's stamp (``ledger_stamps``, migration 0008) says another process wrote
since. Every write here sets a new stamp in its own transaction; when the
stamp it replaces is the one the held copy was current at, the copy takes the
write too, else it is dropped and read again next time.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from connectors.immutable import immutable
from connectors.markers import Marker
from sync.store.tables import comments, findings, labels, ledger_stamps

#: The body hash of a comment someone deleted in the tracker: no body is there to compare,
#: and none is written again (sync/publish.py, sync/reconcile.py).
GONE = "gone"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything in forewarn is aware UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@immutable(kw_only=True)
class CommentRecord:
    """A comment forewarn wrote (or adopted), by its marker."""

    marker: Marker
    kind: str
    target: str
    comment_id: str
    body_hash: str
    resolved: bool = False
    input_hash: str | None = None
    #: When it was resolved (a finding back soon after reopens it: sync/occurrences.py).
    resolved_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        """The finding (or summary period) the comment is about, at whatever level."""
        return self.marker.subject

    @property
    def gone(self) -> bool:
        """Someone deleted it in the tracker."""
        return self.body_hash == GONE


class StoredEvidence(Mapping[str, Any]):
    """A finding's evidence as the store keeps it (JSON), decoded when first read.

    A cold cycle reads every stored finding (83,000 at 100,000 issues, a second of
    JSON to decode) but the evidence of only the few it resolves or digests; the text
    also tells ``changed`` that the record is unchanged without encoding it again.
    """

    __slots__ = ("_decoded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoded: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = json.loads(self.text)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def evidence_json(evidence: Mapping[str, Any]) -> str:
    """The stored form of a finding's evidence (the text it was read from, if it was)."""
    if isinstance(evidence, StoredEvidence):
        return evidence.text
    return json.dumps(evidence, sort_keys=True, default=str)


@immutable
class FindingRecord:
    fingerprint: str
    rule_id: str
    kind: str
    cause: str
    subject_key: str
    severity: int
    evidence: Mapping[str, Any]
    first_seen: datetime
    #: The severity at which the first cycle's backfill digest listed it (0: it did not):
    #: no alert of its own up to that level.
    backfilled: int = 0


def changed(before: FindingRecord, after: FindingRecord) -> bool:
    """Whether ``after`` must be written over ``before`` (``first_seen`` aside).

    Evidence the rules built is compared as it is (the warm case: no encoding); evidence
    read from the store by its text."""
    if (before.rule_id, before.kind, before.cause, before.subject_key, before.severity,
            before.backfilled) != (after.rule_id, after.kind, after.cause, after.subject_key,
                                   after.severity, after.backfilled):
        return True
    if isinstance(before.evidence, StoredEvidence) or isinstance(after.evidence, StoredEvidence):
        return evidence_json(before.evidence) != evidence_json(after.evidence)
    return before.evidence != after.evidence


@dataclass
class Held:
    """A project's findings, comment records and labels as of ``stamp``."""

    stamp: str | None
    comments: dict[str, CommentRecord] = field(default_factory=dict)
    labels: set[tuple[str, str]] = field(default_factory=set)
    findings: dict[str, FindingRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Touch:
    """A write's new stamp, and whether the held copy was current just before it."""

    project: str
    stamp: str
    current: bool


class Ledger:
    """The held copies of one state store, per project (see the module docstring)."""

    def __init__(self) -> None:
        self._held: dict[str, Held] = {}
        self._lock = threading.Lock()

    def read(self, connection: Connection, project: str) -> Held:
        """The project's records: the held copy while its stamp is the store's, else read."""
        stamp = connection.execute(
            select(ledger_stamps.c.stamp).where(ledger_stamps.c.project == project)).scalar()
        with self._lock:
            held = self._held.get(project)
        if held is not None and stamp is not None and held.stamp == stamp:
            return held
        # The stamp is read first: a write in between leaves a newer copy under an older
        # stamp, read again next time.
        held = Held(stamp=stamp, comments=_comments(connection, project),
                    labels=_labels(connection, project), findings=_findings(connection, project))
        with self._lock:
            self._held[project] = held
        return held

    def touch(self, connection: Connection, project: str) -> Touch:
        """In a writing transaction: the project's new stamp."""
        new = uuid.uuid4().hex
        with self._lock:
            held = self._held.get(project)
        old = held.stamp if held is not None else None
        if old is not None:
            done = connection.execute(update(ledger_stamps).where(
                ledger_stamps.c.project == project, ledger_stamps.c.stamp == old)
                .values(stamp=new))
            if done.rowcount == 1:
                return Touch(project, new, current=True)
        done = connection.execute(update(ledger_stamps).where(ledger_stamps.c.project == project)
                                  .values(stamp=new))
        if done.rowcount == 0:
            connection.execute(insert(ledger_stamps).values(project=project, stamp=new))
        return Touch(project, new, current=False)

    def written(self, touch: Touch, change: Callable[[Held], None]) -> None:
        """After the write committed: the held copy takes it, or is dropped when it was
        not current (another process wrote since it was read)."""
        with self._lock:
            held = self._held.get(touch.project)
            if held is None:
                return
            if not touch.current:
                del self._held[touch.project]
                return
            change(held)
            held.stamp = touch.stamp

    def keep_findings(self, project: str, stamp: str | None,
                      current: dict[str, FindingRecord]) -> None:
        """The findings a save left in the store, when it wrote nothing (same stamp): the
        caller's dict, made for this, is held as it is."""
        with self._lock:
            held = self._held.get(project)
            if held is not None and held.stamp == stamp:
                held.findings = current


def comment_written(record: CommentRecord, now: datetime) -> Callable[[Held], None]:
    """A recorded comment as reading its row back would give it."""
    kept = replace(record, input_hash=record.input_hash or None,
                   resolved_at=now if record.resolved else None)

    def change(held: Held) -> None:
        held.comments[str(record.marker)] = kept

    return change


def comment_updated(marker: Marker, *, body_hash: str, resolved: bool, now: datetime,
                    input_hash: str | None) -> Callable[[Held], None]:
    def change(held: Held) -> None:
        before = held.comments.get(str(marker))
        if before is not None:  # no row: the update changed nothing
            held.comments[str(marker)] = replace(
                before, body_hash=body_hash, resolved=resolved,
                resolved_at=now if resolved else None, input_hash=input_hash or None)

    return change


def _findings(connection: Connection, project: str) -> dict[str, FindingRecord]:
    rows = connection.execute(select(findings).where(findings.c.project == project))
    return {
        row.fingerprint: FindingRecord(
            fingerprint=row.fingerprint, rule_id=row.rule_id, kind=row.kind,
            cause=row.cause, subject_key=row.subject_key, severity=row.severity,
            evidence=StoredEvidence(row.evidence),
            first_seen=aware(row.first_seen) or datetime.now(UTC),
            backfilled=row.backfilled,
        )
        for row in rows
    }


def _comments(connection: Connection, project: str) -> dict[str, CommentRecord]:
    rows = connection.execute(select(comments).where(comments.c.project == project))
    return {
        row.marker: CommentRecord(
            marker=Marker.parse(row.marker), kind=row.kind, target=row.target,
            comment_id=row.comment_id, body_hash=row.body_hash,
            resolved=row.resolved_at is not None, input_hash=row.input_hash,
            resolved_at=aware(row.resolved_at),
        )
        for row in rows
    }


def _labels(connection: Connection, project: str) -> set[tuple[str, str]]:
    rows = connection.execute(
        select(labels.c.target, labels.c.label).where(labels.c.project == project))
    return {(target, label) for target, label in rows}
