"""pydantic's validation errors as problems an admin can act on.

pydantic words its errors for programmers (``Input should be a valid
integer, unable to parse string as an integer``, a URL to its docs). Here
each becomes a short sentence placed at the value it is about; a misspelt
key is one problem with a suggestion (``unknown key "trackr" (did you mean
"tracker"?)``), not an unknown key plus a missing one.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Container, Iterable, Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from config.fields import Loc
from rules.registry import suggest

#: Keys whose values are never quoted back in a message.
SECRET_KEYS = frozenset(
    {"token", "private_key", "github_token", "jira_api_token", "state", "state_url"}
)
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
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


def show_value(value: Any) -> str:
    """A value from the file as a message quotes it: strings quoted, containers named."""
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
        return f"{message}, got {show_value(value)}" if show_input else message
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        listed = ", ".join(choices)
        hint = suggest(value, choices) if isinstance(value, str) else ""
        if not show_input:
            return f"expected one of: {listed}"
        return f"{show_value(value)} is not one of: {listed}{hint}"
    if kind == "missing":
        return f'missing key "{error["loc"][-1]}"' if error["loc"] else "missing"
    if kind == "string_pattern_mismatch":
        shown = f"{show_value(value)} " if show_input else ""
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


class PlacedProblem(NamedTuple):
    """A problem with the value at ``loc``, or with its key when ``key`` (an unknown key)."""

    loc: Loc
    message: str
    key: bool = False


def validation_problems(
    exc: ValidationError, model: type[BaseModel], prefix: Loc, *, known: Container[Loc]
) -> list[PlacedProblem]:
    """Every error of ``exc`` (raised by ``model`` for the data at ``prefix``), unknown keys first.

    ``known`` holds the locations that exist in the file: an error is placed at
    the deepest of them on its path (a union's tag in pydantic's location is not).
    """
    errors = exc.errors()
    placed: list[PlacedProblem] = []
    # A misspelt key is one problem ("trackr", did you mean "tracker"?), not two.
    guessed: set[Loc] = set()
    for error in errors:
        loc = prefix + tuple(error["loc"])
        where = _locate(loc, known)
        last = loc[-1] if loc else None
        extra = error["type"] == "extra_forbidden" and where[-1:] == (last,)
        if extra and isinstance(last, str):
            fields = _model_at(model, tuple(error["loc"][:-1]))
            hint = suggest(last, list(fields.model_fields) if fields else [])
            placed.append(PlacedProblem(where, f'unknown key "{last}"{hint}', key=True))
            if hint:
                guessed.add((*where[:-1], hint.split('"')[1]))
    for error in errors:
        loc = prefix + tuple(error["loc"])
        where = _locate(loc, known)
        kind = error["type"]
        last = loc[-1] if loc else None
        secret = isinstance(last, str) and last in SECRET_KEYS
        if kind == "extra_forbidden" and where[-1:] == (last,):
            continue
        if kind == "missing":
            if (*where, last) not in guessed:
                placed.append(PlacedProblem(where, f'missing key "{last}"'))
        elif kind == "union_tag_invalid":
            ctx = error.get("ctx") or {}
            tag = str(ctx.get("tag"))
            expected = re.findall(r"'([^']*)'", str(ctx.get("expected_tags")))
            hint = suggest(tag, expected) or f" (one of: {', '.join(expected)})"
            message = f'unknown tracker kind "{tag}"{hint}'
            kind_loc = (*where, "kind")
            placed.append(PlacedProblem(kind_loc if kind_loc in known else where, message))
        elif kind == "union_tag_not_found":
            placed.append(PlacedProblem(where, 'missing key "kind"'))
        else:
            placed.append(PlacedProblem(where, describe_error(error, show_input=not secret)))
    return placed


def _locate(loc: Iterable[str | int], known: Container[Loc]) -> Loc:
    """The part of a pydantic location that exists in the file (drops union tags)."""
    found: Loc = ()
    for part in loc:
        if (*found, part) in known:
            found = (*found, part)
    return found
