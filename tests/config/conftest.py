"""Helpers for config tests: write a YAML file, load it, read back the problems."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace

import pytest

from config import Config, ConfigError, load_config
from rules import registry
from rules.options import Duration, RuleOptions

Write = Callable[[str], Path]
Load = Callable[..., Config]
Problems = Callable[..., list[str]]


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    """An empty secrets directory, so that the machine's /run/secrets never leaks in."""
    path = tmp_path / "secrets"
    path.mkdir()
    return path


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Write:
    """Write ``forewarn.yaml`` in a temporary working directory; messages then start with it."""
    monkeypatch.chdir(tmp_path)

    def write(text: str) -> Path:
        path = Path("forewarn.yaml")
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write: Write, secrets_dir: Path) -> Load:
    def load(text: str, environ: Mapping[str, str] | None = None) -> Config:
        return load_config(write(text), environ=environ or {}, secrets_dir=secrets_dir)

    return load


@pytest.fixture
def problems(write: Write, secrets_dir: Path) -> Problems:
    """The problems of a config that must not load, as printed."""

    def problems(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load_config(write(text), environ=environ or {}, secrets_dir=secrets_dir)
        return [str(problem) for problem in caught.value.problems]

    return problems


class FakeOptions(RuleOptions):
    """A rule that exists only in tests: its own keys prove each rule validates its YAML."""

    limit: int = 3
    wait: Duration | None = None


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Replace the registry with two small fake rules."""
    rules: dict[str, object] = {
        kind: SimpleNamespace(KIND=kind, Options=FakeOptions, MESSAGES={}, evaluate=lambda *a: [])
        for kind in ("fake_rule", "other_rule")
    }
    monkeypatch.setattr(registry, "RULES", rules)
    return rules
