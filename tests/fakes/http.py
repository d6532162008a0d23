"""What the GitHub and Jira fakes share: routing, the log of calls, faults and spoiled items.

A fake is a ``FakeServer`` whose routes map a method and a path to a
handler; ``serve`` puts it behind ``responses`` callbacks. Every request is
logged as a ``Call`` (status 0 when the answer never arrived). ``faults``
break requests on purpose, in the ways trackers and the network do;
``tamper`` spoils one item in the lists a fake answers (a broken payload, on
purpose).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
import responses

Json = dict[str, Any]
Reply = tuple[int, dict[str, str], str]
#: (method, path regex, the name of the handler method); groups become arguments.
Route = tuple[str, str, str]
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True, slots=True)
class Call:
    """One request a fake answered (``status`` 0: the answer never arrived)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def __str__(self) -> str:
        query = urllib.parse.urlencode(sorted(self.query.items()), safe=":")
        return f"{self.method} {self.path}" + (f"?{query}" if query else "") + f" -> {self.status}"


@dataclass
class Fault:
    """Break ``times`` requests matching ``method`` and ``path`` (a regex searched in the path).

    kinds: ``lost`` (the server does the work, the answer never arrives: a dropped
    connection), ``timeout`` (likewise, a read timeout), ``gateway`` (the server
    does the work, a proxy in front answers ``status`` with ``body``),
    ``truncated`` (the work is done and the JSON answer is cut short), ``status``
    (an error status with ``headers`` and ``body``, nothing done), ``connect``
    (nothing reaches the server).
    """

    method: str
    path: str
    kind: str
    times: int = 1
    status: int = 502
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.search(self.path, path) is not None

    def apply(self, work: Callable[[], Reply]) -> Reply:
        """Run ``work`` (the server's effect and answer) as the fault says."""
        if self.kind == "connect":
            raise requests.exceptions.ConnectionError("connection refused (fault injected)")
        if self.kind == "status":
            return self.status, dict(self.headers), _text(self.body or {})
        status, headers, body = work()
        if self.kind == "lost":
            raise requests.exceptions.ConnectionError("connection reset by peer (fault injected)")
        if self.kind == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out (fault injected)")
        if self.kind == "gateway":
            return self.status, dict(self.headers), _text(self.body)
        if self.kind == "truncated":
            return status, headers, body[: max(1, len(body) // 2)]
        msg = f"unknown fault kind {self.kind!r}"
        raise AssertionError(msg)


class Faults(list[Fault]):
    """The faults still to happen, in the order they were added."""

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None

    @property
    def cleared(self) -> bool:
        return all(fault.times <= 0 for fault in self)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else json.dumps(value)


class FakeServer:
    """A tracker's HTTP API in memory at ``url``; subclasses give their routes and answers."""

    CONTENT_TYPE: ClassVar[str] = "application/json"

    def __init__(self, url: str, routes: list[Route]) -> None:
        self.url = re.compile(re.escape(url) + r"(:443)?/.*")
        self.routes = routes
        self.calls: list[Call] = []
        self.faults = Faults()
        #: (kind, ident) -> how to spoil that item where the lists serve it.
        self.tamper: dict[tuple[str, Any], Callable[[Json], Any]] = {}

    def serve(self, rsps: responses.RequestsMock) -> None:
        for method in ("GET", *WRITE_METHODS):
            rsps.add_callback(method, self.url, callback=self.handle,
                              content_type=self.CONTENT_TYPE)

    def handle(self, request: requests.PreparedRequest) -> Reply:
        parts = urllib.parse.urlsplit(request.url or "")
        query = dict(urllib.parse.parse_qsl(parts.query))
        raw = request.body
        text = raw.decode() if isinstance(raw, bytes) else raw
        body = json.loads(text) if text else None
        method = request.method or "GET"

        def work() -> Reply:
            return self.dispatch(method, parts.path, query, body, request.headers)

        fault = self.faults.take(method, parts.path)
        try:
            status, headers, answer = fault.apply(work) if fault is not None else work()
        except requests.RequestException:
            self.calls.append(Call(method, parts.path, query, body, 0))
            raise
        self.calls.append(Call(method, parts.path, query, body, status))
        return status, {**self.headers(status), **headers}, answer

    def dispatch(self, method: str, path: str, query: dict[str, str], body: Any,
                 headers: Mapping[str, str]) -> Reply:
        """The answer of the first route that matches ``path``."""
        for verb, route, name in self.routes:
            found = re.fullmatch(route, path)
            if verb == method and found is not None:
                handler: Callable[..., Reply] = getattr(self, name)
                return handler(*found.groups(), query=query, body=body, headers=headers)
        return self.not_found()

    def not_found(self) -> Reply:
        raise NotImplementedError

    def headers(self, status: int) -> dict[str, str]:
        """Headers the tracker puts on every answer (an answer's own win)."""
        return {}

    def spoil(self, kind: str, ident: Any, item: Json) -> Any:
        spoil = self.tamper.get((kind, ident))
        return spoil(item) if spoil is not None else item

    def lose(self, method: str, path: str, body: Any = None) -> None:
        """The next such write is carried out, but its answer is lost on the way back:
        a 502 from the proxy in front."""
        self.faults.append(Fault(method, f"^{re.escape(path)}$", "gateway", body=body))

    def writes(self, since: int = 0) -> list[Call]:
        return [call for call in self.calls[since:] if call.is_write]

    @staticmethod
    def json(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return status, dict(headers or {}), _text(data)
