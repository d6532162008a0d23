"""What forewarn tells the admin about accounts that look automated but count as people.

``rules/bot_suspects.py`` finds them and counts what each changes; this module
says it, and reclassifies nobody:

* the **first cycle** of a project (``sync/cycle.py``) adds one warning when a
  suspect changes who waits for a reply (it answers waiting clients, or its own
  messages start waits), else one note: each suspect with its reasons and what
  it changes, and the ``bots:`` line that makes them bots;
* ``check-config --connect`` (``sync/app/connect.py``) shows one line per
  suspect: ✗ when it answers waiting clients (a wait it hides shows nowhere,
  so nothing else would tell), ✓ otherwise (a wait it starts shows as an
  alert the team sees), and one ✓ line when no account looks automated.
  ``check-config`` has no cycle to look at: it reads the snapshot the state
  store keeps when the project has run before (no request), else the issues
  updated in the last ``RECENT`` (one incremental fetch, read-only).

Both name at most ``SHOWN`` suspects, in ``review``'s order (those that answer
the most waiting clients first, then those whose messages start the most
waits), and count the rest in one line: a project where 500 accounts post the
same text would otherwise get 500 lines nobody reads. The ``bots:`` line
lists the shown ones only; the full list goes to the log at DEBUG
(``forewarn --log-level DEBUG check-config --connect``). A suspect left out
that answers waiting clients still makes ``--connect``'s count line ✗.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connectors.base import Check
from connectors.model import Membership, Snapshot
from rules import unanswered_feedback
from rules.base import RuleContext
from rules.bot_suspects import Review, Suspect, bots_line, review, suspects
from rules.people import People

if TYPE_CHECKING:
    from sync.cycle import CycleReport, ProjectRuntime

log = logging.getLogger(__name__)

#: How far back ``check-config --connect`` reads a project that never ran.
RECENT = timedelta(days=30)
#: The name of ``check-config --connect``'s lines.
CHECK = "bots"
#: Suspects named one by one (first cycle and ``--connect``); the rest are counted.
SHOWN = 10
#: Where the rest are listed, in the count line.
EVERY = "`forewarn --log-level DEBUG check-config --connect` logs them all"


def review_project(runtime: ProjectRuntime, snapshot: Snapshot, ctx: RuleContext) -> Review:
    """The accounts of a classified snapshot that look automated, and what each changes to
    the waits of the project's ``unanswered_feedback`` rules."""
    named = People(runtime.clients, runtime.team).named(snapshot.people.values())
    feedback = [options for _, options in runtime.rules
                if isinstance(options, unanswered_feedback.Options)]
    return review(snapshot, suspects(snapshot, named=named), ctx=ctx, feedback=feedback)


def tell_first_cycle(runtime: ProjectRuntime, snapshot: Snapshot, ctx: RuleContext,
                     report: CycleReport) -> None:
    """The first cycle's warning (a suspect changes who waits) or note (it changes nothing
    now). Advice only: a failure here is logged and the cycle goes on."""
    try:
        found = review_project(runtime, snapshot, ctx)
    except Exception:
        log.exception("%s: could not look for accounts that look automated", runtime.name)
        return
    if not found:
        return
    text = advice(runtime.name, found, runtime.bots)
    log_all(runtime.name, found, runtime.bots)
    if changes_waits(found):
        log.warning("%s", text, extra={"project": runtime.name})
        report.warnings.append(text)
    else:
        report.notes.append(text)


def context(runtime: ProjectRuntime, now: datetime) -> RuleContext:
    """What waits are counted with outside a cycle (``check-config --connect``)."""
    organisations = runtime.clients if isinstance(runtime.clients, Mapping) else {}
    return RuleContext(now=now, calendar=runtime.calendar, status_issue=runtime.status_issue,
                       organisations=organisations, client_calendars=runtime.client_calendars)


