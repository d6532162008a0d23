"""The expectation summary's numbers and words, as a project manager reads them."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from config import load_config
from config.summary import Summary as SummarySettings
from connectors.markers import Marker, find_marker
from connectors.model import Comment, Issue, Milestone, Person, Snapshot
from rules import scope_creep, unanswered_feedback
from rules.base import History
from rules.calendar import BusinessCalendar
from rules.options import RuleOptions
from sync.store.state import StateStore
from sync.summary.build import SummaryInput, build_retrospective, build_summary
from sync.summary.changes import compare
from sync.summary.model import ProjectSummary, summary_json_schema
from sync.summary.render import LIMITS, render_html, render_retrospective, render_summary
from sync.summary.report import render_report, unavailable_summary
from sync.summary.schedule import next_summary_at, summary_period
from tests.conftest import DEMO_NOW, Clock
from tests.sync.summary.support import Demo, cycle

SHANGHAI = BusinessCalendar(timezone="Asia/Shanghai")
FEEDBACK = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback", sla="16h")


@pytest.fixture
def demo(demo_config: Path, tmp_path: Path, clock: Clock) -> Demo:
    store = StateStore(f"sqlite:///{tmp_path / 'summary.db'}")
    try:
        return cycle(demo_config, store, clock)
    finally:
        store.close()


def at(day: int, hour: int = 2) -> datetime:
    """Days of November 2026, UTC (02:00 UTC is 10:00 in Shanghai)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def person(pid: str, kind: str) -> Person:
    return Person(id=pid, name=pid.title(), kind=kind)  # type: ignore[arg-type]


def snapshot(*, issues: tuple[Issue, ...] = (), milestones: tuple[Milestone, ...] = (),
             comments: tuple[Comment, ...] = (), people: tuple[Person, ...] = ()) -> Snapshot:
    return Snapshot(project="p", fetched_at=DEMO_NOW, issues=issues, milestones=milestones,
                    comments=comments, people={p.id: p for p in people})


def issue(number: int, *, milestone: str | None = None, closed: bool = False,
          author: str = "alice", estimate: float | None = None, title: str = "") -> Issue:
    return Issue(key=f"p#{number}", title=title or f"Issue {number}", url="", state="closed"
                 if closed else "open", created_at=at(2), author=author,
                 closed_at=at(10) if closed else None, estimate=estimate,
                 milestone_keys=(milestone,) if milestone else ())


def summarize(snap: Snapshot | None, *, rules: tuple[RuleOptions, ...] = (FEEDBACK,),
              previous: dict[str, Any] | None = None, errors: tuple[str, ...] = ()
              ) -> ProjectSummary:
    data = SummaryInput(project="p", snapshot=snap, findings=(), history=History(),
                        calendar=SHANGHAI, rules=rules, seed=1, language="en",
                        status_issue="p#1", errors=errors)
    return build_summary(data, now=DEMO_NOW, period="2026-W48", previous=previous)


def markdown(summary: ProjectSummary) -> str:
    return render_summary(summary, "md", marker=Marker.summary(summary.period))


# -- the demo ------------------------------------------------------------------------------------


def test_milestones_health_progress_and_dates(demo: Demo) -> None:
    rows = [(m.title, m.health, m.days_overdue, m.progress.issues_done, m.progress.issues_total,
             m.due.due_on, m.due.first_due_on, m.due.moves) for m in demo.summary.milestones]
    assert rows == [
        ("Beta feedback round", "off_track", 12, 0, 2, date(2026, 11, 13), date(2026, 11, 13), 0),
        ("v1.0 — Client portal launch", "at_risk", 0, 4, 13, date(2026, 12, 4),
         date(2026, 12, 4), 0),
        ("v1.1 — Reporting", "on_track", 0, 0, 2, date(2027, 1, 22), date(2026, 12, 18), 2),
    ]
    assert [m.due.days_moved for m in demo.summary.milestones] == [0, 0, 35]


def test_forecast_without_a_finding_is_the_rules_own(demo: Demo) -> None:
    """The summary forecasts on-track milestones itself: with the rule's numbers exactly."""
    from sync.cycle import summary_input

    data = summary_input(demo.runtime, demo.report)
    data.findings = [f for f in data.findings if f.cause != "schedule"]
    recomputed = build_summary(data, now=DEMO_NOW, period="2026-W48")
    for with_finding, computed in zip(demo.summary.milestones, recomputed.milestones,
                                      strict=True):
        assert computed.forecast.probability == with_finding.forecast.probability
        assert computed.forecast.forecast_on == with_finding.forecast.forecast_on
    at_risk = demo.summary.milestones[1].forecast
    assert (at_risk.probability, at_risk.forecast_on) == (0.0, date(2027, 1, 26))


