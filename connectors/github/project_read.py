"""Reading a GitHub Project (Projects v2, REST): its plan, its items, and what changed.

Two listings, at 100 a page, each revalidated with ``If-None-Match`` when it fits
one page (a 304 costs no rate limit and answers from the memo):

* ``GET /orgs/{owner}/projectsV2/{number}/fields`` (``/users/...`` when the owner is
  a user: asked once, on a 404, and remembered): the iteration field's iterations
  (each a milestone, due on its last day) or the single-select field's options
  (each a milestone, due on the latest ``due`` date of its items);
* ``GET .../items?fields=ID,…``: every item with the values of the named fields.

The timeline of an issue does not say when it joined an iteration, nor when an
iteration's dates moved: the memo keeps each item's group and each iteration's end
from one cycle to the next, and the difference becomes ``Change`` records
(``milestone`` for an item that joined, moved or left; ``due_on`` for an iteration
whose end moved). An item read for the first time joins at its ``created_at`` (when
it was added to the Project: it cannot have joined earlier). Issues whose place in
the plan changed are named in ``ProjectRead.touched`` so that the connector reads
them again. Draft items are records of their own (``connectors.model.draft_key``):
counted in the plan, never written to.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.base import Check, Memo
from connectors.errors import FatalError, NotFound, RecordSkipped, TrackerError
from connectors.github.http import Response, Transport, next_link
from connectors.github.project_parse import (
    Item,
    ProjectField,
    is_archived,
    parse_fields,
    parse_item,
)
from connectors.model import Change, Issue, Milestone

log = logging.getLogger(__name__)

PER_PAGE = 100
MEMO_OWNER = "project_owner"
MEMO_FIELDS = "project_fields"
MEMO_ITEMS = "project_items"
MEMO_PLAN = "project_plan"


@dataclass(frozen=True, slots=True)
class Board:
    """A GitHub Project as the config names it (``github_project``)."""

    owner: str
    number: int
    iteration: str | None = None
    group: str | None = None
    due: str | None = None
    estimate: str | None = None

    @property
    def prefix(self) -> str:
        return f"{self.owner}/projects/{self.number}"

    def __str__(self) -> str:
        return f"Project {self.owner}/{self.number}"

    def milestone_key(self, group: str) -> str:
        kind = "iterations" if self.iteration is not None else "options"
        return f"{self.prefix}/{kind}/{group}"

    def draft_key(self, item: int) -> str:
        """A draft's key (``acme/projects/5/drafts/17``): no ``#``, never an issue's."""
        return f"{self.prefix}/drafts/{item}"


@dataclass(frozen=True, slots=True)
class FieldIds:
    """The ids of the fields the config names; ``plan`` is the iteration or group field."""

    plan: ProjectField
    due: ProjectField | None
    estimate: ProjectField | None

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(f.id for f in (self.plan, self.due, self.estimate) if f is not None)


@dataclass
class ProjectRead:
    """What one read of the Project gives the connector."""

    milestones: tuple[Milestone, ...]
    #: Issue key -> its item (issues only; drafts are in ``drafts``).
    items: dict[str, Item]
    drafts: tuple[Issue, ...]
    changes: tuple[Change, ...]
    #: Issues whose place in the plan (group, due date, estimate) changed, or that left it.
    touched: frozenset[str]
    #: Whether the memo knew the Project (False: a first read; the repositories are read whole).
    known: bool
    skipped: list[str] = field(default_factory=list)

    @property
    def repos(self) -> frozenset[str]:
        return frozenset(key.rpartition("#")[0] for key in self.items)


def _memo_json(memo: Memo, key: str) -> Any:
    try:
        return json.loads(memo.get(key) or "null")
    except ValueError:
        return None


def _item_to(item: Item) -> list[Any]:
    return [item.id, item.repo, item.number, item.title, item.creator,
            item.created_at.isoformat(), item.updated_at.isoformat() if item.updated_at else None,
            item.group, item.due.isoformat() if item.due else None, item.estimate,
            item.pull_request]


def _item_from(row: list[Any]) -> Item:
    ident, repo, number, title, creator, created, updated, group, due, estimate, pull = row
    return Item(id=ident, repo=repo, number=number, title=title, creator=creator,
                created_at=datetime.fromisoformat(created),
                updated_at=datetime.fromisoformat(updated) if updated else None, group=group,
                due=date.fromisoformat(due) if due else None, estimate=estimate,
                pull_request=pull)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@dataclass(eq=False, kw_only=True)
class ProjectReader:
    """The Project of ``board``, read through one Transport."""

    http: Transport
    board: Board
    memo: Memo
    include_pull_requests: bool = False
    clock: Callable[[], datetime]

    # -- requests ---------------------------------------------------------------------

    def base(self) -> str:
        """``/orgs/{owner}/projectsV2/{number}`` or the ``/users/`` one: asked once."""
        kind = self.memo.get(MEMO_OWNER)
        if kind not in ("orgs", "users"):
            kind = self._owner_kind()
            self.memo.set(MEMO_OWNER, kind)
        return f"/{kind}/{self.board.owner}/projectsV2/{self.board.number}"

    def _owner_kind(self) -> str:
        for kind in ("orgs", "users"):
            path = f"/{kind}/{self.board.owner}/projectsV2/{self.board.number}/fields"
            if self.http.call("GET", path, params={"per_page": 1}, accept=(404,)).status != 404:
                return kind
        msg = (f"GitHub: {self.board} not found: no organisation or user {self.board.owner} "
               f"has a Project number {self.board.number} this account can see")
        raise NotFound(msg)

    def _listing(self, path: str, params: dict[str, Any], memo_key: str
                 ) -> tuple[list[Any] | None, str]:
        """A whole listing and the ETag to keep (a one-page listing's), or None when its one
        page is unchanged (304) since the memo's."""
        kept = _memo_json(self.memo, memo_key)
        etag = kept.get("etag") if isinstance(kept, dict) else None
        headers = {"If-None-Match": etag} if etag else None
        rows: list[Any] = []
        pages = 0
        first_etag = ""
        page: Response
        for page in self.http.pages(path, params, headers=headers):
            pages += 1
            if page.status == 304:
                return None, etag or ""
            if pages == 1:
                first_etag = page.headers.get("etag", "")
            if not isinstance(page.data, list):
                msg = f"GitHub: GET {path} answered {type(page.data).__name__}, expected a list"
                raise FatalError(msg)
            rows.extend(page.data)
        return rows, first_etag if pages == 1 else ""

    def fields(self) -> dict[str, ProjectField]:
        path = f"{self.base()}/fields"
        rows, etag = self._listing(path, {"per_page": PER_PAGE}, MEMO_FIELDS)
        kept = _memo_json(self.memo, MEMO_FIELDS)
        if rows is None and isinstance(kept, dict) and isinstance(kept.get("rows"), list):
            return parse_fields(kept["rows"])
        if rows is None:  # a 304 for rows the memo lost: ask again, unconditionally
            self.memo.set(MEMO_FIELDS, "")
            rows, etag = self._listing(path, {"per_page": PER_PAGE}, MEMO_FIELDS)
        self.memo.set(MEMO_FIELDS, json.dumps({"etag": etag, "rows": rows or []}))
        return parse_fields(rows or [])

    def field_ids(self, fields: dict[str, ProjectField]) -> FieldIds:
        """The named fields, each of the type it must be; a missing one is a fatal error."""
        board = self.board
        plan_name = board.iteration or board.group or ""
        plan = self._named(fields, plan_name, "iteration" if board.iteration else "single_select")
        due = self._named(fields, board.due, "date") if board.due else None
        estimate = self._named(fields, board.estimate, "number") if board.estimate else None
        return FieldIds(plan=plan, due=due, estimate=estimate)

    def _named(self, fields: dict[str, ProjectField], name: str, kind: str) -> ProjectField:
        found = fields.get(name.casefold())
        if found is None or found.data_type != kind:
            names = ", ".join(f"{f.name} ({f.data_type})" for f in fields.values()) or "none"
            what = (f"has no field {name!r} of type {kind}" if found is None else
                    f"has {name!r} as a {found.data_type} field, not {kind}")
            msg = f"GitHub: {self.board} {what} (its fields: {names})"
            raise FatalError(msg)
        return found

    def items(self, ids: FieldIds, skipped: list[str]) -> list[Item]:
        """Every item, page by page; each page the memo kept is revalidated with its ETag, so
        that an unchanged Project costs only 304s (free of rate limit)."""
        kept = _memo_json(self.memo, MEMO_ITEMS)
        old_pages = kept.get("pages") if isinstance(kept, dict) else None
        old = old_pages if isinstance(old_pages, list) else []
        url: str | None = f"{self.base()}/items"
        query: dict[str, Any] | None = {"per_page": PER_PAGE,
                                        "fields": ",".join(map(str, ids.ids))}
        pages: list[dict[str, Any]] = []
        items: list[Item] = []
        while url is not None:
            before = old[len(pages)] if len(pages) < len(old) else None
            found = self._page(url, query, before if isinstance(before, dict) else None,
                               ids, skipped)
            pages.append(found)
            items += [_item_from(row) for row in found["items"]]
            following = found["next"]
            if following is not None and any(p["url"] == following for p in pages):
                msg = f"GitHub: {self.board} items: pagination loops back to {following}"
                raise FatalError(msg)
            url, query = following, None
        self.memo.set(MEMO_ITEMS, json.dumps({"pages": pages}))
        return items

    def _page(self, url: str, query: dict[str, Any] | None, before: dict[str, Any] | None,
              ids: FieldIds, skipped: list[str]) -> dict[str, Any]:
        """One page of items as the memo keeps it: its URL, ETag, next URL and items."""
        shown = url + ("?" + urllib.parse.urlencode(query) if query else "")
        usable = before is not None and before.get("url") == shown and before.get("etag")
        headers = {"If-None-Match": str(before["etag"])} if usable and before else None
        response = self.http.call("GET", url, params=query, headers=headers)
        if response.status == 304 and usable and before is not None:
            return before
        if not isinstance(response.data, list):
            msg = f"GitHub: GET {url} answered {type(response.data).__name__}, expected a list"
            raise FatalError(msg)
        parsed = [_item_to(item) for item in self._parse(response.data, ids, skipped)]
        return {"url": shown, "etag": response.headers.get("etag", ""),
                "next": next_link(response.headers), "items": parsed}

    def _parse(self, rows: list[Any], ids: FieldIds, skipped: list[str]) -> Iterator[Item]:
        for raw in rows:
            if is_archived(raw):
                continue
            try:
                item = parse_item(raw, group=ids.plan.id,
                                  due=ids.due.id if ids.due else None,
                                  estimate=ids.estimate.id if ids.estimate else None)
            except RecordSkipped as error:
                ident = raw.get("id") if isinstance(raw, dict) else None
                log.warning("skipped %s item %s: %s", self.board, ident, error)
                skipped.append(f"{self.board} item {ident}: {error}")
                continue
            if item.pull_request and not self.include_pull_requests:
                continue
            yield item

    # -- the plan -----------------------------------------------------------------------

    def read(self) -> ProjectRead:
        """The plan now, and what changed in it since the memo's last read."""
        skipped: list[str] = []
        ids = self.field_ids(self.fields())
        items = self.items(ids, skipped)
        kept = _memo_json(self.memo, MEMO_PLAN)
        known = isinstance(kept, dict) and isinstance(kept.get("items"), dict)
        before: dict[str, Any] = kept if known else {"items": {}, "ends": {}, "seen": {}}
        now = self.clock()
        milestones = self._milestones(ids.plan, items, before, now)
        plan = _Diff(self.board, before, known=known, now=now)
        for item in items:
            plan.item(item)
        plan.gone()
        if self.board.iteration is not None:
            for iteration in ids.plan.iterations:
                plan.end(iteration.id, iteration.end, ids.plan.updated_at)
        self.memo.set(MEMO_PLAN, json.dumps(plan.after))
        return ProjectRead(
            milestones=milestones, items={_key(i): i for i in items if i.repo is not None},
            # Drafts that did not change are in the cache already: only the changed ones.
            drafts=tuple(self._draft(i) for i in items if i.repo is None and (
                not known or self.board.draft_key(i.id) in plan.touched)) + plan.left_drafts,
            changes=tuple(plan.changes), touched=frozenset(plan.touched), known=known,
            skipped=skipped)

    def _milestones(self, plan: ProjectField, items: list[Item], before: dict[str, Any],
                    now: datetime) -> tuple[Milestone, ...]:
        board = self.board
        today = now.date()
        if board.iteration is not None:
            return tuple(Milestone(
                key=board.milestone_key(it.id), title=it.title, kind="sprint",
                state="closed" if it.completed or it.end < today else "open",
                created_at=_midnight(it.start), start_on=_midnight(it.start), due_on=it.end,
                closed_at=_midnight(it.end + timedelta(days=1)) if it.end < today else None,
            ) for it in plan.iterations)
        seen = before.setdefault("seen", {})
        result = []
        for option, title in plan.options:
            first = seen.setdefault(option, now.isoformat())
            dues = [i.due for i in items if i.group == option and i.due is not None]
            result.append(Milestone(key=board.milestone_key(option), title=title,
                                    created_at=datetime.fromisoformat(first),
                                    due_on=max(dues) if dues else None))
        return tuple(result)

    def _draft(self, item: Item, *, left: bool = False) -> Issue:
        owner = "orgs" if self.memo.get(MEMO_OWNER) != "users" else "users"
        url = (f"https://github.com/{owner}/{self.board.owner}/projects/{self.board.number}"
               f"?pane=issue&itemId={item.id}")
        group = () if left or item.group is None else (self.board.milestone_key(item.group),)
        return Issue(key=self.board.draft_key(item.id), title=item.title, url=url, state="open",
                     created_at=item.created_at, author=item.creator or "ghost",
                     updated_at=item.updated_at, milestone_keys=group, due_on=item.due,
                     estimate=item.estimate)


def _key(item: Item) -> str:
    return f"{item.repo}#{item.number}"


class _Diff:
    """The plan kept in the memo against the plan read now: the changes between them."""

    def __init__(self, board: Board, before: dict[str, Any], *, known: bool,
                 now: datetime) -> None:
        self.board = board
        self.known = known
        self.now = now
        self.before_items: dict[str, Any] = dict(before.get("items") or {})
        self.before_ends: dict[str, Any] = dict(before.get("ends") or {})
        self.after: dict[str, Any] = {"items": {}, "ends": {}, "seen": before.get("seen") or {}}
        self.changes: list[Change] = []
        self.touched: set[str] = set()
        self.left_drafts: tuple[Issue, ...] = ()

    def _record_key(self, item: Item) -> str:
        return _key(item) if item.repo is not None else self.board.draft_key(item.id)

    def item(self, item: Item) -> None:
        key = self._record_key(item)
        group = self.board.milestone_key(item.group) if item.group else None
        shape = [key, group, item.due.isoformat() if item.due else None, item.estimate,
                 item.title, item.created_at.isoformat()]
        self.after["items"][str(item.id)] = shape
        old = self.before_items.get(str(item.id))
        old_group = old[1] if isinstance(old, list) and len(old) > 1 else None
        if old is None or old[:4] != shape[:4]:
            self.touched.add(key)
        if group == old_group:
            return
        # A new item joined when it was added to the Project; a moved one when it was edited.
        at = item.created_at if old is None else (item.updated_at or self.now)
        if not self.known:
            at = item.created_at
        self.changes.append(Change(issue_key=key, field="milestone", at=at, before=old_group,
                                   after=group))

    def gone(self) -> None:
        """Items the memo knew that the Project no longer holds (removed or archived)."""
        left: list[Issue] = []
        for ident, old in self.before_items.items():
            if ident in self.after["items"] or not isinstance(old, list) or len(old) < 6:
                continue
            key, group = old[0], old[1]
            self.touched.add(key)
            if group is not None:
                self.changes.append(Change(issue_key=key, field="milestone", at=self.now,
                                           before=group, after=None))
            if "#" not in key:  # a draft: its record stays, out of the plan
                left.append(Issue(key=key, title=old[4], url="", state="open",
                                  created_at=datetime.fromisoformat(old[5]), author="ghost"))
        self.left_drafts = tuple(left)

    def end(self, iteration: str, end: date, updated: datetime | None) -> None:
        """An iteration whose last day moved since the memo saw it: a ``due_on`` change."""
        self.after["ends"][iteration] = end.isoformat()
        old = self.before_ends.get(iteration)
        if old is not None and old != end.isoformat():
            self.changes.append(Change(issue_key=self.board.milestone_key(iteration),
                                       field="due_on", at=updated or self.now, before=old,
                                       after=end.isoformat()))


PROJECT_HINT = ("check github_project's owner and number, and that the token may read "
                "Projects (classic: read:project; fine-grained: Projects: read)")
#: Which field of the Project each ``github_project`` key names, and its type.
FIELD_KEYS = (("iteration", "iteration"), ("group", "single_select"), ("due", "date"),
              ("estimate", "number"))


def project_checks(reader: ProjectReader) -> list[Check]:
    """``check-config --connect``: the Project is there, and each field the config names is,
    of the type it must be (GETs only)."""
    board = reader.board
    try:
        fields = reader.fields()
    except TrackerError as error:
        return [Check("project", False, str(error).removeprefix("GitHub: "), PROJECT_HINT)]
    owner = "a user's" if reader.memo.get(MEMO_OWNER) == "users" else "an organisation's"
    checks = [Check("project", True, f"{board} found ({owner}), {len(fields)} fields")]
    for key, kind in FIELD_KEYS:
        name = getattr(board, key)
        if name is None:
            continue
        found = fields.get(name.casefold())
        if found is not None and found.data_type == kind:
            many = (len(found.iterations), "iteration") if kind == "iteration" else (
                len(found.options), "option")
            count = (f": {many[0]} {many[1]}{'' if many[0] == 1 else 's'}"
                     if kind in ("iteration", "single_select") else "")
            checks.append(Check(f"field {key}", True, f"{found.name} ({kind}){count}"))
            continue
        article = "an" if found is not None and found.data_type[0] in "aeiou" else "a"
        what = "not found" if found is None else f"is {article} {found.data_type} field"
        others = [f.name for f in fields.values() if f.data_type == kind]
        hint = (f"write github_project.{key}: " + " or ".join(others) if others else
                f"add a {kind} field to the Project, or leave {key} out")
        checks.append(Check(f"field {key}", False, f"{name!r} {what}: {key} names a {kind} "
                            "field", hint))
    return checks
