"""The trackers a project can name: GitHub, Jira, or a local JSON file.

Each checks at start-up that its way of logging in is complete and
unambiguous (a token or a GitHub App, not both; an e-mail for Jira Cloud), so
a connector is never built from credentials it cannot use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.fields import ConfigPath, FrozenModel, Secret

JIRA_LABEL_LIMIT = 255


_URL_RE = re.compile(r"^https?://[^\s/]+")


def _site_url(value: str, example: str) -> str:
    """An http(s) URL without credentials in it: those go in ``email`` and ``token``, where
    they are kept secret, not in a URL that is logged and shown."""
    if not _URL_RE.match(value):
        msg = f'not a URL: "{value}" (like {example})'
        raise ValueError(msg)
    host = value.split("://", 1)[1].split("/", 1)[0]
    if "@" in host:
        msg = "credentials do not belong in the URL: give them as email and token"
        raise ValueError(msg)
    return value.rstrip("/")


class GitHubTracker(FrozenModel):
    """github.com or GitHub Enterprise, with a token or as a GitHub App."""

    kind: Literal["github"]
    token: Secret | None = Field(
        default=None, description="A token; FOREWARN_GITHUB_TOKEN when neither this nor an app."
    )
    base_url: str | None = Field(
        default=None, description="GitHub Enterprise API URL, like https://ghe.example/api/v3."
    )
    app_id: int | None = Field(default=None, gt=0, description="GitHub App id (app auth).")
    private_key: Secret | None = Field(default=None, description="The app's PEM private key.")
    private_key_path: ConfigPath | None = Field(
        default=None, description="A file holding the app's PEM key, relative to the config."
    )
    installation_id: int | None = Field(
        default=None, gt=0, description="The app installation; looked up from the repo if unset."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _site_url(value, "https://github.example.com/api/v3")

    @field_validator("private_key_path")
    @classmethod
    def _key_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Only when loading from a file: programmatic configs may point anywhere.
        if value is not None and (info.context or {}).get("base_dir") and not value.is_file():
            msg = f"no such file: {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_auth(self) -> Self:
        app = any(
            v is not None
            for v in (self.app_id, self.private_key, self.private_key_path, self.installation_id)
        )
        if self.token is not None and app:
            msg = "use either token or a GitHub App (app_id, private_key), not both"
            raise ValueError(msg)
        if app and self.app_id is None:
            msg = "a GitHub App needs app_id"
            raise ValueError(msg)
        if app and (self.private_key is None) == (self.private_key_path is None):
            msg = "a GitHub App needs one of private_key or private_key_path"
            raise ValueError(msg)
        return self

    @property
    def uses_app(self) -> bool:
        return self.app_id is not None


class JiraTracker(FrozenModel):
    """Jira Cloud (email + API token) or Server/Data Center (personal access token)."""

    kind: Literal["jira"]
    url: str = Field(description="The site, like https://acme.atlassian.net.")
    email: str | None = Field(default=None, description="Jira Cloud: the token owner's email.")
    token: Secret | None = Field(
        default=None, description="API token (Cloud) or PAT (Server); else FOREWARN_JIRA_API_TOKEN."
    )
    deployment: Literal["auto", "cloud", "server"] = Field(
        default="auto", description="auto: cloud for *.atlassian.net, server otherwise."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _site_url(value, "https://acme.atlassian.net")

    @model_validator(mode="after")
    def _cloud_email(self) -> Self:
        if self.is_cloud and self.email is None:
            msg = "Jira Cloud needs email (the account the API token belongs to)"
            raise ValueError(msg)
        return self

    @property
    def is_cloud(self) -> bool:
        return jira_is_cloud(self.url, self.deployment)


def jira_is_cloud(url: str, deployment: str = "auto") -> bool:
    """``deployment``, or with ``auto`` the site's host: Cloud lives on Atlassian's domains."""
    if deployment == "auto":
        host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0]
        return host.endswith((".atlassian.net", ".jira.com"))
    return deployment == "cloud"


def jira_label_problem(name: str) -> str | None:
    """Why ``name`` cannot be a Jira label (a space splits it; at most 255 characters).

    The connector refuses such a label before any request; the config refuses it at
    start-up, so the mistake is found before a run, not as failed writes.
    """
    if any(char.isspace() for char in name):
        return f"Jira labels cannot contain spaces (write {'-'.join(name.split())})"
    if len(name) > JIRA_LABEL_LIMIT:
        return f"Jira labels hold at most {JIRA_LABEL_LIMIT} characters"
    return None


class LocalTracker(FrozenModel):
    """A tracker kept in one JSON file: the demo, offline exports, tests."""

    kind: Literal["local"]
    path: ConfigPath = Field(description="The JSON file, relative to the config file.")


Tracker = Annotated[GitHubTracker | JiraTracker | LocalTracker, Field(discriminator="kind")]
