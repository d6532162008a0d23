"""Connection failures as ``requests`` raises them: the whole chain, built the way
urllib3 2.x builds it (``ConnectionError`` → ``MaxRetryError`` → the cause), so that
classifying them reads what a real failure carries."""

from __future__ import annotations

import socket

import requests
import urllib3.exceptions
from urllib3.connection import HTTPSConnection


def _wrapped(host: str, reason: Exception) -> requests.exceptions.ConnectionError:
    retries = urllib3.exceptions.MaxRetryError(None, f"https://{host}/", reason)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(retries)


def dns_failure(host: str) -> requests.exceptions.ConnectionError:
    """What ``requests.get("https://HOST/")`` raises when HOST does not resolve."""
    conn = HTTPSConnection(host, 443)
    cause = socket.gaierror(-2, "Name or service not known")
    resolution = urllib3.exceptions.NameResolutionError(host, conn, cause)
    resolution.__cause__ = cause
    return _wrapped(host, resolution)


def refused_connection(host: str) -> requests.exceptions.ConnectionError:
    """What ``requests.get("https://HOST/")`` raises when nothing listens there."""
    conn = HTTPSConnection(host, 443)
    cause = ConnectionRefusedError(111, "Connection refused")
    refused = urllib3.exceptions.NewConnectionError(
        conn, f"Failed to establish a new connection: {cause}")
    refused.__cause__ = cause
    return _wrapped(host, refused)
