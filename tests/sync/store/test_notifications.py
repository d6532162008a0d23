"""The notification ledger: a claim is all or nothing; only a refused message is claimed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.store.notifications import ENROLLED, NotificationLedger
from sync.store.state import StateStore

NOW = datetime(2026, 11, 24, 5, 5, tzinfo=UTC)


def statuses(ledger: NotificationLedger) -> dict[str, tuple[str, int]]:
    return {key: (row.status, row.attempts) for (_, key), row in ledger.records("p").items()}


def test_a_claim_then_a_result(store: StateStore) -> None:
    ledger = NotificationLedger(store)
    assert ledger.claim("p", "pm", ["remind.f.2h", "remind.f.50%"], kind="reminder", now=NOW)
    assert statuses(ledger) == {"remind.f.2h": ("intent", 1), "remind.f.50%": ("intent", 1)}
    ledger.settle("p", "pm", ["remind.f.2h", "remind.f.50%"], status="sent", now=NOW)
    assert statuses(ledger) == {"remind.f.2h": ("sent", 1), "remind.f.50%": ("sent", 1)}


@pytest.mark.parametrize(("first", "again"), [
    ("intent", False), ("sent", False), ("unknown", False), ("failed", True),
])
def test_a_second_claim_succeeds_only_after_a_refusal(store: StateStore, first: str,
                                                      again: bool) -> None:
    ledger = NotificationLedger(store)
    assert ledger.claim("p", "pm", ["digest.2026-11-24"], kind="digest", now=NOW)
    if first != "intent":
        ledger.settle("p", "pm", ["digest.2026-11-24"], status=first,  # type: ignore[arg-type]
                      now=NOW, error="refused: error=500" if first == "failed" else None)
    other_replica = NotificationLedger(StateStore(store.url))
    try:
        claimed = other_replica.claim("p", "pm", ["digest.2026-11-24"], kind="digest",
                                      now=NOW + timedelta(minutes=15))
    finally:
        other_replica.store.close()
    assert claimed is again
    assert statuses(ledger)["digest.2026-11-24"] == (
        ("intent", 2) if again else (first, 1))


def test_a_claim_that_overlaps_another_takes_nothing(store: StateStore) -> None:
    ledger = NotificationLedger(store)
    assert ledger.claim("p", "pm", ["remind.f.50%"], kind="reminder", now=NOW)
    assert not ledger.claim("p", "pm", ["remind.f.2h", "remind.f.50%"], kind="reminder", now=NOW)
    assert "remind.f.2h" not in statuses(ledger)
    assert ledger.claim("p", "team", ["remind.f.50%"], kind="reminder", now=NOW)  # other channel


def test_enrolment_records_what_is_open_once(store: StateStore) -> None:
    ledger = NotificationLedger(store)
    ledger.enrol("p", "pm", ["alert.a:warning"], now=NOW)
    ledger.enrol("p", "pm", ["alert.a:warning", "alert.b:critical"], now=NOW)
    assert statuses(ledger) == {ENROLLED: ("baseline", 0), "alert.a:warning": ("baseline", 0),
                                "alert.b:critical": ("baseline", 0)}


def test_a_digest_keeps_what_it_listed(store: StateStore) -> None:
    ledger = NotificationLedger(store)
    ledger.claim("p", "pm", ["digest.2026-11-24"], kind="digest", now=NOW)
    ledger.settle("p", "pm", ["digest.2026-11-24"], status="sent", now=NOW,
                  payload={"open": {"feedback.1": "🚨 Carol waits"}})
    row = ledger.records("p")[("pm", "digest.2026-11-24")]
    assert row.payload == {"open": {"feedback.1": "🚨 Carol waits"}}
