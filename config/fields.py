"""The building blocks of the ``forewarn.yaml`` models: their base and their field types.

Every model forbids unknown keys and is frozen: a typo is an error at start-up,
never a setting silently ignored, and nothing downstream can change the config
it was handed. A field type parses what an admin may write (a login or a list
of them, ``#12`` or ``12``) into one normal form, or says what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    model_validator,
)

#: Where a value sits in the config's data: keys and list positions, as pydantic's ``loc``.
Loc = tuple[str | int, ...]
Language = Literal["en", "zh-CN"]
MilestoneKind = Literal["milestone", "sprint", "version", "epic"]

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
NAME_RE = _NAME_RE = re.compile(NAME_PATTERN)
_JIRA_ISSUE_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
_GITHUB_ISSUE_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[1-9][0-9]*$")


class FrozenModel(BaseModel):
    """The base of every config model: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _name(value: str) -> str:
    if not _NAME_RE.match(value):
        msg = f'not a valid name: "{value}" (use lowercase letters, digits, - and _)'
        raise ValueError(msg)
    return value


def _secret_text(value: Any) -> Any:
    # An all-digit token written without quotes reaches us as a number.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Relative paths are relative to the config file, not to wherever forewarn was started."""
    value = value.expanduser()
    base = (info.context or {}).get("base_dir")
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


def _one_or_many(value: Any) -> Any:
    """A single login may be written without a list."""
    return [value] if isinstance(value, str) else value


#: Who ``notify`` may name: a GitHub login or ``org/team``, a Jira Cloud account id
#: (``557058:f58131cb-…``), a Jira Data Center user name (``j.smith``, ``pm@acme``). Alerts
#: mention them as written (``@alice``, ``[~accountid:…]``): nothing in them may end the
#: mention or start markup (spaces, brackets, ``~``, ``|``, ``*``, ``<``, …).
MENTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$"
_MENTION_RE = re.compile(MENTION_PATTERN)


def mention_problem(value: Any) -> str | None:
    """Why ``value`` cannot be mentioned in an alert, or None."""
    if isinstance(value, str) and _MENTION_RE.match(value):
        return None
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    return (f"not a login or account id: {shown} (letters, digits and . _ - : @ /, "
            "starting with a letter or digit)")


def _mention(value: str) -> str:
    problem = mention_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"pattern": NAME_PATTERN})]
Secret = Annotated[SecretStr, BeforeValidator(_secret_text)]
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Names = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]


class MemberRef(FrozenModel):
    """A Jira project role or group, by name: ``{role: Developers}`` or ``{group: acme-team}``."""

    role: str | None = Field(default=None, min_length=1, description="A project role's name.")
    group: str | None = Field(default=None, min_length=1, description="A group's name.")

    @model_validator(mode="after")
    def _one(self) -> MemberRef:
        if (self.role is None) == (self.group is None):
            msg = "write one of {role: NAME} or {group: NAME}"
            raise ValueError(msg)
        return self

    @property
    def kind(self) -> Literal["role", "group"]:
        return "role" if self.role is not None else "group"

    @property
    def name(self) -> str:
        return self.role or self.group or ""


def _is_member_ref(item: Any) -> bool:
    return isinstance(item, dict) and len(item) == 1 and set(item) <= {"role", "group"}


def _names_a_member(item: Any) -> bool:
    """A mapping that means a role or a group (one that names neither is organisations)."""
    return isinstance(item, dict) and bool(set(item) & {"role", "group"})


def _member_ref(item: Any) -> Any:
    """``{role: NAME}``/``{group: NAME}`` as a MemberRef, with one clear message otherwise."""
    if not isinstance(item, dict):
        return item
    if _is_member_ref(item):
        name = next(iter(item.values()))
        if isinstance(name, str) and name.strip():
            return MemberRef.model_validate(item)
    shown = "{" + ", ".join(f"{key}: {value}" for key, value in item.items()) + "}"
    msg = f"not a role or group: {shown} (write {{role: NAME}} or {{group: NAME}})"
    raise ValueError(msg)


def people(*keywords: str) -> Any:
    """``clients``/``team``: a keyword, or logins, emails, account ids, globs and Jira roles and
    groups (``{role: Developers}``), alone or in a list; ``bots`` the same without keywords.

    ``clients`` may also map client organisations to their patterns
    (``{initech: ["*@initech.example"], umbrella: ["*@umbrella.example"]}``): each
    organisation then gets its own client edition of the summary.
    """

    def check(value: Any) -> Any:
        if value is None or value in keywords:
            return value
        if isinstance(value, list | tuple) and any(item in keywords for item in value):
            # [external] would be a login named "external": every client silently lost.
            word = next(item for item in value if item in keywords)
            msg = (f'write {word} on its own, without brackets: inside a list it reads as '
                   f'a login named "{word}"')
            raise ValueError(msg)
        if isinstance(value, str) or _names_a_member(value):
            return (_member_ref(value),)
        if isinstance(value, list | tuple) and all(isinstance(i, str | dict) for i in value):
            return tuple(_member_ref(item) for item in value)
        if "external" in keywords and isinstance(value, Mapping) and value:
            return organisations(value)
        words = " or ".join(f'"{keyword}"' for keyword in keywords)
        msg = (
            f"use {words}, or a list of logins, emails, account ids, globs like "
            '"*@client.example", {role: NAME} or {group: NAME}'
        )
        if not keywords:  # bots
            msg = ('use a list of logins, account ids, names, globs like "renovate*", '
                   "{group: NAME} or {role: NAME}")
        raise ValueError(msg)

    return BeforeValidator(check)


