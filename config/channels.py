"""Notification channels: where alerts, reminders and digests go besides the tracker.

A channel is an Apprise URL (https://appriseit.com/services/) with a name::

    channels:
      pm: "mailto://${SMTP_USER}:${SMTP_PASSWORD}@mail.example.com?to=pm@example.com"
      team:
        url: "slack://${SLACK_TOKENS}/#delivery"
        severity: warning            # the least severe finding sent as an alert
        digest: {every: daily 09:00} # the channel digest, in the project's time zone
        events: [alert, reminder, digest]

Projects (``notify_channels: [pm]``) and rules (``notify_channels: [team]``) name
the channels their findings go to. A URL holds credentials: it is a secret
(``SecretStr``: never in a repr, a dump or a log), written with ``${VAR}`` or
read from ``/run/secrets``. Its form is checked when the file is loaded, with
Apprise's own parser (a known service, a URL it can take apart);
``check-config --connect`` also asks the service whether it takes the values
(a token's shape, an address), sending nothing. A problem never quotes a URL.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, field_validator

from config.fields import FrozenModel
from config.summary import Summary
from rules.registry import suggest

#: What a channel may receive: a finding's first appearance and escalations, reminders
#: before a deadline, the channel digest, and the period's expectation summary.
Event = Literal["alert", "reminder", "digest", "summary"]
EVENTS: tuple[Event, ...] = ("alert", "reminder", "digest", "summary")
#: A URL's parts shorter than this are not secrets worth masking ("to", "yes", "443").
_SECRET_PART = 6
_SCHEMA_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")


@contextlib.contextmanager
def quiet_apprise() -> Iterator[None]:
    """Apprise logs a rejected URL with its tokens in the message: silence it while
    forewarn checks one (forewarn words the problem itself, without them)."""
    logger = logging.getLogger("apprise")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def form_problem(url: str) -> str | None:
    """Why ``url`` is no Apprise URL (None when its form is one), by Apprise's own parser:
    a known service and a URL it can take apart. Whether the service accepts the values
    (a token's shape, an address) is :func:`service_problem`'s. Never quotes the URL."""
    from apprise import plugins
    from apprise.manager_plugins import NotificationManager

    match = _SCHEMA_RE.match(url)
    if match is None:
        return "not an Apprise URL (write service://…, like json://hooks.example.com/forewarn)"
    schema = match.group(1).lower()
    schemas = sorted(NotificationManager().schemas())  # type: ignore[no-untyped-call]
    with quiet_apprise():
        parsed = plugins.url_to_dict(url)  # type: ignore[no-untyped-call]
    if parsed is not None:
        return None
    if schema not in schemas:
        return f'no notification service "{schema}://"{suggest(schema, schemas)}'
    return f"Apprise cannot parse this {schema}:// URL (see its page on appriseit.com)"


def service_problem(url: str) -> str | None:
    """Why the service refuses the values of ``url`` (None when it takes them): what
    ``check-config --connect`` reports. Sends nothing; never quotes a credential."""
    import apprise

    problem = form_problem(url)
    if problem:
        return problem
    with quiet_apprise():
        try:
            plugin = apprise.Apprise.instantiate(url, suppress_exceptions=False)
        except Exception as error:  # a plugin refusing its arguments raises anything
            return mask(str(error), url)
    return None if plugin is not None else "Apprise cannot use this URL"


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that may be credentials (user, password, path and query values),
    for the log redactor: a vendor's message may quote any of them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    # Some services keep a token where a host would be (slack://TOKEN_A/…).
    host = parts.netloc.rpartition("@")[2].partition(":")[0]
    pieces = [url, parts.username or "", parts.password or "", host]
    pieces += parts.path.split("/")
    pieces += [value for pair in parts.query.split("&") for value in pair.split("=")[1:]]
    pieces += [unquote(piece) for piece in pieces]
    return [piece for piece in dict.fromkeys(pieces) if len(piece) >= _SECRET_PART]


def mask(text: str, url: str) -> str:
    """``text`` with every credential-like part of ``url`` shown as ``***``."""
    pieces = [piece for piece in secret_parts(url) if piece != url]  # its parts say enough
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, "***")
    return text


def _apprise_url(value: SecretStr) -> SecretStr:
    problem = form_problem(value.get_secret_value())
    if problem:
        raise ValueError(problem)
    return value


def _shorthand(value: Any) -> Any:
    """``pm: "mailto://…"`` is a channel with only its URL."""
    return {"url": value} if isinstance(value, str | SecretStr) else value


ChannelUrl = Annotated[SecretStr, AfterValidator(_apprise_url)]


class Digest(FrozenModel):
    """The channel digest: one message a day or a week with what is open and what ended."""

    every: str = Field(
        description="daily HH:MM, or a weekday and HH:MM, in the project calendar's time zone."
    )

    @field_validator("every")
    @classmethod
    def _schedule(cls, value: str) -> str:
        # The summary's schedule, parsed by the same rules (``monday 09:00``, ``daily 9:00``).
        return Summary(every=value).every


class Channel(FrozenModel):
    """One destination: an Apprise URL and what it receives."""

    url: ChannelUrl = Field(description="An Apprise URL; a secret: use ${VAR} or /run/secrets.")
    audience: Literal["team", "client"] = Field(
        default="team",
        description="team: names and instructions; client: the client's voice, no names.",
    )
    severity: Literal["warning", "critical"] = Field(
        default="warning", description="The least severe finding sent as an alert."
    )
    events: tuple[Event, ...] = Field(
        default=("alert", "reminder", "digest"), description="What this channel receives."
    )
    digest: Digest | None = Field(default=None, description="The channel digest's schedule.")

    @field_validator("events", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


ChannelEntry = Annotated[
    Channel,
    BeforeValidator(_shorthand),
    Field(json_schema_extra={"anyOf": [
        {"type": "string", "description": "An Apprise URL (the channel with its defaults)."},
        {"$ref": "#/$defs/Channel"},
    ]}),
]
