"""The pydantic models of ``forewarn.yaml``.

Every model forbids unknown keys and is frozen: a typo is an error at start-up,
never a setting silently ignored, and nothing downstream can change the config
it was handed. Checks that need more than one value (a project naming a
tracker, a rule naming a project) live in :func:`reference_problems`, which
works on plain data so that the loader can report them alongside type errors.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rules.options import Duration, RuleOptions
from rules.registry import suggest

if TYPE_CHECKING:
    from rules.calendar import BusinessCalendar

Loc = tuple[str | int, ...]
Language = Literal["en", "zh-CN"]
MilestoneKind = Literal["milestone", "sprint", "version"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_NAME_RE = re.compile(NAME_PATTERN)
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_JIRA_PROJECT_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
_JIRA_ISSUE_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EVERY_RE = re.compile(r"^(?:(?P<day>[a-z]+)\s+)?(?P<clock>\d{1,2}:\d{2})$")
_DAILY = ("day", "daily")
DEFAULT_CALENDAR_NAME = "default"


# --------------------------------------------------------------------------- field types


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


Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"pattern": NAME_PATTERN})]
Secret = Annotated[SecretStr, BeforeValidator(_secret_text)]
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Names = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]


def _people(keyword: str) -> Any:
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


def _issue_ref(value: Any) -> Any:
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


@functools.cache
def _countries() -> dict[str, list[str]]:
    import holidays

    supported: dict[str, list[str]] = holidays.list_supported_countries()
    return supported


def _clock(text: str) -> time:
    match = _CLOCK_RE.match(text.strip())
    if not match:
        msg = f'not a time of day: "{text}" (write HH:MM, like 09:00)'
        raise ValueError(msg)
    return time(int(match.group(1)), int(match.group(2)))


def _weekday(text: str) -> int | None:
    """0 for Monday, as Python counts; None when ``text`` is no weekday."""
    word = text.strip().lower()
    for number, (short, full) in enumerate(zip(WEEKDAYS, _DAY_NAMES, strict=True)):
        if word in (short, full):
            return number
    return None


def _day(value: Any) -> Any:
    """``mon`` or ``Monday``, stored as ``mon``."""
    number = _weekday(value) if isinstance(value, str) else None
    if number is None:
        msg = f'not a weekday: "{value}" (use mon, tue, wed, thu, fri, sat, sun)'
        raise ValueError(msg)
    return WEEKDAYS[number]


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitHubTracker(_Model):
    """github.com or GitHub Enterprise, with a token or as a GitHub App."""

    kind: Literal["github"]
    token: Secret | None = Field(
        default=None, description="A token; FOREWARN_GITHUB_TOKEN when neither this nor an app."
    )
    base_url: str | None = Field(
        default=None, description="GitHub Enterprise API URL, like https://ghe.example/api/v3."
    )
    app_id: int | None = Field(default=None, gt=0, description="GitHub App id (app auth).")
    private_key: Secret | None = Field(default=None, description="The app's PEM private key.")
    private_key_path: ConfigPath | None = Field(
        default=None, description="A file holding the app's PEM key, relative to the config."
    )
    installation_id: int | None = Field(
        default=None, gt=0, description="The app installation; looked up from the repo if unset."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            msg = f'not a URL: "{value}" (like https://github.example.com/api/v3)'
            raise ValueError(msg)
        return value.rstrip("/") if value else value

    @field_validator("private_key_path")
    @classmethod
    def _key_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Only when loading from a file: programmatic configs may point anywhere.
        if value is not None and (info.context or {}).get("base_dir") and not value.is_file():
            msg = f"no such file: {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_auth(self) -> Self:
        app = any(
            v is not None
            for v in (self.app_id, self.private_key, self.private_key_path, self.installation_id)
        )
        if self.token is not None and app:
            msg = "use either token or a GitHub App (app_id, private_key), not both"
            raise ValueError(msg)
        if app and self.app_id is None:
            msg = "a GitHub App needs app_id"
            raise ValueError(msg)
        if app and (self.private_key is None) == (self.private_key_path is None):
            msg = "a GitHub App needs one of private_key or private_key_path"
            raise ValueError(msg)
        return self

    @property
    def uses_app(self) -> bool:
        return self.app_id is not None


class JiraTracker(_Model):
    """Jira Cloud (email + API token) or Server/Data Center (personal access token)."""

    kind: Literal["jira"]
    url: str = Field(description="The site, like https://acme.atlassian.net.")
    email: str | None = Field(default=None, description="Jira Cloud: the token owner's email.")
    token: Secret | None = Field(
        default=None, description="API token (Cloud) or PAT (Server); else FOREWARN_JIRA_API_TOKEN."
    )
    deployment: Literal["auto", "cloud", "server"] = Field(
        default="auto", description="auto: cloud for *.atlassian.net, server otherwise."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            msg = f'not a URL: "{value}" (like https://acme.atlassian.net)'
            raise ValueError(msg)
        return value.rstrip("/")

    @model_validator(mode="after")
    def _cloud_email(self) -> Self:
        if self.is_cloud and self.email is None:
            msg = "Jira Cloud needs email (the account the API token belongs to)"
            raise ValueError(msg)
        return self

    @property
    def is_cloud(self) -> bool:
        if self.deployment == "auto":
            host = re.sub(r"^https?://", "", self.url).split("/")[0].split(":")[0]
            return host.endswith((".atlassian.net", ".jira.com"))
        return self.deployment == "cloud"


class LocalTracker(_Model):
    """A tracker kept in one JSON file: the demo, offline exports, tests."""

    kind: Literal["local"]
    path: ConfigPath = Field(description="The JSON file, relative to the config file.")


Tracker = Annotated[GitHubTracker | JiraTracker | LocalTracker, Field(discriminator="kind")]


class Calendar(_Model):
    """Business hours: feedback clocks only run inside them."""

    timezone: str = Field(default="UTC", description="IANA time zone, like Asia/Shanghai.")
    workdays: tuple[Annotated[Weekday, BeforeValidator(_day)], ...] = Field(
        default=("mon", "tue", "wed", "thu", "fri"), description="mon..sun."
    )
    hours: str = Field(default="09:00-18:00", description="Working hours, HH:MM-HH:MM.")
    holidays: str | None = Field(
        default=None, description="Country code for public holidays (holidays package): CN, US, DE."
    )
    subdiv: str | None = Field(default=None, description="Subdivision (state, province) code.")
    extra_holidays: tuple[date, ...] = Field(default=(), description="Further days off.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            names = zoneinfo.available_timezones()
            msg = f'unknown time zone "{value}"{suggest(value, names)}'
            raise ValueError(msg) from None
        return value

    @field_validator("workdays")
    @classmethod
    def _distinct(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            msg = "at least one working day is needed"
            raise ValueError(msg)
        for day in value:
            if value.count(day) > 1:
                msg = f'"{day}" is listed twice'
                raise ValueError(msg)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) != 2:
            msg = f'not working hours: "{value}" (write 09:00-18:00)'
            raise ValueError(msg)
        start = _clock(parts[0])
        midnight = parts[1].strip() in ("24:00", "00:00", "0:00")
        end = time(0) if midnight else _clock(parts[1])
        if not midnight and start >= end:
            msg = f'working hours end before they start: "{value}"'
            raise ValueError(msg)
        return f"{start:%H:%M}-{'24:00' if midnight else f'{end:%H:%M}'}"

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in _countries():
            msg = (
                f'no public holidays known for country "{value}" '
                "(use a code the holidays package supports, like CN, US, DE)"
            )
            raise ValueError(msg)
        return code

    @model_validator(mode="after")
    def _subdivision(self) -> Self:
        if self.subdiv is None:
            return self
        if self.holidays is None:
            msg = "subdiv needs holidays (the country it belongs to)"
            raise ValueError(msg)
        import holidays

        try:
            holidays.country_holidays(self.holidays, subdiv=self.subdiv)
        except NotImplementedError:
            known = _countries().get(self.holidays, [])
            listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            hint = f" (one of: {listed})" if known else f" ({self.holidays} has none)"
            msg = f'unknown subdivision "{self.subdiv}" of {self.holidays}{hint}'
            raise ValueError(msg) from None
        return self

    @property
    def start(self) -> time:
        return _clock(self.hours.split("-")[0])

    @property
    def end(self) -> time:
        """``time(0)`` when the working day runs until midnight (``24:00``)."""
        text = self.hours.split("-")[1]
        return time(0) if text == "24:00" else _clock(text)

    @property
    def weekday_numbers(self) -> tuple[int, ...]:
        """Python's numbering: Monday is 0."""
        return tuple(WEEKDAYS.index(day) for day in self.workdays)

    def business_calendar(self) -> BusinessCalendar:
        """The calendar rules count business hours with."""
        from rules.calendar import BusinessCalendar

        return BusinessCalendar(
            timezone=self.timezone,
            workdays=self.weekday_numbers,
            start=self.start,
            end=self.end,
            holidays=self.holidays,
            subdiv=self.subdiv,
            extra_holidays=self.extra_holidays,
        )


