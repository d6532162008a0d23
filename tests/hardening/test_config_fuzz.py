"""Config fuzzing: whatever the file holds, a Config or problems as FILE:LINE:COL, never a
traceback (config.load_config and ``forewarn check-config``).

Documents come three ways: built from the config's own vocabulary (right keys,
wrong values, wrong shapes, ``${VAR}`` references) and dumped as YAML in block
or flow style; the bundled example with characters spliced in or cut out; and
raw text or bytes. A file that cannot be read at all is named alone.
"""

from __future__ import annotations

import io
import re
import string
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schedule
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from config import Config, ConfigError, load_config
from config.yaml_positions import MAX_DEPTH
from rules.options import MAX_DURATION
from sync.app.cli import main
from sync.app.slots import Slot, fit_slots
from tests.conftest import EXAMPLES
from tests.hardening.harness import examples

SETTINGS = settings(max_examples=examples(30), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
EXAMPLE = (EXAMPLES / "forewarn.yaml").read_text(encoding="utf-8")
ENVIRON = {"GITHUB_TOKEN": "ghp_FuzzT0ken", "EMPTY": ""}
WORDS = ["version", "state", "trackers", "calendars", "projects", "rules", "summary", "kind",
         "github", "jira", "local", "token", "url", "email", "repo", "name", "tracker", "id",
         "scope_creep", "schedule_slip", "unanswered_feedback", "sla", "threshold", "label",
         "clients", "team", "external", "calendar", "timezone", "workdays", "hours", "mon",
         "holidays", "CN", "every", "monday 09:00", "language", "en", "path", "sprint",
         "status_issue", "notify", "grace", "window", "confidence", "16h", "10%", "0.85",
         "${GITHUB_TOKEN}", "${MISSING}", "${EMPTY:-x}", "$${LITERAL}", "${", "${bad name}",
         "sqlite:///x.db", "Asia/Shanghai", "09:00-18:00", "Mars/Olympus"]
scalars = (st.sampled_from(WORDS) | st.integers(-5, 10**6) | st.floats(allow_nan=True)
           | st.booleans() | st.none() | st.text(max_size=12) | st.dates())
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)
documents = st.dictionaries(st.sampled_from(WORDS), values, max_size=8)
SPLICE = ":-[]{}#&*!|>'\"%@`,?\t\n ${}\\\u00e9\u200f\x00"


def dump(data: Any, flow: bool) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def problems_are_placed(path: Path, outcome: Config | ConfigError, text: str | None) -> None:
    if isinstance(outcome, Config):
        return
    assert outcome.problems, "a ConfigError without a problem"
    lines = (text or "").count("\n") + 2
    for problem in outcome.problems:
        assert problem.file == str(path)
        assert "\n" not in problem.message, problem
        assert problem.line is not None and problem.column is not None, problem
        assert 1 <= problem.line <= lines and problem.column >= 1, problem
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: ")


def load(path: Path) -> Config | ConfigError:
    try:
        return load_config(path, environ=ENVIRON, secrets_dir=path.parent / "secrets")
    except ConfigError as error:
        return error


@pytest.fixture(scope="module")
def folder() -> Any:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@SETTINGS
@given(documents, st.booleans())
def test_documents_from_the_configs_own_words(folder: Path, data: Any, flow: bool) -> None:
    text = dump(data, flow)
    path = folder / "forewarn.yaml"
    path.write_text(text, encoding="utf-8")
    problems_are_placed(path, load(path), text)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE)), st.integers(0, 6),
                          st.text(alphabet=SPLICE, max_size=4)), min_size=1, max_size=4))
def test_the_example_with_characters_spliced_in_or_cut(folder: Path, edits: Any) -> None:
    text = EXAMPLE
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    path = folder / "forewarn.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    problems_are_placed(path, load(path), text)


@SETTINGS
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_raw_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "forewarn.yaml"
    path.write_bytes(raw)
    problems_are_placed(path, load(path), raw.decode("utf-8", "replace"))


