"""Small factories for rule tests: records with sensible defaults, times on a fixed week.

``T0`` is Monday 2026-03-02 00:00 UTC; ``at(day, hour)`` counts from it. Nothing
here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from connectors.model import PUBLIC, Change, Comment, Issue, Milestone, Person, Snapshot, Visibility
from rules.base import DueDateSeen, History, RuleContext
from rules.calendar import BusinessCalendar

T0 = datetime(2026, 3, 2, tzinfo=UTC)
REPO = "acme/portal"
UTC_CALENDAR = BusinessCalendar()


class Factory:
    """``mk.issue(3)`` is ``acme/portal#3``; ``mk.milestone(1)`` is ``acme/portal/milestones/1``."""

    T0 = T0

    @staticmethod
    def at(day: float = 0, hour: float = 0, minute: float = 0, second: float = 0) -> datetime:
        return T0 + timedelta(days=day, hours=hour, minutes=minute, seconds=second)

    @staticmethod
    def issue_key(number: int) -> str:
        return f"{REPO}#{number}"

    @staticmethod
    def milestone_key(number: int) -> str:
        return f"{REPO}/milestones/{number}"

    def issue(
        self,
        number: int,
        *,
        created_at: datetime | None = None,
        author: str = "carol",
        state: str = "open",
        closed_at: datetime | None = None,
        labels: Iterable[str] = (),
        milestones: Iterable[int] = (),
        due_on: date | None = None,
        assignees: Iterable[str] = (),
        priority: str | None = None,
        title: str | None = None,
    ) -> Issue:
        return Issue(
            key=self.issue_key(number),
            title=title if title is not None else f"Issue {number}",
            url=f"https://github.com/{REPO}/issues/{number}",
            state="closed" if state == "closed" else "open",
            created_at=created_at if created_at is not None else T0,
            author=author,
            closed_at=closed_at,
            labels=tuple(labels),
            milestone_keys=tuple(self.milestone_key(m) for m in milestones),
            due_on=due_on,
            assignees=tuple(assignees),
            priority=priority,
        )

    def milestone(
        self,
        number: int,
        *,
        created_at: datetime | None = T0,
        start_on: datetime | None = None,
        due_on: date | None = None,
        state: str = "open",
        title: str | None = None,
    ) -> Milestone:
        return Milestone(
            key=self.milestone_key(number),
            title=title if title is not None else f"Milestone {number}",
            state="closed" if state == "closed" else "open",
            created_at=created_at,
            start_on=start_on,
            due_on=due_on,
        )

    def comment(
        self,
        comment_id: str,
        issue: int,
        author: str,
        created_at: datetime,
        *,
        is_ours: bool = False,
        visibility: Visibility = PUBLIC,
    ) -> Comment:
        return Comment(
            id=comment_id,
            issue_key=self.issue_key(issue),
            author=author,
            created_at=created_at,
            is_ours=is_ours,
            visibility=visibility,
        )

    def join(self, issue: int, milestone: int | None, at: datetime,
             before: int | None = None) -> Change:
        """A milestone change of ``issue`` from ``before`` to ``milestone`` (None = removed)."""
        return Change(
            issue_key=self.issue_key(issue),
            field="milestone",
            at=at,
            before=self.milestone_key(before) if before is not None else None,
            after=self.milestone_key(milestone) if milestone is not None else None,
        )

    def label(self, issue: int, at: datetime, *, added: str | None = None,
              removed: str | None = None) -> Change:
        return Change(issue_key=self.issue_key(issue), field="label", at=at, before=removed,
                      after=added)

    @staticmethod
    def people(**kinds: str) -> dict[str, Person]:
        """``people(carol="client")``: display names are the capitalised id plus the kind."""
        return {
            person_id: Person(id=person_id, name=f"{person_id.title()} {kind.title()}",
                              kind=kind)  # type: ignore[arg-type]
            for person_id, kind in kinds.items()
        }

    @staticmethod
    def snapshot(
        *,
        issues: Iterable[Issue] = (),
        milestones: Iterable[Milestone] = (),
        comments: Iterable[Comment] = (),
        changes: Iterable[Change] = (),
        people: Mapping[str, Person] | None = None,
        project: str = "portal",
    ) -> Snapshot:
        return Snapshot(
            project=project,
            fetched_at=T0,
            issues=tuple(issues),
            milestones=tuple(milestones),
            comments=tuple(comments),
            changes=tuple(changes),
            people=dict(people or {}),
        )

    @staticmethod
    def ctx(
        now: datetime,
        *,
        calendar: BusinessCalendar | None = None,
        due_dates: Mapping[str, Iterable[tuple[datetime, date | None]]] | None = None,
        seed: int = 0,
    ) -> RuleContext:
        history = History(
            due_dates={
                key: tuple(DueDateSeen(seen_at=seen_at, due_on=due_on) for seen_at, due_on in seen)
                for key, seen in (due_dates or {}).items()
            }
        )
        return RuleContext(now=now, calendar=calendar or UTC_CALENDAR, history=history,
                           seed=seed)


def reversed_snapshot(snapshot: Snapshot) -> Snapshot:
    """The same project listed in the opposite order (rules must not care)."""
    return Snapshot(
        project=snapshot.project,
        fetched_at=snapshot.fetched_at,
        issues=snapshot.issues[::-1],
        milestones=snapshot.milestones[::-1],
        comments=snapshot.comments[::-1],
        changes=snapshot.changes[::-1],
        people=dict(reversed(list(snapshot.people.items()))),
    )


@pytest.fixture
def mk() -> Factory:
    return Factory()


@pytest.fixture
def reverse() -> Any:
    return reversed_snapshot
