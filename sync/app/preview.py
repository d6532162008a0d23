"""What a dry run would post: the body of each comment it would create, and the diff of
each edit against the comment as the tracker shows it now.

A plan line ("edit comment 5 on demo#20") says where, not what; before the first real
run an admin wants to read what the client will read. Only the comments' current
text is read (one request per edited comment on GitHub and Jira); nothing is written.
"""

from __future__ import annotations

import difflib
import logging

from rich.console import Console
from rich.text import Text

from connectors.base import Connector
from connectors.errors import TrackerError
from sync.actions import CreateComment, EditComment
from sync.cycle import CycleReport

log = logging.getLogger(__name__)
#: Lines of context around each change in an edit's diff.
CONTEXT = 2


def print_bodies(console: Console, report: CycleReport, connector: Connector) -> None:
    """Every comment body the plan would create, and every edit as a diff (after a real
    run the edit is made already: its new body then)."""
    for action in report.plan.actions:
        if isinstance(action, CreateComment):
            _rule(console, f"new {action.describe()}")
            console.out(action.body.rstrip(), highlight=False)
        elif isinstance(action, EditComment):
            _rule(console, action.describe())
            now = _current(connector, action) if report.dry_run else None
            if now is None:
                console.out(action.body.rstrip(), highlight=False)
            else:
                _diff(console, now, action.body)


def _rule(console: Console, title: str) -> None:
    console.print(Text(f"── {title}", style="bold"), soft_wrap=True)


def _current(connector: Connector, action: EditComment) -> str | None:
    """The comment's text in the tracker now; None (the whole new body is shown) when it
    cannot be read."""
    try:
        found = connector.find_comment(action.target, action.marker)
    except TrackerError as error:
        log.warning("%s: cannot read comment %s to show the edit: %s", action.target,
                    action.comment_id, error)
        return None
    return found.body if found is not None else None


def _diff(console: Console, before: str, after: str) -> None:
    lines = difflib.unified_diff(before.rstrip().splitlines(), after.rstrip().splitlines(),
                                 "now", "after the edit", n=CONTEXT, lineterm="")
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for text in lines:
        style = "" if text.startswith(("+++", "---")) else styles.get(text[:1], "")
        console.print(Text(text, style=style), soft_wrap=True, highlight=False)
