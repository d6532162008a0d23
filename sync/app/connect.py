"""``forewarn check-config --connect``: each project's tracker asked what forewarn may do.

The config says what forewarn should do; only the tracker can say whether it may:
the token is accepted, the repository or project is there, the status issue exists
and takes comments, labels can be created or applied, the boards exist, e-mail
addresses are visible, quota is left, and no two projects are one tracker project
under two spellings. Each project's connector answers with GETs only
(``Connector.check_access``); this module says what to ask, adds what only the
config knows (a deployment type that contradicts the site) and the accounts
that look automated but count as people (``sync/suspects.py``: from the state
store's cached snapshot when the project has run, else from one read-only fetch
of the issues updated in the last 30 days; at most ``SHOWN`` named, the rest
counted in one line), and prints one ✓/✗ line per check with what to do. Any ✗
makes the command exit 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import make_url

from config import Config, JiraTracker, Project, Settings
from config.settings import effective_state_url
from connectors.base import AccessRequest, Check
from connectors.errors import TrackerError
from connectors.model import now
from sync.app.output import line
from sync.app.runtime import build_runtime, status_issue_key
from sync.cycle import ProjectRuntime
from sync.publish import RATE_LIMIT_FLOOR
from sync.store.state import StateStore, StateStoreUnavailable
from sync.suspects import CHECK, RECENT, checks, context, log_all, review_project
from sync.who_is_who import who_is_who

MARKS = {True: ("✓", "green"), False: ("✗", "red")}


@dataclass(frozen=True, slots=True)
class ProjectChecks:
    """The checks of one project, under a title that names its tracker project."""

    project: str
    title: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def title(config: Config, project: Project) -> str:
    """``GitHub acme/portal``, ``Jira BILL on https://acme.atlassian.net``, ``local demo``."""
    tracker = config.tracker_for(project)
    if tracker.kind == "github":
        names = ", ".join(project.repo_names)
        board = project.github_project
        if board is not None:
            return f"GitHub Project {board.owner}/{board.number}" + (f" ({names})" if names
                                                                      else "")
        return f"GitHub {names}"
    if isinstance(tracker, JiraTracker):
        return f"Jira {project.jira_project} on {tracker.url}"
    return f"local tracker {tracker.path.name}"


def request_for(config: Config, project: Project) -> AccessRequest:
    """What the project will ask of its tracker: its status issue, its labels, e-mails."""
    status = status_issue_key(config, project)
    targets = (("status issue", status, "status_issue"),) if status else ()
    labels = sorted({rule.label for rule in config.rules_for(project) if rule.label})
    patterns = [*_patterns(project.clients), *_patterns(project.team)]
    emails = any("@" in pattern[1:] for pattern in patterns)
    return AccessRequest(targets=targets, labels=tuple(labels), emails=emails,
                         floor=RATE_LIMIT_FLOOR)


def _patterns(value: object) -> tuple[str, ...]:
    """The patterns of ``clients``/``team`` (roles, groups and organisations' names left out)."""
    if isinstance(value, tuple):
        return tuple(item for item in value if isinstance(item, str))
    if isinstance(value, dict):  # client organisations
        return tuple(pattern for patterns in value.values() for pattern in patterns)
    return ()


def check_projects(
    config: Config, settings: Settings, *, clock: Callable[[], datetime] = now
) -> list[ProjectChecks]:
    """Every project's checks, in config order; a later project on a tracker project
    already seen gets an ✗ ``overlap`` line."""
    results: list[ProjectChecks] = []
    seen: dict[str, str] = {}
    store = _state_store(config, settings)
    try:
        for project in config.projects:
            try:
                runtime = build_runtime(config, project, settings=settings, clock=clock)
                report = runtime.connector.check_access(request_for(config, project))
            except TrackerError as error:
                found: list[Check] = [Check("tracker", False, str(error))]
            else:
                found = [*report.checks, *_deployment(config, project, dict(report.facts))]
                if report.identity is not None and report.identity in seen:
                    found.append(Check(
                        "overlap", False, f"the same tracker project as project "
                        f'"{seen[report.identity]}"', "make them one project: two remove each "
                        "other's labels and rewrite each other's comments"))
                elif report.identity is not None:
                    seen[report.identity] = project.name
                if all(check.ok for check in report.checks if check.name in _READABLE):
                    found += _bots(runtime, store, clock=clock)
            results.append(ProjectChecks(project.name, title(config, project), tuple(found)))
    finally:
        if store is not None:
            store.close()
    return results


#: Checks that must hold for the project's issues to be read at all.
_READABLE = frozenset({"credentials", "site", "project", "repository", "tracker file"})


def _state_store(config: Config, settings: Settings) -> StateStore | None:
    """The state store, when there is one to read: a check never creates a database file."""
    url = effective_state_url(settings, config)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (
            not parsed.database or parsed.database == ":memory:"
            or not Path(parsed.database).exists()):
        return None
    try:
        return StateStore(url)
    except StateStoreUnavailable:
        return None


def _bots(runtime: ProjectRuntime, store: StateStore | None, *,
          clock: Callable[[], datetime]) -> list[Check]:
    """The accounts that look automated, judged on the snapshot the last cycle kept, else on
    the issues updated in the last ``RECENT`` (one read-only fetch)."""
    cached = store.load_cache(runtime.name) if store is not None else None
    try:
        if cached is not None:
            snapshot = cached.snapshot
        else:
            snapshot = runtime.connector.fetch((clock() - RECENT).isoformat()).snapshot
        people = who_is_who(runtime, snapshot, runtime.connector.whoami()).snapshot
    except TrackerError as error:
        return [Check(CHECK, False, f"cannot read the recent issues: {error}")]
    found = review_project(runtime, people, context(runtime, clock()))
    log_all(runtime.name, found, runtime.bots)
    return checks(found, runtime.bots, cached=cached is not None, snapshot=people)


def _deployment(config: Config, project: Project, facts: dict[str, str]) -> list[Check]:
    """A site whose type contradicts what the config infers from its host name writes
    mentions the other type's way."""
    tracker = config.tracker_for(project)
    found = facts.get("deployment")
    if not isinstance(tracker, JiraTracker) or found is None:
        return []
    if (found == "cloud") == tracker.is_cloud:
        return []
    names = {True: "Cloud", False: "Server/Data Center"}
    return [Check("deployment", False, f"the site is Jira {names[found == 'cloud']}, the "
                  f"config takes it for {names[tracker.is_cloud]}", f"set deployment: {found}")]


def print_checks(console: Console, results: list[ProjectChecks]) -> bool:
    """One header per project, one line per check; True when every check holds."""
    for result in results:
        line(console, f"{result.project}: {result.title}", "bold")
        for check in result.checks:
            mark, style = MARKS[check.ok]
            hint = f"; {check.hint}" if check.hint and not check.ok else ""
            line(console, f"  {mark} {check.name}: {check.detail}{hint}", style)
    return all(result.ok for result in results)
