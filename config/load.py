"""Read ``forewarn.yaml`` and report every problem at once, each at its line and column.

An admin fixes a config in one go only when told everything that is wrong and
where, so nothing here stops at the first problem: YAML errors
(``yaml_positions.py``), undefined variables (``interpolation.py``), type
errors from the models (each rule validates its own options; worded by
``pydantic_errors.py``) and cross references all become :class:`Problem`
records, reported as ``FILE:LINE:COL: message`` (1-based, as editors and
compilers print them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap

from config.fields import Loc
from config.interpolation import (
    DEFAULT_SECRETS_DIR,
    SECRETS_DIR_VARIABLE,
    Interpolator,
    protect,
    reserved_at,
)
from config.model import Config, redact_url
from config.needs import need_problems, warnings
from config.pydantic_errors import show_value, validation_problems
from config.references import reference_problems
from config.yaml_positions import (
    MAX_VALUES,
    Mark,
    PlainConverter,
    Positions,
    TooLarge,
    parse_yaml,
)
from rules.options import RuleOptions


class Problem(NamedTuple):
    """One thing wrong with the config; ``line``/``column`` are 1-based, None when unknown."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column or 1}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; ``problems`` lists everything that is wrong, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problem._replace(message=_one_line(problem.message))
                              for problem in problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _one_line(text: str) -> str:
    """One problem, one line: a key or value quoted from the file may hold a line break
    or another control character; it is shown escaped (``\\n``)."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode()
        for char in text
    )


def load_config(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    secrets_dir: Path | None = None,
    default_tokens: Collection[str] | None = None,
    warn: Callable[[Problem], None] | None = None,
) -> Config:
    """The validated config in ``path``, or ConfigError with every problem found.

    ``environ`` defaults to the process environment; ``secrets_dir`` to
    ``$FOREWARN_SECRETS_DIR`` or ``/run/secrets``. ``default_tokens`` names the tracker
    kinds the settings hold a token for (``config.settings.default_tokens``): when given,
    a tracker without any token is a problem. ``warn`` hears what will not happen
    although the config loads (a summary with nowhere to go).
    """
    env = os.environ if environ is None else environ
    if secrets_dir is None:
        secrets_dir = Path(env.get(SECRETS_DIR_VARIABLE) or DEFAULT_SECRETS_DIR)
    loader = _Loader(Path(path), env, secrets_dir, default_tokens=default_tokens)
    config = loader.load()
    for problem in loader.warnings():
        if warn is not None:
            warn(problem)
    return config


def format_loc(loc: Iterable[str | int]) -> str:
    """``projects[0].every``, ``trackers.gh.token``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text


