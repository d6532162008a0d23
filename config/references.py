"""Cross references between the sections of ``forewarn.yaml``.

A project names a tracker and a calendar, a rule names projects, a project
names rules: checks that need more than one value. They work on plain data,
and skip anything of the wrong type (the models report that), so that the
loader can report them alongside type errors, each at its own value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from config.audience_checks import audience_problems
from config.calendars import DEFAULT_CALENDAR_NAME
from config.fields import NAME_RE, Loc, mention_problem
from rules.registry import suggest

_NOUNS = {
    "tracker": ("tracker named", "trackers"),
    "calendar": ("calendar named", "calendars"),
    "project": ("project named", "projects"),
    "rule": ("rule with id", "rules"),
    "channel": ("channel named", "channels"),
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

    known = _Known(kinds=kinds, calendars=calendars, rule_ids=rule_ids, rule_scopes=rule_scopes,
                   trackers={str(name): _mapping(t) for name, t in trackers.items()},
                   summary=_mapping(data.get("summary")))
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
        problems.extend(_notify_problems(rule, ("rules", index), owner))
    problems.extend(_channel_references(data, projects, rules))
    return problems


def _channel_references(
    data: Mapping[str, Any], projects: Sequence[Any], rules: Sequence[Any]
) -> Iterator[tuple[Loc, str]]:
    """Channel names are names; ``notify_channels`` of projects and rules name channels."""
    channels = [str(name) for name in _mapping(data.get("channels"))]
    for name in channels:
        if not NAME_RE.match(name):
            yield ("channels", name), (f'not a valid channel name: "{name}" (use lowercase '
                                       "letters, digits, - and _)")
    for section, items in (("projects", projects), ("rules", rules)):
        for index, item in enumerate(items):
            label = _mapping(item).get("name" if section == "projects" else "id")
            owner = (f'{section[:-1]} "{label}"' if isinstance(label, str)
                     else f"{section}[{index}]")
            listed = _mapping(item).get("notify_channels")
            names = [listed] if isinstance(listed, str) else _sequence(listed)
            for position, name in enumerate(names):
                if isinstance(name, str) and name not in channels:
                    loc: Loc = (section, index, "notify_channels")
                    if not isinstance(listed, str):
                        loc = (*loc, position)
                    yield loc, f"{owner}: " + _missing_ref("channel", name, channels)


def _notify_problems(rule: Any, loc: Loc, owner: str) -> Iterator[tuple[Loc, str]]:
    """A rule's ``notify`` entries that cannot be mentioned (rules/ knows nothing of
    mentions: ``config.fields.mention_problem`` says what can)."""
    for position, person in enumerate(_sequence(_mapping(rule).get("notify"))):
        problem = mention_problem(person)
        if problem:
            yield (*loc, "notify", position), f"{owner}: {problem}"


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
    trackers: Mapping[str, Mapping[str, Any]]
    #: The top-level ``summary`` section (a project's own ``summary`` replaces it).
    summary: Mapping[str, Any] = dataclasses.field(default_factory=dict)


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
    _client_calendars(project, calendars, add)
    if kind == "github":
        _github_keys(project, add)
    elif kind == "jira":
        _jira_keys(project, add)
    for position, message in _rule_references(project, known):
        problems.append(((*loc, "rules", position), f"{owner}: {message}"))
    _edition_issues(project, known, add)
    tracker = known.trackers.get(str(project.get("tracker")), {})
    for keys, message in audience_problems(project, kind, tracker):
        problems.append(((*loc, *keys), f"{owner}: {message}"))
    return problems


def _client_calendars(project: Mapping[str, Any], calendars: Sequence[str], add: _Add) -> None:
    """Each entry names an organisation of ``clients`` and a calendar that exists."""
    chosen = _mapping(project.get("client_calendars"))
    if not chosen:
        return
    clients = project.get("clients")
    organisations = [str(name) for name in clients] if isinstance(clients, Mapping) else []
    for organisation, calendar in chosen.items():
        if organisation not in organisations:
            listed = ", ".join(organisations) if organisations else "none: clients is no mapping"
            add("client_calendars", f'client_calendars names "{organisation}", which is not an '
                                    f"organisation of clients ({listed})")
        if isinstance(calendar, str) and calendar not in calendars:
            add("client_calendars", f'organisation "{organisation}": '
                                    + _missing_ref("calendar", calendar, calendars))


def _edition_issues(project: Mapping[str, Any], known: _Known, add: _Add) -> None:
    """A client edition per organisation needs an issue to go on, and only organisations do."""
    own = project.get("summary")
    summary = _mapping(own) if isinstance(own, Mapping) else known.summary
    clients = project.get("clients")
    if summary.get("audience") != "client" or not isinstance(clients, Mapping):
        return
    issues = _mapping(summary.get("issues"))
    for name in clients:
        if name not in issues:
            add("clients", f'the client edition of organisation "{name}" needs an issue: add '
                           f"{name}: <issue> under summary.issues")
    for name in issues:
        if name not in clients:
            add("summary", f'summary.issues names "{name}", which is not an organisation of '
                           f"clients ({', '.join(map(str, clients))})")


def _tracker_kind(project: Mapping[str, Any], known: _Known, add: _Add) -> Any:
    """The kind of the project's tracker; None when it names none or one not defined."""
    tracker = project.get("tracker")
    if not isinstance(tracker, str):
        return None
    if tracker not in known.kinds:
        add("tracker", _missing_ref("tracker", tracker, list(known.kinds)))
        return None
    return known.kinds[tracker]


def _kinds(value: Any) -> list[Any]:
    """``milestones`` as a list: one kind or several."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _github_keys(project: Mapping[str, Any], add: _Add) -> None:
    home = project.get("repo") or project.get("repos")
    if home is None and project.get("github_project") is None:
        add(None, "a GitHub project needs repo (owner/name), repos or github_project")
    for key in ("jira_project", "board", "boards", "due_field", "estimate_field"):
        if project.get(key) is not None:
            add(key, f"{key} is for Jira projects")
    if project.get("milestones") is not None and _kinds(project["milestones"]) != ["milestone"]:
        add("milestones", "GitHub has milestones only")
    status = project.get("status_issue")
    elsewhere = isinstance(status, str) and "#" in status.strip().lstrip("#")
    if home is None and status is not None and not elsewhere:
        add("status_issue", "without repo, write the status issue as owner/repo#N")
    alerts = project.get("alerts")
    issue = alerts.get("issue") if isinstance(alerts, Mapping) else None
    if home is None and issue is not None and not (isinstance(issue, str) and "#" in issue):
        add("alerts", "without repo, write alerts.issue as owner/repo#N")
    elif isinstance(status, str) and not elsewhere and not status.strip().lstrip("#").isdigit():
        add("status_issue", "status_issue is an issue number on GitHub")


def _jira_keys(project: Mapping[str, Any], add: _Add) -> None:
    if project.get("jira_project") is None:
        add(None, "a Jira project needs jira_project (a key like BILL)")
    for key in ("repo", "repos", "github_project"):
        if project.get(key) is not None:
            add(key, f"{key} is for GitHub projects")
    kinds = _kinds(project.get("milestones") or "version")
    if "milestone" in kinds:
        add("milestones", "Jira tracks milestones as sprint, version or epic")
    for key in ("board", "boards"):
        if project.get(key) is not None and "sprint" not in kinds:
            add(key, f"{key} names the boards whose sprints count: add milestones: sprint")


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
