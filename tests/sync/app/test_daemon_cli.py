"""``forewarn daemon`` refuses bad input with exit 2 and an unusable setup with exit 1."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.app.cli import main


@pytest.fixture(autouse=True)
def keep_root_logging() -> Iterator[None]:
    """The daemon configures the root logger; give the other tests theirs back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["--interval", "soon"], {},
     "forewarn: --interval: not a duration: 'soon' (use a number and a unit: 30m, 16h, 3d, 1w)"),
    (["--interval", "0.5s"], {}, "forewarn: --interval: at least 1s"),
    (["--lease-ttl", "10"], {},
     "forewarn: --lease-ttl: not a duration: '10' (use a number and a unit: 30m, 16h, 3d, 1w)"),
    (["--workers", "0"], {}, "forewarn: --workers: at least 1"),
    (["--interval", "99999999999w"], {},
     "forewarn: --interval: too long: '99999999999w' (at most 365d, a year)"),
    (["--lease-ttl", "9" * 30 + "s"], {},
     f"forewarn: --lease-ttl: too long: '{'9' * 30}s' (at most 365d, a year)"),
])
def test_bad_options_exit_2(
    argv: list[str], env: dict[str, str], message: str, demo_config: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["daemon", "-c", str(demo_config), *argv]) == 2
    assert capsys.readouterr().err.strip() == message


def test_a_bad_config_exits_2_with_its_line(
    demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_config.write_text(demo_config.read_text().replace("sla: 16h", "sla: soon"))
    assert main(["daemon", "-c", str(demo_config)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{demo_config}:20:52: rules[2].sla: not a duration: 'soon' (use a number and a "
        "unit: 30m, 16h, 3d, 1w)")


def test_an_unreachable_state_store_exits_1(
    demo_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOREWARN_STATE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert main(["daemon", "-c", str(demo_config)]) == 1
    err = capsys.readouterr().err
    assert f"cannot open the state store sqlite:///{tmp_path / 'missing' / 'x.db'}" in err


def test_a_taken_port_exits_1(
    demo_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("FOREWARN_HTTP_PORT", str(port))
        assert main(["daemon", "-c", str(demo_config)]) == 1
    assert f"cannot listen on port {port}" in capsys.readouterr().err
