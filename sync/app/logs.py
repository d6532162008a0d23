"""Logging for every forewarn command: text for people, JSON lines for log collectors.

``setup`` is the one set-up of every entry point (``run``, ``report``,
``daemon``, ``check-config``, ``demo``): the format (``FOREWARN_LOG_FORMAT``),
the level, and the masking of secrets; ``hide`` adds a config's secrets once
it is loaded.

``FOREWARN_LOG_FORMAT=json`` writes one JSON object per line: ``time`` (ISO
8601, UTC), ``level``, ``logger``, ``message``, the fields a call passes with
``extra=`` (the daemon's cycle line carries ``project``, ``status``,
``findings``, ``writes``, …) and ``exc_info`` with the traceback. The text
format is ``TIME LEVEL LOGGER: MESSAGE``.

Every line goes through :class:`Redactor` first: the secrets known to the
process (tracker tokens, App keys, the database password) are replaced by
``***`` wherever they appear, even inside a vendor library's message or a
traceback, and database URLs lose their password; so are the notification
channels' URLs and their credential-like parts.

PyGithub adds a handler of its own to the ``github`` logger when it is
imported, so its records would print twice and skip the JSON format;
:func:`tame_vendor_loggers` removes it (call it after the connectors are built).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from sqlalchemy.engine import make_url

from config import Config, Settings
from config.channels import secret_parts
from config.model import redact_url

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)))
_STANDARD |= {"message", "asctime", "taskName"}
MASK = "***"
#: Secrets shorter than this are not masked: "***" for every "a" would hide the logs.
MIN_SECRET = 6
#: Vendor loggers that are chattier than forewarn's own INFO: WARNING unless DEBUG.
QUIET = ("alembic", "urllib3", "github", "jira")


class Redactor:
    """Masks known secrets and URL passwords in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: tuple[str, ...] = ()
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        found = {secret.strip() for secret in secrets if len(secret.strip()) >= MIN_SECRET}
        # Longest first, so that a secret containing another is masked whole.
        self.secrets = tuple(sorted(found | set(self.secrets), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return redact_url(text) if "://" in text else text


def secrets_to_hide(config: Config | None, settings: Settings, url: str) -> list[str]:
    """What a Redactor must mask: the trackers' tokens and keys, the database password."""
    found = [secret.get_secret_value() for secret in (settings.github_token,
                                                       settings.jira_api_token) if secret]
    for tracker in (config.trackers.values() if config else ()):
        for name in ("token", "private_key"):
            value = getattr(tracker, name, None)
            if value is not None:
                found.append(value.get_secret_value())
    for channel in (config.channels.values() if config else ()):
        found += secret_parts(channel.url.get_secret_value())
    with suppress(Exception):
        password = make_url(url).password
        if password:
            found.append(str(password))
    return found


class _Formatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redactor(line)


class JsonFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redactor(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data:
                data[key] = self._value(value)
        if record.exc_info:
            data["exc_info"] = self.redactor(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, list | tuple):
            return [self._value(item) for item in value]
        if isinstance(value, dict):
            return {str(key): self._value(item) for key, item in value.items()}
        return self.redactor(str(value))


#: The Redactor of the handler ``configure`` installed last.
_active: Redactor | None = None


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """forewarn's own handler on the root logger: a second set-up replaces it."""


def configure(
    *, level: int | str, fmt: Literal["text", "json"], redactor: Redactor,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Put one handler that writes ``fmt`` to stderr on the root logger, in place of the one
    an earlier call put there (handlers of others, a test runner's, stay)."""
    global _active
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _Handler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    tame_vendor_loggers()
    _active = redactor
    return handler


def setup(settings: Settings, *, level: str, stream: TextIO | None = None) -> Redactor:
    """The logging of any command: ``settings.log_format`` at ``level``, masking the secrets
    the settings hold (tokens, the state URL's password) from the first line on."""
    redactor = Redactor(secrets_to_hide(None, settings, settings.state_url or ""))
    configure(level=level.upper(), fmt=settings.log_format, redactor=redactor, stream=stream)
    return redactor


def hide(config: Config, settings: Settings, url: str) -> None:
    """Mask a loaded config's secrets too (its trackers' tokens and keys, its database
    password) in every line from now on."""
    if _active is not None:
        _active.update(secrets_to_hide(config, settings, url))


def active_redactor() -> Redactor:
    """What the installed handler masks with (a new, empty one before ``setup``)."""
    return _active if _active is not None else Redactor()


def tame_vendor_loggers() -> None:
    """Quiet the chatty vendor loggers, and drop the stderr handler (and the INFO level)
    PyGithub gives the ``github`` logger at import: our handler formats its records."""
    quiet = logging.WARNING if logging.getLogger().level > logging.DEBUG else logging.NOTSET
    for name in QUIET:
        logging.getLogger(name).setLevel(quiet)
    vendor = logging.getLogger("github")
    for handler in list(vendor.handlers):
        if type(handler) is logging.StreamHandler:
            vendor.removeHandler(handler)
    vendor.propagate = True
