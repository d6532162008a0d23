"""Reading one Jira project: the issues and milestones behind ``JiraConnector.fetch``.

Issues by JQL with ``expand=changelog`` (Cloud: enhanced search
``/rest/api/2/search/jql`` paged by ``nextPageToken``; Data Center: classic
``/rest/api/2/search`` paged by ``startAt``), a capped changelog completed for
that issue only, comments as wiki strings; then the board's sprints or the
project's versions (only the open sprints once the closed ones are known:
``sprints.py``). jira's own ``enhanced_search_issues`` silently returns
None unless the client learnt "Cloud" from serverInfo: we call the endpoint
ourselves. A record that cannot be read is skipped (logged, and listed in the
fetch's ``skipped``) and the fetch goes on.

Internal notes: Cloud marks them in every comment it sends (``jsdPublic``).
Data Center keeps the mark only in a comment property, which no search embeds:
on a Service Management project there, an issue with new comments has its
comments listed again with ``expand=properties`` (one request per such issue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from connectors.errors import FatalError
from connectors.jira import changelog as jc
from connectors.jira import pages
from connectors.jira import parse as jp
from connectors.jira.epics import EpicBook, epic_milestone, is_epic
from connectors.jira.facts import SiteFacts
from connectors.jira.fields import FieldIds, search_fields
from connectors.jira.http import JiraHttp
from connectors.jira.milestones import (
    MilestoneMode,
    reads,
    sprint_milestone,
    version_milestone,
)
from connectors.jira.pages import Getter
from connectors.jira.sprints import BoardSprints
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot

log = logging.getLogger(__name__)

#: Issues, changelog entries and comments per page (the documented maximum).
PAGE = 100
#: Agile API lists (boards, sprints) cap at 50 per page.
AGILE_PAGE = 50


@dataclass
class Found:
    """What one fetch gathered from the search, by issue key.

    An issue updated while we page moves to a later page and is seen twice;
    the later copy is the newer one.
    """

    newest: datetime | None
    #: The project's epics, as milestones (``milestones: epic``); None otherwise.
    epics: EpicBook | None = None
    records: dict[str, tuple[Issue, list[Comment], list[Change]]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(
        self, issue: Issue, comments: list[Comment], changes: list[Change], people: list[Person]
    ) -> None:
        self.records.pop(issue.key, None)
        self.records[issue.key] = (issue, comments, changes)
        for person in people:
            self.people.setdefault(person.id, person)

    def snapshot(
        self, project: str, *, fetched_at: datetime, milestones: list[Milestone]
    ) -> Snapshot:
        records = self.records.values()
        return Snapshot(
            project=project,
            fetched_at=fetched_at,
            issues=tuple(issue for issue, _, _ in records),
            milestones=tuple(milestones),
            comments=tuple(c for _, its, _ in records for c in its),
            changes=tuple(c for _, _, its in records for c in its),
            people=self.people,
        )


@dataclass(eq=False)
class Reader:
    """The issues and milestones of one project, read through ``http``."""

    http: JiraHttp
    facts: SiteFacts
    _: KW_ONLY
    site: str
    project_key: str
    mode: MilestoneMode

    def issues(
        self, found: Found, jql: str, *, ids: FieldIds, me: str, since: datetime | None
    ) -> None:
        """Every issue the JQL matches into ``found``, with its changes and comments."""
        for raw in self._search(jql, search_fields(ids, self.mode)):
            self._read_into(found, raw, ids=ids, me=me, since=since)

    def comments(self, issue_ref: str, *, get: Getter | None = None,
                 expand: str | None = None) -> list[Any]:
        """All comments of an issue, as Jira sends them; ``get`` replaces the retried GET."""
        path = f"/rest/api/2/issue/{quote(issue_ref, safe='')}/comment"
        fetch = get or self.http.get_object
        if expand:
            plain = fetch

            def fetch(path: str, params: dict[str, Any]) -> dict[str, Any]:
                return plain(path, {**params, "expand": expand})

        return pages.start_at_list(fetch, path, "comments", size=PAGE, site=self.site)

    def _notes_unmarked(self) -> bool:
        """Data Center marks a Service Management internal note only in a property."""
        return self.facts.deployment == "server" and self.facts.service_desk()

    def milestones(self, skipped: list[str], epics: EpicBook | None = None) -> list[Milestone]:
        """The boards' sprints, the project's versions and/or its epics (kept from the
        search: no request), as ``milestones`` says."""
        found: list[Milestone] = []
        if reads(self.mode, "sprint"):
            found += self._sprints(skipped)
        if reads(self.mode, "version"):
            found += self._versions(skipped)
        if epics is not None:
            found += epics.save()
        return found

    def _sprints(self, skipped: list[str]) -> list[Milestone]:
        """The sprints of every board of the project: each board's active and future ones
        every cycle, its closed ones as remembered (connectors/jira/sprints.py)."""
        boards = self.facts.boards()
        zone = self.facts.zone()
        seen: dict[str, Milestone] = {}
        for board in boards:
            sprints = BoardSprints(
                get=self.http.get_object, memo=self.facts.memo, site=self.site, board=board,
                parse=lambda raw: sprint_milestone(raw, zone=zone),
                # A board lists the sprints of other boards that share its issues: a
                # sprint is ours when one of our boards made it (each kept once).
                ours=lambda raw: (not isinstance(raw, dict)
                                  or raw.get("originBoardId") in (None, *boards)),
                skipped=skipped,
            ).read()
            for sprint in sprints:
                seen.setdefault(sprint.key, sprint)
        return list(seen.values())

    def _versions(self, skipped: list[str]) -> list[Milestone]:
        path = f"/rest/api/2/project/{quote(self.project_key, safe='')}/versions"
        versions = self.http.get(path)
        if not isinstance(versions, list):
            msg = f"Jira {self.site}: GET {path}: expected a list"
            raise FatalError(msg)
        return self._parse_each(versions, "version", skipped, version_milestone)

    def _search(self, jql: str, fields: list[str]) -> Iterator[object]:
        """Every issue the JQL matches, page by page."""
        params: dict[str, Any] = {
            "jql": jql,
            "fields": ",".join(fields),
            "expand": "changelog",
            "maxResults": PAGE,
        }
        if self.facts.deployment == "cloud":
            path = "/rest/api/2/search/jql"
            return pages.enhanced_search(self.http.get_object, path, params, site=self.site)
        return pages.classic_search(self.http.get_object, "/rest/api/2/search", params)

    def _complete_histories(self, issue_id: str, embedded: list[Any], total: int) -> list[Any]:
        """A capped changelog made whole (the search embeds only the newest entries)."""
        ref = quote(issue_id, safe="")
        if self.facts.deployment == "server":
            # Data Center returns the whole changelog on the issue itself.
            raw = self.http.get_object(
                f"/rest/api/2/issue/{ref}", {"fields": "updated", "expand": "changelog"}
            )
            return jp.embedded_histories(raw)[0]
        path = f"/rest/api/2/issue/{ref}/changelog"
        return pages.older_histories(self.http.get_object, path, embedded, total, size=PAGE)

    def _read_issue(
        self, raw: object, *, ids: FieldIds, me: str, since: datetime | None,
        epics: EpicBook | None = None,
    ) -> tuple[Issue, list[Comment], list[Change], list[Person]]:
        """One search result with its full changelog and comments; raises on bad data."""
        issue, people = jp.issue_from(raw, site=self.site, ids=ids, mode=self.mode)
        data: dict[str, Any] = raw  # type: ignore[assignment]  # issue_from checked it
        epic = None
        if epics is not None:
            if is_epic(data["fields"].get("issuetype")):
                epic = epic_milestone(issue.key, data["fields"], ids)
            epics.saw(epic, issue.key)
        statuses = self.facts.statuses
        statuses.learn(data["fields"].get("status"))
        histories, total = jp.embedded_histories(raw)
        if total > len(histories) and not jc.covers(histories, since):
            histories = self._complete_histories(str(data["id"]), histories, total)
        self.facts.ensure_statuses(jc.status_ids_in(histories))
        changes, actors = jc.changes_from(
            issue.key,
            histories,
            ids=ids,
            mode=self.mode,
            statuses=statuses,
            since=since,
            epic=epic.key if epic is not None else None,
        )
        raw_comments, count = jp.embedded_comments(raw)
        if count > len(raw_comments) or (
            jp.comments_changed(raw_comments, since) and self._notes_unmarked()
        ):
            expand = "properties" if self._notes_unmarked() else None
            raw_comments = self.comments(str(data["id"]), expand=expand)
        comments: list[Comment] = []
        for item in raw_comments:
            comment, author = jp.comment_from(item, issue.key, me=me)
            if author is not None:
                people.append(author)
            if since is None or (comment.updated_at or comment.created_at) >= since:
                comments.append(comment)
        return issue, comments, changes, people + actors

    def _read_into(
        self, found: Found, raw: object, *, ids: FieldIds, me: str, since: datetime | None
    ) -> None:
        """One search result into ``found``; one that cannot be read is skipped."""
        updated = jp.raw_updated(raw)
        if updated is not None and (found.newest is None or updated > found.newest):
            found.newest = updated
        try:
            issue, comments, changes, people = self._read_issue(raw, ids=ids, me=me, since=since,
                                                                epics=found.epics)
        except (KeyError, TypeError, ValueError) as err:
            name = jp.raw_name(raw)
            log.warning("Jira %s: skipping issue %s: %s", self.site, name, err)
            found.skipped.append(f"{name}: {err}")
            return
        found.add(issue, comments, changes, people)

    def _parse_each(
        self, listing: list[Any], what: str, skipped: list[str],
        parse: Callable[[object], Milestone],
    ) -> list[Milestone]:
        """Every milestone that parses; one that does not is logged and listed in ``skipped``."""
        found: list[Milestone] = []
        for raw in listing:
            try:
                found.append(parse(raw))
            except (KeyError, TypeError, ValueError) as err:
                name = f"{what} {raw.get('id') if isinstance(raw, dict) else '?'}"
                log.warning("Jira %s: skipping %s: %s", self.site, name, err)
                skipped.append(f"{name}: {err}")
        return found
