"""Sending to notification channels through Apprise, and what a channel check says.

One ``Apprise`` object per message and channel (they are not shared between the
daemon's threads). What a send can end as:

* ``sent`` — Apprise reports success;
* ``failed`` — the channel refused it or could not be reached (an HTTP error, a
  refused connection): retried at once under the project's retry policy
  (``connectors/retry.py``), and by a later cycle while it still matters;
* ``unknown`` — the request left but no answer came (a read timeout, a dropped
  connection, Apprise's own time limit): the message may have arrived, so it is
  never sent again (at most once).

Apprise's own log lines quote URLs and sometimes tokens: the ``apprise`` logger
is kept out of forewarn's logs (``propagate = False``); its entries are read
from each send's result instead, with every credential of the URL masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from config.channels import mask, quiet_apprise
from connectors.errors import RetriableError
from connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

Delivered = Literal["sent", "failed", "unknown"]
#: Seconds one message may take, retries inside Apprise included; past it the outcome
#: is unknown. Each URL's own socket timeouts (``cto``, ``rto``) apply within it.
SEND_TIMEOUT = 60.0
#: Failures after which the request had left: the message may have arrived.
_MAYBE_ARRIVED = re.compile(
    r"Read timed out|RemoteDisconnected|Connection aborted|IncompleteRead|"
    r"SMTPServerDisconnected|Connection reset by peer", re.IGNORECASE)
_NAME = "forewarn"


class ChannelRefused(RetriableError):
    """The channel refused a message or could not be reached: nothing arrived."""


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Delivered
    #: Why it failed, or what is unknown (no credential in it).
    detail: str = ""


def keep_apprise_logs_apart() -> None:
    """Apprise's records stay out of forewarn's handlers: they quote URLs. Each send
    reads its own entries from the result (DEBUG included, to classify failures)."""
    logger = logging.getLogger("apprise")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


@dataclass
class Channels:
    """The configured channels by name, each an Apprise URL (kept secret)."""

    urls: Mapping[str, str] = field(repr=False)
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=3))
    timeout: float = SEND_TIMEOUT

    def __repr__(self) -> str:
        return f"Channels({sorted(self.urls)})"

    def send(self, channel: str, *, subject: str, body: str) -> Delivery:
        """Send one Markdown message to ``channel``; retried while the channel refuses it."""
        url = self.urls[channel]

        def attempt() -> tuple[Delivered, str]:
            outcome, detail = _send_once(url, subject=subject, body=body, timeout=self.timeout)
            if outcome == "failed":
                raise ChannelRefused(f"channel {channel}: {detail}")
            return outcome, detail

        try:
            outcome, detail = self.retry.call(attempt, what=f"the message to channel {channel}")
        except ChannelRefused as error:
            return Delivery("failed", str(error))
        if outcome == "unknown":
            log.warning("channel %s: no answer, the message may or may not have arrived; it "
                        "is not sent again: %s", channel, detail)
        return Delivery(outcome, detail)

    def describe(self, channel: str) -> str:
        """``E-Mail (mailto://user:****@example.com)``: the service and its URL, masked."""
        return describe_url(self.urls[channel])


def describe_url(url: str) -> str:
    """The service's name and its URL with the credentials masked, or why it is unusable."""
    import apprise

    with quiet_apprise():
        try:
            plugin = apprise.Apprise.instantiate(url)
        except Exception:  # a plugin refusing its arguments
            plugin = None
    if plugin is None:
        return "not a usable Apprise URL"
    # Apprise's privacy form: passwords and tokens shortened (T...2), the host kept.
    shown = str(plugin.url(privacy=True)).split("?", 1)[0]  # type: ignore[no-untyped-call]
    return f"{plugin.service_name} ({shown})"


def _send_once(url: str, *, subject: str, body: str, timeout: float) -> tuple[Delivered, str]:
    import apprise

    keep_apprise_logs_apart()
    asset = apprise.AppriseAsset(app_id=_NAME, app_desc=_NAME, storage_mode="memory")
    sender = apprise.Apprise(asset=asset)
    with quiet_apprise():
        added = sender.add(url)
    if not added:
        return "failed", "not a usable Apprise URL"
    result = sender.notify(body=body, title=subject, body_format=apprise.NotifyFormat.MARKDOWN,
                           timeout=timeout, log_level=logging.DEBUG)
    status = result.status
    if status == apprise.AppriseResultStatus.SUCCESS:
        return "sent", ""
    entries = [entry.message for entry in result.logs()]
    problems = [entry.message for entry in result.logs()
                if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    detail = mask("; ".join(problems[-2:]) or status.name.lower(), url)
    if status == apprise.AppriseResultStatus.TIMEOUT or any(
            _MAYBE_ARRIVED.search(text) for text in entries):
        return "unknown", detail
    return "failed", detail
