"""Connector errors, classed by what the caller should do about them.

A message is one line that says what failed, why, and what to check
(``GitHub acme/portal: 401: the token was refused; check FOREWARN_GITHUB_TOKEN``):
the CLI prints it as it is, once per project.
"""

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


class RateLimited(RetriableError):
    """The tracker's request quota is spent (or a secondary limit hit): wait, then go on."""


class FatalError(TrackerError):
    """A failure that repeating will not fix (bad credentials, missing project).

    ``status`` is the HTTP status the tracker answered, where there was one, so a
    caller can say what a 403 means for the request it made.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CredentialsRefused(FatalError):
    """The tracker refused the token (401): nothing else can work until it is fixed."""


class NotFound(FatalError):
    """The repository, project, issue or board is not there, or the account cannot see it."""


class Unreachable(FatalError):
    """The tracker's host cannot be reached for a reason waiting will not fix (its name
    does not resolve, its certificate does not verify)."""


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