@pytest.mark.parametrize(("name", "text"), [
    ("flow nesting", "version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n"),
    ("mapping nesting", "version: 1\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"),
    ("block nesting", "version: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(400))),
    ("billion laughs", "version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
     + "".join(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n"
               for p, c in zip(string.ascii_lowercase[:8], string.ascii_lowercase[1:9],
                                   strict=True))),
    ("alias to itself", "version: 1\nrules: &r [*r]\n"),
    ("tabs", "version: 1\n\tprojects: []\n"),
    ("nul byte", "version: 1\x00\n"),
    ("private-use brace", "version: 1\nstate: \ue000\n"),
    ("unclosed reference", "version: 1\nstate: ${STATE\n"),
    ("line break in a key", 'version: 1\ntrackers: {"a\\nb": [], "\\u202e": 1}\n'),
])
def test_hostile_documents(folder: Path, name: str, text: str) -> None:
    path = folder / "forewarn.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = load(path)
    assert isinstance(outcome, ConfigError)
    problems_are_placed(path, outcome, text)
    if "nesting" in name:
        assert f"deeper than {MAX_DEPTH} levels" in str(outcome) or "too deeply" in str(outcome)


@pytest.mark.parametrize("kind", ["missing", "directory", "not utf-8"])
def test_a_file_that_cannot_be_read_is_named_alone(folder: Path, kind: str) -> None:
    path = folder / kind
    if kind == "directory":
        path.mkdir(exist_ok=True)
    elif kind == "not utf-8":
        path.write_bytes(b"version: 1\nstate: \xff\xfe\n")
    outcome = load(path)
    assert isinstance(outcome, ConfigError)
    (problem,) = outcome.problems
    if kind == "not utf-8":  # readable, so placed: the byte at fault
        assert (problem.line, problem.column) == (2, 8)
    else:
        assert str(problem) == f"{path}: {problem.message}" and problem.line is None


CLI_SETTINGS = settings(SETTINGS, max_examples=examples(10))


@CLI_SETTINGS
@given(documents | st.text(max_size=200), st.booleans())
def test_check_config_exits_2_with_one_placed_line_per_problem(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    data: Any, flow: bool,
) -> None:
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(folder / "secrets"))
    for name in list(ENVIRON):
        monkeypatch.setenv(name, ENVIRON[name])
    text = data if isinstance(data, str) else dump(data, flow)
    assume("\r" not in text)
    path = folder / "check.yaml"
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["check-config", "-c", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, err)
    assert "Traceback" not in out + err
    if code == 2:
        lines = err.splitlines()
        assert lines
        placed = re.compile(re.escape(str(path)) + r":\d+:\d+: \S")
        assert all(placed.match(line) for line in lines), lines


# -- values that overflow a date, a duration or the scheduler --------------------------------

#: Where the example takes a duration, a date, a time or a number, and how to put a VALUE
#: there as an admin types it (unquoted: YAML reads ``2026-02-30`` as a date it cannot build).
SLOTS = {
    "sla": ("sla: 16h", "sla: VALUE"),
    "sla table": ("sla: 16h", "sla: {p1: VALUE, default: 16h}"),
    "warn_at": ("sla: 16h", "sla: 16h, warn_at: VALUE"),
    "every": ("    notify: [alice]", "    notify: [alice]\n    every: VALUE"),
    "grace": ("threshold: 10%", "threshold: 10%, grace: VALUE"),
    "window": ("confidence: 0.85", "confidence: 0.85, window: VALUE"),
    "threshold": ("threshold: 10%", "threshold: VALUE"),
    "extra_holidays": ("holidays: CN}", "holidays: CN, extra_holidays: [VALUE]}"),
    "summary every": ("every: monday 09:00", "every: VALUE"),
    "hours": ('hours: "09:00-18:00"', "hours: VALUE"),
    "write_budget": ("    notify: [alice]", "    notify: [alice]\n    write_budget: VALUE"),
    "status_issue": ("status_issue: 1", "status_issue: VALUE"),
}
huge = st.integers(0, 10**40) | st.sampled_from([2**31, 2**63, 10**9, 999999999, 86400 * 366])
durations = st.builds("{}{}".format, huge | st.decimals(0, 10**12, places=3).map(str),
                      st.sampled_from("wdhms"))
