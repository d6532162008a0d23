#!/usr/bin/env bash
# The Dockerfile's install, without Docker: copy what its build stage COPYs into a clean
# directory, run its `pip install` line into a fresh virtual environment, then start
# `forewarn daemon` from that environment (outside the source tree, so only the installed
# package is imported) on the demo config it installed, wait for /healthz and /readyz, read
# /metrics, SIGTERM it and require exit 0 within 10 s.
#
#   scripts/docker-install-check.sh            # PYTHON=python3.11 to choose the interpreter
#
# Catches what a Docker build would: a package or data file missing from the wheel (the
# Alembic migrations, templates, the demo), a dependency missing from pyproject.toml, a
# COPY the build needs. Uses pip's cache (the Dockerfile's --no-cache-dir is dropped here).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/forewarn-install-check.XXXXXX")"
DAEMON_PID=""

cleanup() {
  if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf 'docker-install-check: %s\n' "$*"; }
fail() { say "FAILED: $*" >&2; [[ -f "$WORK/run/daemon.log" ]] && tail -n 40 "$WORK/run/daemon.log" >&2; exit 1; }

# 1. The build context as the Dockerfile's build stage sees it, and its pip command.
"$PYTHON" - "$ROOT" "$WORK/src" "$WORK/install.sh" "$WORK/venv" <<'PY'
import re, shlex, shutil, sys
from pathlib import Path

root, src, script, venv = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
lines, stages = [], 0
text = re.sub(r"\\\n\s*", " ", (root / "Dockerfile").read_text())  # continuation lines joined
for line in text.splitlines():
    if re.match(r"\s*FROM\s", line, re.I):
        stages += 1
        if stages > 1:
            break  # the build stage ends at the second FROM
    elif stages == 1:
        lines.append(line.strip())
src.mkdir(parents=True)
install = None
for line in lines:
    words = shlex.split(line) if line else []
    if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
        *sources, dest = words[1:]
        for source in sources:
            target = src / dest / Path(source).name if dest.endswith("/") or len(sources) > 1 \
                else src / dest
            path = root / source
            if path.is_dir():
                shutil.copytree(path, target, ignore=shutil.ignore_patterns(
                    "__pycache__", "*.pyc", "*.db"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    elif words[:1] == ["RUN"] and "pip install" in line:
        install = line[len("RUN"):].strip()
if install is None:
    sys.exit("no RUN ... pip install line in the Dockerfile's build stage")
install = install.replace("/opt/forewarn", venv).replace("--no-cache-dir", "--quiet")
Path(script).write_text(f"set -euo pipefail\n{install}\n")
PY

say "installing into a clean virtual environment ($("$PYTHON" --version))"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --upgrade pip
(cd "$WORK/src" && PIP_DISABLE_PIP_VERSION_CHECK=1 bash "$WORK/install.sh") \
  || fail "pip install as in the Dockerfile"

# 2. The demo config and tracker as installed (share/forewarn/examples), in a scratch folder.
mkdir -p "$WORK/run"
cp "$WORK/venv/share/forewarn/examples/forewarn.yaml" \
   "$WORK/venv/share/forewarn/examples/demo-tracker.json" "$WORK/run/" \
  || fail "the demo is not installed (share/forewarn/examples)"
cd "$WORK/run"
env -u PYTHONPATH "$WORK/venv/bin/forewarn" check-config -c forewarn.yaml >/dev/null \
  || fail "check-config on the installed demo"

# 3. The daemon, as the container runs it (JSON logs, a state file, a free port).
env -u PYTHONPATH FOREWARN_HTTP_PORT=0 FOREWARN_LOG_FORMAT=json \
  FOREWARN_STATE_URL="sqlite:///$WORK/run/forewarn.db" FOREWARN_CONFIG="$WORK/run/forewarn.yaml" \
  "$WORK/venv/bin/forewarn" daemon --interval 2s 2>"$WORK/run/daemon.log" &
DAEMON_PID=$!

"$WORK/venv/bin/python" - "$WORK/run/daemon.log" "$DAEMON_PID" <<'PY' || fail "health checks"
import json, os, sys, time, urllib.error, urllib.request

log, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60

def alive() -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True

port = None
while port is None:
    if time.monotonic() > deadline or not alive():
        sys.exit("the daemon did not start")
    for line in open(log, encoding="utf-8"):
        port = json.loads(line).get("http_port", port)
    time.sleep(0.2)  # polling the log with a deadline

def get(path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""

for path in ("/healthz", "/readyz"):
    while get(path)[0] != 200:
        if time.monotonic() > deadline or not alive():
            sys.exit(f"{path} never answered 200")
        time.sleep(0.2)
    print(f"docker-install-check: {path} 200")
status, metrics = get("/metrics")
if status != 200 or 'forewarn_cycles_total{project="demo",status="ok"}' not in metrics:
    sys.exit("/metrics has no counted cycle")
print("docker-install-check: /metrics counts the demo's cycles")
PY

start=$(date +%s%N)
kill -TERM "$DAEMON_PID"
code=0
for _ in $(seq 1 100); do  # 10 s in 0.1 s polls
  kill -0 "$DAEMON_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
  fail "still running 10 s after SIGTERM"
fi
wait "$DAEMON_PID" || code=$?
DAEMON_PID=""
took=$(( ($(date +%s%N) - start) / 1000000 ))
[[ "$code" == 0 ]] || fail "exit status $code after SIGTERM"
grep -q '"forewarn daemon stopped"' "$WORK/run/daemon.log" || fail "no clean stop in the log"
say "OK: installed as the Dockerfile does, healthy, ready, stopped by SIGTERM in ${took} ms"