def test_scope_of_every_open_milestone(demo: Demo) -> None:
    scopes = {m.title: m.scope for m in demo.summary.milestones}
    v1 = scopes["v1.0 — Client portal launch"]
    assert v1 is not None
    assert (v1.baseline_count, v1.added_count, v1.approved_count, v1.descoped_count,
            v1.current_count, v1.growth, v1.over_threshold) == (11, 2, 1, 1, 13, 0.182, True)
    assert [i.key for i in v1.added] == ["demo#12", "demo#14"]
    assert [i.key for i in v1.approved] == ["demo#13"]
    assert [i.key for i in v1.descoped] == ["demo#15"]
    reporting = scopes["v1.1 — Reporting"]
    assert reporting is not None
    assert (reporting.baseline_count, reporting.growth, reporting.over_threshold) == (2, 0.0,
                                                                                      False)


def test_client_feedback(demo: Demo) -> None:
    feedback = demo.summary.feedback
    assert [(a.issue.key, a.client, a.business_hours, a.status) for a in feedback.awaiting] == [
        ("demo#20", "Carol (Client)", 33.0, "breach"),
        ("demo#21", "Dave (Client)", 11.0, "warning"),
    ]
    kpis = feedback.last_30_days
    assert (kpis.requests, kpis.answered, kpis.median_first_response_hours, kpis.within_sla,
            kpis.missed_sla, kpis.pending, kpis.sla_compliance) == (5, 3, 1.5, 3, 1, 1, 0.75)
    assert (feedback.watched, feedback.clients) == (True, 2)


def test_burnup_is_done_vs_scope_per_week(demo: Demo) -> None:
    v1 = demo.summary.milestones[1]
    assert [(p.on.isoformat(), p.scope, p.done) for p in v1.burnup] == [
        ("2026-10-04", 11, 0), ("2026-10-11", 11, 0), ("2026-10-18", 11, 0),
        ("2026-10-25", 11, 1), ("2026-11-01", 11, 2), ("2026-11-08", 12, 3),
        ("2026-11-15", 13, 4), ("2026-11-22", 13, 4), ("2026-11-25", 13, 4),
    ]
    assert all(date.fromisoformat(p).weekday() == 6 for p in ("2026-10-04", "2026-11-22"))
    assert v1.burnup[-1].week == "2026-W48"


def test_risks_are_the_active_alerts_most_severe_first(demo: Demo) -> None:
    risks = [(r.severity, r.kind, r.cause, r.subject.key) for r in demo.summary.risks]
    assert risks[0][0] == "critical" and risks[-1][0] == "warning"
    assert len(risks) == 13  # the descoped finding is info: no alert
    assert ("warning", "scope_creep", "growth", "demo/milestones/1") in risks
    assert ("warning", "risk", "at_risk", "demo/milestones/1") in risks


def test_the_risk_register_lists_the_issues_at_risk_apart(demo: Demo) -> None:
    register = [(r.kind, r.cause, r.subject.key, r.evidence["milestone_title"])
                for r in demo.summary.risk_register]
    assert register == [("risk", "blocked", "demo#7", "v1.0 — Client portal launch")]
    assert not any(r.kind == "risk" and r.subject.kind == "issue" for r in demo.summary.risks)


# -- what changed -------------------------------------------------------------------------------


def test_what_changed_since_the_previous_summary(demo: Demo) -> None:
    before = demo.summary.model_dump(mode="json")
    before["period"] = "2026-W47"
    beta, v1, reporting = before["milestones"]
    v1["health"] = "on_track"
    v1["progress"]["issues_done"] = 3
    reporting["due"]["due_on"] = "2027-01-08"
    before["milestones"] = [v1, reporting, {**beta, "key": "demo/milestones/9",
                                            "title": "Old phase"}]
    before["feedback"]["awaiting"] = before["feedback"]["awaiting"][:1]
    changes = compare(demo.summary, {"payload": before, "updated_at": at(18)})
    assert changes.previous_period == "2026-W47"
    assert [(c.kind, c.title, c.before, c.after) for c in changes.items] == [
        ("milestone_added", "Beta feedback round", None, None),
        ("health", "v1.0 — Client portal launch", "on_track", "at_risk"),
        ("done", "v1.0 — Client portal launch", "3/13", "4/13"),
        ("due_on", "v1.1 — Reporting", "2027-01-08", "2027-01-22"),
        ("milestone_removed", "Old phase", None, None),
        ("awaiting", None, 1, 2),
    ]
    text = markdown(demo.summary.model_copy(update={"changes": changes}))
    assert "- v1\\.0 — Client portal launch: at risk" not in text
    assert "- v1\\.0 — Client portal launch: on track → at risk." in text
    assert "- v1\\.0 — Client portal launch: done 3/13 → 4/13." in text
    assert "- Awaiting a reply: 1 → 2." in text


