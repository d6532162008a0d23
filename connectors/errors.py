"""Connector errors, classed by what the caller should do about them."""

from __future__ import annotations


class TrackerError(Exception):
    """Something went wrong talking to a tracker; the message never holds a secret."""


class RetriableError(TrackerError):
    """A transient failure (rate limit, 5xx, dropped connection): try again later."""

    def __init__(self, message: str, *, wait_seconds: float | None = None) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


class RateLimited(RetriableError):
    """The tracker's request quota is spent (or a secondary limit hit): wait, then go on."""


class FatalError(TrackerError):
    """A failure that repeating will not fix (bad credentials, missing project)."""


class CannotPostComment(TrackerError):
    """A comment creation failed and its effect is unknown or refused."""


class RecordSkipped(TrackerError):
    """One tracker record could not be read; the rest of the fetch goes on."""
