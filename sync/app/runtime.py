"""From the config to runnable projects: the one place that builds connectors.

Connector modules are imported only for the trackers a config uses, so a
local-only setup (the demo) never loads PyGithub or jira.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from config import Config, GitHubTracker, JiraTracker, LocalTracker, Project, Settings
from config.fields import MemberRef, PeopleList
from config.settings import tracker_token
from connectors.base import Connector, DictMemo
from connectors.errors import FatalError
from connectors.local import LocalConnector
from connectors.model import PUBLIC, Membership, Visibility, now
from rules import registry
from rules.people import Spec
from sync.cycle import ProjectRuntime
from sync.notify.plan import settings_for
from sync.progress import log_progress
from sync.render import Style
from sync.routing import Routing

if TYPE_CHECKING:
    from connectors.github.project_read import Board


def build_connector(
    config: Config, project: Project, *, settings: Settings, memo: DictMemo,
    clock: Callable[[], datetime] = now,
) -> Connector:
    tracker = config.tracker_for(project)
    if isinstance(tracker, LocalTracker):
        return LocalConnector(tracker.path, project=project.name, clock=clock)
    token = tracker_token(tracker, settings)
    if isinstance(tracker, GitHubTracker):
        from connectors.github.connector import GitHubConnector
        from sync.app.logs import tame_vendor_loggers

        tame_vendor_loggers()  # PyGithub adds its own stderr handler when imported

        if project.home_repo is None and project.github_project is None:
            msg = f"project {project.name}: a GitHub tracker needs repo, repos or github_project"
            raise FatalError(msg)
        private_key = tracker.private_key.get_secret_value() if tracker.private_key else None
        if tracker.private_key_path is not None:
            private_key = tracker.private_key_path.read_text(encoding="utf-8")
        if token is None and tracker.app_id is None:
            msg = (f"project {project.name}: no GitHub token (set token in the config or "
                   "FOREWARN_GITHUB_TOKEN)")
            raise FatalError(msg)
        return GitHubConnector(
            project.home_repo, repos=project.repo_names[1:], board=board_of(project),
            token=token.get_secret_value() if token else None,
            app_id=tracker.app_id, private_key=private_key,
            installation_id=tracker.installation_id, base_url=tracker.base_url, memo=memo,
            project=project.name, include_pull_requests=project.include_pull_requests,
            team_repos=_team_repos(config, project), clock=clock,
            credentials=credentials_hint(project.tracker, tracker),
        )
    if isinstance(tracker, JiraTracker):
        from connectors.jira.connector import JiraConnector

        if token is None:
            msg = (f"project {project.name}: no Jira token (set token in the config or "
                   "FOREWARN_JIRA_API_TOKEN)")
            raise FatalError(msg)
        if project.jira_project is None:
            msg = f"project {project.name}: a Jira tracker needs jira_project"
            raise FatalError(msg)
        kinds = tuple(kind for kind in config.milestones_for(project) if kind != "milestone")
        return JiraConnector(
            project.jira_project, url=tracker.url, email=tracker.email,
            token=token.get_secret_value(), memo=memo, project=project.name,
            milestones=kinds[0] if len(kinds) == 1 else kinds,
            boards=project.board_ids, deployment=tracker.deployment, clock=clock,
            due_field=project.due_field, estimate_field=project.estimate_field,
            credentials=credentials_hint(project.tracker, tracker),
        )
    msg = f"project {project.name}: unsupported tracker"
    raise FatalError(msg)


def board_of(project: Project) -> Board | None:
    """The project's ``github_project`` as the GitHub connector reads it."""
    found = project.github_project
    if found is None:
        return None
    from connectors.github.project_read import Board

    return Board(owner=found.owner, number=found.number, iteration=found.iteration,
                 group=found.group, due=found.due, estimate=found.estimate)


def credentials_hint(name: str, tracker: GitHubTracker | JiraTracker) -> str:
    """Where a tracker's credentials come from, for the hint of a refused one:
    ``trackers.gh.token``, ``FOREWARN_GITHUB_TOKEN``, ``trackers.acme.email and …``."""
    if isinstance(tracker, GitHubTracker):
        if tracker.uses_app:
            return f"trackers.{name}.app_id and its private key"
        return f"trackers.{name}.token" if tracker.token else "FOREWARN_GITHUB_TOKEN"
    token = f"trackers.{name}.token" if tracker.token else "FOREWARN_JIRA_API_TOKEN"
    return f"trackers.{name}.email and {token}" if tracker.email else token


