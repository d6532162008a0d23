"""Connector errors, classed by what the caller should do about them."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
#: Shorter secrets are not masked: "***" for every "a" would garble the message.
MIN_SECRET = 6


class TrackerError(Exception):
    """Something went wrong talking to a tracker; the message never holds a secret."""


class RetriableError(TrackerError):
    """A transient failure (rate limit, 5xx, dropped connection): try again later."""

    def __init__(self, message: str, *, wait_seconds: float | None = None) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


class FatalError(TrackerError):
    """A failure that repeating will not fix (bad credentials, missing project)."""


class NotFound(FatalError):
    """The tracker answered 404: what the request names is not there (or not visible)."""


class CommentGone(NotFound):
    """A comment of forewarn's that someone deleted: editing it again can never work."""


class CannotPostComment(TrackerError):
    """A comment creation failed and its effect is unknown or refused."""


class RecordSkipped(TrackerError):
    """One tracker record could not be read; the rest of the fetch goes on."""


def masked(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced: a tracker (or a proxy before it) may echo the
    token it was sent in its error body. Mask before cutting a text short, or half a
    token would show."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET and secret in text:
            text = text.replace(secret, MASK)
    return text
