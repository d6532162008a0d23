"""What the CLI prints: findings and the plan as readable tables.

The summary (``forewarn report``, Markdown, JSON, HTML) is sync/summary/render.py's.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from rules.base import Finding, Severity
from sync.actions import WRITES
from sync.cycle import CycleReport
from sync.render import Style, headline

_SEVERITY_STYLE = {Severity.INFO: "dim", Severity.WARNING: "yellow", Severity.CRITICAL: "bold red"}


def findings_table(findings: Sequence[Finding], style: Style, title: str) -> Table:
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("subject", overflow="fold")
    table.add_column("finding", overflow="fold")
    plain = Style(markup="markdown", language=style.language, timezone=style.timezone)
    for finding in findings:
        table.add_row(
            f"{finding.rule_id} ({finding.kind})",
            f"[{_SEVERITY_STYLE[finding.severity]}]{finding.severity.label}"
            + (" (acked)" if finding.acked else "") + "[/]",
            finding.subject_key,
            _unescape(headline(finding.kind, finding.cause, finding.subject_key,
                               finding.evidence, plain)),
        )
    return table


def plan_table(report: CycleReport, title: str) -> Table:
    table = Table(title=title)
    table.add_column("#", justify="right")
    table.add_column("action", overflow="fold")
    table.add_column("result")
    outcome = report.outcome
    done = {id(action) for action in outcome.done} if outcome else set()
    failed = {id(action): why for action, why in outcome.failed} if outcome else {}
    for number, action in enumerate(report.plan.actions, start=1):
        if report.dry_run:
            result = "[cyan]would do[/]"
        elif id(action) in done:
            result = "[green]done[/]" if isinstance(action, WRITES) else "[green]recorded[/]"
        elif id(action) in failed:
            result = f"[red]failed: {failed[id(action)]}[/]"
        else:
            result = "[yellow]deferred[/]"
        table.add_row(str(number), action.describe(), result)
    return table


def print_cycle(console: Console, report: CycleReport, style: Style) -> None:
    console.print(findings_table(report.findings, style, f"Findings in {report.project}"))
    if report.plan.actions:
        verb = "Planned" if report.dry_run else "Writes to the tracker"
        console.print(plan_table(report, f"{verb} for {report.project}"))
    elif report.first_sync:
        console.print(f"[yellow]{report.project}: first sync in progress, no rule evaluated "
                      f"yet: {report.first_sync}[/]")
    else:
        console.print(f"{report.project}: nothing to write (the tracker is up to date).")
    outcome = report.outcome
    if outcome and outcome.stopped:
        console.print(f"[yellow]{report.project}: stopped writing: {outcome.stopped}[/]")
    for reason in report.skipped:
        console.print(f"[yellow]{report.project}: skipped {reason}[/]")
    for error in report.errors:
        console.print(f"[red]{report.project}: {error}[/]")
    writes = len(outcome.writes) if outcome else 0
    console.print(
        f"{report.project}: {len(report.findings)} findings, {len(report.plan.writes)} writes "
        f"planned, {writes} done, {report.requests} tracker requests, {report.seconds:.2f} s"
    )


def _unescape(text: str) -> str:
    """Terminal output shows the text, not its Markdown escaping."""
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            out.append(next(chars, ""))
        else:
            out.append(char)
    return (
        "".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        .replace("\u200b", "").replace("[", "\\[")
    )
