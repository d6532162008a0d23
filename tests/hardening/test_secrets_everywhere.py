"""No output of any command holds a token: ``run``, ``report``, ``check-config``, ``demo``
in-process and ``daemon`` as a real process, at DEBUG, in text and in JSON.

The tokens come from the environment with a trailing newline, as a Kubernetes
secret put into an environment variable often does. The trackers are one small
HTTP server on 127.0.0.1 that refuses every request with 401 and echoes the
credential it was sent in its error body (a misconfigured proxy does; the body
shapes are the documented ones: GitHub's ``{"message", "documentation_url"}``,
https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api,
Jira's ``{"errorMessages", "errors"}``,
https://developer.atlassian.com/cloud/jira/platform/rest/v2/intro/#status-codes).
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.app.cli import main
from tests.sync.app.daemon_support import daemon

GITHUB_TOKEN = "ghp_NewlineEndedT0kenFromK8s4242"
JIRA_TOKEN = "ATATT3xJiraT0kenEchoedBack777"
EMAIL = "pm@acme.example"
FORMATS = ["text", "json"]


class EchoingTracker:
    """Answers every request 401, quoting the credential it came with."""

    def __init__(self) -> None:
        self.authorizations: list[str] = []
        seen = self.authorizations

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self) -> None:
                auth = self.headers.get("Authorization", "")
                seen.append(auth)
                credential = auth.split(" ", 1)[-1]
                if auth.startswith("Basic "):
                    credential = base64.b64decode(credential).decode().split(":", 1)[1]
                if self.path.startswith("/rest/"):
                    body: dict[str, Any] = {
                        "errorMessages": [f"Token {credential} is not valid ({auth})"],
                        "errors": {}}
                else:
                    body = {"message": f"Bad credentials: {credential} ({auth})",
                            "documentation_url": "https://docs.github.com/rest"}
                data = json.dumps(body).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tracker() -> Iterator[EchoingTracker]:
    server = EchoingTracker()
    yield server
    server.close()


ENV = {"FOREWARN_GITHUB_TOKEN": GITHUB_TOKEN + "\n", "JIRA_API_TOKEN": JIRA_TOKEN + "\n",
       "FOREWARN_LOG_LEVEL": "DEBUG"}


def write_config(folder: Path, url: str) -> Path:
    path = folder / "forewarn.yaml"
    token = "${JIRA_API_TOKEN}"
    path.write_text(f"""version: 1
state: sqlite:///{folder / 'state.db'}
trackers:
  gh: {{kind: github, base_url: "{url}/api/v3"}}
  acme: {{kind: jira, url: "{url}", deployment: cloud, email: {EMAIL}, token: "{token}"}}
projects:
  - {{name: portal, tracker: gh, repo: acme/portal, status_issue: 1}}
  - {{name: billing, tracker: acme, jira_project: BILL, status_issue: BILL-1}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
""", encoding="utf-8")
    return path


def assert_clean(*outputs: str) -> None:
    text = "\n".join(outputs)
    assert text.strip(), "no output at all: the check would prove nothing"
    basic = base64.b64encode(f"{EMAIL}:{JIRA_TOKEN}".encode()).decode()
    for secret in (GITHUB_TOKEN, JIRA_TOKEN, basic):
        assert secret not in text, f"{secret} in:\n{text}"


@pytest.fixture
def environment(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("argv", [["run", "--once"], ["report"], ["check-config"], ["demo"]],
                         ids=lambda argv: argv[0])
def test_no_command_prints_a_token(tracker: EchoingTracker, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                   fmt: str) -> None:
    monkeypatch.setenv("FOREWARN_LOG_FORMAT", fmt)
    config = write_config(tmp_path, tracker.url)
    extra = [] if argv == ["demo"] else ["-c", str(config)]
    code = main([*argv, *extra])
    out, err = capsys.readouterr()
    assert_clean(out, err)
    if argv[0] in ("run", "report"):
        assert code == 1
        # Both trackers were asked, with the tokens as they are, without their newline.
        assert f"token {GITHUB_TOKEN}" in tracker.authorizations
        basic = base64.b64encode(f"{EMAIL}:{JIRA_TOKEN}".encode()).decode()
        assert f"Basic {basic}" in tracker.authorizations
    if fmt == "json" and argv[0] in ("run", "report"):
        lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert lines and all({"time", "level", "logger", "message"} <= set(line)
                             for line in lines)


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_daemon_prints_no_token(tracker: EchoingTracker, tmp_path: Path,
                                    fmt: str) -> None:
    config = write_config(tmp_path, tracker.url)
    env = {**ENV, "FOREWARN_LOG_FORMAT": fmt}
    with daemon(config, "--interval", "1s", env=env) as process:
        process.wait_until(lambda: sum("cycle failed" in line for line in process.raw) >= 2,
                           timeout=60, what="both projects' failed cycles")
        code, _ = process.stop()
    assert code == 0
    assert_clean(*process.raw)
    assert f"token {GITHUB_TOKEN}" in tracker.authorizations


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize(("number", "line", "password"), [
    (5, '  acme: {kind: jira, url: "https://pm:pa55-w0rd-x@acme.atlassian.net", email: a@b.c}',
     "pa55-w0rd-x"),
    (5, '  acme: {kind: jira, url: "htps://pm:pa55-w0rd-y@acme.atlassian.net", email: a@b.c}',
     "pa55-w0rd-y"),
    (4, '  gh: {kind: github, base_url: "https://u:pa55-w0rd-z@ghe.example/api/v3"}',
     "pa55-w0rd-z"),
])
def test_a_url_with_a_password_is_refused_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: int, line: str, password: str,
) -> None:
    config = write_config(tmp_path, "https://acme.atlassian.net")
    lines = config.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = line
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check-config", "-c", str(config)]) == 2
    out, err = capsys.readouterr()
    assert password not in out + err
    assert err.startswith(f"{config}:{number}:"), err
