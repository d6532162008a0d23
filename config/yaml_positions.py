"""``forewarn.yaml`` read into plain Python data, noting where every key and value starts.

Problems are reported at the line and column of the value they are about, so
the reader keeps ruamel's positions for every key and value. A duplicate key
is a problem (the first value is kept), not a silent overwrite.

A real config nests about 5 levels and holds a few hundred values. Far past
that a file is an accident or an attack: deep nesting exhausts the YAML
parser's recursion, and aliases can expand a small file into billions of
values ("billion laughs"), so both are capped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from config.fields import Loc
from config.interpolation import restore

MAX_DEPTH = 50
MAX_VALUES = 100_000

#: (line, column), both 0-based as ruamel counts.
Mark = tuple[int, int]


class Report(Protocol):
    """Records a problem with the value at ``loc`` (``prefix``: name the value first)."""

    def __call__(self, loc: Loc, message: str, *, prefix: bool = True) -> None: ...


@dataclass
class Positions:
    """Where each key and each value starts in the file."""

    values: dict[Loc, Mark] = field(default_factory=dict)
    keys: dict[Loc, Mark] = field(default_factory=dict)


class TooLarge(Exception):
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

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        """A date no calendar has (``2026-02-30``, hour 25, a zone pushing it past year 1)
        stays the text it is: the field that wanted a date then says what to write."""
        try:
            return super().construct_yaml_timestamp(node, values)
        except (ValueError, OverflowError):
            return str(node.value)


# ruamel looks constructors up in a table by tag, not by method name.
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def parse_yaml(text: str) -> tuple[CommentedMap | None, list[tuple[Mark, str]]]:
    """The document's top-level mapping (None when there is none), and the problems found."""
    too_deep = _flow_too_deep(text)
    if too_deep is not None:
        return None, [(too_deep, f"nested deeper than {MAX_DEPTH} levels")]
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        root = yaml.load(text)
    except RecursionError:
        return None, [((0, 0), f"nested too deeply to read (keep it under {MAX_DEPTH} levels)")]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = restore(exc.problem or exc.context or "invalid YAML")
        if exc.context and exc.problem:
            context = restore(exc.context)
            if not context.startswith("while"):
                # "expected a single document", "but found another document"
                message = f"{context}, {message}"
            elif exc.context_mark is not None:
                start = exc.context_mark
                message += f" ({context} at line {start.line + 1}, column {start.column + 1})"
        return None, [((mark.line, mark.column) if mark else (0, 0), message)]
    except YAMLError as exc:
        return None, [((0, 0), restore(str(exc)).splitlines()[0])]
    constructor = yaml.constructor
    problems = [(mark, restore(message)) for mark, message in
                getattr(constructor, "duplicates", [])]
    if root is None:
        problems.append(((0, 0), "the file is empty (it needs at least version: 1)"))
        return None, problems
    if not isinstance(root, CommentedMap):
        problems.append(((0, 0), "expected a mapping (key: value) at the top level"))
        return None, problems
    return root, problems


class PlainConverter:
    """Plain Python data from ruamel's, noting in ``positions`` where every key and value starts.

    ``scalar(text, loc)`` gives what a string value becomes (``${VAR}`` filled in).
    """

    def __init__(
        self, positions: Positions, *, scalar: Callable[[str, Loc], str], report: Report
    ) -> None:
        self.positions = positions
        self.scalar = scalar
        self.report = report
        self._active: set[int] = set()
        self._values = 0

    def convert(self, root: CommentedMap) -> Any:
        """The whole document; raises TooLarge past MAX_VALUES values."""
        return self._plain(root, (), (0, 0))

    def _plain(self, node: Any, loc: Loc, mark: Mark) -> Any:
        self._values += 1
        if self._values > MAX_VALUES:
            raise TooLarge(loc)
        if len(loc) > MAX_DEPTH:
            self.report(loc, f"nested deeper than {MAX_DEPTH} levels", prefix=False)
            return None
        if isinstance(node, CommentedMap | CommentedSeq):
            if id(node) in self._active:
                self.report(loc, "an alias refers to itself")
                return None
            self._active.add(id(node))
            try:
                return self._container(node, loc, mark)
            finally:
                self._active.discard(id(node))
        if isinstance(node, str):
            return self.scalar(str(node), loc)
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
            name = restore(str(key))
            position = positions.get(key)
            key_mark = (position[0], position[1]) if position else mark
            value_mark = (position[2], position[3]) if position else mark
            child = (*loc, name)
            self.positions.keys[child] = key_mark
            self.positions.values[child] = value_mark
            mapping[name] = self._plain(value, child, value_mark)
        return mapping