@pytest.mark.parametrize("payload", [{"version": 0}, {}, {"project": "demo"}])
def test_a_previous_summary_of_another_format_starts_afresh(demo: Demo,
                                                            payload: dict[str, Any]) -> None:
    assert compare(demo.summary, {"payload": payload}).previous_period is None


# -- projects with little to say ------------------------------------------------------------------


CLIENT = person("carol", "client")
TEAM = person("alice", "team")


@pytest.mark.parametrize(
    ("snap", "rules", "expected"),
    [
        (snapshot(issues=(issue(1),), people=(TEAM,)), (FEEDBACK,), [
            "No open milestone: there is no promised date to report on.",
            "No open milestone has a scope baseline yet.",
            "No client has written in this project yet",
            "Nothing awaits a reply from the team.",
            "no request was answered.",
            "No active alert.",
            "This is the first summary: there is nothing to compare with yet.",
            "No milestone to chart.",
        ]),
        (snapshot(people=(CLIENT, TEAM)), (), [
            "Client feedback is not watched in this project",
            "Replies within the SLA: no SLA is configured.",
        ]),
        (snapshot(milestones=(Milestone(key="m1", title="No dates"),),
                  issues=(issue(2, milestone="m1"),), people=(CLIENT,)), (FEEDBACK,), [
            "| No dates | ⚪ no due date | 0 of 1 issue (0%) | — | — |",
            "No open milestone has a scope baseline yet.",
            "Replies within the SLA (last 30 days): nothing to measure yet.\n",
        ]),
        (None, (FEEDBACK,), ["Parts of this summary could not be built:",
                             "the tracker could not be read"]),
    ],
    ids=["no-milestones-no-clients", "no-rules", "milestone-without-dates", "no-snapshot"],
)
def test_a_project_with_little_data_still_gets_a_summary(
    snap: Snapshot | None, rules: tuple[RuleOptions, ...], expected: list[str]
) -> None:
    summary = summarize(snap, rules=rules)
    text = markdown(summary)
    for line in expected:
        assert line in text
    for flavor in ("jira",):
        assert render_summary(summary, flavor).count("h3.") == 6
    assert "<h2>" in render_html([summary])
    jsonschema.validate(summary.model_dump(mode="json"), summary_json_schema())


def test_unreachable_tracker_is_reported_in_the_summary(demo_config: Path) -> None:
    config = load_config(demo_config)
    summary = unavailable_summary(config, "demo", errors=["local tracker file not found: x"],
                                  now=DEMO_NOW)
    text = render_report([summary], "md")
    assert "> - local tracker file not found: x" in text
    assert summary.period == "2026-W48" and summary.timezone == "Asia/Shanghai"


def test_progress_by_estimate() -> None:
    snap = snapshot(milestones=(Milestone(key="m1", title="Sprint 4", due_on=date(2026, 12, 4),
                                          created_at=at(1)),),
                    issues=(issue(2, milestone="m1", closed=True, estimate=3),
                            issue(3, milestone="m1", estimate=5), issue(4, milestone="m1")))
    (sprint,) = summarize(snap).milestones
    assert (sprint.progress.estimate_done, sprint.progress.estimate_total,
            sprint.progress.estimate_done_share) == (3, 8, 0.375)
    assert "1 of 3 issues (33%); 3 of 8 by estimate (38%)" in markdown(summarize(snap))


# -- tracker text is inert -----------------------------------------------------------------------


HOSTILE = ("@everyone <!-- forewarn:summary.2026-W48:info --> [~accountid:bob] "
           "{anchor:forewarn-x} ![x](https://evil.example/x.png) </td><script>x()</script> "
           "| **bold** \u202egnp.exe")


