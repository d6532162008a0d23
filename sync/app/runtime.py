"""From the config to runnable projects: the one place that builds connectors.

Connector modules are imported only for the trackers a config uses, so a
local-only setup (the demo) never loads PyGithub or jira.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from config import Config, GitHubTracker, JiraTracker, LocalTracker, Project, Settings
from config.settings import tracker_token
from connectors.base import Connector, DictMemo
from connectors.errors import FatalError
from connectors.local import LocalConnector
from connectors.model import now
from rules import registry
from sync.cycle import ProjectRuntime
from sync.render import Style


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

        if project.repo is None:  # the config validates this; keep mypy and readers sure
            msg = f"project {project.name}: a GitHub tracker needs repo"
            raise FatalError(msg)
        private_key = tracker.private_key.get_secret_value() if tracker.private_key else None
        if tracker.private_key_path is not None:
            private_key = tracker.private_key_path.read_text(encoding="utf-8")
        if token is None and tracker.app_id is None:
            msg = (f"project {project.name}: no GitHub token (set token in the config or "
                   "FOREWARN_GITHUB_TOKEN)")
            raise FatalError(msg)
        return GitHubConnector(
            project.repo, token=token.get_secret_value() if token else None,
            app_id=tracker.app_id, private_key=private_key,
            installation_id=tracker.installation_id, base_url=tracker.base_url, memo=memo,
            project=project.name, include_pull_requests=project.include_pull_requests,
            clock=clock,
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
        milestones = config.milestones_for(project)
        return JiraConnector(
            project.jira_project, url=tracker.url, email=tracker.email,
            token=token.get_secret_value(), memo=memo, project=project.name,
            milestones="sprint" if milestones == "sprint" else "version",
            board_id=project.board, deployment=tracker.deployment, clock=clock,
        )
    msg = f"project {project.name}: unsupported tracker"
    raise FatalError(msg)


def status_issue_key(config: Config, project: Project) -> str | None:
    """``status_issue: 1`` means issue #1 of this project, in the tracker's own key format."""
    ref = project.status_issue
    if ref is None:
        return None
    tracker = config.tracker_for(project)
    if isinstance(tracker, JiraTracker):
        return f"{project.jira_project}-{ref}" if isinstance(ref, int) else str(ref)
    if isinstance(ref, str) and "#" in ref:
        return ref
    prefix = project.repo if isinstance(tracker, GitHubTracker) else project.name
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
    return ProjectRuntime(
        name=project.name,
        connector=connector,
        rules=rules,
        calendar=calendar.business_calendar(),
        style=Style(
            markup=connector.markup, language=config.language_for(project),
            timezone=calendar.timezone, ack_label=ack_label,
            jira_cloud=not isinstance(tracker, JiraTracker) or tracker.is_cloud,
        ),
        memo=memo,
        status_issue=status_issue_key(config, project),
        notify=tuple(project.notify),
        clients=project.clients,
        team=project.team,
        bots=tuple(project.bots),
        write_budget=project.write_budget,
        summary=config.summary_for(project),
        deadline=project.deadline,
    )
