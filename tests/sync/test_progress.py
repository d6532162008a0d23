"""Progress on long work, as lines: every ten pages read, every ten writes with the time
left at the pace so far, and nothing for work too small to wait for."""

from __future__ import annotations

import pytest

from sync.progress import LineProgress, left


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_writes_every_ten_with_the_time_left_at_the_pace_so_far() -> None:
    lines: list[str] = []
    clock = Ticks()
    progress = LineProgress(emit=lines.append, monotonic=clock)
    progress.wrote("portal", 0, 47)
    for done in range(1, 48):
        clock.now += 1.0  # GitHub paces writes at one a second
        progress.wrote("portal", done, 47)
    assert lines == [
        "portal: 10 of 47 writes done (about 37 s left)",
        "portal: 20 of 47 writes done (about 27 s left)",
        "portal: 30 of 47 writes done (about 17 s left)",
        "portal: 40 of 47 writes done (about 7 s left)",
        "portal: 47 of 47 writes done",
    ]


def test_a_short_plan_says_nothing() -> None:
    lines: list[str] = []
    progress = LineProgress(emit=lines.append, monotonic=Ticks())
    for done in range(0, 4):
        progress.wrote("portal", done, 3)
    assert lines == []


def test_pages_every_ten_with_the_listing_and_its_size() -> None:
    lines: list[str] = []
    progress = LineProgress(emit=lines.append, monotonic=Ticks())
    for page in range(1, 13):
        progress.read("portal", "issues", page, 30)
    for page in range(1, 9):
        progress.read("portal", "comments", page, None)
    assert lines == ["portal: 10 pages read (issues: page 10 of 30)",
                     "portal: 20 pages read (comments: page 8)"]


@pytest.mark.parametrize(("elapsed", "done", "planned", "text"), [
    (10.0, 10, 47, "about 37 s left"),
    (100.0, 10, 47, "about 6 min left"),
    (1000.0, 10, 470, "about 12 h 47 min left"),
    (1.0, 10, 47, ""),  # a matter of seconds
    (10.0, 10, 10, ""),
])
def test_time_left(elapsed: float, done: int, planned: int, text: str) -> None:
    assert left(elapsed, done, planned) == text
