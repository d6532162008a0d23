"""The daemon's record of each project: its config, its built runtime, its running task.

A config reload keeps the slot of every project whose config did not change,
and with it the runtime (connectors live as long as the daemon: one Jira
client, one GitHub session per project); a changed project is rebuilt. A
project that left the config is retired: its schedule goes at once, its slot
once its task has ended (a task still running keeps its lease renewed, and no
second task starts beside it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config import Config, Summary
from sync.cycle import ProjectRuntime
from sync.store.lease import Holding
from sync.summary.schedule import next_summary_at

log = logging.getLogger("forewarn.daemon")

MIN_INTERVAL = timedelta(seconds=1)


@dataclass
class Slot:
    """One project as the daemon keeps it: its config and built runtime, its running task."""

    name: str
    key: tuple[Any, ...]
    every: timedelta
    tracker: str
    summary: Summary
    timezone: str
    runtime: ProjectRuntime | None = None
    thread: threading.Thread | None = None
    started: float = 0.0
    #: The lease its running task holds; ``fence`` is the fence of its previous one.
    holding: Holding | None = None
    fence: int | None = None
    last_finished: datetime | None = None
    next_summary: datetime | None = None
    summary_pending: bool = False
    requests_seen: int = 0
    retired: bool = False

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def project_key(config: Config, name: str) -> tuple[Any, ...]:
    """What a project's runtime is built from; a change rebuilds it (tokens compare by value)."""
    project = config.project(name)
    return (project, config.tracker_for(project), config.calendar_for(project),
            config.rules_for(project), config.summary_for(project),
            config.language_for(project), config.milestones_for(project))


def fit_slots(
    slots: dict[str, Slot], config: Config, *, interval: timedelta | None, now: datetime,
    first: bool = False,
) -> tuple[list[str], list[str]]:
    """Make ``slots`` match ``config``: (projects retired, projects new or changed).

    ``interval`` overrides every project's ``every``. A new or changed project
    needs its schedule made again and its first cycle started.
    """
    wanted = [project.name for project in config.projects]
    retired = [name for name in slots if name not in wanted]
    for name in retired:
        slots[name].retired = True
        log.info("%s: no longer in the config; its schedule is removed", name)
    changed: list[str] = []
    for name in wanted:
        project = config.project(name)
        key = project_key(config, name)
        every = max(interval or project.every, MIN_INTERVAL)
        calendar = config.calendar_for(project)
        summary = config.summary_for(project)
        slot = slots.get(name)
        if slot is None:
            slot = Slot(name=name, key=key, every=every, tracker=project.tracker,
                        summary=summary, timezone=calendar.timezone)
            slots[name] = slot
        elif slot.key == key and slot.every == every and not slot.retired:
            continue
        else:
            # Changed (or removed and back): the slot stays, so a task still running
            # keeps its lease renewed and no second task starts beside it.
            if not first:
                log.info("%s: config changed; rebuilding it", name)
            slot.key, slot.every, slot.tracker = key, every, project.tracker
            slot.summary, slot.timezone = summary, calendar.timezone
            slot.runtime, slot.retired = None, False
        slot.next_summary = next_summary_at(summary, calendar.timezone, now)
        changed.append(name)
    return retired, changed
