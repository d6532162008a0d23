"""The building blocks of the ``forewarn.yaml`` models: their base and their field types.

Every model forbids unknown keys and is frozen: a typo is an error at start-up,
never a setting silently ignored, and nothing downstream can change the config
it was handed. A field type parses what an admin may write (a login or a list
of them, ``#12`` or ``12``) into one normal form, or says what to write instead.
"""

from __future__ import annotations

import re
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
)

#: Where a value sits in the config's data: keys and list positions, as pydantic's ``loc``.
Loc = tuple[str | int, ...]
Language = Literal["en", "zh-CN"]
MilestoneKind = Literal["milestone", "sprint", "version"]

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_NAME_RE = re.compile(NAME_PATTERN)
_JIRA_ISSUE_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")


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


def people(keyword: str) -> Any:
    """``clients``/``team``: a keyword, or logins, emails, account ids and globs."""

    def check(value: Any) -> Any:
        if value is None or value == keyword:
            return value
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return tuple(value)
        msg = (
            f'use "{keyword}" or a list of logins, emails, account ids '
            'or globs like "*@client.example"'
        )
        raise ValueError(msg)

    return BeforeValidator(check)


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


#: ``notify``: logins or account ids (one may be written without a list), each mentionable.
Mention = Annotated[str, AfterValidator(_mention),
                    Field(json_schema_extra={"pattern": MENTION_PATTERN})]
Mentions = Annotated[tuple[Mention, ...], BeforeValidator(_one_or_many)]