DEFAULT_CALENDAR = Calendar()


class Summary(_Model):
    """The periodic expectation summary for the PM and the client."""

    every: str = Field(
        default="monday 09:00",
        description="A weekday (or daily) and HH:MM, in the project's calendar time zone.",
    )
    language: Language = "en"
    to: Literal["status_issue", "none"] = Field(
        default="status_issue",
        description="status_issue: upsert a comment there; none: don't post.",
    )
    templates: ConfigPath | None = Field(
        default=None, description="A directory of admin templates, relative to the config file."
    )

    @field_validator("every")
    @classmethod
    def _schedule(cls, value: str) -> str:
        text = " ".join(value.lower().split())
        match = _EVERY_RE.match(text)
        day = match.group("day") if match else None
        if not match or (day is not None and day not in _DAILY and _weekday(day) is None):
            msg = f'not a schedule: "{value}" (a weekday or daily, then HH:MM: monday 09:00)'
            raise ValueError(msg)
        clock = _clock(match.group("clock"))
        number = None if day is None or day in _DAILY else _weekday(day)
        prefix = "daily" if number is None else _DAY_NAMES[number]
        return f"{prefix} {clock:%H:%M}"

    @field_validator("templates")
    @classmethod
    def _directory(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None and (info.context or {}).get("base_dir") and not value.is_dir():
            msg = f"no such directory: {value}"
            raise ValueError(msg)
        return value

    @property
    def weekday(self) -> int | None:
        """Monday is 0; None means every day."""
        return _weekday(self.every.split()[0])

    @property
    def at(self) -> time:
        return _clock(self.every.split()[1])


class Project(_Model):
    """One tracker project (a repository or a Jira project) that forewarn watches."""

    name: Name = Field(description="Unique; lowercase letters, digits, - and _.")
    tracker: str = Field(description="A key of trackers.")
    repo: str | None = Field(default=None, description="owner/name; GitHub trackers.")
    jira_project: str | None = Field(default=None, description="Project key; Jira trackers.")
    milestones: MilestoneKind | None = Field(
        default=None, description="GitHub: milestone. Jira: sprint or version (the default)."
    )
    board: int | None = Field(default=None, gt=0, description="Jira board id, for sprints.")
    calendar: str = Field(
        default=DEFAULT_CALENDAR_NAME, description="A key of calendars; default: UTC Mon-Fri 9-18."
    )
    clients: Annotated[Literal["external"] | tuple[str, ...] | None, _people("external")] = Field(
        default=None, description='"external", or logins, emails, account ids and globs.'
    )
    team: Annotated[Literal["members"] | tuple[str, ...] | None, _people("members")] = Field(
        default=None, description='"members" (GitHub MEMBER/OWNER/COLLABORATOR) or a list.'
    )
    bots: Names = Field(default=(), description="Further accounts that never count as people.")
    status_issue: Annotated[int | str | None, BeforeValidator(_issue_ref)] = Field(
        default=None, description="Where the summary goes: a GitHub issue number or a Jira key."
    )
    notify: Names = Field(default=(), description="Logins or account ids to mention in alerts.")
    language: Language | None = Field(default=None, description="Default: summary.language.")
    every: Duration = Field(default=timedelta(minutes=15), description="How often a cycle runs.")
    include_pull_requests: bool = False
    rules: tuple[str, ...] | None = Field(
        default=None, description="Rule ids that apply; default: every rule that names it or none."
    )
    write_budget: int = Field(default=50, ge=0, description="Most writes in one cycle.")
    summary: Summary | None = Field(default=None, description="Overrides the global summary.")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_RE.match(value):
            msg = f'not a repository: "{value}" (write owner/name)'
            raise ValueError(msg)
        return value

    @field_validator("jira_project")
    @classmethod
    def _jira_project(cls, value: str | None) -> str | None:
        if value is not None and not _JIRA_PROJECT_RE.match(value):
            msg = f'not a Jira project key: "{value}" (uppercase, like BILL)'
            raise ValueError(msg)
        return value

    @field_validator("every")
    @classmethod
    def _often_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            msg = "a cycle needs at least 1m between runs"
            raise ValueError(msg)
        return value


def validate_rule(item: Any, *, context: Mapping[str, Any] | None = None) -> RuleOptions:
    """One ``rules:`` entry, validated by the Options model of the rule it names."""
    from rules import registry

    if isinstance(item, RuleOptions):
        return item
    if not isinstance(item, Mapping) or not isinstance(item.get("kind"), str):
        msg = "a rule needs id and kind"
        raise ValueError(msg)
    rule = registry.get(item["kind"])
    return rule.Options.model_validate(dict(item), context=dict(context or {}))


def _rule_items(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, list | tuple):
        return value
    try:
        return tuple(validate_rule(item, context=info.context) for item in value)
    except (KeyError, ValidationError) as exc:  # NoSuchRule is a KeyError
        raise ValueError(str(exc)) from None


RuleList = Annotated[tuple[SerializeAsAny[RuleOptions], ...], BeforeValidator(_rule_items)]


class Config(_Model):
    """The whole forewarn.yaml file."""

    version: int = Field(json_schema_extra={"const": 1}, description="Always 1.")
    state: str | None = Field(
        default=None, description="SQLAlchemy URL of the state store; FOREWARN_STATE_URL wins."
    )
    trackers: dict[str, Tracker] = Field(default_factory=dict)
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    projects: tuple[Project, ...] = ()
    rules: RuleList = ()
    summary: Summary = Field(default_factory=Summary)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if value != 1 or isinstance(value, bool):
            msg = f"unsupported config version {value!r} (this forewarn reads version: 1)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Self:
        # The file loader reports these itself, each at the position of its value.
        if (info.context or {}).get("skip_references"):
            return self
        problems = reference_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "state" and value else value)

    def project(self, name: str) -> Project:
        for project in self.projects:
            if project.name == name:
                return project
        msg = f'no project named "{name}"{suggest(name, [p.name for p in self.projects])}'
        raise KeyError(msg)

    def tracker_for(self, project: Project) -> GitHubTracker | JiraTracker | LocalTracker:
        return self.trackers[project.tracker]

    def calendar_for(self, project: Project) -> Calendar:
        return self.calendars.get(project.calendar, DEFAULT_CALENDAR)

    def summary_for(self, project: Project) -> Summary:
        return project.summary or self.summary

    def language_for(self, project: Project) -> Language:
        return project.language or self.summary_for(project).language

    def milestones_for(self, project: Project) -> MilestoneKind:
        """What a milestone is in this project: GitHub milestones, Jira versions unless sprints."""
        if project.milestones is not None:
            return project.milestones
        return "version" if self.tracker_for(project).kind == "jira" else "milestone"

    def rules_for(self, project: Project) -> tuple[RuleOptions, ...]:
        """Enabled rules that apply: scoped to the project (or to all), and chosen by it."""
        return tuple(
            rule
            for rule in self.rules
            if rule.enabled
            and (not rule.projects or project.name in rule.projects)
            and (project.rules is None or rule.id in project.rules)
        )


