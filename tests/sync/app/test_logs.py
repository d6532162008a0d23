"""Log lines: JSON for collectors, text for people, never a secret, PyGithub tamed."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from sync.app.logs import JsonFormatter, Redactor, TextFormatter, configure, tame_vendor_loggers

TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123"


def record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"boom with {TOKEN}")
        except RuntimeError:
            exc_info = sys.exc_info()
    made = logging.LogRecord("forewarn.daemon", logging.INFO, __file__, 1, message, args,
                             exc_info)
    made.created = 1795910400.25  # 2026-11-29T00:00:00.250Z
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_json_line_carries_the_cycle_fields() -> None:
    line = JsonFormatter(Redactor()).format(record(
        "%s: cycle ok: %d findings", "demo", 10, project="demo", findings=10, writes=3,
        seconds=0.52, dry_run=False, errors=["a", "b"]))
    assert json.loads(line) == {
        "time": "2026-11-29T00:00:00.250Z", "level": "INFO", "logger": "forewarn.daemon",
        "message": "demo: cycle ok: 10 findings", "project": "demo", "findings": 10,
        "writes": 3, "seconds": 0.52, "dry_run": False, "errors": ["a", "b"],
    }


def test_text_line() -> None:
    line = TextFormatter(Redactor()).format(record("%s: cycle ok", "demo", project="demo"))
    assert line == "2026-11-29T00:00:00.250Z INFO forewarn.daemon: demo: cycle ok"


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
def test_secrets_are_masked_everywhere(formatter: type[JsonFormatter | TextFormatter]) -> None:
    redactor = Redactor([TOKEN, "short", "s3cr3t-pw"])
    line = formatter(redactor).format(record(
        "a short token %s and postgresql://forewarn:s3cr3t-pw@db/forewarn and "
        "postgresql://u:other-pass@db/x", TOKEN, exc=True, header=f"Bearer {TOKEN}"))
    assert TOKEN not in line and "s3cr3t-pw" not in line and "other-pass" not in line
    assert "***" in line and "boom with ***" in line
    assert "short" in line  # too short to mask without hiding ordinary words


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    github = logging.getLogger("github")
    github_state = (list(github.handlers), github.level, github.propagate)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    github.handlers[:], github.level, github.propagate = github_state


@pytest.mark.usefixtures("root_logging")
def test_pygithub_prints_through_our_handler_only() -> None:
    import github  # noqa: F401 - importing it adds its own stderr handler

    stream = io.StringIO()
    configure(level="INFO", fmt="json", redactor=Redactor([TOKEN]), stream=stream)
    vendor = logging.getLogger("github")
    vendor.addHandler(logging.StreamHandler())  # as PyGithub does at import
    vendor.setLevel(logging.INFO)
    tame_vendor_loggers()
    assert vendor.handlers == [] and vendor.propagate
    vendor.info("chatty %s", TOKEN)  # below WARNING: dropped
    vendor.warning("rate limited with %s", TOKEN)
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "rate limited with ***"
