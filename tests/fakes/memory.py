"""A World as a Connector, without HTTP: what the property tests drive with the real sync layer."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import (
    AccessReport,
    AccessRequest,
    Check,
    FetchProgress,
    FetchResult,
    Markup,
    RemoteComment,
)
from connectors.markers import Marker, find_marker, is_acked
from connectors.model import (
    Change,
    Comment,
    Issue,
    Membership,
    Milestone,
    Person,
    Snapshot,
    Visibility,
)
from tests.fakes.world import DONE, Event, WComment, World


class MemoryConnector:
    """The Connector protocol over a World; issue keys are ``{project}#{number}``."""

    markup: Markup = "markdown"

    def __init__(self, world: World, *, project: str = "mem") -> None:
        self.world = world
        self.project = project
        self.repo = project

    def key(self, number: int) -> str:
        return f"{self.repo}#{number}"

    def number(self, key: str) -> int:
        return int(key.rpartition("#")[2])

    def _milestone_key(self, number: int | str) -> str:
        return f"{self.repo}/milestones/{number}"

    def whoami(self) -> str:
        return self.world.me

    def check_access(self, request: AccessRequest) -> AccessReport:
        keys = {self.key(number) for number in self.world.issues}
        return AccessReport(tuple(Check(name, key in keys, key) for name, key, _ in
                                  request.targets), identity=f"memory:{self.project}")

    def fetch(self, cursor: str | None, *, progress: FetchProgress | None = None) -> FetchResult:
        world = self.world
        people = {p.id: Person(id=p.id, name=p.name, email=p.email, association=p.association)
                  for p in world.people.values()}
        issues = tuple(
            Issue(key=self.key(i.number), title=i.title,
                  url=f"https://tracker.example/{self.repo}/issues/{i.number}", state="open"
                  if i.state == "open" else "closed", created_at=i.created, author=i.author,
                  closed_at=i.closed, updated_at=i.updated, labels=tuple(i.labels),
                  assignees=tuple(i.assignees),
                  milestone_keys=(self._milestone_key(i.milestone),) if i.milestone else ())
            for i in world.issues.values()
        )
        milestones = tuple(
            Milestone(key=self._milestone_key(m.number), title=m.title, state="open"
                      if m.state == "open" else "closed", created_at=m.created, due_on=m.due)
            for m in world.milestones.values()
        )
        comments = tuple(self._comment(c) for c in world.comments.values())
        changes = tuple(self._change(e) for e in world.events)
        snapshot = Snapshot(project=self.project, fetched_at=world.clock(), issues=issues,
                            milestones=milestones, comments=comments, changes=changes,
                            people=people)
        return FetchResult(snapshot=snapshot, cursor=None, complete=True)

    def _change(self, e: Event) -> Change:
        before, after = e.before, e.after
        if e.field == "milestone":
            before = self._milestone_key(before) if before else None
            after = self._milestone_key(after) if after else None
        if e.field == "status":
            before, after = (None if s is None else "closed" if s == DONE else "open"
                             for s in (before, after))
            return Change(self.key(e.number), "state", e.at, before=before, after=after,
                          actor=e.actor)
        return Change(self.key(e.number), e.field, e.at, before=before,  # type: ignore[arg-type]
                      after=after, actor=e.actor)

    def _comment(self, c: WComment) -> Comment:
        ours = c.author == self.world.me
        return Comment(id=str(c.id), issue_key=self.key(c.number), author=c.author,
                       created_at=c.created, updated_at=c.updated, body_excerpt=c.body[:500],
                       is_ours=ours, marker=find_marker(c.body) if ours else None,
                       acked=is_acked(c.body) if ours else False, visibility=c.visibility)

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        tables = {"role": self.world.roles, "group": self.world.groups}
        return {ref: frozenset(tables[ref.kind].get(ref.name, ())) for ref in groups}

    requests_made = 0
    rate_limit = None

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        tag = marker.tag(self.markup)
        for c in self.world.comments_on(self.number(issue_key)):
            if c.author == self.world.me and tag in c.body:
                return RemoteComment(id=str(c.id), issue_key=issue_key, body=c.body)
        return None

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        body = marker.stamp(body, self.markup)
        kept = self.world.post(self.number(issue_key), self.world.me, body,
                               **({"visibility": visibility} if visibility else {}))
        return str(kept.id)

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        self.world.edit(int(comment_id), body, visibility=visibility)

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        for label in labels:
            self.world.add_label(self.number(issue_key), label, self.world.me)

    def remove_label(self, issue_key: str, label: str) -> None:
        self.world.remove_label(self.number(issue_key), label, self.world.me)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        self.world.create_label(name, color=color, description=description)
