"""Adopting forewarn on a 3,000-issue project: what the first cycles write.

The project is ``benchmarks/rules_eval.py``'s generated one at 3,000 issues
(seeded: every run sees the same project; about 30,000 comments, 9 milestones,
500 people, clients by GitHub association), held by an in-memory tracker that
applies forewarn's writes as a tracker would (comments, labels, the label
history). The real cycle runs on it (``sync.cycle.run_cycle``, a SQLite state
store, the rules and calendar of ``examples/forewarn.yaml``, the default write
budget of 50), once with ``backfill: digest`` (the default; the digest goes on
issue ``p#1``, the team issue), once with ``backfill: comment`` (forewarn's
behaviour before) and once with ``alerts.to: digest`` (no comment on any
issue but the team's). For each: the writes of the first cycle, how many cycles the
write budget spreads the adoption over (at one instant, so that nothing new
begins meanwhile), the comments posted by then and on which issues, then a
cycle with nothing new, then one three days later with one new client
question past its SLA.

Run ``.venv/bin/python benchmarks/backfill.py`` (a Markdown table).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.rules_eval import ME, NOW, example_rules, generate  # noqa: E402
from connectors.base import DictMemo, FetchResult, Markup, RateLimit, RemoteComment  # noqa: E402
from connectors.markers import Marker, find_marker  # noqa: E402
from connectors.model import (  # noqa: E402
    Change,
    Comment,
    Issue,
    Membership,
    Snapshot,
    Visibility,
)
from sync.actions import AddLabel, CreateComment, EditComment, RemoveLabel  # noqa: E402
from sync.cycle import CycleReport, ProjectRuntime, run_cycle  # noqa: E402
from sync.render import Style  # noqa: E402
from sync.routing import Routing  # noqa: E402
from sync.store.state import StateStore  # noqa: E402

ISSUES = 3_000
TEAM_ISSUE = "p#1"


class Tracker:
    """A generated project in memory, changed by forewarn's writes as a tracker would be."""

    markup: Markup = "markdown"
    rate_limit: RateLimit | None = None

    def __init__(self, snapshot: Snapshot, clock: Any) -> None:
        self.snapshot = snapshot
        self.issues = {issue.key: issue for issue in snapshot.issues}
        self.comments = list(snapshot.comments)
        self.changes = list(snapshot.changes)
        self.clock = clock
        self.requests_made = 0

    def whoami(self) -> str:
        return ME

    def fetch(self, cursor: str | None, *, progress: object = None) -> FetchResult:
        snapshot = dataclasses.replace(self.snapshot, fetched_at=self.clock(),
                                       issues=tuple(self.issues.values()),
                                       comments=tuple(self.comments),
                                       changes=tuple(self.changes))
        return FetchResult(snapshot=snapshot, cursor=None, complete=True)

    def members(self, groups: Any) -> dict[Membership, frozenset[str]]:
        return {}

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        for comment in self.comments:
            if comment.issue_key == issue_key and comment.marker == str(marker):
                return RemoteComment(comment.id, issue_key, comment.body_excerpt)
        return None

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        now = self.clock()
        ident = f"f{len(self.comments)}"
        self.comments.append(Comment(id=ident, issue_key=issue_key, author=ME, created_at=now,
                                     body_excerpt=marker.stamp(body, self.markup)[:500],
                                     is_ours=True, marker=str(marker), updated_at=now))
        return ident

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        for index, comment in enumerate(self.comments):
            if comment.id == comment_id:
                self.comments[index] = dataclasses.replace(
                    comment, body_excerpt=body[:500], marker=find_marker(body),
                    updated_at=self.clock())

    def _label(self, issue_key: str, before: str | None, after: str | None) -> None:
        issue = self.issues[issue_key]
        labels = [n for n in issue.labels if n != before] + ([after] if after else [])
        self.issues[issue_key] = dataclasses.replace(issue, labels=tuple(labels),
                                                     updated_at=self.clock())
        self.changes.append(Change(issue_key, "label", self.clock(), before=before,
                                   after=after, actor=ME))

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        for label in labels:
            self._label(issue_key, None, label)

    def remove_label(self, issue_key: str, label: str) -> None:
        self._label(issue_key, label, None)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        return None


