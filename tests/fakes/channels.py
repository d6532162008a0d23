"""Local receivers standing in for notification channels: an SMTP server and an HTTP endpoint.

Apprise speaks to them for real, over the loopback: ``mailto://127.0.0.1:PORT?…``
reaches the SMTP server (aiosmtpd), ``json://127.0.0.1:PORT/hook`` (a generic
webhook) and ``ntfy://127.0.0.1:PORT/topic`` reach the HTTP one. Slack's and
Teams' URLs are fixed to their own hosts over HTTPS (``hooks.slack.com``,
``*.logic.azure.com``): those are tested with ``responses`` instead.

The HTTP receiver answers by its ``script`` (one answer per request, then
``ok``): ``ok`` (200), ``500``, ``drop`` (reads the request, closes the
connection without answering: the response is lost) or ``hang`` (reads it and
answers nothing until the test ends: a read timeout).
"""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    body: dict[str, Any]


@dataclass
class HttpReceiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def url(self, schema: str = "json", path: str = "hook", query: str = "") -> str:
        return f"{schema}://127.0.0.1:{self.port}/{path}" + (f"?{query}" if query else "")

    def next_answer(self) -> str:
        return self.script.pop(0) if self.script else "ok"


@dataclass
class SmtpReceiver:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    def url(self, to: str = "pm@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}/{to}?from=forewarn@example.com"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def texts(self) -> list[str]:
        """The plain-text part of every message received."""
        return [str(m.get_body(("plain",)).get_content()) for m in self.messages]  # type: ignore[union-attr]


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
            receiver.received.append(Received(self.path, body))
            answer = receiver.next_answer()
            if answer == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if answer == "hang":
                receiver.released.wait(10)
                return
            self.send_response(500 if answer == "500" else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(port=_free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
