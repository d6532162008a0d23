"""Process settings: FOREWARN_* variables, secret files, and what wins over the YAML."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from pydantic import SecretStr

from config import (
    Config,
    ConfigError,
    GitHubTracker,
    JiraTracker,
    LocalTracker,
    Settings,
    effective_state_url,
    load_settings,
    tracker_token,
)
from config.settings import _existing_secrets_dir


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FOREWARN_* from the machine; an empty secrets directory."""
    for name in list(os.environ):
        if name.upper().startswith("FOREWARN_"):
            monkeypatch.delenv(name)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    return secrets


def test_defaults(clean_environment: Path) -> None:
    settings = load_settings(secrets_dir=clean_environment)
    assert settings.config == Path("forewarn.yaml")
    assert (settings.state_url, settings.log_level, settings.log_format) == (None, "INFO", "text")
    assert (settings.dry_run, settings.http_port) == (False, 8080)
    assert (settings.github_token, settings.jira_api_token) == (None, None)


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("FOREWARN_CONFIG", "/etc/forewarn.yaml", "config", Path("/etc/forewarn.yaml")),
        ("FOREWARN_STATE_URL", "sqlite:////data/fw.db", "state_url", "sqlite:////data/fw.db"),
        ("FOREWARN_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("FOREWARN_LOG_LEVEL", "warn", "log_level", "WARNING"),
        ("FOREWARN_LOG_FORMAT", "json", "log_format", "json"),
        ("FOREWARN_DRY_RUN", "1", "dry_run", True),
        ("FOREWARN_DRY_RUN", "false", "dry_run", False),
        ("FOREWARN_HTTP_PORT", "9100", "http_port", 9100),
        ("forewarn_http_port", "9101", "http_port", 9101),
        ("FOREWARN_SECRETS_DIR", "/var/run/secrets", "secrets_dir", Path("/var/run/secrets")),
    ],
)
def test_environment(
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: Path,
    variable: str,
    value: str,
    field: str,
    expected: object,
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(secrets_dir=clean_environment), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FOREWARN_LOG_LEVEL", "loud", 'FOREWARN_LOG_LEVEL: not a log level: "loud" '
                                       "(use DEBUG, INFO, WARNING, ERROR or CRITICAL)"),
        ("FOREWARN_LOG_FORMAT", "xml", 'FOREWARN_LOG_FORMAT: "xml" is not one of: text, json'),
        ("FOREWARN_HTTP_PORT", "http", 'FOREWARN_HTTP_PORT: expected a whole number, got "http"'),
        ("FOREWARN_HTTP_PORT", "70000",
         "FOREWARN_HTTP_PORT: should be less than or equal to 65535"),
        ("FOREWARN_DRY_RUN", "perhaps", 'FOREWARN_DRY_RUN: expected true or false, got "perhaps"'),
    ],
)
def test_bad_environment(
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: Path,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(secrets_dir=clean_environment)
    assert str(caught.value) == message


def test_secret_files(clean_environment: Path) -> None:
    (clean_environment / "forewarn_github_token").write_text("ghp_from_file", encoding="utf-8")
    (clean_environment / "forewarn_jira_api_token").write_text("jira_from_file", encoding="utf-8")
    settings = load_settings(secrets_dir=clean_environment)
    assert settings.github_token == SecretStr("ghp_from_file")
    assert settings.jira_api_token == SecretStr("jira_from_file")


@pytest.mark.parametrize("source", ["environment", "file"])
@pytest.mark.parametrize("value", ["ghp_K8sT0ken\n", "ghp_K8sT0ken\r\n", "  ghp_K8sT0ken \n"])
def test_tokens_lose_the_line_break_a_kubernetes_secret_ends_with(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path, source: str, value: str,
) -> None:
    if source == "environment":
        monkeypatch.setenv("FOREWARN_GITHUB_TOKEN", value)
        monkeypatch.setenv("FOREWARN_JIRA_API_TOKEN", value)
    else:
        (clean_environment / "forewarn_github_token").write_text(value, encoding="utf-8")
        (clean_environment / "forewarn_jira_api_token").write_text(value, encoding="utf-8")
    settings = load_settings(secrets_dir=clean_environment)
    assert settings.github_token == SecretStr("ghp_K8sT0ken")
    assert settings.jira_api_token == SecretStr("ghp_K8sT0ken")


def test_a_blank_token_is_no_token(monkeypatch: pytest.MonkeyPatch,
                                   clean_environment: Path) -> None:
    monkeypatch.setenv("FOREWARN_GITHUB_TOKEN", "\n")
    assert load_settings(secrets_dir=clean_environment).github_token is None


def test_environment_wins_over_files_and_arguments_win_over_both(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / "forewarn_log_level").write_text("ERROR", encoding="utf-8")
    monkeypatch.setenv("FOREWARN_LOG_LEVEL", "DEBUG")
    assert load_settings(secrets_dir=clean_environment).log_level == "DEBUG"
    assert load_settings(secrets_dir=clean_environment, log_level="warning").log_level == "WARNING"


def test_no_secrets_dir_no_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path / "absent"))
    assert _existing_secrets_dir() is None
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path))
    assert _existing_secrets_dir() == str(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Settings()


def test_repr_never_shows_a_secret(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    monkeypatch.setenv("FOREWARN_GITHUB_TOKEN", "ghp_settings_secret")
    monkeypatch.setenv("FOREWARN_JIRA_API_TOKEN", "jira_settings_secret")
    monkeypatch.setenv("FOREWARN_STATE_URL", "postgresql+psycopg://fw:pg-password@db/fw")
    settings = load_settings(secrets_dir=clean_environment)
    for shown in (repr(settings), str(settings)):
        assert "ghp_settings_secret" not in shown
        assert "jira_settings_secret" not in shown
        assert "pg-password" not in shown
    assert "postgresql+psycopg://fw:***@db/fw" in repr(settings)
    assert settings.state_url == "postgresql+psycopg://fw:pg-password@db/fw"


@pytest.mark.parametrize(
    ("setting", "yaml", "expected"),
    [
        ("postgresql://db/fw", "sqlite:///yaml.db", "postgresql://db/fw"),
        (None, "sqlite:///yaml.db", "sqlite:///yaml.db"),
        (None, None, "sqlite:///forewarn.db"),
    ],
)
def test_effective_state_url(
    clean_environment: Path, setting: str | None, yaml: str | None, expected: str
) -> None:
    settings = load_settings(secrets_dir=clean_environment, state_url=setting)
    config = Config(version=1, state=yaml)
    assert effective_state_url(settings, config) == expected


def test_effective_state_url_without_a_config(clean_environment: Path) -> None:
    assert effective_state_url(load_settings(secrets_dir=clean_environment)) == "sqlite:///forewarn.db"


GITHUB = GitHubTracker(kind="github")
GITHUB_TOKEN = GitHubTracker.model_validate({"kind": "github", "token": "yaml-gh"})
GITHUB_APP = GitHubTracker.model_validate({"kind": "github", "app_id": 1, "private_key": "k"})
JIRA = JiraTracker(kind="jira", url="https://jira.example")
JIRA_TOKEN = JiraTracker.model_validate(
    {"kind": "jira", "url": "https://jira.example", "token": "yaml-j"}
)
LOCAL = LocalTracker.model_validate({"kind": "local", "path": "demo.json"})


@pytest.mark.parametrize(
    ("tracker", "expected"),
    [
        (GITHUB, "env-gh"),
        (GITHUB_TOKEN, "yaml-gh"),
        (GITHUB_APP, None),
        (JIRA, "env-j"),
        (JIRA_TOKEN, "yaml-j"),
        (LOCAL, None),
    ],
)
def test_tracker_token(
    clean_environment: Path,
    tracker: GitHubTracker | JiraTracker | LocalTracker,
    expected: str | None,
) -> None:
    settings = load_settings(
        secrets_dir=clean_environment, github_token="env-gh", jira_api_token="env-j"
    )
    token = tracker_token(tracker, settings)
    assert (token.get_secret_value() if token else None) == expected
