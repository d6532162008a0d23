"""``forewarn check-config --connect``: each project's tracker asked what forewarn may do.

The config says what forewarn should do; only the tracker can say whether it may:
the token is accepted, the repository or project is there, the status issue exists
and takes comments, labels can be created or applied, the boards exist, e-mail
addresses are visible, quota is left, and no two projects are one tracker project
under two spellings. Each project's connector answers with GETs only
(``Connector.check_access``); this module says what to ask, adds what only the
config knows (a deployment type that contradicts the site), and prints one ✓/✗
line per check with what to do. Any ✗ makes the command exit 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console

from config import Config, JiraTracker, Project, Settings
from connectors.base import AccessRequest, Check, DictMemo
from connectors.errors import TrackerError
from connectors.model import now
from sync.app.output import line
from sync.app.runtime import build_connector, status_issue_key
from sync.publish import RATE_LIMIT_FLOOR

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
    for project in config.projects:
        try:
            connector = build_connector(config, project, settings=settings, memo=DictMemo(),
                                        clock=clock)
            report = connector.check_access(request_for(config, project))
        except TrackerError as error:
            checks: list[Check] = [Check("tracker", False, str(error))]
        else:
            checks = [*report.checks, *_deployment(config, project, dict(report.facts))]
            if report.identity is not None and report.identity in seen:
                checks.append(Check(
                    "overlap", False, f"the same tracker project as project "
                    f'"{seen[report.identity]}"', "make them one project: two remove each "
                    "other's labels and rewrite each other's comments"))
            elif report.identity is not None:
                seen[report.identity] = project.name
        results.append(ProjectChecks(project.name, title(config, project), tuple(checks)))
    return results


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