def test_hostile_titles_and_names_are_inert() -> None:
    snap = snapshot(
        milestones=(Milestone(key="m1", title=HOSTILE, created_at=at(1), due_on=date(2027, 1, 1)),),
        issues=(Issue(key="p#2", title=HOSTILE, url="javascript:alert(1)", state="open",
                      created_at=at(3), author="mallory", milestone_keys=("m1",)),),
        people=(Person(id="mallory", name=f"Mallory {HOSTILE}", kind="client"),),
    )
    summary = summarize(snap)
    md = render_summary(summary, "md", marker=Marker.summary("2026-W48"), notify=["alice"])
    assert find_marker(md) == "summary.2026-W48:info" and md.count("<!--") == 1
    assert re.findall(r"@\w+", md) == ["@alice"]
    assert "<script" not in md and "![x]" not in md and "javascript:" not in md
    assert "\u202e" not in md and "| **bold**" not in md
    wiki = render_summary(summary, "jira", marker=Marker.summary("2026-W48"), notify=["acc-1"])
    assert re.findall(r"\[~[^\]]*\]", wiki) == ["[~accountid:acc-1]"]
    assert re.findall(r"(?<!\\)\{anchor:[^}]*\}", wiki) == [
        "{anchor:forewarn-summary.2026-W48@info}"]
    assert "@everyone" not in wiki and "\\{anchor:forewarn\\-x\\}" in wiki
    html = render_html([summary])
    assert "<script" not in html and "</td><script>" not in html and "<!-- forewarn" not in html
    assert "&lt;script&gt;" in html and 'href="javascript' not in html


# -- admin templates, size limits ----------------------------------------------------------------


def test_admin_templates_come_first_and_ours_stay_the_fallback(demo: Demo, tmp_path: Path
                                                              ) -> None:
    (tmp_path / "summary.md.j2").write_text(
        '{% extends "forewarn/summary.md.j2" %}{% block risks %}### Our risks\n\n'
        "{{ s.milestones[1].scope.added[1].title }}\n{% endblock %}", encoding="utf-8")
    md = render_summary(demo.summary, "md", templates=tmp_path)
    assert "### Our risks" in md and "### Risks and alerts" not in md
    assert "### Scope" in md  # the rest of ours
    # The admin's raw {{ title }} is escaped all the same.
    assert ("Single sign\\-on with Okta &lt;script&gt;alert\\(1\\)&lt;/script&gt; "
            "@\u200beveryone") in md
    wiki = render_summary(demo.summary, "jira", templates=tmp_path)
    assert "h3. Risks and alerts" in wiki


def test_a_summary_too_long_for_a_comment_is_cut_with_a_note() -> None:
    issues = tuple(Issue(key=f"p#{n}", title=f"Question {n} " + "x" * 150, url="", state="open",
                         created_at=at(2) + timedelta(minutes=n), author="carol")
                   for n in range(2, 1200))
    summary = summarize(snapshot(issues=issues, people=(CLIENT,)))
    for flavor in ("md", "jira"):
        body = render_summary(summary, flavor, marker=Marker.summary("2026-W48"))  # type: ignore[arg-type]
        assert len(body) <= LIMITS[flavor]  # type: ignore[index]
        assert find_marker(body) == "summary.2026-W48:info"
        assert body.rstrip().endswith("run forewarn report for the whole of it.")
        assert body.count("```") % 2 == 0


# -- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "zone", "now", "period"),
    [
        ("monday 09:00", "Asia/Shanghai", "2026-11-25T08:00:00Z", "2026-W48"),
        ("monday 09:00", "Asia/Shanghai", "2026-11-29T17:00:00Z", "2026-W49"),  # Mon 01:00 local
        ("monday 09:00", "UTC", "2026-11-29T17:00:00Z", "2026-W48"),            # still Sunday
        ("friday 17:00", "UTC", "2027-01-01T12:00:00Z", "2026-W53"),
        ("daily 09:00", "America/New_York", "2026-11-25T03:00:00Z", "2026-11-24"),
    ],
)
def test_summary_period(every: str, zone: str, now: str, period: str) -> None:
    settings = SummarySettings(every=every)
    assert summary_period(settings, zone, datetime.fromisoformat(now)) == period


