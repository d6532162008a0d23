"""Rule evaluation and reconciliation on generated projects of 10,000 and 100,000 issues.

The target (DESIGN.md, Targets): 100,000 issues and 1,000,000 comments evaluated
in under 2 s, memory growing linearly and under 1 GiB, on a 2-core machine.

A tracker-neutral snapshot is generated (seeded, so every run sees the same
project): per 1,000 issues 3 milestones (70% open, a third with a Jira-style
start date), 10 comments per issue on average, 2 history changes per issue;
40% of issues closed, 10% with their own due date, a mix of labels (approved,
paused, acknowledged, exempt); 500 people (team, clients, bots, forewarn). A
client is answered on most issues; some wait. People are classified as the sync
layer does before rules run (``rules.people.classify``), then timed:

* **evaluate**: the six rules exactly as ``examples/forewarn.yaml`` configures
  them (Shanghai business calendar with China's holidays), the same call the
  cycle makes, and each rule alone (``per_rule_s``; each includes the one pass over
  the comments that ``follow_up``, ``unanswered_feedback`` and ``risk`` share,
  rules/threads.py, which is also timed alone as ``(threads)``); every run has a
  context of its own, so nothing a run read is reused by the next;
* **plan, empty state**: ``sync.reconcile.plan`` with nothing written yet (every
  alert rendered and planned);
* **plan, populated state**: the same after that plan was recorded as done: every
  body rendered again and compared by hash; the plan must be empty.

Each is the median of ``--runs`` runs (wall and CPU time; for evaluation also
the time the cyclic garbage collector spent in full collections, which scan
every record of the snapshot). Peak memory is measured per size by
running this script under ``/usr/bin/time -v`` (``Maximum resident set size``):
the whole process, generation included.

Run ``.venv/bin/python benchmarks/rules_eval.py`` (both sizes, a Markdown table),
or ``--size 100000 --runs 5`` for one size in this process (a JSON line).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import load_config  # noqa: E402
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot  # noqa: E402
from rules import registry, threads  # noqa: E402
from rules.base import DueDateSeen, Finding, History, RuleContext  # noqa: E402
from rules.people import classify  # noqa: E402
from sync.actions import AddLabel, CreateComment, Plan  # noqa: E402
from sync.collector import collection_paused, frozen_for_gc  # noqa: E402
from sync.reconcile import Actual, plan  # noqa: E402
from sync.render import Style, body_hash  # noqa: E402
from sync.store.state import CommentRecord  # noqa: E402

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ME = "forewarn"
SIZES = (10_000, 100_000)
LABELS = ("bug", "feature", "p1", "change-approved", "waiting-on-client", "forewarn-ack",
          "chore", "docs")


def generate(issues_count: int, *, seed: int = 7) -> Snapshot:
    """A project of ``issues_count`` issues, ten times as many comments, two changes each."""
    rng = random.Random(seed)  # synthetic data, not a secret
    team = [f"dev{n}" for n in range(200)]
    clients = [f"client{n}" for n in range(300)]
    bots = [f"ci{n}[bot]" for n in range(10)]
    people = {pid: Person(id=pid, name=pid.title(), association="MEMBER") for pid in team}
    people.update({pid: Person(id=pid, name=pid.title(), association="NONE",
                               email=f"{pid}@client.example") for pid in clients})
    people.update({pid: Person(id=pid, name=pid, kind="bot") for pid in bots})
    people[ME] = Person(id=ME, name=ME, kind="bot")
    year = timedelta(days=365)

    milestones = []
    for n in range(1, issues_count * 3 // 1000 + 1):
        created = NOW - year + timedelta(days=rng.uniform(0, 330))
        jira_like = n % 3 == 0
        milestones.append(Milestone(
            key=f"p/milestones/{n}", title=f"Milestone {n}",
            kind="sprint" if jira_like else "milestone",
            state="open" if rng.random() < 0.7 else "closed", created_at=created,
            start_on=created + timedelta(days=2) if jira_like else None,
            due_on=(created + timedelta(days=rng.uniform(20, 120))).date(),
        ))

    issues: list[Issue] = []
    comments: list[Comment] = []
    changes: list[Change] = []
    comment_id = 0
    for n in range(1, issues_count + 1):
        key = f"p#{n}"
        milestone = rng.choice(milestones) if rng.random() < 0.8 else None
        joined: datetime | None = None
        if milestone is not None:
            # Most work is planned into a milestone around its start; one issue in
            # twelve joins later (scope creep), a third of those with an approval.
            origin = milestone.start_on or milestone.created_at
            assert origin is not None
            late = rng.random() < 1 / 12
            joined = origin + (timedelta(days=rng.uniform(2, 60)) if late
                               else timedelta(hours=rng.uniform(-24 * 30, 20)))
            joined = min(joined, NOW)
            created = joined - timedelta(days=rng.uniform(0, 10))
        else:
            created = NOW - year + timedelta(seconds=rng.uniform(0, 364 * 86400))
        closed = rng.random() < 0.4
        closed_at = created + timedelta(hours=rng.uniform(1, 2000)) if closed else None
        if closed_at is not None and closed_at > NOW:
            closed_at = max(created, NOW - timedelta(minutes=rng.uniform(1, 10_000)))
        author = rng.choice(clients) if rng.random() < 0.3 else rng.choice(team)
        labels = tuple(rng.sample(LABELS, rng.choice((0, 0, 0, 1, 1, 2))))
        issues.append(Issue(
            key=key, title=f"Issue {n}: something the client asked for", url="",
            state="closed" if closed else "open", created_at=created, author=author,
            closed_at=closed_at, updated_at=closed_at or created,
            assignees=tuple(rng.sample(team, rng.choice((0, 1, 1, 2)))), labels=labels,
            milestone_keys=(milestone.key,) if milestone else (),
            due_on=(created + timedelta(days=rng.uniform(5, 90))).date()
            if rng.random() < 0.1 else None,
            priority=rng.choice((None, None, "P1", "P2")),
            # The risk rule's inputs: one issue in twenty blocked by another, one in fifty
            # flagged, one in three carrying a tracker's count of open blockers.
            blocked_by=(f"p#{rng.randint(1, issues_count)}",) if rng.random() < 0.05 else (),
            open_blockers=rng.choice((None, None, 0, 1)) if rng.random() < 0.33 else None,
            flagged=rng.random() < 0.02,
        ))
        # About ten messages, client and team taking turns; on 6% of the issues the
        # client has the last word (awaiting a reply, for a while or for long).
        at = created
        waiting = rng.random() < 0.06
        count = rng.randint(4, 16)
        for index in range(count):
            at += timedelta(minutes=rng.uniform(5, 2000))
            if at > NOW:
                break
            client_turn = waiting if index == count - 1 else index % 2 == 0
            who = rng.choice(clients) if client_turn else rng.choice(team)
            if rng.random() < 0.05:
                who = rng.choice(bots)
            comment_id += 1
            comments.append(Comment(id=str(comment_id), issue_key=key, author=who,
                                    created_at=at))
        if milestone is not None and joined is not None and joined > created:
            changes.append(Change(key, "milestone", joined, before=None, after=milestone.key,
                                  actor=rng.choice(team)))
        if closed_at is not None:
            changes.append(Change(key, "state", closed_at, before="open", after="closed",
                                  actor=rng.choice(team)))
        else:
            changes.append(Change(key, "label", created + timedelta(hours=1), before=None,
                                  after=rng.choice(LABELS), actor=rng.choice(team)))
    return Snapshot(project="p", fetched_at=NOW, issues=tuple(issues),
                    milestones=tuple(milestones), comments=tuple(comments),
                    changes=tuple(changes), people=people)


def history(snapshot: Snapshot) -> History:
    """The first due date forewarn saw for each milestone: a week earlier for one in five."""
    seen: dict[str, tuple[DueDateSeen, ...]] = {}
    for n, milestone in enumerate(snapshot.milestones):
        if milestone.due_on is None:
            continue
        first = milestone.due_on - timedelta(days=7) if n % 5 == 0 else milestone.due_on
        seen[milestone.key] = (DueDateSeen(NOW - timedelta(days=60), first),)
    return History(due_dates=seen)


def example_rules() -> tuple[list[tuple[Any, Any]], Any]:
    """The rules and calendar of examples/forewarn.yaml."""
    config = load_config(ROOT / "examples" / "forewarn.yaml")
    project = config.projects[0]
    rules = [(registry.get(options.kind), options) for options in config.rules_for(project)]
    return rules, config.calendar_for(project).business_calendar()


def evaluate(snapshot: Snapshot, ctx: RuleContext, rules: list[tuple[Any, Any]]) -> list[Finding]:
    found: list[Finding] = []
    for rule, options in rules:
        found.extend(rule.evaluate(snapshot, ctx, options))
    return sorted(found, key=lambda finding: finding.fingerprint)


def recorded(result: Plan) -> Actual:
    """The state store after ``result`` was carried out."""
    comments = {str(a.marker): CommentRecord(marker=a.marker, kind=a.kind, target=a.target,
                                             comment_id=str(n), body_hash=body_hash(a.body),
                                             input_hash=a.input_hash)
                for n, a in enumerate(result.actions) if isinstance(a, CreateComment)}
    labels = frozenset((a.target, a.label) for a in result.actions if isinstance(a, AddLabel))
    return Actual(comments=comments, labels=labels,
                  findings={record.fingerprint: record for record in result.records})


def with_our_comments(snapshot: Snapshot, result: Plan) -> Snapshot:
    """The tracker after ``result``: forewarn's comments (and labels) are in the snapshot."""
    ours = tuple(
        Comment(id=f"f{n}", issue_key=a.target, author=ME, created_at=NOW, is_ours=True,
                marker=str(a.marker), body_excerpt=a.body[:500])
        for n, a in enumerate(result.actions) if isinstance(a, CreateComment)
    )
    added: dict[str, list[str]] = {}
    for action in result.actions:
        if isinstance(action, AddLabel):
            added.setdefault(action.target, []).append(action.label)
    issues = tuple(
        Issue(**{**{f: getattr(i, f) for f in Issue.__slots__},  # type: ignore[attr-defined]
                 "labels": (*i.labels, *added[i.key])}) if i.key in added else i
        for i in snapshot.issues
    )
    return Snapshot(project=snapshot.project, fetched_at=snapshot.fetched_at, issues=issues,
                    milestones=snapshot.milestones, comments=snapshot.comments + ours,
                    changes=snapshot.changes, people=snapshot.people)


