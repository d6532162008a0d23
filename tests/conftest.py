"""Shared fixtures: a clock that only moves when told, state stores, the demo tracker."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from sync.store.state import StateStore, runs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEMO_NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the code under test reads; tests move it, nothing sleeps."""

    now: datetime = DEMO_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Every command sets the root logger up (sync.app.logs.setup): each test gets it back
    as it was, so a handler writing to one test's captured stderr never outlives it."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    vendors = {name: logging.getLogger(name).level
               for name in ("alembic", "urllib3", "github", "jira")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, vendor_level in vendors.items():
        logging.getLogger(name).setLevel(vendor_level)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def demo_tracker(tmp_path: Path) -> Path:
    target = tmp_path / "demo-tracker.json"
    shutil.copy(EXAMPLES / "demo-tracker.json", target)
    return target


@pytest.fixture
def demo_config(tmp_path: Path, demo_tracker: Path) -> Path:
    target = tmp_path / "forewarn.yaml"
    text_ = (EXAMPLES / "forewarn.yaml").read_text(encoding="utf-8")
    target.write_text(text_.replace("sqlite:///forewarn-demo.db",
                                    f"sqlite:///{tmp_path / 'state.db'}"), encoding="utf-8")
    return target


@pytest.fixture
def two_project_config(demo_config: Path, demo_tracker: Path) -> Path:
    """The demo config with a second project on a tracker of its own (reports of several;
    two projects on one tracker project are refused)."""
    shutil.copy(demo_tracker, demo_tracker.with_name("portal-tracker.json"))
    text_ = demo_config.read_text(encoding="utf-8")
    text_ = text_.replace("trackers:\n",
                          "trackers:\n  portal: {kind: local, path: portal-tracker.json}\n", 1)
    second = ("  - {name: portal, tracker: portal, calendar: shanghai, clients: external, "
              "status_issue: 1}\n")
    demo_config.write_text(text_.replace("rules:\n", second + "rules:\n", 1), encoding="utf-8")
    return demo_config


def _postgres_url() -> str | None:
    return os.environ.get("FOREWARN_TEST_DATABASE_URL") or None


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """The same tests against SQLite and, when CI provides it, a real PostgreSQL."""
    if request.param == "sqlite":
        state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        yield state
        state.close()
        return
    url = _postgres_url()
    if url is None:
        pytest.skip("FOREWARN_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    state = StateStore(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        yield state
    finally:
        state.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    from tests.sync.app.daemon_support import postgres_schema

    url = _postgres_url()
    if url is None:
        pytest.skip("FOREWARN_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    with postgres_schema(url) as schema_url:
        yield schema_url


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FOREWARN_* variable of the developer's shell, and no secrets directory."""
    for name in list(os.environ):
        if name.startswith("FOREWARN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path / "no-secrets"))


def run_log(store: StateStore, project: str) -> list[dict[str, Any]]:
    """The project's rows of the ``runs`` table, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(runs).where(runs.c.project == project).order_by(runs.c.id))
        return [dict(row._mapping) for row in rows]
