"""What the CLI prints: findings and the plan as readable tables.

The summary (``forewarn report``, Markdown, JSON, HTML) is sync/summary/render.py's.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rules.base import Finding, Severity
from sync.actions import SENDS, WRITES, Notify
from sync.cycle import CycleReport
from sync.render import Style, headline

#: What ``forewarn demo`` says around the job, in each language of ``--language``.
DEMO_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "forewarn demo",
        "intro": "A sample project in a local JSON tracker ({tracker}), seen as of {now}.\n"
                 "forewarn finds what broke the promises made to the client and writes its "
                 "alerts back into the tracker.\n",
        "again": "\nA second cycle with nothing new writes nothing:",
        "again.line": "  {project}: {findings} findings, {writes} writes",
        "post": "\nThe {what} forewarn would post on {target} "
                "(`forewarn run --once --summary` posts it):\n",
        "what.summary": "summary",
        "what.retro": "milestone retrospective",
        "kept": "\nThe tracker with forewarn's comments and labels: {tracker}\n"
                "Its comments are the \"comments\" whose author is \"forewarn\"; print them "
                "with:\n  {command}",
    },
    "zh-CN": {
        "title": "forewarn 演示",
        "intro": "一个放在本地 JSON 跟踪器（{tracker}）中的示例项目，时间为 {now}。\n"
                 "forewarn 找出违背对客户承诺的地方，并把提醒写回跟踪器。\n",
        "again": "\n再运行一个周期，没有新情况，也就不写入任何内容：",
        "again.line": "  {project}：{findings} 个发现，{writes} 次写入",
        "post": "\nforewarn 将在 {target} 上发布的{what}（`forewarn run --once --summary` "
                "会发布）：\n",
        "what.summary": "预期摘要",
        "what.retro": "里程碑回顾",
        "kept": "\n带有 forewarn 评论和标签的跟踪器：{tracker}\n"
                "其中作者为 \"forewarn\" 的 \"comments\" 就是它写的评论；用以下命令打印：\n"
                "  {command}",
    },
}
#: Prints the comments forewarn wrote into a local tracker file (the demo's last hint).
READ_COMMENTS = (
    "python3 -c 'import json, sys; [print(c[\"issue_key\"], c[\"body\"], sep=\"\\n\") "
    "for c in json.load(open(sys.argv[1]))[\"comments\"] if c[\"author\"] == \"forewarn\"]' "
    "{tracker}"
)


def demo_text(language: str, key: str, **values: object) -> str:
    table = DEMO_TEXT.get(language, DEMO_TEXT["en"])
    return table[key].format(**values)


_SEVERITY_STYLE = {Severity.INFO: "dim", Severity.WARNING: "yellow", Severity.CRITICAL: "bold red"}


def findings_table(findings: Sequence[Finding], style: Style, title: str) -> Table:
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("subject", overflow="fold")
    table.add_column("finding", overflow="fold")
    # The console is read by the team: the team's voice (who asked, the SLA, what to do).
    plain = Style(markup="markdown", language=style.language, timezone=style.timezone,
                  audience="team")
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
    failed = {id(action) for action, _ in outcome.failed} if outcome else set()
    for number, action in enumerate(report.plan.actions, start=1):
        if report.dry_run:
            result = "[cyan]would do[/]"
        elif id(action) in done:
            sent = isinstance(action, (*WRITES, *SENDS))
            result = "[green]done[/]" if sent else "[green]recorded[/]"
        elif id(action) in failed:
            result = "[red]failed (below)[/]"
        else:
            result = "[yellow]deferred[/]"
        table.add_row(str(number), escape(action.describe()), result)
    return table


def line(console: Console, text: str, style: str = "") -> None:
    """One message, one line: never wrapped, never read as rich markup (tracker text may
    hold brackets)."""
    console.print(Text(text, style=style), soft_wrap=True)


def print_failure(console: Console, report: CycleReport) -> None:
    """A project whose fetch failed: its errors, one line each, and nothing that reads like
    a result (no empty table, no "up to date")."""
    for error in report.errors or ["the cycle failed"]:
        line(console, f"{report.project}: {error}", "red")


def print_cycle(console: Console, report: CycleReport, style: Style) -> None:
    if report.snapshot is None and report.errors:
        print_failure(console, report)
        return
    console.print(findings_table(report.findings, style, f"Findings in {report.project}"))
    if report.plan.actions:
        verb = "Planned" if report.dry_run else "Writes to the tracker"
        console.print(plan_table(report, f"{verb} for {report.project}"))
    elif report.first_sync:
        console.print(f"[yellow]{report.project}: first sync in progress, no rule evaluated "
                      f"yet: {report.first_sync}[/]")
    else:
        console.print(f"{report.project}: nothing to write (the tracker is up to date).")
    _print_outcome(console, report)
    if report.dry_run:
        _print_notifications(console, report)
    _print_remarks(console, report)
    outcome = report.outcome
    writes = len(outcome.writes) if outcome else 0
    sends = sum(isinstance(action, Notify) for action in report.plan.actions)
    also = f", {sends} notifications planned" if sends else ""
    console.print(
        f"{report.project}: {len(report.findings)} findings, {len(report.plan.writes)} writes "
        f"planned, {writes} done{also}, {report.requests} tracker requests, "
        f"{report.seconds:.2f} s"
    )


def _print_outcome(console: Console, report: CycleReport) -> None:
    """Why the writing stopped, and each write that failed: one line each."""
    outcome = report.outcome
    if outcome and outcome.stopped:
        line(console, f"{report.project}: stopped writing: {outcome.stopped}", "yellow")
    for action, why in outcome.failed if outcome else ():
        line(console, f"{report.project}: {action.describe()} failed: {why}", "red")


def _print_notifications(console: Console, report: CycleReport) -> None:
    """A dry run shows each message it would send, whole."""
    for action in report.plan.actions:
        if isinstance(action, Notify):
            console.rule(escape(f"would send to {action.channel}: {action.subject}"),
                         style="cyan")
            console.out(action.body.rstrip("\n"), highlight=False)


def _print_remarks(console: Console, report: CycleReport) -> None:
    """Records skipped, warnings, notes and errors, in that order."""
    for reason in report.skipped:
        line(console, f"{report.project}: skipped {reason}", "yellow")
    for warning in report.warnings:
        console.print(f"[yellow]{escape(warning)}[/]", highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False, soft_wrap=True)
    for error in report.errors:
        line(console, f"{report.project}: {error}", "red")


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
