"""Drive a real ``forewarn daemon`` process: JSON logs read as they come, HTTP, signals.

Nothing sleeps: every wait polls a condition (a log line, an HTTP answer, the
process's exit) until a deadline, and fails with what the daemon said.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from connectors.markers import find_marker

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60.0
Line = dict[str, Any]


class DaemonProcess:
    """``python -m sync.app.cli daemon -c CONFIG ARGS`` with JSON logs on a free port
    (``command="run"`` runs ``forewarn run`` the same way; its standard output is in
    ``out``).

    With ``pause_after_writes=N`` it runs through ``tests.sync.app.paused_daemon``: the
    daemon stops before its write N+1 and waits there until it is told to stop; with
    ``sigstop=True`` too, it stops itself there with SIGSTOP instead (``resume`` sends
    SIGCONT).
    """

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None,
                 pause_after_writes: int | None = None, sigstop: bool = False,
                 command: str = "daemon") -> None:
        environ = {key: value for key, value in os.environ.items()
                   if not key.startswith("FOREWARN_")}
        environ |= {"FOREWARN_HTTP_PORT": "0", "FOREWARN_LOG_FORMAT": "json",
                    "FOREWARN_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        environ |= env or {}
        module = ["-m", "sync.app.cli"]
        if pause_after_writes is not None:
            module = ["-m", "tests.sync.app.paused_daemon", str(pause_after_writes)]
            module += ["--sigstop"] if sigstop else []
        self.argv = [sys.executable, *module, command, "-c", str(config), *args]
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=environ, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        self.lines: list[Line] = []
        self.raw: list[str] = []
        self.out: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._out_reader = threading.Thread(target=self._read_out, daemon=True)
        self._out_reader.start()
        self.port = 0

    def _read_out(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.out.append(raw.rstrip("\n"))

    def is_stopped(self) -> bool:
        """Stopped by a signal (SIGSTOP): the state ``T`` of /proc/PID/stat."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] == "T"

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def wait_exit(self, timeout: float = 60.0) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        self._out_reader.join(timeout=5)
        return code

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            with self._changed:
                self.raw.append(raw.rstrip("\n"))
                try:
                    self.lines.append(json.loads(raw))
                except json.JSONDecodeError:
                    self.lines.append({"message": raw.rstrip("\n"), "not_json": True})
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    # -- waiting ---------------------------------------------------------------------------

    def wait_for_line(self, match: Callable[[Line], bool], *, timeout: float = 30.0,
                      count: int = 1) -> Line:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self.lines if match(line)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    break
                self._changed.wait(min(left, 0.5))
        msg = f"no such log line within {timeout} s; the daemon said:\n{self.log_text()}"
        raise AssertionError(msg)

    def wait_started(self) -> int:
        line = self.wait_for_line(lambda line: "http_port" in line, timeout=START_TIMEOUT)
        self.port = int(line["http_port"])
        return self.port

    def wait_until(self, condition: Callable[[], bool], *, timeout: float = 30.0,
                   what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                msg = f"{what} not met within {timeout} s; the daemon said:\n{self.log_text()}"
                raise AssertionError(msg)
            if self.process.poll() is not None:
                msg = f"the daemon exited ({self.process.returncode}):\n{self.log_text()}"
                raise AssertionError(msg)
            with self._changed:
                self._changed.wait(0.1)

    def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        if not self.port:
            self.wait_started()
        self.wait_until(lambda: self.get("/readyz")[0] == 200, timeout=timeout, what="/readyz")
        body: dict[str, Any] = json.loads(self.get("/readyz")[1])
        return body

    # -- HTTP ------------------------------------------------------------------------------

    def get(self, path: str) -> tuple[int, str]:
        if not self.port:
            self.wait_started()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, body = self.get("/metrics")
        assert status == 200
        samples = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    # -- stopping --------------------------------------------------------------------------

    def stop(self, signum: int = signal.SIGTERM, *, timeout: float = 15.0) -> tuple[int, float]:
        """Send ``signum``; the exit status and the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        took = time.monotonic() - started
        self._reader.join(timeout=5)
        return code, took

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)

    def log_text(self) -> str:
        with self._changed:
            return "\n".join(self.raw[-60:])

    def messages(self) -> list[str]:
        with self._changed:
            return [str(line.get("message", "")) for line in self.lines]


@contextmanager
def daemon(config: Path, *args: str, env: dict[str, str] | None = None,
           pause_after_writes: int | None = None, sigstop: bool = False,
           command: str = "daemon") -> Iterator[DaemonProcess]:
    process = DaemonProcess(config, *args, env=env, pause_after_writes=pause_after_writes,
                            sigstop=sigstop, command=command)
    try:
        yield process
    finally:
        if process.is_stopped():
            process.resume()
        process.kill()


def our_markers(tracker: Path) -> list[str]:
    """The marker of every forewarn comment in a local tracker file, repeats kept."""
    data = json.loads(tracker.read_text(encoding="utf-8"))
    me = data.get("me", "forewarn")
    markers = []
    for comment in data.get("comments", []):
        if comment.get("author") == me:
            marker = find_marker(str(comment.get("body", "")))
            assert marker is not None, comment
            markers.append(marker)
    return markers


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throwaway schema in the test PostgreSQL; yields a URL whose search_path is it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
