"""`forewarn daemon` in the container, hardened as deploy/kubernetes runs it: started,
probed, its alerts and logs checked, stopped, and a second container carrying on."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

from container.image import HARDENED, IMAGE, ULIMITS, Podman
from container.steps import Failed, Step, tail
from container.tracker import EXPECTED_COMMENTS, EXPECTED_LABELS, REPO, TOKEN, FakeGitHub

DAEMON_CONFIG = """\
version: 1
trackers:
  gh: {{kind: github, base_url: "{base_url}"}}   # the token: FOREWARN_GITHUB_TOKEN
projects:
  # backfill: comment: every finding its own alert from the first cycle (what is checked)
  - {{name: portal, tracker: gh, repo: {repo}, clients: external, status_issue: 1,
     notify: [alice], backfill: comment}}
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
  - {{id: slip, kind: schedule_slip, confidence: 0.85, label: schedule-risk}}
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""


MARKER = re.compile(r"<!-- forewarn:([^:\s]+):")


STOP_LIMIT = 10.0  # seconds Docker and Kubernetes give before SIGKILL


CONTAINER_PROBE = "/tmp/forewarn-probe"  # noqa: S108 - a path inside the container


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    except OSError:
        return 0, ""
    finally:
        connection.close()


def cycles(log: str) -> list[dict[str, Any]]:
    """The daemon's finished cycles, from its JSON log."""
    found = []
    for line in log.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("status") in {"ok", "failed"} \
                    and "writes" in record:
                found.append(record)
    return found


