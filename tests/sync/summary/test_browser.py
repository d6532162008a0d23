"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``).

``.ci/run`` installs Chromium when it is missing, so CI always runs this; elsewhere it
is skipped with the reason. For a two-project config, in each language, Chromium loads
the page and this checks what a reader would notice: no console error, every section
of both projects, accessible tables, and burn-up charts that really drew (their
colours are on the screenshot, not only in the source).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from sync.app.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's package)")
#: Flags for a sandboxed root without network (see docs/operations: machines here).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
SECTIONS = {
    "en": ["Milestones", "Scope", "Risks and alerts", "Client feedback",
           "Since the previous summary", "Burn-up"],
    "zh-CN": ["里程碑", "范围", "风险与提醒", "客户反馈", "自上次摘要以来", "燃起图"],
}
#: The burn-up's colours (summary.html.j2): the scope line and the done bars.
SCOPE_BLUE = (0x09, 0x69, 0xDA)
DONE_GREEN = (0x2D, 0xA4, 0x4E)


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)


def pixels(png: Path) -> list[tuple[int, int, int]]:
    """The RGB pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    size = 4 if colour == 6 else 3
    raw = zlib.decompress(chunks)
    stride = width * size
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), left), (abs(guess - up), up),
                           (abs(guess - corner), corner), key=lambda pair: pair[0])[1]
                line[i] = (line[i] + near) & 0xFF
        rows.append(line)
        previous = line
    return [tuple(line[i:i + 3]) for line in rows for i in range(0, stride, size)]  # type: ignore[misc]


def near(colour: tuple[int, int, int], pixel: tuple[int, int, int], within: int = 40) -> bool:
    return all(abs(a - b) <= within for a, b in zip(colour, pixel, strict=True))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_html_report_renders_in_chromium(two_project_config: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             language: str) -> None:
    text = two_project_config.read_text(encoding="utf-8")
    two_project_config.write_text(text.replace("language: en", f"language: {language}"),
                                  encoding="utf-8")
    page = tmp_path / "report.html"
    assert main(["report", "--format", "html", "--out", str(page), "-c",
                 str(two_project_config), "--now", "2026-11-25T08:00:00Z"]) == 0
    capsys.readouterr()

    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console  # no console message at all, errors included
    html = dom.stdout
    for project in ("demo", "portal"):
        section = html[html.index(f'id="project-{project}"'):]
        section = section[:section.index("</section>")]
        for heading in SECTIONS[language]:
            assert f"<h2>{heading}</h2>" in section, (project, heading)
        assert section.count("<caption>") >= 3 and section.count("<thead>") >= 3
        assert 'scope="col"' in section and 'scope="row"' in section
        charts = re.findall(r"<svg[^>]*>.*?</svg>", section, re.S)
        assert len(charts) == 3
        heights: list[float] = []
        for chart in charts:
            alt = re.search(r'aria-label="([^"]+)"', chart)
            assert alt and ("issue" in alt[1] or "事项" in alt[1]), chart[:300]
            points = re.search(r'<polyline points="([^"]+)"', chart)
            assert points and len(points[1].split()) > 1
            bars = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', chart)]
            assert len(bars) == len(points[1].split())  # a bar per week
            heights += bars
        assert max(heights) > 0  # something was done: a bar has a height

    shot = tmp_path / "report.png"
    drawn = chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}",
                     "--window-size=1100,9000", "--force-device-scale-factor=0.5")
    assert drawn.returncode == 0 and shot.is_file(), drawn.stderr[-2000:]
    seen = pixels(shot)
    assert sum(near(SCOPE_BLUE, pixel) for pixel in seen) > 50  # the scope lines drew
    assert sum(near(DONE_GREEN, pixel, 60) for pixel in seen) > 50  # and the done bars