def advice(project: str, found: Review, bots: Sequence[str | Membership], *,
           limit: int | None = SHOWN) -> str:
    """The first cycle's words: who looks automated, why, what it changes, what to write;
    ``limit`` suspects named (most consequential first), the rest counted in one line."""
    count = len(found.suspects)
    shown = found.suspects[:limit]
    head = (f"{project}: 1 account looks automated but counts as a person"
            if count == 1 else f"{project}: {count:,} accounts look automated but count as people")
    lines = [f"{head}; forewarn changed nothing:"]
    lines += [f"  {_describe(suspect)}" for suspect in shown]
    if count > len(shown):
        lines.append(f"  {_more(found.suspects[len(shown):])}; {EVERY}")
    if count > 1 and found.answered:
        together = "they" if count == len(shown) else f"all {count:,}"
        lines.append(f"  together {together} answer {_count(found.answered, 'waiting client')}")
    if count == 1:
        them, one = "it is a bot", "it is a person"
    else:
        them = "they are bots" if count == len(shown) else f"the {len(shown)} above are bots"
        one = "one is a person"
    line = bots_line(bots, [suspect.id for suspect in shown])
    lines.append(f"If {them}, write in project {project}: {line}; if {one}, name it in team "
                 "or clients.")
    return "\n".join(lines)


def log_all(project: str, found: Review, bots: Sequence[str | Membership]) -> None:
    """Every suspect, at DEBUG, when the message and ``--connect`` name only ``SHOWN``: the
    one place the full list (and its ``bots:`` line) can be read."""
    if len(found.suspects) > SHOWN and log.isEnabledFor(logging.DEBUG):
        log.debug("every account that looks automated: %s", advice(project, found, bots,
                                                                     limit=None))


def changes_waits(found: Review) -> bool:
    """A suspect changes who waits for a reply: the first cycle warns rather than notes."""
    return any(suspect.answers or suspect.starts for suspect in found.suspects)


def checks(found: Review, bots: Sequence[str | Membership], *, cached: bool,
           snapshot: Snapshot) -> list[Check]:
    """``check-config --connect``'s lines: one per suspect (at most ``SHOWN``, those that
    answer waiting clients first) and one counting the rest, or one saying there is none."""
    where = ("in the last cycle's snapshot" if cached
             else f"on the issues updated in the last {RECENT.days} days")
    if not found:
        read = (f"{_count(len(snapshot.issues), 'issue')}, "
                f"{_count(len(snapshot.comments), 'comment')}")
        return [Check(CHECK, True, f"no account that comments looks automated ({read} {where})")]
    lines = []
    for suspect in found.suspects[:SHOWN]:
        line = bots_line(bots, [suspect.id])
        detail = f"{_describe(suspect)} ({where})"
        if suspect.hides:
            lines.append(Check(CHECK, False, detail, f"if it is a bot, write in the project: "
                                                     f"{line}; if a person, name it in team"))
        else:
            lines.append(Check(CHECK, True, f"{detail}; if it is a bot: {line}"))
    rest = found.suspects[SHOWN:]
    if rest:
        ok = not any(suspect.hides for suspect in rest)
        lines.append(Check(CHECK, ok, f"{_more(rest)} ({where}); {EVERY}",
                           "write the bots in the project's bots, name the people in team"))
    return lines


def _more(rest: Sequence[Suspect]) -> str:
    """``… and 490 more accounts look automated (3 of them answer waiting clients)``."""
    verb = "looks" if len(rest) == 1 else "look"
    hiding = sum(1 for suspect in rest if suspect.hides)
    answer = "answers" if hiding == 1 else "answer"
    which = (f" ({hiding:,} of them {answer} waiting clients)" if hiding and len(rest) > 1
             else " (it answers waiting clients)" if hiding else "")
    return f"… and {_count(len(rest), 'more account')} {verb} automated{which}"


def _describe(suspect: Suspect) -> str:
    """``ci-runner (“CI Runner”) looks automated (its name, …); it answers 3 waiting …``."""
    effect = suspect.effect()
    return f"{suspect.label} looks automated ({suspect.reasons})" + (
        f"; {effect}" if effect else "")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
