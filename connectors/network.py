"""Why a request got no answer, in one line: which host, what happened, whether waiting helps.

``requests`` reports a failed connection as a chain (``ConnectionError`` →
urllib3's ``MaxRetryError`` → ``NameResolutionError`` → ``socket.gaierror``)
whose text is three hundred characters of pool reprs with the cause at the
end; cut to one line, the cause was the part that got lost. Both HTTP
connectors (GitHub, Jira) use ``requests``, so the chain is read here once:

* a host name that does not resolve, or a TLS failure (a certificate that
  does not verify), is **fatal**: waiting does not fix a typo in a URL, and
  retrying it only made a run sit silent for 12 s;
* a refused or dropped connection and a timeout are **retriable**: a server
  restarting, a proxy hiccup.
"""

from __future__ import annotations

import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import requests
import urllib3.exceptions


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """A request that got no HTTP answer: ``host`` and ``cause`` for the message, and
    whether trying again may help."""

    host: str
    cause: str
    retriable: bool

    def __str__(self) -> str:
        return f"cannot reach {self.host}: {self.cause}"


def host_of(url: str) -> str:
    """``api.github.com``, ``jira.example.com:8443``: the host a URL names, port if unusual."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or url
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None and port != default else host


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it, as far as the chain goes (urllib3 keeps the root
    in ``reason``, requests in ``args[0]``)."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (getattr(current, "reason", None), current.__cause__, current.__context__,
                    *(a for a in current.args if isinstance(a, BaseException))):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


def _errno_text(error: OSError) -> str:
    return (error.strerror or str(error) or type(error).__name__).strip().lower()


#: What each failure in a chain means, most telling first (urllib3's NewConnectionError is
#: a ConnectTimeoutError too: the refused connection under it says more).
_CAUSES: tuple[tuple[tuple[type[BaseException], ...], str, bool], ...] = (
    ((urllib3.exceptions.NameResolutionError, socket.gaierror),
     "the host name does not resolve (DNS)", False),
    ((ssl.SSLCertVerificationError,), "TLS: the certificate does not verify", False),
    ((requests.exceptions.SSLError, urllib3.exceptions.SSLError), "TLS handshake failed", False),
    ((ConnectionRefusedError,), "connection refused", True),
    ((ConnectionResetError,), "the connection was reset", True),
    ((requests.exceptions.ProxyError, urllib3.exceptions.ProxyError),
     "the proxy refused the connection", True),
    ((requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError),
     "no connection within the timeout", True),
    ((requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError),
     "no answer within the timeout", True),
    ((requests.exceptions.ChunkedEncodingError,), "the answer was cut off", True),
)


def no_answer(error: requests.RequestException, url: str) -> NoAnswer:
    """What a failed request means, read from the whole chain of its exception."""
    host = host_of(url)
    chain = list(_chain(error))
    for kinds, cause, retriable in _CAUSES:
        found = next((item for item in chain if isinstance(item, kinds)), None)
        if isinstance(found, ssl.SSLCertVerificationError) and found.verify_message:
            cause = f"TLS: {found.verify_message}"
        if found is not None:
            return NoAnswer(host, cause, retriable=retriable)
    root = chain[-1]
    text = _errno_text(root) if isinstance(root, OSError) else str(root).strip()
    first = text.splitlines()[0][:160] if text else type(root).__name__
    return NoAnswer(host, first, retriable=True)