@dataclasses.dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def writes(reports: list[CycleReport]) -> Counter[str]:
    """Writes done, by kind: comments (created, edited), labels (added, removed)."""
    done: Counter[str] = Counter()
    for report in reports:
        for action in report.outcome.writes if report.outcome else ():
            if isinstance(action, CreateComment):
                done[f"{action.kind} comments"] += 1
            elif isinstance(action, EditComment):
                done[f"{action.kind} edits"] += 1
            elif isinstance(action, AddLabel):
                done["labels added"] += 1
            elif isinstance(action, RemoveLabel):
                done["labels removed"] += 1
    return done


MODES = {
    "backfill: digest": Routing(backfill="digest", team_issue=TEAM_ISSUE),
    "backfill: comment": Routing(backfill="comment", team_issue=TEAM_ISSUE),
    "alerts.to: digest": Routing(to="digest", backfill="digest", team_issue=TEAM_ISSUE),
}


def adopt(mode: str, directory: Path, *, budget: int = 50) -> dict[str, Any]:
    """The cycles of one mode (see the module docstring) and what they wrote."""
    clock = Clock(NOW)
    tracker = Tracker(generate(ISSUES), clock)
    rules, calendar = example_rules()
    runtime = ProjectRuntime(
        name="p", connector=tracker, rules=rules, calendar=calendar,
        style=Style(timezone="Asia/Shanghai"), memo=DictMemo(), status_issue=TEAM_ISSUE,
        clients="external", routing=MODES[mode], write_budget=budget,
    )
    store = StateStore(f"sqlite:///{directory / f'{len(mode)}-{mode[0]}.db'}")
    first = run_cycle(runtime, store, clock=clock)
    adoption = [first]
    while adoption[-1].plan.writes and len(adoption) < 50:
        adoption.append(run_cycle(runtime, store, clock=clock))
    commented = {c.issue_key for c in tracker.comments if c.is_ours}
    clock.now += timedelta(minutes=15)
    quiet = run_cycle(runtime, store, clock=clock)
    # Three days on: one new client question, past its 16-hour SLA by then.
    clock.now += timedelta(minutes=1)
    key = f"p#{ISSUES + 1}"
    tracker.issues[key] = Issue(key=key, title="A new question", url="", state="open",
                                created_at=clock.now, author="client7", updated_at=clock.now)
    clock.now += timedelta(days=3)
    later = run_cycle(runtime, store, clock=clock)
    store.close()
    return {
        "mode": mode, "findings": len([f for f in first.findings if f.severity > 10]),
        "planned": len(first.plan.writes), "first": writes([first]),
        "cycles": len(adoption) - 1, "adoption": writes(adoption),
        "commented_issues": len(commented), "on_team_issue": TEAM_ISSUE in commented,
        "quiet": len(quiet.plan.writes), "later": writes([later]),
    }


def show(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "none"


def main() -> None:
    logging.disable(logging.WARNING)  # "write budget reached", expected here
    with tempfile.TemporaryDirectory(prefix="forewarn-backfill-") as tmp:
        results = [adopt(mode, Path(tmp)) for mode in MODES]
    print(f"A generated project of {ISSUES:,} issues; write budget 50 per cycle.\n")
    print("| mode | findings | writes planned, cycle 1 | done in cycle 1 | cycles to adopt "
          "| done over the adoption | issues commented | next cycle | 3 days later |")
    print("|---|---:|---:|---|---:|---|---:|---:|---|")
    for r in results:
        print(f"| `{r['mode']}` | {r['findings']} | {r['planned']} | {show(r['first'])} "
              f"| {r['cycles']} | {show(r['adoption'])} | {r['commented_issues']} "
              f"| {r['quiet']} writes | {show(r['later'])} |")


if __name__ == "__main__":
    main()
