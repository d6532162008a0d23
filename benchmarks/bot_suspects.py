"""Accounts that look automated, on generated projects of 1,500, 10,000 and 100,000 issues.

What the first cycle (and ``check-config --connect``) adds to a cycle: finding the
accounts that look automated (``rules.bot_suspects.suspects``: names, repeated
texts, prompt comments, over every comment) and counting what each changes
(``review``: the ``unanswered_feedback`` waits on the issues they wrote on, with
and without each). It runs on a project's first cycle only, never in steady state.

The project is ``benchmarks/rules_eval.py``'s (seeded; 10 comments per issue, 500
people), with comment texts (varied sentences, 60-400 characters) and three
automation accounts that post through ordinary user accounts, as on a Jira Data
Center site, classified team (``clients: external``):

* ``automation`` ("Automation for Jira"): on 3 % of the issues, five seconds
  after a client's message, "This issue has been labelled for triage
  automatically." It is a bot by default (``rules.people.AUTOMATION_IDS``);
* ``ci-runner`` ("CI Runner"): on 2 % of the issues, "CI passed on all
  platforms (build N)" a few minutes after the last message;
* ``svc-deploy`` ("Deploy Service"): on 1 % of the issues, "Deployed to
  staging: build N" 2-8 seconds after the last message.

Reported: the seconds ``suspects`` and ``review`` take (median of ``--runs``), the
memory they allocate at their peak (tracemalloc, a separate run), who is found
and why, and the clients waiting for a reply: truly (the three accounts bots), as
found before (Jira's automation user a person too), as found now with no
``bots:`` line, as the review says the suspects hide, and as found with the
``bots:`` line it suggests.

Run ``.venv/bin/python benchmarks/bot_suspects.py`` (a Markdown table), or
``--size 100000`` for one size (a JSON line).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.rules_eval import ME, NOW, generate  # noqa: E402
from connectors.model import Comment, Person, Snapshot  # noqa: E402
from rules import unanswered_feedback  # noqa: E402
from rules.base import RuleContext  # noqa: E402
from rules.bot_suspects import Review, bots_line, review, suspects  # noqa: E402
from rules.calendar import BusinessCalendar  # noqa: E402
from rules.people import People  # noqa: E402

SIZES = (1_500, 10_000, 100_000)
ACCOUNTS = {"automation": "Automation for Jira", "ci-runner": "CI Runner",
            "svc-deploy": "Deploy Service"}
WORDS = ("the", "export", "invoice", "page", "fails", "when", "we", "open", "it", "again",
         "after", "login", "please", "check", "report", "numbers", "March", "customer",
         "still", "slow", "works", "now", "thanks", "deployed", "fix", "tomorrow", "data")
FEEDBACK = (unanswered_feedback.Options(id="feedback", kind=unanswered_feedback.KIND),)


def with_automation(raw: Snapshot, *, seed: int = 11) -> Snapshot:
    """The generated project with comment texts and the three automation accounts."""
    rng = random.Random(seed)  # synthetic data, not a secret
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 70)))
             for _ in range(5000)]
    comments = [dataclasses.replace(c, body_excerpt=texts[n % len(texts)][:500])
                for n, c in enumerate(raw.comments)]
    last: dict[str, Comment] = {}
    for comment in comments:
        if comment.created_at <= NOW:
            last[comment.issue_key] = comment
    added: list[Comment] = []
    for issue in raw.issues:
        after = last.get(issue.key)
        at = after.created_at if after is not None else issue.created_at
        roll = rng.random()
        if roll < 0.03:
            who, text, delay = "automation", "This issue has been labelled for triage " \
                "automatically.", timedelta(seconds=5)
        elif roll < 0.05:
            who, text = "ci-runner", f"CI passed on all platforms (build {rng.randint(1, 9999)})"
            delay = timedelta(minutes=rng.uniform(3, 30))
        elif roll < 0.06:
            who, text = "svc-deploy", f"Deployed to staging: build {rng.randint(1, 9999)}"
            delay = timedelta(seconds=rng.uniform(2, 8))
        else:
            continue
        added.append(Comment(id=f"a{len(added)}", issue_key=issue.key, author=who,
                             created_at=min(at + delay, NOW), body_excerpt=text))
    people = dict(raw.people)
    people.update({pid: Person(id=pid, name=name, association="MEMBER")
                   for pid, name in ACCOUNTS.items()})
    return dataclasses.replace(raw, comments=(*comments, *added), people=people)


def classified(snapshot: Snapshot, bots: tuple[str, ...] = ()) -> Snapshot:
    # Data Center has no associations: as there, the accounts carry none, so the default
    # recognition of Jira's automation user applies; the rest is clients: external.
    people = {pid: dataclasses.replace(p, association=None) if pid in ACCOUNTS else p
              for pid, p in snapshot.people.items()}
    plain = dataclasses.replace(snapshot, people=people)
    return People(clients=["client*"], team=None, bots=bots, self_ids=(ME,)).classify(plain)


def waiting(snapshot: Snapshot, ctx: RuleContext) -> set[str]:
    return {w.issue.key for o in FEEDBACK for w in unanswered_feedback.waiting(snapshot, ctx, o)}


def measure(size: int, runs: int) -> dict[str, Any]:
    snapshot = with_automation(generate(size))
    ctx = RuleContext(now=NOW, calendar=BusinessCalendar())
    truth = waiting(classified(snapshot, bots=tuple(ACCOUNTS)), ctx)
    plain = classified(snapshot)
    found_plain = waiting(plain, ctx)
    # Before issue 19: Jira's automation user was a person too (the team, here).
    people = dict(plain.people)
    people["automation"] = dataclasses.replace(people["automation"], kind="team")
    found_before = waiting(dataclasses.replace(plain, people=people), ctx)
    seconds: dict[str, list[float]] = {"suspects": [], "review": []}
    result: Review = Review()
    for _ in range(runs):
        started = time.perf_counter()
        found = suspects(plain)
        seconds["suspects"].append(time.perf_counter() - started)
        started = time.perf_counter()
        result = review(plain, found, ctx=ctx, feedback=FEEDBACK)
        seconds["review"].append(time.perf_counter() - started)
    tracemalloc.start()
    review(plain, suspects(plain), ctx=ctx, feedback=FEEDBACK)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    line = bots_line((), [s.id for s in result.suspects])
    suggested = tuple(s.id for s in result.suspects)
    found_after = waiting(classified(snapshot, bots=suggested), ctx)
    return {
        "issues": size, "comments": len(snapshot.comments),
        "suspects_s": round(statistics.median(seconds["suspects"]), 3),
        "review_s": round(statistics.median(seconds["review"]), 3),
        "peak_mib": round(peak / 2**20, 1),
        "found": [f"{s.id}: {s.reasons}; answers {s.answers}" for s in result.suspects],
        "waiting_truly": len(truth), "found_before": len(found_before),
        "found_without_bots": len(found_plain),
        "hidden_reported": result.answered, "suggested": line,
        "found_with_suggested": len(found_after), "wrong_with_suggested": len(found_after ^ truth),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="one size")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = (args.size,) if args.size else SIZES
    rows = [measure(size, args.runs) for size in sizes]
    if args.size:
        print(json.dumps(rows[0]))
        return
    print("| issues | comments | suspects | review | peak allocated | waiting truly | found "
          "before | found without bots | hidden, as reported | found with the suggested line |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['issues']:,} | {r['comments']:,} | {r['suspects_s']:.2f} s "
              f"| {r['review_s']:.2f} s | {r['peak_mib']} MiB | {r['waiting_truly']:,} "
              f"| {r['found_before']:,} | {r['found_without_bots']:,} "
              f"| {r['hidden_reported']:,} "
              f"| {r['found_with_suggested']:,} ({r['wrong_with_suggested']} wrong) |")
    for r in rows:
        print(f"{r['issues']:,} issues: {r['suggested']}; " + "; ".join(r["found"]))


if __name__ == "__main__":
    main()
