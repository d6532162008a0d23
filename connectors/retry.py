"""The one retry policy both trackers use.

PyGithub and jira each retry on their own; stacked under this policy they
would multiply attempts and sleeps, so both are built with their retries off
(``Github(retry=None)``, ``JIRA(max_retries=0)``) and every request goes
through here. Connectors turn a transient failure into ``RetriableError``
(with the server's requested wait when it gave one); everything else is not
retried. Bounded: tenacity's default retries forever.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import tenacity

from connectors.errors import RetriableError

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Seconds of waiting before a retry that deserve a warning (a rate limit, a long backoff).
LONG_WAIT = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. Tests use ``RetryPolicy(scale=0)`` so nothing sleeps."""

    attempts: int = 5
    initial: float = 1.0
    maximum: float = 60.0
    #: The longest server-requested wait (Retry-After, rate-limit reset) we accept;
    #: past it the request fails now and the next cycle tries again.
    max_server_wait: float = 900.0
    scale: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = tenacity.wait_random_exponential(multiplier=self.initial, max=self.maximum)
        seconds = backoff(state)
        if isinstance(error, RetriableError) and error.wait_seconds is not None:
            seconds = max(seconds, error.wait_seconds)
        return seconds * self.scale

    def give_up(self, state: tenacity.RetryCallState) -> bool:
        """Out of attempts, or the server asks for a longer wait than a cycle should block."""
        if state.attempt_number >= self.attempts:
            return True
        error = state.outcome.exception() if state.outcome else None
        return (
            isinstance(error, RetriableError)
            and error.wait_seconds is not None
            and error.wait_seconds > self.max_server_wait
        )

    def post_once(
        self, post: Callable[[], T], *, find: Callable[[], T | None], what: str
    ) -> T:
        """Create something that must exist once (a comment): before every retry, ``find``
        looks for it, because a request whose response was lost may well have landed.

        ``post`` raises ``RetriableError`` when the outcome is unknown (timeout, dropped
        connection, 502/504, an unreadable answer); ``find`` must not retry on its own.
        """
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                found = find()
                if found is not None:
                    log.info("%s: it landed although its response was lost; not sending it "
                             "again", what)
                    return found
            return post()

        return self.call(attempt, what=what)

    def call(self, func: Callable[[], T], *, what: str) -> T:
        """Run ``func`` until it succeeds, fails for good, or the attempts run out."""
        retrying = tenacity.Retrying(
            stop=self.give_up,
            wait=self.wait_for,
            retry=tenacity.retry_if_exception_type(RetriableError),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: self._tell(state, what),
        )
        return retrying(func)

    def _tell(self, state: tenacity.RetryCallState, what: str) -> None:
        """A retry is routine (INFO); a long wait is worth a WARNING, or a run looks hung.
        The failure itself is reported once, by whoever gets the last error."""
        wait = state.next_action.sleep if state.next_action else 0.0
        level = logging.WARNING if wait >= LONG_WAIT else logging.INFO
        log.log(level, "%s failed (%s); attempt %d of %d, next in %.0f s", what,
                state.outcome.exception() if state.outcome else "?", state.attempt_number,
                self.attempts, wait)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def server_wait(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or an exhausted rate limit.

    GitHub sends ``X-RateLimit-Reset`` as epoch seconds, Jira Cloud as an ISO
    timestamp; ``Retry-After`` may be seconds or an HTTP date.
    """
    now = now or datetime.now(UTC)
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    remaining = _header(headers, "X-RateLimit-Remaining")
    reset = _header(headers, "X-RateLimit-Reset")
    if remaining is not None and remaining.strip() == "0" and reset:
        value = reset.strip()
        if value.isdigit():
            return max(0.0, float(value) - now.timestamp())
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return None