dates = st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13),
                  st.integers(0, 32))
stamps = st.builds("{}T{:02d}:{:02d}:{:02d}{}".format, dates, st.integers(0, 25),
                   st.integers(0, 61), st.integers(0, 61),
                   st.sampled_from(["", "Z", "+14:00", "-14:00", "+23:59", "-12:30"]))
clocks = st.builds("{:02d}:{:02d}".format, st.integers(0, 99), st.integers(0, 99))
overflowing = (durations | dates | stamps | huge.map(str) | huge.map("-{}".format) | clocks
               | st.builds("{} {}".format, st.sampled_from(["monday", "daily", "sun"]), clocks)
               | st.builds("{}-{}".format, clocks, clocks) | st.sampled_from(
                   [".inf", "-.inf", ".nan", "1e308", "1e400%", "99999999999999%"]))
USABLE_AT = datetime(2026, 11, 25, 8, tzinfo=UTC)


def usable(config: Config) -> None:
    """What the daemon and a cycle do with a config at once: schedule every project and its
    summary, count business time in its calendar, and reach each SLA's deadline."""
    scheduler = schedule.Scheduler()
    slots: dict[str, Slot] = {}
    fit_slots(slots, config, interval=None, now=USABLE_AT, first=True)
    for slot in slots.values():
        scheduler.every(max(1, round(slot.every.total_seconds()))).seconds.do(lambda: None)
        assert slot.next_summary is not None and slot.next_summary > USABLE_AT
    for project in config.projects:
        calendar = config.calendar_for(project).business_calendar()
        calendar.business_time(USABLE_AT - MAX_DURATION, USABLE_AT + MAX_DURATION)
        for rule in config.rules_for(project):
            sla = getattr(rule, "sla", None)
            for amount in ([sla.default, *(value for _, value in sla.entries)] if sla else []):
                calendar.add_business_time(USABLE_AT, amount)


@SETTINGS
@given(st.sampled_from(sorted(SLOTS)), overflowing)
def test_overflowing_values_are_refused_where_they_stand(folder: Path, slot: str,
                                                         value: str) -> None:
    old, new = SLOTS[slot]
    text = EXAMPLE.replace(old, new.replace("VALUE", value), 1)
    path = folder / "forewarn.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = load(path)
    problems_are_placed(path, outcome, text)
    if isinstance(outcome, Config):
        usable(outcome)


@pytest.mark.parametrize(("slot", "value"), [
    ("sla", "99999999999999h"), ("sla table", "99999999999d"), ("every", "999999999d"),
    ("grace", "1" + "0" * 30 + "w"), ("window", "999999999999999999999999s"),
    ("extra_holidays", "2026-02-30"), ("extra_holidays", "2026-01-01T25:00:00"),
    ("extra_holidays", "0001-01-01T00:00:00+14:00"), ("every", "366d"),
])
def test_the_values_issue_17_found(folder: Path, capsys: pytest.CaptureFixture[str],
                                   slot: str, value: str) -> None:
    """Each refused by ``check-config`` with exit 2 and its place, or usable as it is."""
    old, new = SLOTS[slot]
    path = folder / "forewarn.yaml"
    path.write_text(EXAMPLE.replace(old, new.replace("VALUE", value), 1), encoding="utf-8")
    capsys.readouterr()
    code = main(["check-config", "-c", str(path)])
    out, err = capsys.readouterr()
    if code == 0:
        usable(load_config(path))
        assert value == "0001-01-01T00:00:00+14:00"  # midnight of a day: a day off, year 1
        return
    assert code == 2 and out == "" and "Traceback" not in err
    (line,) = err.splitlines()
    assert re.match(re.escape(str(path)) + r":\d+:\d+: \S", line), line
