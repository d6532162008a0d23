"""Planning notifications on the projects ``rules_eval.py`` generates (10,000, 100,000 issues).

What a cycle adds when a project names channels (sync/notify/plan.py), on the
same seeded snapshot and rules as ``rules_eval.py``, two channels (one with a
daily digest due now), ``remind: [50%, 2h]`` on the feedback rule:

* **waits and reminders**: ``unanswered_feedback.waiting`` (every client waiting,
  not only the findings) and the reminder points due, the extra rule pass;
* **plan, first cycle**: the channels are enrolled (every open alert and due
  reminder recorded) and the digest rendered (every open finding, once);
* **plan, steady state**: the ledger holds all of that: nothing is planned
  (the digest was sent), which is what most cycles cost.

Each the median of ``--runs`` runs, wall and CPU time. Run
``.venv/bin/python benchmarks/notify_plan.py`` (both sizes, a Markdown table) or
``--size 100000`` (a JSON line).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from rules_eval import ME, NOW, evaluate, example_rules, generate, history, timed

from config.channels import Channel
from rules.base import RuleContext
from rules.people import classify
from rules.reminders import reply_reminders
from rules.unanswered_feedback import Options as FeedbackOptions
from rules.unanswered_feedback import waiting
from sync.actions import EnrolChannel, Notify
from sync.notify.channels import Channels
from sync.notify.plan import Context, NotifySettings, plan_notifications
from sync.render import Style
from sync.store.notifications import SentRecord

SIZES = (10_000, 100_000)


def measure(size: int, runs: int) -> dict[str, Any]:
    rules, calendar = example_rules()
    snapshot = classify(generate(size), clients="external", team=None, self_ids=[ME])
    ctx = RuleContext(now=NOW, calendar=calendar, history=history(snapshot), seed=1)
    findings = evaluate(snapshot, ctx, rules)
    feedback = next(o for _, o in rules if isinstance(o, FeedbackOptions))
    feedback = feedback.model_copy(update={"remind": FeedbackOptions.model_validate(
        {"id": "f", "kind": "unanswered_feedback", "remind": ["50%", "2h"]}).remind})

    def waits_and_reminders() -> tuple[list[Any], list[Any]]:
        found = waiting(snapshot, ctx, feedback)
        due = reply_reminders(found, feedback.remind, rule_id=feedback.id, calendar=calendar,
                              now=NOW.replace(hour=3))  # 11:00 in Shanghai: business hours
        return found, due

    waits_s, waits_cpu, _, (found, due) = timed(runs, waits_and_reminders)
    url = "json://127.0.0.1:9/hook"
    settings = NotifySettings(
        channels={"pm": Channel.model_validate({"url": url}),
                  "team": Channel.model_validate({"url": url, "digest": {"every": "daily 09:00"}})},
        project_channels=("pm", "team"), rule_channels={}, sender=Channels({}))
    context = Context(
        project="bench", findings=findings, reminders=[(d, "unanswered_feedback") for d in due],
        waits=[(feedback.id, w) for w in found],
        urls={issue.key: issue.url for issue in snapshot.issues},
        style=Style(timezone="Asia/Shanghai"), timezone="Asia/Shanghai", now=NOW)
    first_s, first_cpu, _, first = timed(runs, lambda: plan_notifications(settings, context))
    ledger: dict[tuple[str, str], SentRecord] = {}
    stamp = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    for action in first.actions:
        keys = action.keys if isinstance(action, EnrolChannel) else ((action.key,)
                                                                    if isinstance(action, Notify)
                                                                    else ())
        for key in ("enrolled", *keys):
            ledger[(action.channel, key)] = SentRecord(  # type: ignore[union-attr]
                channel=action.channel, key=key, kind="alert",  # type: ignore[union-attr]
                status="sent", attempts=1, updated_at=stamp)
    steady = Context(**{**context.__dict__, "ledger": ledger})
    steady_s, steady_cpu, _, second = timed(runs, lambda: plan_notifications(settings, steady))
    assert second.actions == (), f"{len(second.actions)} notifications planned again"
    digest = next(a for a in first.actions if isinstance(a, Notify) and a.kind == "digest")
    return {
        "issues": size, "findings": len(findings), "waits": len(found), "reminders_due": len(due),
        "waits_s": round(waits_s, 3), "waits_cpu_s": round(waits_cpu, 3),
        "plan_first_s": round(first_s, 3), "plan_first_cpu_s": round(first_cpu, 3),
        "plan_steady_s": round(steady_s, 3), "plan_steady_cpu_s": round(steady_cpu, 3),
        "digest_chars": len(digest.body), "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="one size (a JSON line)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.size:
        print(json.dumps(measure(args.size, args.runs)))
        return
    print("| issues | findings | waits | reminders due | waits + reminders | plan, first "
          "cycle | plan, steady state | digest |")
    print("|---|---|---|---|---|---|---|---|")
    for size in SIZES:
        r = measure(size, args.runs)
        print(f"| {size:,} | {r['findings']:,} | {r['waits']:,} | {r['reminders_due']:,} | "
              f"{r['waits_s']} s | {r['plan_first_s']} s | {r['plan_steady_s']} s | "
              f"{r['digest_chars']:,} chars |")


if __name__ == "__main__":
    main()
