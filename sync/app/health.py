"""The daemon's HTTP endpoint: ``/healthz``, ``/readyz`` and ``/metrics``.

* ``/healthz`` — alive: 200 while the daemon's main loop keeps turning (it
  turns at least once a second), 503 when it has been stuck for
  ``STUCK_AFTER`` seconds. The container's HEALTHCHECK and a Kubernetes
  liveness probe use it.
* ``/readyz`` — ready: 200 when the config is loaded, the state store answers
  and every project's latest finished cycle (by any replica) is no older than
  three of its intervals; 503 otherwise. The body is JSON saying which check
  failed, per project.
* ``/metrics`` — Prometheus text format (sync/app/metrics.py).

A ``ThreadingHTTPServer`` on a daemon thread: a slow scrape never holds up
the scheduler, and the server dies with the process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)
#: Seconds without a turn of the main loop after which /healthz says it is stuck.
STUCK_AFTER = 60.0

Check = Callable[[], tuple[bool, dict[str, Any]]]


class HealthServer:
    def __init__(
        self, *, port: int, alive: Check, ready: Check, metrics: Callable[[], bytes],
        host: str = "",
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/healthz": lambda: _json(alive()),
            "/readyz": lambda: _json(ready()),
            "/metrics": lambda: (HTTPStatus.OK, CONTENT_TYPE_LATEST, metrics()),
        }

        class Handler(BaseHTTPRequestHandler):
            server_version = "forewarn"

            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status: int
                if route is None:
                    status, kind, body = HTTPStatus.NOT_FOUND, "text/plain", b"not found\n"
                else:
                    try:
                        status, kind, body = route()
                    except Exception:  # a broken check must answer, not hang the probe
                        log.exception("%s failed", self.path)
                        status, kind, body = (HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain",
                                              b"error\n")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("http: " + format, *args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="forewarn-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _json(result: tuple[bool, dict[str, Any]]) -> tuple[int, str, bytes]:
    ok, body = result
    status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
    payload = json.dumps({"status": "ok" if ok else "failing", **body}, sort_keys=True)
    return status, "application/json", (payload + "\n").encode()