class _Loader:
    def __init__(self, path: Path, environ: Mapping[str, str], secrets_dir: Path, *,
                 default_tokens: Collection[str] | None = None) -> None:
        self.path = path
        self.default_tokens = default_tokens
        self.file = str(path)
        self.problems: list[Problem] = []
        self.positions = Positions()
        self.variables = Interpolator(environ, secrets_dir, report=self._at)
        self._data: Any = None

    # ---------------------------------------------------------------- reporting

    def _problem(self, mark: Mark | None, message: str) -> None:
        line, column = (mark[0] + 1, mark[1] + 1) if mark else (None, None)
        # A URL quoted in a message (a state URL, a tracker's) shows no password.
        text = redact_url(self.variables.redact(message))
        self.problems.append(Problem(self.file, line, column, text))

    def _at(self, loc: Loc, message: str, *, key: bool = False, prefix: bool = True) -> None:
        """A problem about the value (or key) at ``loc``, unless that value already failed."""
        if any(loc[: n + 1] in self.variables.poisoned for n in range(len(loc))):
            return
        source = self.variables.sources.get(loc)
        if source is not None:
            value = self._value_at(loc)
            if isinstance(value, str) and value:
                message = message.replace(repr(value), repr(source))
                message = message.replace(f'"{value}"', f'"{source}"')
        if prefix and loc:
            owner = format_loc(loc[:-1] if key else loc)
            message = f"{owner}: {message}" if owner else message
        marks = self.positions.keys if key else self.positions.values
        self._problem(marks.get(loc) or self._nearest(loc), message)

    def _nearest(self, loc: Loc) -> Mark:
        while loc:
            loc = loc[:-1]
            if loc in self.positions.values:
                return self.positions.values[loc]
        return (0, 0)

    def _value_at(self, loc: Loc) -> Any:
        value: Any = self._data
        for part in loc:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def _pydantic(self, exc: ValidationError, model: type[BaseModel], prefix: Loc) -> None:
        for problem in validation_problems(exc, model, prefix, known=self.positions.values):
            self._at(problem.loc, problem.message, key=problem.key)

    # ---------------------------------------------------------------- stages

    def load(self) -> Config:
        text = self._read()
        root = self._parse(text) if text is not None else None
        config = None
        if root is not None:
            converter = PlainConverter(
                self.positions, scalar=self.variables.interpolate, report=self._at
            )
            try:
                self._data = converter.convert(root)
            except TooLarge as too_large:
                self._at(too_large.loc, f"more than {MAX_VALUES} values (aliases expanding "
                         "without end?): forewarn reads configs far smaller", prefix=False)
            else:
                config = self._validate(self._data)
        if self.problems or config is None:
            unique = dict.fromkeys(self.problems)
            ordered = sorted(unique, key=lambda p: (p.line or 0, p.column or 0))
            raise ConfigError(ordered)
        return config

    def _read(self) -> str | None:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self._problem(None, f"cannot read the config file: {reason}")
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n")
            column = len(before) - (before.rfind(b"\n") + 1)
            self._problem((line, column), "not UTF-8 text")
            return None
        index = reserved_at(text)
        if index is not None:
            line = text.count("\n", 0, index)
            column = index - (text.rfind("\n", 0, index) + 1)
            self._problem((line, column), f"unsupported character U+{ord(text[index]):04X}")
            return None
        return protect(text)

    def _parse(self, text: str) -> CommentedMap | None:
        root, problems = parse_yaml(text)
        for mark, message in problems:
            self._problem(mark, message)
        return root

        return None

    def _validate(self, data: dict[str, Any]) -> Config | None:
        context = {"base_dir": self.path.parent, "skip_references": True}
        checked = dict(data)
        rules = data.get("rules")
        if isinstance(rules, list):
            options = [self._rule(item, ("rules", i), context) for i, item in enumerate(rules)]
            checked["rules"] = [option for option in options if option is not None]
        for loc, message in reference_problems(data):
            self._at(loc, message, prefix=False)
        for loc, message in need_problems(data, default_tokens=self.default_tokens,
                                          failed=self.variables.poisoned):
            self._at(loc, message, prefix=False)
        try:
            return Config.model_validate(checked, context=context)
        except ValidationError as exc:
            self._pydantic(exc, Config, ())
            return None

    def warnings(self) -> list[Problem]:
        """What the loaded config will not do, each at its value (after a successful load)."""
        found: list[Problem] = []
        for loc, message in warnings(self._data):
            mark = self.positions.values.get(loc) or self._nearest(loc)
            found.append(Problem(self.file, mark[0] + 1, mark[1] + 1, f"warning: {message}"))
        return found

    def _rule(self, item: Any, loc: Loc, context: dict[str, Any]) -> RuleOptions | None:
        """One rule entry, validated by the Options model of its kind."""
        from rules import registry

        if not isinstance(item, dict):
            self._at(loc, f"expected a mapping (id: ..., kind: ...), got {show_value(item)}")
            return None
        kind = item.get("kind")
        if kind is None:
            self._at(loc, 'missing key "kind"')
            return None
        if not isinstance(kind, str):
            self._at((*loc, "kind"), f"expected a rule kind, got {show_value(kind)}")
            return None
        try:
            rule = registry.get(kind)
        except registry.NoSuchRule as exc:
            self._at((*loc, "kind"), str(exc))
            return None
        try:
            return rule.Options.model_validate(item, context=context)
        except ValidationError as exc:
            self._pydantic(exc, rule.Options, loc)
            return None
