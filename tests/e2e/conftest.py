"""Fixtures for the end-to-end runs: a clean environment and connectors that never sleep.

``forewarn run --once`` is called in-process (``sync.app.cli.main``) exactly as a
user would call it; only two things differ from production, both here:

* no ``FOREWARN_*`` variable of the developer's shell leaks in (``configure`` writes
  the config and puts the token where the config says);
* the connectors' retry policy and write pacing record their waits instead of
  sleeping (the pacing is still computed: ``paced`` lists the waits asked for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

import connectors.github.connector
import connectors.jira.connector
from connectors.retry import RetryPolicy


@pytest.fixture
def configure(clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> Callable[..., Path]:
    """``configure(CONFIG, token=(variable, value), **values)``: forewarn.yaml from a
    template (its ``{state}`` a database in ``tmp_path``), the token in the environment."""

    def write(template: str, *, token: tuple[str, str], **values: object) -> Path:
        monkeypatch.setenv(*token)
        config = tmp_path / "forewarn.yaml"
        text = template.format(state=tmp_path / "state.db", **values)
        config.write_text(text, encoding="utf-8")
        return config

    return write


@pytest.fixture
def served_tracker(configure: Callable[..., Path]) -> Iterator[Callable[..., tuple[Path, Any]]]:
    """``served_tracker(CONFIG, token=(variable, value), build=factory, **values)``: the config
    (``configure``) and the fake tracker ``build()`` makes, served until the test ends."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:

        def serve(template: str, *, token: tuple[str, str], build: Callable[[], Any],
                  **values: object) -> tuple[Path, Any]:
            config = configure(template, token=token, **values)
            fake = build()
            fake.serve(rsps)
            return config, fake

        yield serve


@pytest.fixture
def paced() -> list[float]:
    """Every wait a connector asked for (retry backoff, write pacing); nothing sleeps."""
    return []


@pytest.fixture
def quiet_connectors(monkeypatch: pytest.MonkeyPatch, paced: list[float]) -> None:
    """The real connectors, built by ``sync.app.runtime`` as usual, with waits recorded."""
    policy = RetryPolicy(scale=0, sleep=paced.append)

    class GitHub(connectors.github.connector.GitHubConnector):
        def __init__(self, repo: str, **options: Any) -> None:
            options.update(retry=policy, sleep=paced.append)
            super().__init__(repo, **options)

    class Jira(connectors.jira.connector.JiraConnector):
        def __init__(self, project_key: str, **options: Any) -> None:
            options.update(retry=policy)
            super().__init__(project_key, **options)

    monkeypatch.setattr(connectors.github.connector, "GitHubConnector", GitHub)
    monkeypatch.setattr(connectors.jira.connector, "JiraConnector", Jira)
