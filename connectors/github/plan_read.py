"""One plan over several repositories, and a GitHub Project over them.

``repos: [acme/web, acme/api]``: each repository is read as one repository is
(``read.py``: milestones, issues, and comments and events only when an issue
changed), each with its own part of the memo (keys prefixed with the repository's
name; the home repository, the first, keeps the plain keys). Milestones are merged
by title (case-insensitive): the first repository's key stands for all, due on the
earliest of their due dates, open while any is open; issues and milestone changes
are mapped to it.

``github_project``: the Project is read first (``project_read.py``); the
repositories of its items are read too (an item's repository that the config does
not name contributes its items' issues only), each issue of the plan gets its
iteration or group as a milestone, its ``due`` date and its ``estimate``; an issue
whose place in the plan changed without the issue changing is read again alone
(``GET /repos/{owner}/{repo}/issues/{n}``); drafts come as records of their own.

The cursor is the newest issue ``updated_at`` seen in any repository, never past
the server's ``Date`` when the first of this fetch's issue listings began: an
issue edited in one repository while another was read is read again next time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import FetchResult, Memo
from connectors.errors import RecordSkipped
from connectors.github.http import Response, Transport
from connectors.github.parse import add_person, describe, format_timestamp, parse_issue
from connectors.github.project_read import Board, ProjectRead, ProjectReader
from connectors.github.read import FetchRun, Reader, server_date
from connectors.github.resume import first_sync
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot, parse_utc

log = logging.getLogger(__name__)

MEMO_REPOS = "plan_repos"


class PrefixedMemo:
    """A repository's own part of the connector's memo."""

    def __init__(self, memo: Memo, prefix: str) -> None:
        self.memo = memo
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        return self.memo.get(self.prefix + key)

    def set(self, key: str, value: str) -> None:
        self.memo.set(self.prefix + key, value)


@dataclass
class Part:
    """What one repository gave this fetch."""

    repo: str
    issues: tuple[Issue, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    comments: tuple[Comment, ...] = ()
    changes: tuple[Change, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    #: The newest issue ``updated_at`` read, and the server's time the listing began.
    newest: datetime | None = None
    began: datetime | None = None
    partial: str | None = None
    complete: bool = True


def merge_milestones(parts: list[Part]) -> tuple[tuple[Milestone, ...], dict[str, str]]:
    """Milestones merged by title, and each merged key -> the key that stands for it."""
    by_title: dict[str, list[Milestone]] = {}
    for part in parts:
        for milestone in part.milestones:
            by_title.setdefault(milestone.title.casefold(), []).append(milestone)
    merged: list[Milestone] = []
    renamed: dict[str, str] = {}
    for same in by_title.values():
        first = same[0]
        for other in same[1:]:
            renamed[other.key] = first.key
        dues = [m.due_on for m in same if m.due_on is not None]
        created = [m.created_at for m in same if m.created_at is not None]
        closed = [m.closed_at for m in same if m.closed_at is not None]
        still_open = any(m.state == "open" for m in same)
        merged.append(dataclasses.replace(
            first, due_on=min(dues) if dues else None,
            created_at=min(created) if created else None, state="open" if still_open else
            "closed", closed_at=None if still_open or not closed else max(closed)))
    return tuple(merged), renamed


def _renamed(issue: Issue, renamed: Mapping[str, str]) -> Issue:
    keys = tuple(dict.fromkeys(renamed.get(k, k) for k in issue.milestone_keys))
    return issue if keys == issue.milestone_keys else dataclasses.replace(issue,
                                                                          milestone_keys=keys)


def _renamed_change(change: Change, renamed: Mapping[str, str]) -> Change:
    if change.field != "milestone":
        return change
    return dataclasses.replace(
        change, before=renamed.get(change.before or "", change.before),
        after=renamed.get(change.after or "", change.after))


@dataclass(eq=False, kw_only=True)
class PlanReader:
    """The repositories of one plan (``repos``, the first the home one) and its Project."""

    http: Transport
    repos: tuple[str, ...]
    board: Board | None
    memo: Memo
    include_pull_requests: bool
    whoami: Callable[[], str]
    clock: Callable[[], datetime]
    project: str
    #: Repositories of the team's issues (the status issue): read whole like those named.
    team_repos: tuple[str, ...] = ()
    _readers: dict[str, Reader] = field(default_factory=dict, init=False)

    def reader(self, repo: str) -> Reader:
        if repo not in self._readers:
            home = bool(self.repos) and repo.casefold() == self.repos[0].casefold()
            memo = self.memo if home else PrefixedMemo(self.memo, f"{repo}:")
            self._readers[repo] = Reader(http=self.http, repo=repo, memo=memo,
                                         include_pull_requests=self.include_pull_requests,
                                         whoami=self.whoami)
        return self._readers[repo]

    def project_reader(self) -> ProjectReader | None:
        if self.board is None:
            return None
        return ProjectReader(http=self.http, board=self.board, memo=self.memo,
                             include_pull_requests=self.include_pull_requests, clock=self.clock)

    def known_repos(self) -> list[str]:
        """Every repository forewarn has read for this plan (kept in the memo)."""
        try:
            kept = json.loads(self.memo.get(MEMO_REPOS) or "[]")
        except ValueError:
            return []
        return [name for name in kept if isinstance(name, str)] if isinstance(kept, list) else []

    def fetch(self, since: datetime | None) -> FetchResult:
        started = self.http.requests_made
        reader = self.project_reader()
        plan = reader.read() if reader is not None else None
        whole = since is None or (plan is not None and not plan.known)
        known = {name.casefold() for name in self.known_repos()}
        repos = list(self.repos)
        if plan is not None:
            repos += [name for name in self.team_repos
                      if name.casefold() not in {r.casefold() for r in repos}]
            named = {name.casefold() for name in repos}
            repos += sorted(name for name in plan.repos if name.casefold() not in named)
        parts = [self._since(repo, since) if since is not None and not whole
                 and repo.casefold() in known else self._whole(repo) for repo in repos]
        self.memo.set(MEMO_REPOS, json.dumps(repos))
        return self._result(parts, plan, since=None if whole else since, started=started)

    # -- one repository -------------------------------------------------------------------

    def _whole(self, repo: str) -> Part:
        fetched = first_sync(self.reader(repo), self.http, clock=self.clock,
                             project=self.project)
        snapshot = fetched.snapshot
        cursor = parse_utc(fetched.cursor) if fetched.cursor else None
        return Part(repo=repo, issues=snapshot.issues, milestones=snapshot.milestones,
                    comments=snapshot.comments, changes=snapshot.changes,
                    people=dict(snapshot.people), skipped=fetched.skipped, newest=cursor,
                    began=cursor, partial=fetched.progress if fetched.partial else None,
                    complete=fetched.complete)

    def _since(self, repo: str, since: datetime) -> Part:
        reader = self.reader(repo)
        run = FetchRun()
        milestones = reader.milestones(run, conditional=True)
        history = reader.history(milestones)
        began: list[datetime] = []

        def pages(path: str, params: Mapping[str, Any]) -> Iterator[Response]:
            for page in self.http.pages(path, params):
                when = server_date(page.headers)
                if not began and when is not None:
                    began.append(when)
                yield page

        issues, changed, newest = reader.issues(run, since, pages=pages)
        comments: tuple[Comment, ...] = ()
        changes: tuple[Change, ...] = ()
        if changed:
            comments = reader.comments(run, since)
            changes = reader.events(run, since, history)
        return Part(repo=repo, issues=issues, milestones=milestones, comments=comments,
                    changes=changes, people=run.people, skipped=tuple(run.skipped),
                    newest=newest, began=began[0] if began else None, complete=False)

    # -- the plan ---------------------------------------------------------------------------

    def _cursor(self, parts: list[Part], since: datetime | None) -> str | None:
        newest = [p.newest for p in parts if p.newest is not None]
        began = [p.began for p in parts if p.began is not None]
        high = max([*newest, *([since] if since else [])], default=None)
        if high is None:
            return format_timestamp(min(began)) if began else format_timestamp(self.clock())
        if began:
            high = min(high, min(began))
        return format_timestamp(high)

    def _result(self, parts: list[Part], plan: ProjectRead | None, *, since: datetime | None,
                started: int) -> FetchResult:
        milestones, renamed = merge_milestones(parts)
        named = {name.casefold() for name in (*self.repos, *self.team_repos)}
        issues: dict[str, Issue] = {}
        comments: list[Comment] = []
        changes: list[Change] = []
        people: dict[str, Person] = {}
        skipped: list[str] = [*plan.skipped] if plan is not None else []
        for part in parts:
            keep = self._keep(part.repo, named, plan)
            issues.update((i.key, _renamed(i, renamed)) for i in part.issues if keep(i.key))
            comments += [c for c in part.comments if keep(c.issue_key)]
            changes += [_renamed_change(c, renamed) for c in part.changes if keep(c.issue_key)]
            for person in part.people.values():
                add_person(people, person)
            skipped += part.skipped
        if plan is not None:
            run = FetchRun()
            self._reread(plan, issues, run)
            for person in run.people.values():
                add_person(people, person)
            skipped += run.skipped
            issues = {key: self._placed(issue, plan) for key, issue in issues.items()}
            issues.update((d.key, d) for d in plan.drafts)
            milestones += plan.milestones
            changes += plan.changes
        partial = [p.partial for p in parts if p.partial]
        snapshot = Snapshot(project=self.project, fetched_at=self.clock(),
                            issues=tuple(issues.values()), milestones=milestones,
                            comments=tuple(comments), changes=tuple(changes), people=people)
        return FetchResult(
            snapshot=snapshot, cursor=None if partial else self._cursor(parts, since),
            complete=since is None and all(p.complete for p in parts), skipped=tuple(skipped),
            requests=self.http.requests_made - started, partial=bool(partial),
            progress="; ".join(partial) or None)

    @staticmethod
    def _keep(repo: str, named: set[str], plan: ProjectRead | None) -> Callable[[str], bool]:
        """Records of a repository the config names; of another one, its plan's issues only."""
        if repo.casefold() in named or plan is None:
            return lambda _key: True
        return lambda key: key in plan.items

    def _reread(self, plan: ProjectRead, issues: dict[str, Issue], run: FetchRun) -> None:
        """Issues whose place in the plan changed while they did not: read one by one."""
        for key in sorted(plan.touched):
            repo, sep, number = key.rpartition("#")
            if not sep or key in issues or not number.isdigit():
                continue
            response = self.http.call("GET", f"/repos/{repo}/issues/{number}", accept=(404, 410))
            if response.status in (404, 410):
                log.info("GitHub %s: %s is gone (%s)", repo, key, response.status)
                continue
            try:
                parsed = parse_issue(response.data, repo)
            except RecordSkipped as error:
                run.skip(describe("issue", response.data, repo), error)
                continue
            for person in parsed.people:
                add_person(run.people, person)
            issues[key] = parsed.issue

    def _placed(self, issue: Issue, plan: ProjectRead) -> Issue:
        """An issue with its place in the Project: its iteration or group, due date, size."""
        item = plan.items.get(issue.key)
        board = self.board
        if item is None or board is None:
            return issue
        keys = issue.milestone_keys
        if item.group is not None:
            keys = (*keys, board.milestone_key(item.group))
        return dataclasses.replace(
            issue, milestone_keys=keys, due_on=item.due or issue.due_on,
            estimate=item.estimate if item.estimate is not None else issue.estimate)
