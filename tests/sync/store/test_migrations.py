"""Alembic migrations of the state store: empty databases, pre-Alembic ones, older revisions."""

from __future__ import annotations

import json
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, text

from connectors.model import Snapshot
from sync.store.migrations import alembic_config, current_revision, head_revision
from sync.store.migrations.__main__ import main as migrations_main
from sync.store.migrations.versions.v0001_initial import frozen_schema
from sync.store.state import StateStore, comments, cursors, metadata, runs, summaries

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


HEAD = "0008"


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def create_pre_alembic(url: str, *, without: tuple[str, ...] = ()) -> None:
    """A database as forewarn's create_all left it before migrations, with some rows."""
    engine = create_engine(url)
    before = frozen_schema()  # the tables as they were before Alembic
    tables = [t for t in before.sorted_tables if t.name not in without]
    before.create_all(engine, tables=tables)
    with engine.begin() as connection:
        connection.execute(insert(cursors).values(project="p", cursor="c-1", updated_at=NOW))
        connection.execute(insert(comments).values(
            project="p", marker="scope.1:warning", fingerprint="scope.1", target="p#1",
            comment_id="77", body_hash="h", created_at=NOW))
        connection.execute(insert(runs).values(project="p", started_at=NOW, finished_at=NOW,
                                               status="ok", findings=1, writes=1, skipped=0))
    engine.dispose()


def assert_rows_survived(store: StateStore) -> None:
    assert store.cursor("p") == "c-1"
    assert store.comments("p")["scope.1:warning"].comment_id == "77"
    assert store.last_finished("p") == NOW


def test_an_empty_database_gets_the_whole_schema(database_url: str) -> None:
    store = StateStore(database_url)
    try:
        with store.engine.connect() as connection:
            assert current_revision(connection) == head_revision() == HEAD
            # The migrations build exactly the schema sync/store/state.py describes.
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        store.save_progress("p", cursor="c", snapshot=Snapshot(project="p", fetched_at=NOW),
                            memo={}, now=NOW)
        assert store.cursor("p") == "c"
    finally:
        store.close()


def test_opening_it_again_changes_nothing(database_url: str) -> None:
    StateStore(database_url).close()
    store = StateStore(database_url)
    store.close()
    assert revision_of(database_url) == HEAD


@pytest.mark.parametrize("without", [(), ("summaries",)], ids=["latest", "before-summaries"])
def test_a_pre_alembic_database_is_adopted_with_its_rows(
    database_url: str, without: tuple[str, ...]
) -> None:
    create_pre_alembic(database_url, without=without)
    assert revision_of(database_url) is None
    store = StateStore(database_url)
    try:
        assert revision_of(database_url) == HEAD
        assert_rows_survived(store)
        tables = set(inspect(store.engine).get_table_names())
        assert {"leases", "summaries", "alembic_version"} <= tables
        store.record_summary("p", "2026-W48", payload={"done": 1}, now=NOW)
    finally:
        store.close()


@pytest.mark.parametrize("previous", ["0001", "0002", "0003", "0004"])
def test_upgrade_from_a_previous_revision_keeps_the_data(database_url: str,
                                                         previous: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), previous)
    engine.dispose()
    assert revision_of(database_url) == previous
    create_pre_alembic(database_url)  # tables exist: only the rows are added
    store = StateStore(database_url)
    try:
        assert revision_of(database_url) == HEAD
        assert_rows_survived(store)
    finally:
        store.close()


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    create_pre_alembic(database_url)
    StateStore(database_url).close()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0001")
    with engine.connect() as connection:
        assert not inspect(connection).has_table("leases")
        assert connection.execute(text("SELECT count(*) FROM comments")).scalar() == 1
    engine.dispose()
    store = StateStore(database_url)
    try:
        assert_rows_survived(store)
        assert revision_of(database_url) == HEAD
    finally:
        store.close()


def test_replicas_starting_together_migrate_one_after_the_other(database_url: str) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            StateStore(database_url).close()
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert revision_of(database_url) == HEAD


