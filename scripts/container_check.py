"""`make container-check`: the image built from the project's Dockerfile, and run for real.

Builds the image with podman and checks, one line each, with how long each step took:

* the image builds (on a local Debian base, see below) and its size;
* ``forewarn demo`` exits 0 (without a network); ``forewarn check-config`` passes on
  ``examples/forewarn.yaml`` mounted where the image looks for its config;
* ``forewarn daemon``, as deploy/kubernetes runs it (read-only root file system, no
  capabilities, no privilege escalation, a ``/data`` volume), against a fake GitHub
  repository served by this script on the host (tests/fakes/github.py over HTTP):
  it runs as uid 10001; ``/healthz``, ``/readyz``, ``/metrics`` and the image's
  ``HEALTHCHECK`` answer; it writes its 4 alerts and 2 labels with the token given in
  the environment, then nothing more; its logs are JSON and never show the token;
  ``podman stop`` ends it with status 0 within 10 s;
* a new container on the same volume carries on from the state in ``/data`` (the first
  container's runs are still there, its cycles write nothing, no comment is doubled)
  and stops as cleanly.

The public base (``python:3.11-slim-bookworm``, the Dockerfile's default) cannot be
pulled where only package registries are reachable, so the base is made here from
Debian's packages (``debootstrap --variant=minbase``, trimmed of documentation, man
pages, locales and apt's lists as debian:bookworm-slim is), imported with ``podman
import`` and passed as ``--build-arg PYTHON_IMAGE``. It is kept in podman's storage
under a tag derived from how it is made, so later runs reuse it (``--rebuild-base``
makes it again). ``--base IMAGE`` uses any other base instead, the public one where it
can be pulled. The build's pip reaches PyPI (or the host's http(s) index, through a
pip.conf) with the host's CA bundle mounted over the base's, for the build only:
nothing of this machine ends up in the image.

    make container-check         # or: scripts/container_check.py [--base IMAGE] [--rebuild-base]

Without podman (or where podman cannot run a container, or the base cannot be made)
the check prints ``SKIP`` with the reason and exits 0; ``FOREWARN_CONTAINER_STRICT=1``
(set by .ci/run, which installs podman) makes that a failure. Every other problem is a
``FAIL`` line, the container's log, and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "localhost/forewarn:container-check"
PREFIX = "container-check:"

#: How the local base is made; its tag is a digest of this, so a change makes a new base.
BASE_RECIPE: dict[str, Any] = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["python3", "python3-venv", "python-is-python3", "ca-certificates"],
    # The "nodoc" dpkg excludes of slim images: removed from the tree debootstrap made and
    # kept out of later installs (etc/dpkg/dpkg.cfg.d/01-nodoc); copyright files stay.
    "dpkg_excludes": [
        "path-exclude /usr/share/doc/*",
        "path-include /usr/share/doc/*/copyright",
        "path-exclude /usr/share/man/*",
        "path-exclude /usr/share/groff/*",
        "path-exclude /usr/share/info/*",
        "path-exclude /usr/share/lintian/*",
        "path-exclude /usr/share/locale/*",
        "path-include /usr/share/locale/locale.alias",
    ],
    "remove": ["var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*",
               "var/log/*.log", "var/cache/debconf/*-old", "var/lib/dpkg/*-old"],
    # What python:3.11-slim sets and a `podman import` does not.
    "changes": ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8", 'CMD ["python3"]'],
}
BASE_REPOSITORY = "localhost/forewarn-base"
DEBIAN_MIRROR = os.environ.get("FOREWARN_DEBIAN_MIRROR", "http://deb.debian.org/debian")

#: These machines refuse podman's default limits; runc is the runtime that works here.
ULIMITS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")
#: The daemon as deploy/kubernetes/deployment.yaml runs it.
HARDENED = ("--read-only", "--read-only-tmpfs=false", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges")

REPO = "acme/portal"
TOKEN = "ghp_C0ntainerCheckF4keT0ken0123456789abcd"  # noqa: S105 - the fake GitHub's token
#: The story below: forewarn's comments per issue, and the labels it adds.
EXPECTED_COMMENTS = {1: 2, 4: 1, 7: 1}  # growth + overdue on the status issue, creep, reply
EXPECTED_LABELS = {4: ["scope-creep"], 7: ["awaiting-reply"]}
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


class Skip(Exception):
    """The check cannot run on this machine: say why."""


class Failed(Exception):
    """A check failed: the message, and what to show under it."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def say(text: str) -> None:
    print(f"{PREFIX} {text}", flush=True)


