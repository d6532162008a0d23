"""``forewarn report``: the expectation summary now, written nowhere but to the caller.

The same summary a cycle posts (``sync/summary/plan.py``), built from a dry
cycle's results and the previous period's recorded summary; a project whose
tracker cannot be reached gets a summary that shows its errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from config.model import Config
from connectors.base import Markup
from rules.base import History
from sync.cycle import CycleReport, ProjectRuntime, summary_input
from sync.store.state import StateStore
from sync.summary.build import SummaryInput, build_summary
from sync.summary.model import ProjectSummary
from sync.summary.render import render_html, render_json, render_summary
from sync.summary.schedule import summary_period


def summarize(
    runtime: ProjectRuntime, store: StateStore, report: CycleReport, *, now: datetime,
) -> ProjectSummary:
    """The summary of the current period, compared with the previous one; writes nothing."""
    period = summary_period(runtime.summary, runtime.calendar.timezone, now)
    previous = store.previous_summary(runtime.name, period)
    return build_summary(summary_input(runtime, report), now=now, period=period,
                         previous=previous)


def unavailable_summary(
    config: Config, project: str, *, errors: Sequence[str], now: datetime
) -> ProjectSummary:
    """The summary of a project whose tracker could not even be reached: its errors."""
    settings = config.project(project)
    timezone = config.calendar_for(settings).timezone
    data = SummaryInput(
        project=project, snapshot=None, findings=(), history=History(),
        calendar=config.calendar_for(settings).business_calendar(), rules=(), seed=0,
        language=config.language_for(settings), errors=errors,
    )
    period = summary_period(config.summary_for(settings), timezone, now)
    return build_summary(data, now=now, period=period)


def render_report(
    summaries: Sequence[ProjectSummary], fmt: Literal["md", "json", "html"], *,
    templates: Path | None = None, markups: Mapping[str, Markup] | None = None,
) -> str:
    """The tracker's own text (one section per project), a JSON array, or one HTML page.

    ``md`` is each project's comment as its tracker would show it: GitHub Markdown with
    a Mermaid burn-up, or for a Jira project (``markups``) Jira wiki markup with the
    burn-up as a table, since Jira renders no Mermaid.
    """
    if fmt == "json":
        return render_json(summaries) + "\n"
    if fmt == "html":
        return render_html(summaries, templates=templates)
    sections = []
    for summary in summaries:
        flavor: Literal["md", "jira"] = (
            "jira" if (markups or {}).get(summary.project) == "jira" else "md")
        rule = "----" if flavor == "jira" else "---"
        sections.append((rule, render_summary(summary, flavor, templates=templates)))
    return "".join(text if not index else f"\n{rule}\n\n{text}"
                   for index, (rule, text) in enumerate(sections))
