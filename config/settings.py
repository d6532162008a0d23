"""Process settings: how forewarn runs, as opposed to what it watches (``forewarn.yaml``).

Read from ``FOREWARN_*`` environment variables and, when the directory exists,
from files in ``/run/secrets`` (``/run/secrets/forewarn_github_token``): the
usual way containers receive credentials. Tokens given here are used by
trackers whose YAML entry has none, so a config file can be committed
without secrets.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.interpolation import DEFAULT_SECRETS_DIR, SECRETS_DIR_VARIABLE
from config.load import ConfigError, Problem
from config.model import Config, redact_url
from config.pydantic_errors import SECRET_KEYS, describe_error
from config.trackers import GitHubTracker, JiraTracker, LocalTracker

ENV_PREFIX = "FOREWARN_"
DEFAULT_STATE_URL = "sqlite:///forewarn.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _existing_secrets_dir() -> str | None:
    # pydantic-settings warns about a secrets_dir that does not exist; outside a
    # container there is none, so only name it when it is there.
    path = Path(os.environ.get(SECRETS_DIR_VARIABLE) or DEFAULT_SECRETS_DIR)
    return str(path) if path.is_dir() else None


class Settings(BaseSettings):
    """``FOREWARN_CONFIG``, ``FOREWARN_STATE_URL``, ``FOREWARN_LOG_LEVEL``, …"""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        secrets_dir=_existing_secrets_dir(),
        extra="ignore",
        frozen=True,
    )

    config: Path = Field(default=Path("forewarn.yaml"), description="The config file.")
    state_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the state store; wins over the YAML state."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    log_format: Literal["text", "json"] = "text"
    dry_run: bool = Field(default=False, description="Plan writes, print them, change nothing.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="/healthz and /metrics.")
    secrets_dir: Path = Field(
        default=DEFAULT_SECRETS_DIR, description="Where ${VAR} in the YAML looks after the env."
    )
    github_token: SecretStr | None = Field(
        default=None, description="For GitHub trackers without a token or app in the YAML."
    )
    jira_api_token: SecretStr | None = Field(
        default=None, description="For Jira trackers without a token in the YAML."
    )

    @field_validator("github_token", "jira_api_token", "state_url", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        # A Kubernetes secret put into the environment often ends in a newline: it is no
        # part of the token (and in an HTTP header it would fail the request, echoing it).
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        level = "WARNING" if level == "WARN" else level
        if level not in LOG_LEVELS:
            msg = f'not a log level: "{value}" (use DEBUG, INFO, WARNING, ERROR or CRITICAL)'
            raise ValueError(msg)
        return level

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "state_url" and value else value)


def load_settings(*, secrets_dir: Path | None = None, **values: Any) -> Settings:
    """Settings from the environment (``values`` win, e.g. from the command line).

    Raises ConfigError naming the variable at fault: ``FOREWARN_HTTP_PORT: …``.
    """
    try:
        if secrets_dir is not None:
            return Settings(_secrets_dir=secrets_dir, **values)
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            secret = name in SECRET_KEYS
            message = describe_error(error, show_input=not secret)
            problems.append(Problem(ENV_PREFIX + name.upper(), None, None, message))
        raise ConfigError(problems) from None


def effective_state_url(settings: Settings, config: Config | None = None) -> str:
    """``FOREWARN_STATE_URL``, else the YAML ``state``, else ``sqlite:///forewarn.db``."""
    if settings.state_url:
        return settings.state_url
    if config is not None and config.state:
        return config.state
    return DEFAULT_STATE_URL


def default_tokens(settings: Settings) -> frozenset[str]:
    """The tracker kinds the settings hold a token for (``load_config(default_tokens=…)``)."""
    given = {"github": settings.github_token, "jira": settings.jira_api_token}
    return frozenset(kind for kind, token in given.items()
                     if token is not None and token.get_secret_value().strip())


def tracker_token(
    tracker: GitHubTracker | JiraTracker | LocalTracker, settings: Settings
) -> SecretStr | None:
    """The token a tracker authenticates with: its own, else the one from the settings.

    None for a GitHub App (it signs with its key) and for the local tracker.
    """
    if isinstance(tracker, GitHubTracker):
        if tracker.uses_app:
            return None
        return tracker.token or settings.github_token
    if isinstance(tracker, JiraTracker):
        return tracker.token or settings.jira_api_token
    return None