class Step:
    """Times one step; ``ok()`` prints its PASS line with the time it took."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def ok(self, detail: str) -> None:
        say(f"PASS {self.name}: {detail} ({self.seconds():.1f} s)")


def run(argv: Sequence[str], *, timeout: float = 120, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One command, its output captured (stderr into stdout); Failed when it fails."""
    try:
        done = subprocess.run(  # noqa: S603 - our own argv, absolute executables
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        msg = f"timed out after {timeout:.0f} s: {' '.join(argv[:4])} ..."
        raise Failed(msg, str(error.output or "")) from None
    done.stdout = (done.stdout or "") + (done.stderr or "")
    if check and done.returncode != 0:
        msg = f"exit {done.returncode}: {' '.join(argv)}"
        raise Failed(msg, done.stdout)
    return done


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


# -- podman ---------------------------------------------------------------------------


class Podman:
    """podman with the global options that work on this kind of machine."""

    def __init__(self) -> None:
        exe = shutil.which("podman")
        if exe is None:
            msg = ("podman is not installed (apt-get install podman runc debootstrap; "
                   "`make docker-check` is the engine-free approximation)")
            raise Skip(msg)
        self.exe = exe
        runc = shutil.which("runc")
        self.flags = ["--runtime", runc] if runc else []
        self.flags += ["--cgroup-manager", "cgroupfs"]
        self.runtime = "runc" if runc else "podman's default runtime"

    def __call__(self, *args: str, timeout: float = 120, check: bool = True,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run([self.exe, *self.flags, *args], timeout=timeout, check=check, env=env)

    def preflight(self) -> str:
        """podman's version, or Skip when podman cannot run a container here."""
        info = self("info", "--format", "{{.Version.Version}} {{.Store.GraphDriverName}}",
                    check=False, timeout=60)
        if info.returncode != 0:
            msg = f"podman cannot run here: {info.stdout.strip().splitlines()[-1:]}"
            raise Skip(msg)
        return info.stdout.strip()

    def exists(self, image: str) -> bool:
        return self("image", "exists", image, check=False).returncode == 0

    def image_size(self, image: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())

    def image_id(self, image: str) -> str | None:
        done = self("image", "inspect", "--format", "{{.Id}}", image, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def logs(self, container: str) -> str:
        return self("logs", container, check=False).stdout

    def state(self, container: str) -> dict[str, Any]:
        done = self("inspect", "--format", "{{json .State}}", container)
        state: dict[str, Any] = json.loads(done.stdout)
        return state


# -- the base image -------------------------------------------------------------------


def base_tag() -> str:
    digest = hashlib.sha256(json.dumps(BASE_RECIPE, sort_keys=True).encode()).hexdigest()
    return f"{BASE_REPOSITORY}:{BASE_RECIPE['suite']}-{digest[:12]}"


def local_base(podman: Podman, *, rebuild: bool) -> str:
    """The Debian base, from podman's storage or made now with debootstrap."""
    step = Step("base image")
    tag = base_tag()
    if podman.exists(tag) and not rebuild:
        step.ok(f"{tag}, kept from an earlier run ({mib(podman.image_size(tag))})")
        return tag
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        msg = f"no base image {tag} and no debootstrap to make it (apt-get install debootstrap)"
        raise Skip(msg)
    if os.geteuid() != 0:
        msg = f"no base image {tag}, and debootstrap must run as root to make it"
        raise Skip(msg)
    tar = shutil.which("tar")
    assert tar is not None
    previous = podman.image_id(tag)
    with tempfile.TemporaryDirectory(prefix="forewarn-base-") as folder:
        rootfs = Path(folder) / "rootfs"
        include = ",".join(BASE_RECIPE["include"])
        run([debootstrap, f"--variant={BASE_RECIPE['variant']}", f"--include={include}",
             BASE_RECIPE["suite"], str(rootfs), DEBIAN_MIRROR], timeout=1200)
        excludes = rootfs / "etc" / "dpkg" / "dpkg.cfg.d" / "01-nodoc"
        excludes.write_text("\n".join(BASE_RECIPE["dpkg_excludes"]) + "\n", encoding="utf-8")
        trim(rootfs)
        changes = [arg for change in BASE_RECIPE["changes"] for arg in ("--change", change)]
        with subprocess.Popen(  # noqa: S603 - our own argv
            [tar, "--numeric-owner", "-C", str(rootfs), "-cf", "-", "."],
            stdout=subprocess.PIPE,
        ) as archive:
            assert archive.stdout is not None
            with subprocess.Popen(  # noqa: S603 - our own argv
                [podman.exe, *podman.flags, "import", *changes, "-", tag],
                stdin=archive.stdout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            ) as importer:
                archive.stdout.close()  # tar sees a broken pipe if podman stops reading
                output, _ = importer.communicate(timeout=600)
        if archive.returncode != 0 or importer.returncode != 0:
            msg = f"podman import of the debootstrap tree as {tag}"
            raise Failed(msg, output)
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", BASE_REPOSITORY).stdout
    for older in [*(set(listed.split()) - {tag}), *([previous] if previous else [])]:
        podman("rmi", older, check=False)  # made by an earlier recipe, or replaced now
    step.ok(f"{tag} made by debootstrap {BASE_RECIPE['suite']} {BASE_RECIPE['variant']} "
            f"({mib(podman.image_size(tag))})")
    return tag


def trim(rootfs: Path) -> None:
    """What the dpkg excludes keep out of later installs, and apt's caches and lists."""
    keep = [line.split()[1].lstrip("/") for line in BASE_RECIPE["dpkg_excludes"]
            if line.startswith("path-include")]
    for line in BASE_RECIPE["dpkg_excludes"]:
        verb, pattern = line.split()
        if verb != "path-exclude":
            continue
        folder = rootfs / pattern.lstrip("/").removesuffix("/*")
        for parent, dirs, files in os.walk(folder, topdown=False):
            for name in files:
                path = Path(parent) / name
                if not any(path.relative_to(rootfs).match(rule) for rule in keep):
                    path.unlink()
            for name in dirs:
                path = Path(parent) / name
                if path.is_symlink():
                    path.unlink()
                else:
                    with contextlib.suppress(OSError):  # not empty: it keeps an included file
                        path.rmdir()
    for pattern in BASE_RECIPE["remove"]:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


# -- the build ------------------------------------------------------------------------


def host_pip_indexes() -> tuple[dict[str, list[str]], list[str]]:
    """The host's pip indexes that a container reaches too (http, https), and the others.

    Local ones (file:// indexes, find-links folders) exist only on the host.
    """
    done = run([sys.executable, "-m", "pip", "config", "list"], check=False, timeout=60)
    kept: dict[str, list[str]] = {"index-url": [], "extra-index-url": []}
    dropped = []
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        if option not in {"index-url", "extra-index-url", "find-links"}:
            continue
        for url in value.strip().strip("'\"").split():
            if option in kept and url.startswith(("http://", "https://")):
                kept[option].append(url)
            elif url not in dropped:
                dropped.append(url)
    return kept, dropped


def host_ca_bundle() -> Path | None:
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    return bundle if bundle.is_file() else None


def build(podman: Podman, base: str | None, work: Path) -> None:
    """The image from the project's Dockerfile, nothing cached, nothing of this host kept."""
    step = Step("build")
    mounts = []
    bundle = host_ca_bundle()
    if bundle is not None:
        # The host's CA store (where a TLS-inspecting egress proxy's CA is added) over the
        # base's, for the build only: Debian's pip and pip >= 24.2 use the system store.
        mounts += ["--volume", f"{bundle}:/etc/ssl/certs/ca-certificates.crt:ro"]
    indexes, dropped = host_pip_indexes()
    if indexes["index-url"] or indexes["extra-index-url"]:
        # The host's own index (a mirror), where the container reaches it too.
        pip_conf = ["[global]"]
        if indexes["index-url"]:  # the first one listed is the one pip uses (the environment's)
            pip_conf.append(f"index-url = {indexes['index-url'][0]}")
        if indexes["extra-index-url"]:
            pip_conf.append("extra-index-url = " + " ".join(indexes["extra-index-url"]))
        (work / "pip.conf").write_text("\n".join(pip_conf) + "\n", encoding="utf-8")
        mounts += ["--volume", f"{work / 'pip.conf'}:/etc/pip.conf:ro"]
    base_arg = ["--build-arg", f"PYTHON_IMAGE={base}"] if base else []
    previous = podman.image_id(IMAGE)
    done = podman("build", "--layers=false", "--format", "docker", "--network", "host",
                  *ULIMITS, *mounts, *base_arg, "--tag", IMAGE, "--file",
                  str(ROOT / "Dockerfile"), str(ROOT), timeout=1800, check=False)
    if done.returncode != 0:
        msg = f"podman build exit {done.returncode}"
        raise Failed(msg, tail(done.stdout, 40))
    current = podman.image_id(IMAGE)
    if previous and previous != current:
        podman("rmi", previous, check=False)  # the previous run's image, now untagged
    size = podman.image_size(IMAGE)
    extra = f", base {mib(podman.image_size(base))}" if base else ""
    index = " ".join(indexes["index-url"][:1] + indexes["extra-index-url"]) or "PyPI"
    skipped = f" (host-only, not passed on: {' '.join(dropped)})" if dropped else ""
    step.ok(f"{IMAGE} from Dockerfile, {mib(size)}{extra}; pip: {index}{skipped}")


def tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -- one-shot commands ----------------------------------------------------------------


def check_demo(podman: Podman) -> None:
    step = Step("demo")
    done = podman("run", "--rm", "--network", "none", "--no-healthcheck", *ULIMITS, IMAGE, "demo",
                  check=False)
    if done.returncode != 0:
        msg = f"`forewarn demo` in the image: exit {done.returncode}"
        raise Failed(msg, tail(done.stdout, 30))
    step.ok("`forewarn demo` exits 0 with no network")


def check_config(podman: Podman) -> None:
    step = Step("check-config")
    example = ROOT / "examples" / "forewarn.yaml"
    done = podman("run", "--rm", "--network", "none", "--no-healthcheck", *ULIMITS, *HARDENED,
                  "--volume", f"{example}:/etc/forewarn/forewarn.yaml:ro", IMAGE, "check-config",
                  check=False)
    verdict = [line for line in done.stdout.splitlines() if ": OK (" in line]
    if done.returncode != 0 or not verdict:
        msg = f"`forewarn check-config` on examples/forewarn.yaml: exit {done.returncode}"
        raise Failed(msg, tail(done.stdout, 30))
    step.ok(f"examples/forewarn.yaml mounted as {verdict[0]}")


# -- the fake GitHub ------------------------------------------------------------------


class FakeGitHub:
    """tests/fakes/github.py's repository, served over HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        import http.server

        import requests

        sys.path.insert(0, str(ROOT))
        from tests.fakes.github import API
        from tests.fakes.github import FakeGitHub as Repository
        from tests.fakes.world import World

        self.lock = threading.Lock()
        self.world = World(clock=lambda: datetime.now(UTC))
        story(self.world)
        self.repo = Repository(self.world, REPO)
        self.tokens: Counter[str] = Counter()
        self.errors: list[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in {"host", "content-length"}}
                request = requests.Request(self.command, API + self.path, data=body,
                                           headers=headers).prepare()
                with fake.lock:
                    fake.tokens[self.headers.get("Authorization", "")] += 1
                    try:
                        status, reply_headers, text = fake.repo.handle(request)
                    except Exception as error:  # a request the fake does not know: say which
                        fake.errors.append(f"{self.command} {self.path}: {error!r}")
                        status, reply_headers, text = 500, {}, "{}"
                # The payloads name api.github.com; PyGithub follows only its own host.
                payload = text.replace(API, fake.base_url).encode()
                self.send_response_only(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value.replace(API, fake.base_url))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload) if status != 304 else 0))
                self.end_headers()
                if status != 304:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ours(self) -> dict[int, list[str]]:
        """forewarn's comments by issue number."""
        with self.lock:
            found: dict[int, list[str]] = {}
            for comment in self.world.ours():
                found.setdefault(comment.number, []).append(comment.body)
            return found

    def labels(self) -> dict[int, list[str]]:
        with self.lock:
            return {number: names for number, issue in sorted(self.world.issues.items())
                    if (names := [n for n in issue.labels if n != "change-approved"])}

    def writes(self) -> int:
        with self.lock:
            return len(self.repo.writes())


def story(world: Any) -> None:
    """tests/e2e/test_github_run.py's repository without its 120 closed issues.

    Milestone v2.0 held #2 and #3 at its baseline; #4 joined later (creep), #5 too but
    approved; milestone Beta was due on 2024-05-31 with #6 still open (overdue); a
    client asked on #7 and nobody answered (past the 16 h SLA).
    """
    def at(day: int, hour: int, month: int = 5) -> datetime:
        return datetime(2024, month, day, hour, tzinfo=UTC)

    for login in ("dave", "bob"):
        world.person(login, association="MEMBER")
    world.person("alice", association="OWNER")
    world.person("client-cathy", association="NONE")
    world.milestone(2, "Beta", created=at(1, 9, 4), due=date(2024, 5, 31))
    world.issue(6, "Beta sign-off checklist", "dave", created=at(1, 10, 4))
    world.join(6, 2, at=at(1, 10, 4), actor="dave")
    world.issue(4, "Export all invoices to CSV", "dave", created=at(15, 9))
    world.issue(5, "Dark mode for the invoice list", "dave", created=at(16, 9))
    world.issue(1, "Project status", "alice", created=at(20, 8))
    world.milestone(1, "v2.0", created=at(20, 9))
    for number in (2, 3):
        world.issue(number, f"Planned work {number}", "dave", created=at(20, 10))
        world.join(number, 1, at=at(20, 10), actor="alice")
    world.join(4, 1, at=at(28, 11), actor="alice")
    world.join(5, 1, at=at(29, 9), actor="alice")
    world.add_label(5, "change-approved", "alice", at=at(29, 10))
    world.issue(7, "Invoice export fails for March", "dave", created=at(31, 12),
                assignees=("bob",))
    world.say(7, "client-cathy", "The March export is still empty. Can you look?",
              at=at(3, 10, 6))


# -- the daemon -----------------------------------------------------------------------


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


# -- main -----------------------------------------------------------------------------


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """One check per machine at a time: checkouts share the base and the image's tag."""
    path = Path(tempfile.gettempdir()) / "forewarn-container-check.lock"
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another container-check on this machine ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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

            step = Step("restart")
            writes = github.writes()
            ours = github.ours()
            second = Daemon(podman, names[1], volume=volume, config=config)
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
    finally:
        for name in names:
            podman("rm", "--force", "--ignore", name, check=False)
        podman("volume", "rm", "--force", volume, check=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", metavar="IMAGE",
                        help="build on this base instead of the local Debian one "
                             "(python:3.11-slim-bookworm where it can be pulled)")
    parser.add_argument("--rebuild-base", action="store_true",
                        help="make the local Debian base again even if one is kept")
    args = parser.parse_args(argv)
    strict = os.environ.get("FOREWARN_CONTAINER_STRICT") == "1"
    started = time.monotonic()
    try:
        podman = Podman()
        version = podman.preflight()
        say(f"podman {version}, {podman.runtime}, cgroupfs")
        with one_at_a_time(), \
                tempfile.TemporaryDirectory(prefix="forewarn-container-check-") as folder:
            base = args.base or local_base(podman, rebuild=args.rebuild_base)
            work = Path(folder)
            build(podman, base, work)
            check_demo(podman)
            check_config(podman)
            daemon_checks(podman, work)
    except Skip as skip:
        if strict:
            say(f"FAIL (FOREWARN_CONTAINER_STRICT=1, no skipping): {skip}")
            return 1
        say(f"SKIP: {skip}")
        return 0
    except Failed as failed:
        say(f"FAIL {failed}")
        if failed.detail:
            print(failed.detail, file=sys.stderr)
        return 1
    say(f"OK: the image builds and runs ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
