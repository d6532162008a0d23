"""The whole ``forewarn.yaml``: its projects, its rules, and the config that holds them.

The sections live beside this module (``trackers.py``, ``calendars.py``,
``summary.py``, field types in ``fields.py``); checks that need more than one
value (a project naming a tracker, a rule naming a project) live in
``references.py``, on plain data, so that the loader can report them
alongside type errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BeforeValidator,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.alerts import Alerts, Backfill
from config.calendars import DEFAULT_CALENDAR, DEFAULT_CALENDAR_NAME, Calendar
from config.channels import ChannelEntry
from config.fields import (
    FrozenModel,
    Language,
    Mentions,
    MilestoneKind,
    Name,
    Names,
    PeopleList,
    bots_schema,
    milestone_kinds,
    people,
    people_schema,
    team_issue_ref,
)
from config.references import reference_problems
from config.summary import Summary
from config.trackers import GitHubTracker, JiraTracker, LocalTracker, Tracker
from rules.options import Duration, RuleOptions, format_duration
from rules.registry import suggest

#: A cycle's deadline, unless configured: this share of its interval, so that it ends (and
#: its lease is free) before the next one is due.
DEADLINE_SHARE = 0.8
#: The shortest deadline a cycle gets.
MIN_DEADLINE = timedelta(seconds=10)
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_JIRA_PROJECT_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


class GitHubProject(FrozenModel):
    """A GitHub Project (an organisation's or a user's, by number) as the plan: each
    iteration of its ``iteration`` field is a milestone, or (without ``iteration``) each
    option of its single-select ``group`` field, due by its items' ``due`` dates."""

    owner: str = Field(description="The organisation or user that owns the Project.")
    number: int = Field(gt=0, description="The Project's number (in its URL: /projects/5).")
    iteration: str | None = Field(
        default=None, description="An iteration field: each iteration is a milestone.")
    group: str | None = Field(
        default=None, description="Without iteration: a single-select field; each option is "
                                  "a milestone (a release).")
    due: str | None = Field(
        default=None, description="A date field: each item's due date; a group's due date is "
                                  "the latest of its items'.")
    estimate: str | None = Field(default=None, description="A number field: each item's size.")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not _LOGIN_RE.match(value):
            msg = f'not an organisation or user: "{value}" (write its login, like acme)'
            raise ValueError(msg)
        return value

    @field_validator("iteration", "group", "due", "estimate")
    @classmethod
    def _field_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            msg = "name the Project's field as it shows it (like Sprint), or leave the key out"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_plan(self) -> Self:
        if (self.iteration is None) == (self.group is None):
            msg = ("name the Project's iteration field (iteration: Sprint) or a single-select "
                   "field (group: Release), one of the two")
            raise ValueError(msg)
        return self