def organisations(value: Mapping[Any, Any]) -> dict[str, tuple[str, ...]]:
    """``{initech: ["*@initech.example"]}``: organisation name -> patterns (one or a list)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, patterns in value.items():
        items = [patterns] if isinstance(patterns, str) else patterns
        if not isinstance(name, str) or not _NAME_RE.match(name) or not isinstance(
                items, list | tuple) or not items or not all(isinstance(i, str) for i in items):
            msg = (f"clients: organisation {name!r} needs a name (lowercase letters, digits, - "
                   'and _) and a list of logins, emails or globs like "*@initech.example"')
            raise ValueError(msg)
        found[name] = tuple(items)
    return found


#: What ``team``/``clients`` hold once validated: patterns and roles/groups, in order.
PeopleList = tuple[str | MemberRef, ...]


def people_schema(*keywords: str, organisations: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``team``/``clients`` as written: a keyword, one pattern, one role or
    group, a list of patterns, roles and groups, or (``clients``) organisations."""
    one = [{"type": "string"}, {"$ref": "#/$defs/MemberRef"}]
    forms: list[dict[str, Any]] = [*({"const": keyword} for keyword in keywords), *one,
                                   {"type": "array", "items": {"anyOf": one}}]
    if organisations:
        patterns = {"anyOf": [{"type": "string"},
                              {"type": "array", "items": {"type": "string"}}]}
        forms.append({"type": "object", "additionalProperties": patterns,
                      "description": "client organisation -> its people's patterns"})
    return {"anyOf": [*forms, {"type": "null"}]}


def bots_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema of ``bots`` as written: one pattern, role or group, or a list of them
    (pydantic's own, a list of strings or references, is replaced)."""
    one = [{"type": "string"}, {"$ref": "#/$defs/MemberRef"}]
    schema.pop("type", None)
    schema.pop("items", None)
    schema["anyOf"] = [*one, {"type": "array", "items": {"anyOf": one}}]


_KINDS = ("milestone", "sprint", "version", "epic")


def milestone_kinds(value: Any) -> Any:
    """``sprint``, or several kinds as a list (``[sprint, version]``), each once; one
    message whatever is wrong, rather than one per shape it is not."""
    if value is None or value in _KINDS:
        return value
    items = list(value) if isinstance(value, list | tuple) else [value]
    wrong = next((item for item in items if item not in _KINDS), None)
    twice = next((item for item in items if items.count(item) > 1), None)
    if items and wrong is None and twice is None:
        return tuple(items)
    if not items or wrong is not None:
        shown = f'"{wrong}" is not' if isinstance(wrong, str) else "not"
        msg = (f"{shown} a kind of milestone: write milestone, sprint, version or epic, "
               "or several, like [sprint, version]")
    else:
        msg = f"list each kind of milestone once ({twice} is there twice)"
    raise ValueError(msg)


def issue_ref(value: Any) -> Any:
    """A GitHub issue number (``12``, ``"#12"``) or a Jira key (``BILL-1``)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        text = value.strip().removeprefix("#")
        if text.isdigit() and int(text) > 0:
            return int(text)
        if _JIRA_ISSUE_RE.match(text):
            return text
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    msg = f"not an issue: {shown} (a GitHub issue number like 1 or a Jira key like BILL-1)"
    raise ValueError(msg)


def team_issue_ref(value: Any) -> Any:
    """An issue that may live elsewhere: ``issue_ref``, or ``owner/repo#12`` on GitHub."""
    if isinstance(value, str) and _GITHUB_ISSUE_RE.match(value.strip()):
        return value.strip()
    try:
        return issue_ref(value)
    except ValueError:
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        msg = (f"not an issue: {shown} (a Jira key like ACME-1, a GitHub issue like "
               "acme/portal-internal#1, or a number in the project's own repository)")
        raise ValueError(msg) from None


#: ``notify``: logins or account ids (one may be written without a list), each mentionable.
Mention = Annotated[str, AfterValidator(_mention),
                    Field(json_schema_extra={"pattern": MENTION_PATTERN})]
Mentions = Annotated[tuple[Mention, ...], BeforeValidator(_one_or_many)]