def status_issue_key(config: Config, project: Project) -> str | None:
    """``status_issue: 1`` means issue #1 of this project, in the tracker's own key format."""
    return issue_key(config, project, project.status_issue)


def team_issue_key(config: Config, project: Project) -> str | None:
    """Where the team digest goes: ``alerts.issue``, else the status issue."""
    return issue_key(config, project, project.alerts.issue) or status_issue_key(config, project)


def _team_repos(config: Config, project: Project) -> tuple[str, ...]:
    """The repository of a team issue outside the project's own (GitHub), for its digest."""
    key = team_issue_key(config, project)
    repo = key.rpartition("#")[0] if key else ""
    return (repo,) if repo and repo not in project.repo_names else ()


def routing_for(config: Config, project: Project) -> Routing:
    """The project's ``alerts`` and ``backfill`` as the cycle uses them."""
    alerts = project.alerts
    visibility = PUBLIC
    if alerts.to != "issue":
        restricted = alerts.visible_to
        if restricted is not None:
            visibility = Visibility(restricted.kind, restricted.name)
        elif alerts.to == "internal":
            visibility = Visibility("internal")  # a Service Management internal note
    return Routing(to=alerts.to, visibility=visibility,
                   team_issue=team_issue_key(config, project), labels=alerts.labels,
                   backfill=project.backfill)


def people_spec(value: str | PeopleList | Mapping[str, tuple[str, ...]] | None) -> Spec:
    """``team``/``clients`` for ``rules.people``: roles and groups as Membership records
    (client organisations pass as they are)."""
    if value is None or isinstance(value, str | Mapping):
        return value
    return member_list(value)


def member_list(value: PeopleList) -> tuple[str | Membership, ...]:
    """Patterns as they are, roles and groups as Membership records (``bots`` is just that)."""
    return tuple(Membership(item.kind, item.name) if isinstance(item, MemberRef) else item
                 for item in value)


def issue_key(config: Config, project: Project, ref: int | str | None) -> str | None:
    """An issue of the config in the tracker's own key format: a number is this project's."""
    if ref is None:
        return None
    tracker = config.tracker_for(project)
    if isinstance(tracker, JiraTracker):
        return f"{project.jira_project}-{ref}" if isinstance(ref, int) else str(ref)
    if isinstance(ref, str) and "#" in ref:
        return ref
    prefix = project.home_repo if isinstance(tracker, GitHubTracker) else project.name
    return f"{prefix}#{ref}"


def build_runtime(
    config: Config, project: Project, *, settings: Settings,
    clock: Callable[[], datetime] = now,
) -> ProjectRuntime:
    memo = DictMemo()
    connector = build_connector(config, project, settings=settings, memo=memo, clock=clock)
    calendar = config.calendar_for(project)
    tracker = config.tracker_for(project)
    rules = [(registry.get(options.kind), options) for options in config.rules_for(project)]
    ack_label = next((options.ack_labels[0] for _, options in rules if options.ack_labels),
                     "forewarn-ack")
    routing = routing_for(config, project)
    return ProjectRuntime(
        name=project.name,
        connector=connector,
        rules=rules,
        calendar=calendar.business_calendar(),
        style=Style(
            markup=connector.markup, language=config.language_for(project),
            timezone=calendar.timezone, ack_label=ack_label,
            jira_cloud=not isinstance(tracker, JiraTracker) or tracker.is_cloud,
            audience=routing.audience,
        ),
        memo=memo,
        status_issue=status_issue_key(config, project),
        notify=tuple(project.notify),
        clients=people_spec(project.clients),
        team=people_spec(project.team),
        routing=routing,
        bots=member_list(project.bots),
        write_budget=project.write_budget,
        summary=config.summary_for(project),
        summary_issues={name: issue_key(config, project, ref) or str(ref)
                        for name, ref in config.summary_for(project).issues.items()},
        progress=log_progress(),
        notifications=settings_for(
            config.channels, project_channels=project.notify_channels,
            rule_channels={options.id: options.notify_channels for _, options in rules},
            budget=project.notify_budget),
        client_calendars={name: calendar.business_calendar()
                          for name, calendar in config.client_calendars_for(project).items()},
        deadline=project.deadline,
    )