def test_the_migrations_command_shows_the_revision(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    StateStore(database_url).close()
    monkeypatch.setenv("FOREWARN_STATE_URL", database_url)
    assert migrations_main(["current"]) == 0
    assert f"{HEAD} (head)" in capsys.readouterr().out


def test_summaries_table_is_unchanged_by_the_adoption(database_url: str) -> None:
    """0001 creates only missing tables: an existing one (with rows) is left as it is."""
    create_pre_alembic(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(summaries).values(
            project="p", period="2026-W47", payload="{}", created_at=NOW, updated_at=NOW))
    engine.dispose()
    store = StateStore(database_url)
    try:
        assert store.summary("p", "2026-W47") is not None
    finally:
        store.close()


def test_summary_comments_join_the_comment_ledger(database_url: str) -> None:
    """0004: a summary's or retrospective's comment, kept in ``summaries`` before, is then a
    row of ``comments`` under the marker it carries, so it is edited, never posted again."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0003")
        for period, ident in (("2026-W47", "501"), ("retro:e80162f61d32cbec", "502")):
            connection.execute(text(
                "INSERT INTO summaries (project, period, target, comment_id, body_hash, payload,"
                " created_at, updated_at) VALUES ('p', :period, 'p#1', :ident, 'h', '{}', :now,"
                " :now)"), {"period": period, "ident": ident, "now": NOW})
    engine.dispose()
    store = StateStore(database_url)
    try:
        ledger = {key: (r.kind, r.target, r.comment_id, r.body_hash)
                  for key, r in store.comments("p").items()}
        assert ledger == {"summary.2026-W47:info": ("summary", "p#1", "501", "h"),
                          "retro.e80162f61d32cbec:info": ("retro", "p#1", "502", "h")}
        row = store.summary("p", "2026-W47")
        assert row is not None and row["payload"] == {} and "comment_id" not in row
    finally:
        store.close()


def test_findings_written_before_backfill_were_not_backfilled(database_url: str) -> None:
    """0005: ``findings.backfilled`` is 0 for every finding an older forewarn recorded, so each
    keeps the alert it had."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0004")
        connection.execute(text(
            "INSERT INTO findings (project, fingerprint, rule_id, kind, cause, subject_key,"
            " severity, evidence, first_seen, last_seen) VALUES ('p', 'feedback.0123456789abcdef',"
            " 'feedback', 'unanswered_feedback', 'awaiting_reply', 'p#2', 30, '{}', :now, :now)"),
            {"now": NOW})
    engine.dispose()
    store = StateStore(database_url)
    try:
        (record,) = store.findings("p").values()
        assert (record.fingerprint, record.severity, record.backfilled) == (
            "feedback.0123456789abcdef", 30, 0)
    finally:
        store.close()


def test_0007_moves_each_cached_blob_to_rows_and_back(database_url: str) -> None:
    """The snapshot cached as one blob (up to 0006) is the same snapshot, by record, at 0007;
    an unreadable blob is dropped with its cursor (that project is synced again)."""
    from connectors.codec import snapshot_from, snapshot_to
    from tests.sync.store.test_state import a_snapshot, in_order

    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0006")
        blob = zlib.compress(json.dumps(snapshot_to(a_snapshot())).encode(), 6)
        for project, payload in (("p", blob), ("broken", b"not zlib")):
            connection.execute(text("INSERT INTO snapshots (project, payload, updated_at) "
                                    "VALUES (:p, :b, :t)"), {"p": project, "b": payload, "t": NOW})
            connection.execute(insert(cursors).values(project=project, cursor="c", updated_at=NOW))
    engine.dispose()
    store = StateStore(database_url)
    try:
        assert in_order(store.load_snapshot("p")) == in_order(a_snapshot())
        assert store.cursor("p") == "c"
        assert store.load_snapshot("broken") is None and store.cursor("broken") is None
    finally:
        store.close()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0006")
        payload = connection.execute(text("SELECT payload FROM snapshots")).scalar()
    engine.dispose()
    assert in_order(snapshot_from(json.loads(zlib.decompress(payload)))) == in_order(a_snapshot())


@pytest.mark.parametrize("command", [["run", "--once"], ["daemon"], ["report"]])
def test_a_database_of_a_newer_forewarn_is_one_clear_line_and_exit_1(
    database_url: str, demo_config: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], command: list[str],
) -> None:
    """Issue 17: ``run --once`` printed Alembic's 31-frame traceback."""
    from sync.app.cli import main

    StateStore(database_url).close()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    monkeypatch.setenv("FOREWARN_STATE_URL", database_url)
    monkeypatch.setenv("FOREWARN_HTTP_PORT", "0")
    assert main([*command, "-c", str(demo_config)]) == 1
    out, err = capsys.readouterr()
    (line,) = [line for line in (out + err).splitlines() if line.strip()]
    assert line.endswith(
        ": its schema is 0099, from a newer forewarn (this one knows up to "
        f"{head_revision()}): run that version, or restore a backup from before it"), line
    assert "cannot open the state store" in line and "Traceback" not in out + err
    assert revision_of(database_url) == "0099"  # untouched
