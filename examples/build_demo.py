"""Writes examples/demo-tracker.json: the bundled demo project.

The demo is data, but written as code so that every date in it is visibly
chosen relative to the demo's clock (``AS_OF``) and each rule's case is named.
Run ``python examples/build_demo.py`` after changing it; a test checks that the
committed JSON matches.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wed 16:00 in Shanghai
PROJECT = "demo"
URL = "https://tracker.example/demo/issues"
OUT = Path(__file__).with_name("demo-tracker.json")


def at(text: str) -> str:
    """Times are written in Shanghai local time (the client's calendar) and stored in UTC."""
    local = datetime.fromisoformat(text).replace(tzinfo=UTC) - timedelta(hours=8)
    return local.isoformat().replace("+00:00", "Z")


def key(number: int) -> str:
    return f"{PROJECT}#{number}"


def milestone(number: int) -> str:
    return f"{PROJECT}/milestones/{number}"


issues: list[dict[str, Any]] = []
comments: list[dict[str, Any]] = []
changes: list[dict[str, Any]] = []


def issue(number: int, title: str, *, author: str = "alice", created: str,
          milestone_no: int | None = None, joined: str | None = None, closed: str | None = None,
          labels: tuple[str, ...] = (), due_on: str | None = None,
          assignees: tuple[str, ...] = ("bob",), blocked_by: tuple[int, ...] = ()) -> None:
    updated = max(filter(None, [created, joined, closed]))
    issues.append({
        "key": key(number), "title": title, "url": f"{URL}/{number}",
        "state": "closed" if closed else "open", "created_at": at(created),
        "closed_at": at(closed) if closed else None, "updated_at": at(updated),
        "author": author, "assignees": list(assignees), "labels": list(labels),
        "milestone_keys": [milestone(milestone_no)] if milestone_no else [],
        "due_on": due_on, "estimate": None, "priority": None,
        "blocked_by": [key(n) for n in blocked_by],
    })
    if milestone_no and joined:
        changes.append({"issue_key": key(number), "field": "milestone", "at": at(joined),
                        "before": None, "after": milestone(milestone_no), "actor": "alice"})
    if closed:
        changes.append({"issue_key": key(number), "field": "state", "at": at(closed),
                        "before": "open", "after": "closed", "actor": "bob"})


def comment(number: int, issue_no: int, author: str, when: str, body: str) -> None:
    comments.append({"id": str(number), "issue_key": key(issue_no), "author": author,
                     "created_at": at(when), "updated_at": at(when), "body": body})


# -- the status issue the milestone alerts and summaries go to -------------------------
issue(1, "Project status: Client portal", created="2026-08-20T10:00")

# -- M4 Discovery: closed on its due date (the retrospective); its closed issues give the
#    team's throughput. All six were planned within the day after it was created: baseline.
for n, (created, closed) in enumerate([
    ("2026-08-24T10:00", "2026-10-02T15:00"), ("2026-08-24T10:00", "2026-10-09T11:00"),
    ("2026-08-24T14:00", "2026-10-15T16:00"), ("2026-08-24T14:00", "2026-10-23T17:00"),
    ("2026-08-25T08:00", "2026-10-30T12:00"), ("2026-08-25T08:00", "2026-11-06T14:00"),
], start=30):
    issue(n, f"Discovery workshop notes {n - 29}", created=created, milestone_no=4,
          joined=created, closed=closed)

# -- M1 v1.0: baselined 2026-10-01, crept, at risk --------------------------------------
baseline = [
    ("Sign-in page", "2026-10-20T18:00"), ("Password reset", "2026-10-28T11:00"),
    ("Invoice list", "2026-11-05T16:00"), ("Invoice detail", "2026-11-13T10:00"),
    ("Payments with Alipay", None), ("Payments with WeChat Pay", None),
    ("Notification e-mails", None), ("Account settings", None), ("Audit log", None),
    ("Accessibility review", None),
]
for n, (title, closed) in enumerate(baseline, start=2):
    issue(n, title, created="2026-09-28T10:00", milestone_no=1, joined="2026-10-01T11:00",
          closed=closed,
          blocked_by=(6,) if n == 7 else ())  # a risk: WeChat Pay waits on Alipay (#6)
issue(12, "Export invoices to PDF", created="2026-10-20T10:00", milestone_no=1,
      joined="2026-10-20T10:05")                      # creep: joined after the baseline
issue(13, "Dark mode", created="2026-11-02T10:00", milestone_no=1, joined="2026-11-02T10:05",
      labels=("change-approved",))                   # an approved change: not creep
issue(14, "Single sign-on with Okta <script>alert(1)</script> @everyone",
      created="2026-11-10T10:00", milestone_no=1, joined="2026-11-10T10:05")  # creep, hostile title
issue(15, "Legacy browser support", created="2026-09-28T10:00", milestone_no=None)
changes += [  # in the baseline, then descoped
    {"issue_key": key(15), "field": "milestone", "at": at("2026-10-01T11:00"), "before": None,
     "after": milestone(1), "actor": "alice"},
    {"issue_key": key(15), "field": "milestone", "at": at("2026-10-25T09:30"),
     "before": milestone(1), "after": None, "actor": "alice"},
]

# -- M2 Beta: its due date passed with work left; one issue past its own due date ------
issue(16, "Beta feedback triage", created="2026-09-01T10:00", milestone_no=2,
      joined="2026-09-01T11:00")
issue(17, "Fix beta crash on upload", created="2026-09-01T10:00", milestone_no=2,
      joined="2026-09-01T11:00", due_on="2026-11-20")

# -- M3 v1.1: on track, but its due date moved twice -------------------------------------
issue(18, "Monthly revenue report", created="2026-10-16T10:00", milestone_no=3,
      joined="2026-10-16T10:00")
issue(19, "Report export to Excel", created="2026-10-16T10:00", milestone_no=3,
      joined="2026-10-16T10:00")
changes += [
    {"issue_key": milestone(3), "field": "due_on", "at": at("2026-11-03T09:00"),
     "before": "2026-12-18", "after": "2027-01-08", "actor": "alice"},
    {"issue_key": milestone(3), "field": "due_on", "at": at("2026-11-18T09:00"),
     "before": "2027-01-08", "after": "2027-01-22", "actor": "alice"},
]

# -- client feedback ----------------------------------------------------------------------
issue(20, "Login fails on Safari", author="carol", created="2026-11-19T09:30",
      assignees=("bob",))
comment(1, 20, "alice", "2026-11-19T11:00", "Thanks, we are looking into it.")
comment(2, 20, "carol", "2026-11-20T10:00",
        "Any news? Our sales team cannot log in. @alice please call me.")  # past the SLA
comment(3, 20, "dependabot[bot]", "2026-11-21T03:00", "Bumps safari-polyfill to 2.1.")
issue(21, "Can the invoice show our VAT number?", author="dave", created="2026-11-24T14:00",
      assignees=("alice",))  # inside the SLA (a warning, label only)
issue(22, "Where do I change my password?", author="carol", created="2026-11-23T10:00",
      assignees=("alice",))
comment(4, 22, "alice", "2026-11-23T11:00",
        "Under Account settings, see the Security tab.")  # answered
issue(23, "Can we get a CSV export of payments?", author="dave", created="2026-11-16T10:00")
comment(5, 23, "bob", "2026-11-17T10:00",
        "We will check with the payments team and update you by Friday.")  # then silence:
#                                                          a follow-up is owed
# The status issue (#1) has had no summary nor status comment: the cadence rule fires.

data = {
    "format": 1,
    "project": PROJECT,
    "as_of": AS_OF.isoformat().replace("+00:00", "Z"),
    "fetched_at": AS_OF.isoformat().replace("+00:00", "Z"),
    "me": "forewarn",
    "people": [
        {"id": "alice", "name": "Alice Chen", "kind": "unknown", "association": "OWNER"},
        {"id": "bob", "name": "Bob Li", "kind": "unknown", "association": "MEMBER"},
        {"id": "carol", "name": "Carol (Client)", "kind": "unknown", "association": "NONE",
         "email": "carol@client.example"},
        {"id": "dave", "name": "Dave (Client)", "kind": "unknown", "association": "NONE",
         "email": "dave@client.example"},
        {"id": "dependabot[bot]", "name": "dependabot[bot]", "kind": "bot", "association": "NONE"},
        {"id": "forewarn", "name": "forewarn", "kind": "bot", "association": "NONE"},
    ],
    "labels": [{"name": "change-approved", "color": "0e8a16", "description": "Approved change"}],
    "milestones": [
        {"key": milestone(1), "title": "v1.0 — Client portal launch", "kind": "milestone",
         "state": "open", "created_at": at("2026-10-01T10:00"), "start_on": None,
         "due_on": "2026-12-04", "closed_at": None},
        {"key": milestone(2), "title": "Beta feedback round", "kind": "milestone",
         "state": "open", "created_at": at("2026-09-01T10:00"), "start_on": None,
         "due_on": "2026-11-13", "closed_at": None},
        {"key": milestone(3), "title": "v1.1 — Reporting", "kind": "milestone",
         "state": "open", "created_at": at("2026-10-15T10:00"), "start_on": None,
         "due_on": "2027-01-22", "closed_at": None},
        {"key": milestone(4), "title": "Discovery", "kind": "milestone", "state": "closed",
         "created_at": at("2026-08-24T09:00"), "start_on": None, "due_on": "2026-11-06",
         "closed_at": at("2026-11-06T15:00")},
    ],
    "issues": sorted(issues, key=lambda item: int(item["key"].split("#")[1])),
    "comments": comments,
    "changes": changes,
}

if __name__ == "__main__":
    OUT.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(issues)} issues, {len(comments)} comments)")
