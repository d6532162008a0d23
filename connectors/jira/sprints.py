"""A board's sprints at the cost of the ones that can still change.

A board of two years holds a hundred closed sprints and two or three open
ones; listing them all costs a request per 50 on every cycle. Closed sprints
do not change, so a board's sprints are listed whole once, and after that
only ``state=active,future`` (the Agile API's documented filter), the closed
ones coming from the connector's memo (``sprints:<board>``: the closed
sprints and the ids of the open ones last seen).

A sprint that was open last time and is missing from the open list now has
closed (or was deleted) since: it alone is read again
(``GET /rest/agile/1.0/sprint/{id}``, one request the cycle it closes), so its
completion date, end date and final name are the tracker's. Issues' sprint
history comes from their changelogs, not from here, so it is unaffected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Memo
from connectors.codec import milestone_from, milestone_to
from connectors.errors import FatalError
from connectors.jira import pages
from connectors.jira.milestones import sprint_key
from connectors.model import Milestone

log = logging.getLogger(__name__)

#: Agile API lists (boards, sprints) cap at 50 per page.
AGILE_PAGE = 50


@dataclass
class KnownSprints:
    """What the memo keeps of one board: its closed sprints, the ids of its open ones."""

    closed: list[Milestone] = field(default_factory=list)
    open_ids: list[str] = field(default_factory=list)

    @classmethod
    def loads(cls, text: str | None) -> KnownSprints | None:
        """None when the memo has nothing (or nothing readable): list the board whole."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(closed=[milestone_from(item) for item in data["closed"]],
                       open_ids=[str(ident) for ident in data["open_ids"]])
        except (ValueError, TypeError, KeyError) as error:
            log.warning("the sprints kept in the memo cannot be read (%s): listing them all",
                        error)
            return None

    def dumps(self) -> str:
        return json.dumps({"closed": [milestone_to(m) for m in self.closed],
                           "open_ids": self.open_ids}, ensure_ascii=False, sort_keys=True)


@dataclass(eq=False)
class BoardSprints:
    """One board's sprints, read through ``get`` (the connector's retried GET)."""

    get: pages.Getter
    memo: Memo
    site: str
    board: int
    #: raw sprint -> Milestone (raises KeyError/TypeError/ValueError on bad data)
    parse: Callable[[Any], Milestone]
    #: raw sprint -> whether it is this board's (a board lists shared sprints too)
    ours: Callable[[Any], bool]
    skipped: list[str]

    @property
    def memo_key(self) -> str:
        return f"sprints:{self.board}"

    def read(self) -> list[Milestone]:
        known = KnownSprints.loads(self.memo.get(self.memo_key))
        path = f"/rest/agile/1.0/board/{self.board}/sprint"
        if known is None:
            sprints = self._parse_each(self._list(path, None))
            known = KnownSprints(closed=[m for m in sprints if m.state == "closed"])
            opened = [m for m in sprints if m.state != "closed"]
        else:
            opened = self._parse_each(self._list(path, "active,future"))
            listed = {m.key for m in opened}
            for ident in known.open_ids:
                if sprint_key(ident) not in listed:
                    known.closed += self._closed_since(ident)
        known.open_ids = [m.key.removeprefix("sprint:") for m in opened]
        closed = {m.key: m for m in known.closed if m.key not in {o.key for o in opened}}
        known.closed = list(closed.values())
        self.memo.set(self.memo_key, known.dumps())
        return [*known.closed, *opened]

    def _list(self, path: str, state: str | None) -> list[Any]:
        def get(where: str, params: dict[str, Any]) -> dict[str, Any]:
            return self.get(where, {**params, "state": state} if state else params)

        listing = pages.start_at_list(get, path, "values", size=AGILE_PAGE, site=self.site)
        return [raw for raw in listing if self.ours(raw)]

    def _closed_since(self, ident: str) -> list[Milestone]:
        """A sprint open last time and no longer listed as open: read it once more."""
        path = f"/rest/agile/1.0/sprint/{ident}"
        try:
            raw = self.get(path, {})
        except FatalError as error:  # deleted, or moved where we may not read it
            log.info("Jira %s: sprint %s is gone: %s", self.site, ident, error)
            return []
        return [m for m in self._parse_each([raw]) if m.state == "closed"]

    def _parse_each(self, listing: list[Any]) -> list[Milestone]:
        found: list[Milestone] = []
        for raw in listing:
            try:
                found.append(self.parse(raw))
            except (KeyError, TypeError, ValueError) as err:
                name = f"sprint {raw.get('id') if isinstance(raw, dict) else '?'}"
                log.warning("Jira %s: skipping %s: %s", self.site, name, err)
                self.skipped.append(f"{name}: {err}")
        return found