# --------------------------------------------------------------------------- references


def redact_url(url: str) -> str:
    """A database URL without its password, for reprs and logs."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", url)


_NOUNS = {
    "tracker": ("tracker named", "trackers"),
    "calendar": ("calendar named", "calendars"),
    "project": ("project named", "projects"),
    "rule": ("rule with id", "rules"),
}


def _missing_ref(what: str, name: str, known: Sequence[str]) -> str:
    """``no tracker named "gh2" (did you mean "gh"?)``, or what does exist."""
    phrase, plural = _NOUNS[what]
    hint = suggest(name, known)
    if not hint:
        hint = f" (defined: {', '.join(known)})" if known else f" (no {plural} are defined)"
    return f'no {phrase} "{name}"{hint}'


def reference_problems(data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Cross references between sections, each with the location of the offending value.

    Works on plain data and skips anything of the wrong type (the models
    report that), so that the loader can show these with every other problem.
    """
    problems: list[tuple[Loc, str]] = []
    add = problems.append
    trackers = _mapping(data.get("trackers"))
    kinds = {str(name): _mapping(t).get("kind") for name, t in trackers.items()}
    calendars = [str(name) for name in _mapping(data.get("calendars"))]
    projects = _sequence(data.get("projects"))
    rules = _sequence(data.get("rules"))

    rule_ids: dict[str, int] = {}
    rule_scopes: dict[str, list[str]] = {}
    for index, rule in enumerate(rules):
        rule_id = _mapping(rule).get("id")
        if not isinstance(rule_id, str):
            continue
        if rule_id in rule_ids:
            first = rule_ids[rule_id]
            add((("rules", index, "id"), f'duplicate rule id "{rule_id}" (also rules[{first}])'))
        else:
            rule_ids[rule_id] = index
        rule_scopes[rule_id] = [str(p) for p in _sequence(_mapping(rule).get("projects"))]

    names: dict[str, int] = {}
    for index, project in enumerate(projects):
        name = _mapping(project).get("name")
        if not isinstance(name, str):
            continue
        if name in names:
            message = f'duplicate project name "{name}" (also projects[{names[name]}])'
            add((("projects", index, "name"), message))
        else:
            names[name] = index

    known = _Known(kinds=kinds, calendars=calendars, rule_ids=rule_ids, rule_scopes=rule_scopes)
    for index, project in enumerate(projects):
        if isinstance(project, Mapping):
            problems.extend(_project_problems(project, ("projects", index), known))

    for index, rule in enumerate(rules):
        rule_id = _mapping(rule).get("id")
        owner = f'rule "{rule_id}"' if isinstance(rule_id, str) else f"rules[{index}]"
        for position, name in enumerate(_sequence(_mapping(rule).get("projects"))):
            if isinstance(name, str) and name not in names:
                message = f"{owner}: " + _missing_ref("project", name, list(names))
                add((("rules", index, "projects", position), message))
    return problems


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