class Daemon:
    """One ``forewarn daemon`` container on the check's volume and config."""

    def __init__(self, podman: Podman, name: str, *, volume: str, config: Path) -> None:
        self.podman = podman
        self.name = name
        self.port = free_port()
        env = dict(os.environ, FOREWARN_GITHUB_TOKEN=TOKEN)
        podman("run", "--detach", "--name", name, "--network", "host", *ULIMITS, *HARDENED,
               "--health-interval", "disable",  # no systemd timer here; asked by hand
               "--volume", f"{volume}:/data", "--volume", f"{config}:/etc/forewarn:ro",
               "--env", f"FOREWARN_HTTP_PORT={self.port}", "--env", "FOREWARN_GITHUB_TOKEN",
               IMAGE, "daemon", "--interval", "2s", env=env)

    def log(self) -> str:
        return self.podman.logs(self.name)

    def fail(self, message: str) -> Failed:
        return Failed(f"{self.name}: {message}", tail(self.log(), 30))

    def running(self) -> bool:
        return bool(self.podman.state(self.name).get("Running"))

    def wait(self, what: str, test: Any, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = test()
            if value:
                return value
            if not self.running():
                raise self.fail(f"exited while waiting for {what}")
            if time.monotonic() > deadline:
                raise self.fail(f"no {what} within {timeout:.0f} s")
            time.sleep(0.25)  # polling a container with a deadline

    def probe(self, path: str) -> None:
        step = Step(path)
        _, body = self.wait(f"200 from {path}",
                            lambda: (s := get(self.port, path))[0] == 200 and s)
        if path == "/metrics":
            created = re.search(r'forewarn_writes_total\{action="create_comment",'
                                r'project="portal"\} (\S+)', body)
            if created is None or float(created.group(1)) != sum(EXPECTED_COMMENTS.values()):
                msg = "/metrics does not count the comments written"
                raise Failed(msg, "\n".join(line for line in body.splitlines()
                                            if line.startswith("forewarn_writes")))
            step.ok(f"200, {sum(line.startswith('forewarn_') for line in body.splitlines())} "
                    f"forewarn_ samples, {float(created.group(1)):.0f} comments created")
        else:
            step.ok(f"200, status {json.loads(body).get('status')!r}")

    def stop(self) -> None:
        step = Step(f"stop {self.name}")
        self.podman("stop", "--time", str(int(STOP_LIMIT)), self.name, timeout=60)
        took = step.seconds()
        code = self.podman.state(self.name).get("ExitCode")
        if code != 0 or took >= STOP_LIMIT:
            raise self.fail(f"`podman stop` took {took:.1f} s, exit status {code}")
        if '"forewarn daemon stopped"' not in self.log():
            raise self.fail("no clean stop in the log")
        step.ok(f"SIGTERM, exit 0 in {took:.1f} s")


def check_identity(podman: Podman, daemon: Daemon) -> None:
    step = Step("non-root")
    status = podman("exec", daemon.name, "cat", "/proc/1/status").stdout
    ids = {k: v.split() for k, _, v in (line.partition(":") for line in status.splitlines())}
    if ids.get("Uid", ["0"])[0] != "10001" or ids.get("CapEff", [""])[0].strip("0"):
        msg = f"the daemon runs as Uid {ids.get('Uid')}, CapEff {ids.get('CapEff')}"
        raise Failed(msg)
    step.ok("the daemon (pid 1) runs as uid 10001, gid 10001, no capabilities")
    step = Step("read-only root")
    # The container's /tmp is open to every user: only a read-only root refuses the daemon's.
    probe = podman("exec", daemon.name, "touch", CONTAINER_PROBE, check=False)
    if probe.returncode == 0 or "Read-only file system" not in probe.stdout:
        msg = f"{CONTAINER_PROBE}: writable, or refused for another reason: {probe.stdout.strip()}"
        raise Failed(msg)
    step.ok("runs with --read-only, /tmp included; its state only in the /data volume")


def check_alerts(github: FakeGitHub, daemon: Daemon) -> None:
    step = Step("alerts")

    def settled() -> bool:  # a cycle that wrote, then one with nothing left to write
        if github.errors:
            msg = "the fake GitHub could not answer some requests"
            raise Failed(msg, "\n".join(github.errors))
        done = [c for c in cycles(daemon.log()) if c["status"] == "ok"]
        return any(c["writes"] for c in done) and done[-1]["writes"] == 0

    daemon.wait("a cycle that writes, then one with nothing left to write", settled)
    ours = github.ours()
    markers = Counter(m for bodies in ours.values() for body in bodies
                      for m in MARKER.findall(body))
    found = {number: len(bodies) for number, bodies in ours.items()}
    if found != EXPECTED_COMMENTS or len(markers) != sum(found.values()) \
            or max(markers.values()) > 1:
        msg = f"forewarn's comments by issue: {found}, expected {EXPECTED_COMMENTS}"
        raise Failed(msg, f"markers: {dict(markers)}\n{tail(daemon.log(), 20)}")
    if github.labels() != EXPECTED_LABELS:
        msg = f"labels by issue: {github.labels()}, expected {EXPECTED_LABELS}"
        raise Failed(msg)
    if set(github.tokens) != {f"token {TOKEN}"}:
        msg = "a request reached GitHub without the token given in FOREWARN_GITHUB_TOKEN"
        raise Failed(msg)
    step.ok(f"{len(markers)} alert comments, each with its own marker, labels "
            f"{sorted(n for names in github.labels().values() for n in names)}, "
            f"{github.writes()} writes, {github.tokens.total()} requests with the token; "
            "the next cycle writes nothing")


def check_logs(daemon: Daemon) -> None:
    step = Step("logs")
    lines = [line for line in daemon.log().splitlines() if line.strip()]
    bad = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    if bad:
        msg = f"{len(bad)} log line(s) are not JSON"
        raise Failed(msg, "\n".join(bad[:10]))
    if TOKEN in daemon.log():
        msg = "the token appears in the log"
        raise Failed(msg)
    step.ok(f"{len(lines)} JSON lines, the token in none")


def state_rows(podman: Podman, volume: str) -> dict[str, Any]:
    """What the /data volume's forewarn.db holds, read from the host."""
    mountpoint = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout.strip()
    database = Path(mountpoint) / "forewarn.db"
    if not database.is_file():
        msg = f"no forewarn.db in the /data volume ({mountpoint})"
        raise Failed(msg)
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        runs = db.execute("SELECT id, writes FROM runs ORDER BY id").fetchall()
        comments = dict(db.execute("SELECT marker, comment_id FROM comments").fetchall())
    return {"runs": runs, "comments": comments}


def daemon_checks(podman: Podman, work: Path) -> None:
    volume = f"forewarn-check-{os.getpid()}"
    names = [f"forewarn-check-{os.getpid()}-{n}" for n in ("first", "second")]
    config = work / "config"
    config.mkdir(mode=0o755)
    try:
        podman("volume", "create", volume)
        with FakeGitHub() as github:
            (config / "forewarn.yaml").write_text(
                DAEMON_CONFIG.format(base_url=github.base_url, repo=REPO), encoding="utf-8")
            (config / "forewarn.yaml").chmod(0o644)
            work.chmod(0o755)

            step = Step("daemon")
            first = Daemon(podman, names[0], volume=volume, config=config)
            step.ok(f"{first.name} started: host network, port {first.port}, "
                    "/data a named volume, read-only root, no capabilities")
            check_identity(podman, first)
            first.probe("/healthz")
            check_alerts(github, first)
            first.probe("/readyz")
            first.probe("/metrics")
            step = Step("HEALTHCHECK")
            health = podman("healthcheck", "run", first.name, check=False)
            if health.returncode != 0:
                msg = f"the image's HEALTHCHECK: {health.stdout.strip()}"
                raise Failed(msg)
            step.ok("the image's own health check passes")
            check_logs(first)
            first.stop()

            step = Step("state in /data")
            before = state_rows(podman, volume)
            if len(before["comments"]) != sum(EXPECTED_COMMENTS.values()) or not before["runs"]:
                msg = f"forewarn.db in /data: {before}"
                raise Failed(msg)
            step.ok(f"forewarn.db in the volume: {len(before['runs'])} runs, "
                    f"{len(before['comments'])} comments recorded")

            check_restart(podman, github, names[1], volume=volume, config=config,
                          before=before)
    finally:
        for name in names:
            podman("rm", "--force", "--ignore", name, check=False)
        podman("volume", "rm", "--force", volume, check=False)


def check_restart(podman: Podman, github: FakeGitHub, name: str, *, volume: str, config: Path,
                  before: dict[str, Any]) -> None:
    """A new container on the same volume carries on: earlier runs kept, nothing written."""
    step = Step("restart")
    writes = github.writes()
    ours = github.ours()
    second = Daemon(podman, name, volume=volume, config=config)
    second.wait("/readyz 200", lambda: get(second.port, "/readyz")[0] == 200)
    second.wait("two cycles", lambda: len(cycles(second.log())) >= 2)
    done = cycles(second.log())
    after = state_rows(podman, volume)
    kept = after["runs"][:len(before["runs"])] == before["runs"]
    if (not kept or after["comments"] != before["comments"] or github.ours() != ours
            or github.writes() != writes or any(c["writes"] for c in done)
            or any(c["status"] != "ok" for c in done)):
        msg = "a new container on the same volume did not carry on where the first stopped"
        detail = (f"runs before {before['runs']}, after {after['runs']}; writes "
                  f"{writes} -> {github.writes()}; cycles {done}")
        raise Failed(msg, detail + "\n" + tail(second.log(), 20))
    step.ok(f"a new container on the same volume: the {len(before['runs'])} earlier runs "
            f"kept, {len(done)} cycles, 0 writes, no comment doubled")
    second.stop()
