"""The image: podman as it works on these machines, the local Debian base, the build, and
the one-shot commands run in it (`forewarn demo`, `forewarn check-config`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from container.steps import ROOT, Failed, Skip, Step, mib, run, tail

IMAGE = "localhost/forewarn:container-check"


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

