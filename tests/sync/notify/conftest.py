"""Local channel receivers for the notification tests (tests/fakes/channels.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.channels import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with smtp_receiver() as receiver:
        yield receiver
