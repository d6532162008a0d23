"""Read ``forewarn.yaml``: YAML with positions, ``${VAR}`` interpolation, every problem at once.

An admin fixes a config in one go only when told everything that is wrong and
where, so nothing here stops at the first problem: YAML errors, undefined
variables, type errors from the models (each rule validates its own options)
and cross references all become :class:`Problem` records, reported as
``FILE:LINE:COL: message`` (1-based, as editors and compilers print them).

Interpolation: ``${VAR}`` in a string value is replaced from the environment,
then from the file ``<secrets dir>/<var lowercased>`` or ``<secrets dir>/<VAR>``
(Docker and Kubernetes secrets); ``${VAR:-default}`` falls back when the
variable is unset or empty; ``$${`` writes a literal ``${``. What a variable
holds never appears in a message: tokens travel this way.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from config.fields import Loc
from config.model import Config
from config.references import reference_problems
from rules.options import RuleOptions
from rules.registry import suggest

DEFAULT_SECRETS_DIR = Path("/run/secrets")
SECRETS_DIR_VARIABLE = "FOREWARN_SECRETS_DIR"
#: Keys whose values are never quoted back in a message.
SECRET_KEYS = frozenset(
    {"token", "private_key", "github_token", "jira_api_token", "state", "state_url"}
)

# `${VAR}` is not a valid plain scalar inside a flow mapping (`{token: ${X}}`): braces
# end it. Before parsing, the braces of every reference become two private-use
# characters of the same width, so the YAML parses and every column stays true.
_OPEN, _CLOSE = "\ue000", "\ue001"
_RESTORE = str.maketrans({_OPEN: "{", _CLOSE: "}"})
_REF_IN_SOURCE = re.compile(r"\$(\$?)\{([^{}\n]*)\}")
_REF = re.compile(rf"\$(\$?){_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
_UNCLOSED = re.compile(r"(?<!\$)\$\{")
_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
#: A real config nests about 5 levels and holds a few hundred values. Far past that a
#: file is an accident or an attack: deep nesting exhausts the YAML parser's recursion,
#: and aliases can expand a small file into billions of values ("billion laughs").
MAX_DEPTH = 50
MAX_VALUES = 100_000
_MIN_SECRET_LENGTH = 6

Mark = tuple[int, int]


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
) -> Config:
    """The validated config in ``path``, or ConfigError with every problem found.

    ``environ`` defaults to the process environment; ``secrets_dir`` to
    ``$FOREWARN_SECRETS_DIR`` or ``/run/secrets``.
    """
    env = os.environ if environ is None else environ
    if secrets_dir is None:
        secrets_dir = Path(env.get(SECRETS_DIR_VARIABLE) or DEFAULT_SECRETS_DIR)
    return _Loader(Path(path), env, secrets_dir).load()


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


# --------------------------------------------------------------------------- pydantic errors

_TYPE_MESSAGES = {
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "set_type": "expected a list",
    "iterable_type": "expected a list",
    "date_type": "expected a date like 2025-10-01",
    "date_parsing": "expected a date like 2025-10-01",
    "date_from_datetime_parsing": "expected a date like 2025-10-01",
    "date_from_datetime_inexact": "expected a date like 2025-10-01, without a time",
    "path_type": "expected a path",
    "none_required": "expected nothing (null)",
}


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe_error(error: ErrorDetails, *, show_input: bool = True) -> str:
    """A short human sentence for one pydantic error: no URL, no "Value error," prefix."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
        return f"{message}, got {_show(value)}" if show_input else message
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        listed = ", ".join(choices)
        hint = suggest(value, choices) if isinstance(value, str) else ""
        if not show_input:
            return f"expected one of: {listed}"
        return f"{_show(value)} is not one of: {listed}{hint}"
    if kind == "missing":
        return f'missing key "{error["loc"][-1]}"' if error["loc"] else "missing"
    if kind == "string_pattern_mismatch":
        shown = f"{_show(value)} " if show_input else ""
        return f"{shown}does not match {ctx.get('pattern')}"
    message = error["msg"]
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    if message.startswith("Input should be"):
        message = message.replace("Input should be", "should be", 1)
    return message


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional, which do not show in error locations."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc``, to suggest its field names."""
    current: Any = model
    parts = list(loc)
    while parts:
        current = _unwrap(current)
        part = parts.pop(0)
        origin = typing.get_origin(current)
        if _is_model(current):
            fields = current.model_fields
            if not isinstance(part, str) or part not in fields:
                return None
            current = fields[part].annotation
        elif origin in (dict, Mapping, typing.Mapping):
            current = typing.get_args(current)[1]
        elif origin in (tuple, list):
            current = typing.get_args(current)[0]
        elif origin in (typing.Union, types.UnionType):
            # A discriminated union puts the tag in the location: pick that member.
            for member in typing.get_args(current):
                member = _unwrap(member)
                kind = member.model_fields.get("kind") if _is_model(member) else None
                if kind is not None and part in typing.get_args(kind.annotation):
                    current = member
                    break
            else:
                return None
        else:
            return None
    current = _unwrap(current)
    return current if _is_model(current) else None