@dataclass(frozen=True)
class _Known:
    """What a project may refer to."""

    kinds: Mapping[str, Any]
    calendars: Sequence[str]
    rule_ids: Mapping[str, int]
    rule_scopes: Mapping[str, list[str]]


#: ``add(key, message)``: a problem at one key of the project (None: the project itself).
_Add = Callable[[str | None, str], None]


def _project_problems(
    project: Mapping[str, Any], loc: Loc, known: _Known
) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    name = project.get("name")
    owner = f'project "{name}"' if isinstance(name, str) else f"projects[{loc[-1]}]"

    def add(key: str | None, message: str) -> None:
        problems.append(((*loc, key) if key else loc, f"{owner}: {message}"))

    kind = _tracker_kind(project, known, add)
    calendar = project.get("calendar")
    calendars = [*known.calendars, DEFAULT_CALENDAR_NAME]
    if isinstance(calendar, str) and calendar not in calendars:
        add("calendar", _missing_ref("calendar", calendar, calendars))
    if kind == "github":
        _github_keys(project, add)
    elif kind == "jira":
        _jira_keys(project, add)
    for position, message in _rule_references(project, known):
        problems.append(((*loc, "rules", position), f"{owner}: {message}"))
    return problems


def _tracker_kind(project: Mapping[str, Any], known: _Known, add: _Add) -> Any:
    """The kind of the project's tracker; None when it names none or one not defined."""
    tracker = project.get("tracker")
    if not isinstance(tracker, str):
        return None
    if tracker not in known.kinds:
        add("tracker", _missing_ref("tracker", tracker, list(known.kinds)))
        return None
    return known.kinds[tracker]


