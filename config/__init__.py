"""forewarn's configuration: ``forewarn.yaml`` (what to watch) and process settings (how to run).

The sync layer calls :func:`load_settings` and :func:`load_config`; both raise
:class:`ConfigError`, whose problems print as ``FILE:LINE:COL: message``.
"""

from __future__ import annotations

from config.calendars import DEFAULT_CALENDAR, Calendar
from config.load import ConfigError, Problem, load_config
from config.model import Config, Project
from config.settings import Settings, effective_state_url, load_settings, tracker_token
from config.summary import Summary
from config.trackers import GitHubTracker, JiraTracker, LocalTracker

__all__ = [
    "DEFAULT_CALENDAR",
    "Calendar",
    "Config",
    "ConfigError",
    "GitHubTracker",
    "JiraTracker",
    "LocalTracker",
    "Problem",
    "Project",
    "Settings",
    "Summary",
    "effective_state_url",
    "load_config",
    "load_settings",
    "tracker_token",
]