# --------------------------------------------------------------------------- the loader


class _TooLarge(Exception):
    """The document expands to more than MAX_VALUES values (raised where it happened)."""

    def __init__(self, loc: Loc) -> None:
        super().__init__(loc)
        self.loc = loc


def _flow_too_deep(text: str) -> Mark | None:
    """Where ``[``/``{`` nesting first passes MAX_DEPTH, before the parser recurses into it.

    A rough scan (quotes and comments skipped) is enough: a real config is nowhere near.
    """
    depth = line = column = 0
    quote = ""
    previous = "\n"
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char == "#" and previous in " \t\n":
            quote = "\n"  # a comment runs to the end of the line
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return (line, column)
        elif char in "]}":
            depth = max(0, depth - 1)
        if char == "\n":
            line, column = line + 1, 0
            if quote == "\n":
                quote = ""
        else:
            column += 1
        previous = char
    return None


class _Constructor(RoundTripConstructor):
    """Keeps the first value of a duplicate key and remembers the duplicate as a problem."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[tuple[Mark, str]] = []

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        if key in mapping:
            first = (mapping.lc.data or {}).get(key)
            where = f" (first at line {first[0] + 1})" if first else ""
            mark = (key_node.start_mark.line, key_node.start_mark.column)
            self.duplicates.append((mark, f'duplicate key "{key}"{where}'))
            return False
        return True


@dataclass
class _Positions:
    values: dict[Loc, Mark] = field(default_factory=dict)
    keys: dict[Loc, Mark] = field(default_factory=dict)
    #: location -> the value as written (with its ${...}), for messages.
    interpolated: dict[Loc, str] = field(default_factory=dict)
    #: values whose interpolation failed: their other problems would only be noise.
    poisoned: set[Loc] = field(default_factory=set)


class _Loader:
    def __init__(self, path: Path, environ: Mapping[str, str], secrets_dir: Path) -> None:
        self.path = path
        self.file = str(path)
        self.environ = environ
        self.secrets_dir = secrets_dir
        self.problems: list[Problem] = []
        self.positions = _Positions()
        #: value substituted -> "${NAME}", so that no message ever shows it.
        self.secrets: dict[str, str] = {}
        self._active: set[int] = set()
        self._values = 0
        self._data: Any = None

    # ---------------------------------------------------------------- reporting

    def _problem(self, mark: Mark | None, message: str) -> None:
        line, column = (mark[0] + 1, mark[1] + 1) if mark else (None, None)
        self.problems.append(Problem(self.file, line, column, self._redact(message)))

    def _redact(self, message: str) -> str:
        for value in sorted(self.secrets, key=len, reverse=True):
            if len(value) >= _MIN_SECRET_LENGTH:
                message = message.replace(value, self.secrets[value])
        return message

    def _at(self, loc: Loc, message: str, *, key: bool = False, prefix: bool = True) -> None:
        """A problem about the value (or key) at ``loc``, unless that value already failed."""
        if any(loc[: n + 1] in self.positions.poisoned for n in range(len(loc))):
            return
        source = self.positions.interpolated.get(loc)
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

    def _locate(self, loc: Iterable[str | int]) -> Loc:
        """The part of a pydantic location that exists in the file (drops union tags)."""
        found: Loc = ()
        for part in loc:
            if (*found, part) in self.positions.values:
                found = (*found, part)
        return found

    def _pydantic(self, exc: ValidationError, model: type[BaseModel], prefix: Loc) -> None:
        errors = exc.errors()
        # A misspelt key is one problem ("trackr", did you mean "tracker"?), not two.
        guessed: set[Loc] = set()
        unknown: list[tuple[Loc, str]] = []
        for error in errors:
            loc = prefix + tuple(error["loc"])
            where = self._locate(loc)
            last = loc[-1] if loc else None
            extra = error["type"] == "extra_forbidden" and where[-1:] == (last,)
            if extra and isinstance(last, str):
                fields = _model_at(model, tuple(error["loc"][:-1]))
                hint = suggest(last, list(fields.model_fields) if fields else [])
                unknown.append((where, f'unknown key "{last}"{hint}'))
                if hint:
                    guessed.add((*where[:-1], hint.split('"')[1]))
        for where, message in unknown:
            self._at(where, message, key=True)
        for error in errors:
            loc = prefix + tuple(error["loc"])
            where = self._locate(loc)
            kind = error["type"]
            last = loc[-1] if loc else None
            secret = isinstance(last, str) and last in SECRET_KEYS
            if kind == "extra_forbidden" and where[-1:] == (last,):
                continue
            if kind == "missing":
                if (*where, last) not in guessed:
                    self._at(where, f'missing key "{last}"')
            elif kind == "union_tag_invalid":
                ctx = error.get("ctx") or {}
                tag = str(ctx.get("tag"))
                expected = re.findall(r"'([^']*)'", str(ctx.get("expected_tags")))
                hint = suggest(tag, expected) or f" (one of: {', '.join(expected)})"
                message = f'unknown tracker kind "{tag}"{hint}'
                kind_loc = (*where, "kind")
                self._at(kind_loc if kind_loc in self.positions.values else where, message)
            elif kind == "union_tag_not_found":
                self._at(where, 'missing key "kind"')
            else:
                self._at(where, describe_error(error, show_input=not secret))

    # ---------------------------------------------------------------- stages

    def load(self) -> Config:
        text = self._read()
        root = self._parse(text) if text is not None else None
        config = None
        if root is not None:
            try:
                self._data = self._plain(root, (), (0, 0))
            except _TooLarge as too_large:
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
        for index, char in enumerate(text):
            if char in (_OPEN, _CLOSE):
                line = text.count("\n", 0, index)
                column = index - (text.rfind("\n", 0, index) + 1)
                self._problem((line, column), f"unsupported character U+{ord(char):04X}")
                return None
        return _REF_IN_SOURCE.sub(lambda m: f"${m.group(1)}{_OPEN}{m.group(2)}{_CLOSE}", text)

    def _parse(self, text: str) -> CommentedMap | None:
        too_deep = _flow_too_deep(text)
        if too_deep is not None:
            self._problem(too_deep, f"nested deeper than {MAX_DEPTH} levels")
            return None
        yaml = YAML(typ="rt")
        yaml.Constructor = _Constructor
        try:
            root = yaml.load(text)
        except RecursionError:
            self._problem((0, 0), f"nested too deeply to read (keep it under {MAX_DEPTH} levels)")
            return None
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = (exc.problem or exc.context or "invalid YAML").translate(_RESTORE)
            if exc.context and exc.problem:
                context = exc.context.translate(_RESTORE)
                if not context.startswith("while"):
                    # "expected a single document", "but found another document"
                    message = f"{context}, {message}"
                elif exc.context_mark is not None:
                    start = exc.context_mark
                    message += f" ({context} at line {start.line + 1}, column {start.column + 1})"
            self._problem((mark.line, mark.column) if mark else (0, 0), message)
            return None
        except YAMLError as exc:
            self._problem((0, 0), str(exc).translate(_RESTORE).splitlines()[0])
            return None
        constructor = yaml.constructor
        for mark, message in getattr(constructor, "duplicates", []):
            self._problem(mark, message.translate(_RESTORE))
        if root is None:
            self._problem((0, 0), "the file is empty (it needs at least version: 1)")
            return None
        if not isinstance(root, CommentedMap):
            self._problem((0, 0), "expected a mapping (key: value) at the top level")
            return None
        return root

    def _plain(self, node: Any, loc: Loc, mark: Mark) -> Any:
        """Plain Python data from ruamel's, noting where every key and value starts."""
        self._values += 1
        if self._values > MAX_VALUES:
            raise _TooLarge(loc)
        if len(loc) > MAX_DEPTH:
            self._at(loc, f"nested deeper than {MAX_DEPTH} levels", prefix=False)
            return None
        if isinstance(node, CommentedMap | CommentedSeq):
            if id(node) in self._active:
                self._at(loc, "an alias refers to itself")
                return None
            self._active.add(id(node))
            try:
                return self._container(node, loc, mark)
            finally:
                self._active.discard(id(node))
        if isinstance(node, str):
            return self._interpolate(str(node), loc)
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, datetime):
            return datetime.fromisoformat(node.isoformat())
        if isinstance(node, date):
            return date(node.year, node.month, node.day)
        return node

    def _container(self, node: CommentedMap | CommentedSeq, loc: Loc, mark: Mark) -> Any:
        if isinstance(node, CommentedSeq):
            items: list[Any] = []
            positions = node.lc.data or {}
            for index, item in enumerate(node):
                position = positions.get(index)
                child_mark = (position[0], position[1]) if position else mark
                child = (*loc, index)
                self.positions.values[child] = child_mark
                items.append(self._plain(item, child, child_mark))
            return items
        mapping: dict[str, Any] = {}
        positions = node.lc.data or {}
        for key, value in node.items():
            name = str(key).translate(_RESTORE)
            position = positions.get(key)
            key_mark = (position[0], position[1]) if position else mark
            value_mark = (position[2], position[3]) if position else mark
            child = (*loc, name)
            self.positions.keys[child] = key_mark
            self.positions.values[child] = value_mark
            mapping[name] = self._plain(value, child, value_mark)
        return mapping

    def _interpolate(self, text: str, loc: Loc) -> str:
        source = text.translate(_RESTORE)
        if _OPEN not in text:
            if _UNCLOSED.search(text):
                self._at(loc, "a ${ is not closed (write ${NAME})")
            return text
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            escaped, body = match.groups()
            if escaped:
                return "${" + body + "}"
            variable = _VARIABLE.match(body)
            if not variable:
                hint = "write ${NAME} or ${NAME:-default}"
                self._at(loc, f'bad variable reference "${{{body}}}" ({hint})')
                failed = True
                return ""
            name, default = variable.groups()
            value = self._lookup(name, loc)
            if not value and default is not None:
                return default
            if value is None:
                self._at(loc, f"environment variable {name} is not set")
                failed = True
                return ""
            if value:
                self.secrets.setdefault(value, "${" + name + "}")
            return value

        result = _REF.sub(substitute, text)
        if any(not match.group(1) for match in _REF.finditer(text)):
            self.positions.interpolated[loc] = source
        if failed:
            self.positions.poisoned.add(loc)
        return result

    def _lookup(self, name: str, loc: Loc) -> str | None:
        if name in self.environ:
            return self.environ[name]
        for candidate in dict.fromkeys((name.lower(), name)):
            secret = self.secrets_dir / candidate
            try:
                if secret.is_file():
                    return secret.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                self._at(loc, f"cannot read secret {secret}: {reason}")
                self.positions.poisoned.add(loc)
                return ""
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
        try:
            return Config.model_validate(checked, context=context)
        except ValidationError as exc:
            self._pydantic(exc, Config, ())
            return None

    def _rule(self, item: Any, loc: Loc, context: dict[str, Any]) -> RuleOptions | None:
        """One rule entry, validated by the Options model of its kind."""
        from rules import registry

        if not isinstance(item, dict):
            self._at(loc, f"expected a mapping (id: ..., kind: ...), got {_show(item)}")
            return None
        kind = item.get("kind")
        if kind is None:
            self._at(loc, 'missing key "kind"')
            return None
        if not isinstance(kind, str):
            self._at((*loc, "kind"), f"expected a rule kind, got {_show(kind)}")
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