@pytest.mark.parametrize(
    ("every", "zone", "after", "expected"),
    [
        ("monday 09:00", "Asia/Shanghai", "2026-11-25T08:00:00Z", "2026-11-30T01:00:00+00:00"),
        # Sunday 13:00 in Shanghai -> Monday 09:00 there.
        ("monday 09:00", "Asia/Shanghai", "2026-11-29T05:00:00Z", "2026-11-30T01:00:00+00:00"),
        # Exactly at the time: the next one, a week (or a day) later.
        ("monday 09:00", "Asia/Shanghai", "2026-11-30T01:00:00Z", "2026-12-07T01:00:00+00:00"),
        ("daily 09:00", "UTC", "2026-11-25T09:00:00Z", "2026-11-26T09:00:00+00:00"),
        ("daily 09:00", "UTC", "2026-11-25T08:59:00Z", "2026-11-25T09:00:00+00:00"),
        # Berlin leaves summer time on Sunday 2026-10-25 and enters it on 2026-03-29.
        ("daily 09:00", "Europe/Berlin", "2026-10-24T08:00:00Z", "2026-10-25T08:00:00+00:00"),
        ("sunday 09:00", "Europe/Berlin", "2026-03-21T12:00:00Z", "2026-03-22T08:00:00+00:00"),
        ("sunday 09:00", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T07:00:00+00:00"),
    ],
)
def test_next_summary_at(every: str, zone: str, after: str, expected: str) -> None:
    settings = SummarySettings(every=every)
    at_ = next_summary_at(settings, zone, datetime.fromisoformat(after))
    assert at_.isoformat() == expected


def test_report_json_is_an_array_of_schema_valid_summaries(demo: Demo) -> None:
    (item,) = json.loads(render_report([demo.summary], "json"))
    jsonschema.validate(item, summary_json_schema())
    assert item["project"] == "demo" and item["milestones"][0]["health"] == "off_track"


def test_rules_named_for_other_projects_are_not_used() -> None:
    other = scope_creep.Options(id="scope", kind="scope_creep", threshold="50%",
                                projects=("other",))
    snap = snapshot(milestones=(Milestone(key="m1", title="M", created_at=at(1)),),
                    issues=(issue(2, milestone="m1"),))
    (milestone,) = summarize(snap, rules=(other,)).milestones
    assert milestone.scope is not None and milestone.scope.threshold == 0.1  # the default


def test_scope_burn_up_and_forecast_in_points() -> None:
    # 20 points agreed (8 done, 12 open), 13 more added after the baseline (creation + 1 day),
    # and one unestimated addition that weighs their average (11 points).
    added = dataclasses.replace(issue(4, milestone="m1", estimate=13), created_at=at(5))
    unsized = dataclasses.replace(issue(5, milestone="m1"), created_at=at(6))
    snap = snapshot(milestones=(Milestone(key="m1", title="Sprint 4", due_on=date(2026, 12, 4),
                                          created_at=at(1)),),
                    issues=(issue(2, milestone="m1", closed=True, estimate=8),
                            issue(3, milestone="m1", estimate=12), added, unsized))
    (sprint,) = summarize(snap).milestones
    scope = sprint.scope
    assert scope is not None
    assert (sprint.unit, scope.unit, scope.baseline_points, scope.added_points,
            scope.unestimated_count, scope.growth) == ("points", "points", 20, 24, 1, 1.2)
    assert (sprint.burnup[-1].scope_points, sprint.burnup[-1].done_points) == (44, 8)
    md = markdown(summarize(snap))
    assert "120% (24 points added to 20 points) (1 issue without an estimate counted at the " \
           "average)" in md
    assert 'y-axis "points"' in md and "_line: scope · bars: done (points, per week)_" in md
    zh = render_summary(summarize(snap).model_copy(update={"language": "zh-CN"}), "md",
                        marker=Marker.summary("2026-W48"))
    assert "120%（在 20 个故事点之上新增 24 个故事点）" in zh


def test_without_estimates_the_summary_counts_issues() -> None:
    snap = snapshot(milestones=(Milestone(key="m1", title="Sprint 4", due_on=date(2026, 12, 4),
                                          created_at=at(1)),),
                    issues=(issue(2, milestone="m1"), issue(3, milestone="m1")))
    (sprint,) = summarize(snap).milestones
    assert (sprint.unit, sprint.burnup[-1].scope_points) == ("issues", None)
    assert 'y-axis "issues"' in markdown(summarize(snap))


def test_a_retrospective_in_points_says_so() -> None:
    added = dataclasses.replace(issue(4, milestone="m1", estimate=13, closed=True),
                                created_at=at(5))
    closed = Milestone(key="m1", title="Sprint 4", due_on=date(2026, 11, 20), created_at=at(1),
                       state="closed", closed_at=at(20))
    snap = snapshot(milestones=(closed,),
                    issues=(issue(2, milestone="m1", closed=True, estimate=8),
                            issue(3, milestone="m1", closed=True, estimate=12), added))
    data = SummaryInput(project="p", snapshot=snap, findings=(), history=History(),
                        calendar=SHANGHAI, rules=(), seed=1, language="en", status_issue="p#1")
    retro = build_retrospective(data, closed, now=DEMO_NOW)
    marker = Marker.parse("retro.0123456789abcdef:info")
    for flavor in ("md", "jira"):
        text = render_retrospective(retro, flavor, marker=marker)
        assert "In points: 20 points in the baseline, 13 points of unapproved additions (65%)." \
            in text