class FullCollections:
    """Seconds the cyclic GC spent in full (generation 2) collections while active."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """Median wall seconds, median CPU seconds, median seconds in full GC collections."""
    wall, cpu, collections = [], [], []
    result = None
    for _ in range(runs):
        full = FullCollections()
        gc.callbacks.append(full)
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        gc.callbacks.remove(full)
        collections.append(full.seconds)
    return (statistics.median(wall), statistics.median(cpu), statistics.median(collections),
            result)


def measure(size: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    raw = generate(size)
    generated = time.perf_counter() - started
    rules, calendar = example_rules()
    snapshot = classify(raw, clients="external", team=None, self_ids=[ME])
    seen = history(snapshot)

    def context() -> RuleContext:
        """A new context per run, as each cycle has: what rules share (rules/threads.py)
        is read again every time."""
        return RuleContext(now=NOW, calendar=calendar, history=seen, seed=1,
                           status_issue="p#1")

    ctx = context()
    style = Style(markup="markdown", timezone="Asia/Shanghai")

    # As the cycle does (sync/collector.py): the loaded snapshot frozen for the collector,
    # and no collection while rules and plans run.
    with frozen_for_gc(), collection_paused():
        evaluate_s, evaluate_cpu, evaluate_gc, findings = timed(
            runs, lambda: evaluate(snapshot, context(), rules))
    again = evaluate(snapshot, ctx, rules)
    assert again == findings, "evaluation is not deterministic"
    per_rule: dict[str, float] = {}
    with frozen_for_gc(), collection_paused():
        for rule, options in rules:
            per_rule[options.kind] = round(timed(
                runs, lambda rule=rule, options=options: rule.evaluate(snapshot, context(),
                                                                       options))[0], 3)
        kinds = {pid: person.kind for pid, person in snapshot.people.items()}
        per_rule["(threads)"] = round(timed(runs, lambda: threads.read(snapshot, kinds))[0], 3)

    def plan_on(snap: Snapshot, actual: Actual) -> Plan:
        return plan(findings=findings, snapshot=snap, actual=actual, style=style, now=NOW,
                    status_issue="p#1", me=ME)

    with frozen_for_gc(), collection_paused():
        empty_s, _, _, first = timed(runs, lambda: plan_on(snapshot, Actual()))
    written = with_our_comments(snapshot, first)
    actual = recorded(first)
    with frozen_for_gc(), collection_paused():
        populated_s, _, _, second = timed(runs, lambda: plan_on(written, actual))
    assert second.writes == (), f"a recorded plan planned {len(second.writes)} writes again"
    causes: dict[str, int] = {}
    for finding in findings:
        causes[f"{finding.kind}.{finding.cause}"] = causes.get(
            f"{finding.kind}.{finding.cause}", 0) + 1
    return {
        "issues": size, "comments": len(snapshot.comments), "changes": len(snapshot.changes),
        "milestones": len(snapshot.milestones), "generate_s": round(generated, 2),
        "evaluate_s": round(evaluate_s, 3), "evaluate_cpu_s": round(evaluate_cpu, 3),
        "evaluate_full_gc_s": round(evaluate_gc, 3), "plan_empty_s": round(empty_s, 3),
        "plan_populated_s": round(populated_s, 3), "findings": len(findings),
        "planned_writes": len(first.writes), "causes": causes, "runs": runs,
        "per_rule_s": per_rule,
    }


def _peak_kib(stderr: str) -> int:
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(match.group(1)) if match else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="one size, measured in this process")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.size:
        print(json.dumps(measure(args.size, args.runs)))
        return
    gnu_time = shutil.which("time", path="/usr/bin")
    rows = []
    for size in SIZES:
        command = [sys.executable, __file__, "--size", str(size), "--runs", str(args.runs)]
        if gnu_time:
            command = [gnu_time, "-v", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["peak_mib"] = round(_peak_kib(done.stderr) / 1024) if gnu_time else None
        rows.append(result)
    print("| issues | comments | milestones | findings | evaluate (wall / CPU / full GC) "
          "| plan (empty state) | plan (populated) | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peak = f"{r['peak_mib']} MiB" if r["peak_mib"] is not None else "n/a (no /usr/bin/time)"
        print(f"| {r['issues']:,} | {r['comments']:,} | {r['milestones']} | {r['findings']:,} "
              f"| {r['evaluate_s']:.2f} s / {r['evaluate_cpu_s']:.2f} s / "
              f"{r['evaluate_full_gc_s']:.2f} s | {r['plan_empty_s']:.2f} s "
              f"| {r['plan_populated_s']:.2f} s | {peak} |")
    print(f"(median of {args.runs} runs; generation: "
          + ", ".join(f"{r['generate_s']} s" for r in rows) + ")")
    for r in rows:
        print(f"{r['issues']:,} issues: {json.dumps(r['causes'], sort_keys=True)}")
        print(f"{r['issues']:,} issues, evaluate per rule (s): {json.dumps(r['per_rule_s'])}")


if __name__ == "__main__":
    main()
