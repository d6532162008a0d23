"""Fixtures for the connector tests (GitHub ones are named github_*)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from connectors.base import DictMemo
from connectors.github.connector import GitHubConnector
from connectors.retry import RetryPolicy
from tests.connectors.github.support import GITHUB_NOW, GITHUB_TOKEN, GitHubReplay


@pytest.fixture
def github_replay() -> Iterator[GitHubReplay]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield GitHubReplay(rsps)


@pytest.fixture
def github_sleeps() -> list[float]:
    """The waits a connector asked for (nothing sleeps)."""
    return []


@pytest.fixture
def github_connector(github_sleeps: list[float]) -> Callable[..., GitHubConnector]:
    """Build a connector that never sleeps: waits are recorded in ``github_sleeps``."""

    def build(repo: str, **options: Any) -> GitHubConnector:
        options.setdefault("token", GITHUB_TOKEN)
        options.setdefault("memo", DictMemo())
        options.setdefault("project", "test")
        options.setdefault("retry", RetryPolicy(scale=0, sleep=github_sleeps.append))
        options.setdefault("min_write_interval", 0)
        options.setdefault("clock", lambda: GITHUB_NOW)
        options.setdefault("sleep", github_sleeps.append)
        return GitHubConnector(repo, **options)

    return build


@pytest.fixture
def github_no_secrets(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log record (PyGithub's debug lines too) and check none holds the token."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub pins its logger at INFO
    yield
    for record in caplog.records:
        assert GITHUB_TOKEN not in record.getMessage()