def _github_keys(project: Mapping[str, Any], add: _Add) -> None:
    if project.get("repo") is None:
        add(None, "a GitHub project needs repo (owner/name)")
    for key in ("jira_project", "board"):
        if project.get(key) is not None:
            add(key, f"{key} is for Jira projects")
    if project.get("milestones") not in (None, "milestone"):
        add("milestones", "GitHub has milestones only")
    status = project.get("status_issue")
    if isinstance(status, str) and not status.strip().lstrip("#").isdigit():
        add("status_issue", "status_issue is an issue number on GitHub")


def _jira_keys(project: Mapping[str, Any], add: _Add) -> None:
    if project.get("jira_project") is None:
        add(None, "a Jira project needs jira_project (a key like BILL)")
    if project.get("repo") is not None:
        add("repo", "repo is for GitHub projects")
    if project.get("milestones") == "milestone":
        add("milestones", "Jira tracks milestones as sprint or version")


def _rule_references(project: Mapping[str, Any], known: _Known) -> Iterator[tuple[int, str]]:
    """(position in the project's ``rules``, problem) for each rule id it cannot use."""
    name = project.get("name")
    for position, rule_id in enumerate(_sequence(project.get("rules"))):
        if not isinstance(rule_id, str):
            continue
        scope = known.rule_scopes.get(rule_id)
        if rule_id not in known.rule_ids:
            yield position, _missing_ref("rule", rule_id, list(known.rule_ids))
        elif scope and name not in scope:
            yield position, f'rule "{rule_id}" is limited to projects: {", ".join(scope)}'