class Project(FrozenModel):
    """One tracker project (a repository or a Jira project) that forewarn watches."""

    name: Name = Field(description="Unique; lowercase letters, digits, - and _.")
    tracker: str = Field(description="A key of trackers.")
    repo: str | None = Field(default=None, description="owner/name; GitHub trackers.")
    repos: tuple[str, ...] | None = Field(
        default=None, description="GitHub: several repositories as one plan, instead of repo: "
        "their milestones merged by title ([acme/web, acme/api]; the first is the home "
        "repository, whose issue status_issue: 1 is).")
    github_project: GitHubProject | None = Field(
        default=None, description="GitHub: a Project as the plan ({owner: acme, number: 5, "
        "iteration: Sprint, due: Target date, estimate: Estimate}); its items' repositories "
        "are read and written besides repo/repos.")
    jira_project: str | None = Field(default=None, description="Project key; Jira trackers.")
    milestones: Annotated[
        MilestoneKind | tuple[MilestoneKind, ...] | None, BeforeValidator(milestone_kinds)
    ] = Field(
        default=None,
        description="GitHub: milestone. Jira: sprint, version (the default), epic, or several: "
                    "[sprint, version].",
    )
    due_field: str | None = Field(
        default=None, min_length=1,
        description="Jira: the date field (by name, like \"Target end\") that holds the promise, "
                    "in place of Due date: an epic's due date (milestones: epic), and each "
                    "issue's own due date.")
    estimate_field: str | None = Field(
        default=None, min_length=1,
        description="Jira: the number field (by name) that sizes an issue; default: Story Points "
                    "or Story point estimate. Scope growth, burn-up and forecast then count "
                    "points.")
    board: int | None = Field(
        default=None, gt=0, description="Jira: one board id; the same as boards: [id]."
    )
    boards: tuple[Annotated[int, Field(gt=0)], ...] | None = Field(
        default=None,
        description="Jira boards whose sprints are the project's; default: every Scrum board "
                    "of the project.",
    )
    calendar: str = Field(
        default=DEFAULT_CALENDAR_NAME, description="A key of calendars; default: UTC Mon-Fri 9-18."
    )
    clients: Annotated[
        Literal["external", "customers"] | PeopleList | dict[str, tuple[str, ...]] | None,
        people("external", "customers"),
    ] = Field(
        default=None,
        description='"external" (GitHub: not a member; Jira: not in the team\'s roles or '
                    'groups), "customers" (Jira Service Management), or logins, emails, account '
                    "ids, globs, {role: NAME}, {group: NAME}; or client organisations, each with "
                    'its patterns: {initech: ["*@initech.example"]}.',
        json_schema_extra=people_schema("external", "customers", organisations=True),
    )
    client_calendars: dict[str, str] = Field(
        default_factory=dict,
        description="Client organisation -> a key of calendars: its waits are counted in its "
                    "own time zone, hours and public holidays ({initech: berlin}).")
    team: Annotated[Literal["members"] | PeopleList | None, people("members")] = Field(
        default=None,
        description='"members" (GitHub MEMBER/OWNER/COLLABORATOR), or logins, emails, account '
                    "ids, globs, {role: NAME} and {group: NAME} (Jira).",
        json_schema_extra=people_schema("members"),
    )
    bots: Annotated[PeopleList, people()] = Field(
        default=(),
        description="Further accounts that never count as people: logins, account ids, names, "
                    "globs, {group: NAME} and {role: NAME} (Jira).",
        json_schema_extra=bots_schema,
    )
    status_issue: Annotated[int | str | None, BeforeValidator(team_issue_ref)] = Field(
        default=None, description="Where the summary goes: a GitHub issue number (owner/repo#N "
        "for a github_project without repo) or a Jira key."
    )
    notify: Mentions = Field(default=(), description="Logins or account ids to mention in alerts.")
    language: Language | None = Field(default=None, description="Default: summary.language.")
    every: Duration = Field(default=timedelta(minutes=15), description="How often a cycle runs.")
    include_pull_requests: bool = False
    rules: tuple[str, ...] | None = Field(
        default=None, description="Rule ids that apply; default: every rule that names it or none."
    )
    write_budget: int = Field(default=50, ge=0, description="Most writes in one cycle.")
    alerts: Alerts = Field(default_factory=Alerts, description="Where alerts go.")
    backfill: Backfill = Field(
        default="digest",
        description="The first cycle: digest lists the findings already there in one team "
                    "comment (labels stay); comment gives each its own alert.",
    )
    cycle_deadline: Duration | None = Field(
        default=None, description="After this long a cycle writes no more; the rest waits for "
        "the next cycle. Default: 80% of every.")
    summary: Summary | None = Field(default=None, description="Overrides the global summary.")
    notify_channels: Names = Field(
        default=(), description="Channels (keys of channels) this project's alerts go to."
    )
    notify_budget: int = Field(default=20, ge=0, description="Most notifications in one cycle.")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_RE.match(value):
            msg = f'not a repository: "{value}" (write owner/name)'
            raise ValueError(msg)
        return value

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        bad = [name for name in value if not _REPO_RE.match(name)]
        if bad:
            msg = f'not a repository: "{bad[0]}" (write owner/name)'
            raise ValueError(msg)
        if not value or len({name.casefold() for name in value}) != len(value):
            msg = "list each repository once, like [acme/web, acme/api]"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_way_to_name_repos(self) -> Self:
        if self.repo is not None and self.repos is not None:
            msg = "give repos: [...] or repo, not both"
            raise ValueError(msg)
        return self

    @property
    def home_repo(self) -> str | None:
        """The repository whose issue numbers the config's bare numbers are (GitHub)."""
        return self.repos[0] if self.repos else self.repo

    @property
    def repo_names(self) -> tuple[str, ...]:
        """Every repository the config names (``repo`` is ``repos: [repo]``)."""
        return self.repos or ((self.repo,) if self.repo else ())

    @field_validator("jira_project")
    @classmethod
    def _jira_project(cls, value: str | None) -> str | None:
        if value is not None and not _JIRA_PROJECT_RE.match(value):
            msg = f'not a Jira project key: "{value}" (uppercase, like BILL)'
            raise ValueError(msg)
        return value

    @field_validator("boards")
    @classmethod
    def _some_boards(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and (not value or len(set(value)) != len(value)):
            msg = "list each board once, like [12, 15] (leave boards out for every board)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_way_to_name_boards(self) -> Self:
        if self.board is not None and self.boards is not None:
            msg = "give boards: [...] or board, not both"
            raise ValueError(msg)
        return self

    @property
    def board_ids(self) -> tuple[int, ...]:
        """The boards named (``board: 12`` is ``boards: [12]``); empty means every board."""
        if self.boards is not None:
            return self.boards
        return (self.board,) if self.board is not None else ()

    @field_validator("every")
    @classmethod
    def _often_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            msg = "a cycle needs at least 1m between runs"
            raise ValueError(msg)
        return value

    @field_validator("cycle_deadline")
    @classmethod
    def _deadline(cls, value: timedelta | None, info: ValidationInfo) -> timedelta | None:
        every = info.data.get("every")
        if value is not None and value < MIN_DEADLINE:
            msg = f"a cycle needs at least {format_duration(MIN_DEADLINE)} to write"
            raise ValueError(msg)
        if value is not None and isinstance(every, timedelta) and value > every:
            msg = (f"the deadline ({format_duration(value)}) must come before the next cycle "
                   f"is due (every {format_duration(every)})")
            raise ValueError(msg)
        return value

    @property
    def deadline(self) -> timedelta:
        """How long a cycle may write: ``cycle_deadline``, else a share of ``every``."""
        return self.cycle_deadline or self.every * DEADLINE_SHARE


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


class Config(FrozenModel):
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
    channels: dict[str, ChannelEntry] = Field(
        default_factory=dict, description="Notification channels: name -> Apprise URL."
    )

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
        # Unset keys are left out, as in the file: a default the admin never wrote (backfill)
        # is not checked like a choice they made.
        problems = reference_problems(self.model_dump(exclude_unset=True))
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

    def client_calendars_for(self, project: Project) -> dict[str, Calendar]:
        """Each client organisation's own calendar, where the project names one."""
        return {organisation: self.calendars.get(name, DEFAULT_CALENDAR)
                for organisation, name in project.client_calendars.items()}

    def summary_for(self, project: Project) -> Summary:
        return project.summary or self.summary

    def language_for(self, project: Project) -> Language:
        return project.language or self.summary_for(project).language

    def milestones_for(self, project: Project) -> tuple[MilestoneKind, ...]:
        """What a milestone is in this project: GitHub milestones; Jira versions, sprints,
        epics, or several."""
        kinds = project.milestones
        if kinds is not None:
            return (kinds,) if isinstance(kinds, str) else kinds
        return ("version",) if self.tracker_for(project).kind == "jira" else ("milestone",)

    def rules_for(self, project: Project) -> tuple[RuleOptions, ...]:
        """Enabled rules that apply: scoped to the project (or to all), and chosen by it."""
        return tuple(
            rule
            for rule in self.rules
            if rule.enabled
            and (not rule.projects or project.name in rule.projects)
            and (project.rules is None or rule.id in project.rules)
        )


def redact_url(url: str) -> str:
    """A database URL without its password, for reprs and logs."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", url)
