"""A tracker kept in one JSON file: the demo, offline exports and tests.

The file is a serialised Snapshot (see connectors/codec.py) whose comments
keep their whole ``body``, plus ``me`` (the account forewarn writes as) and
``labels`` (the project's label catalogue), and optionally ``roles`` and
``groups`` (name → person ids, what ``team: {role: …}`` reads) and a comment's
``visibility`` (``{"kind": "role", "name": "Developers"}``). It behaves like the real
trackers where it matters to forewarn: every write moves the issue's
``updated_at``, so an incremental fetch sees forewarn's own comments and
labels; a label change is kept in ``changes`` with ``me`` as its actor (as
GitHub's events and Jira's changelog keep it); and a comment is forewarn's
only when ``me`` wrote it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import (
    AccessReport,
    AccessRequest,
    Check,
    FetchProgress,
    FetchResult,
    Markup,
    RateLimit,
    RemoteComment,
)
from connectors.codec import (
    change_from,
    dt,
    iso,
    issue_from,
    milestone_from,
    need_dt,
    parse_each,
    person_from,
    visibility_from,
)
from connectors.errors import CommentGone, FatalError
from connectors.markers import Marker, find_marker, is_acked
from connectors.model import EXCERPT_CHARS, Comment, Membership, Snapshot, Visibility, now

log = logging.getLogger(__name__)


class LocalConnector:
    """Reads and writes the JSON file at ``path``; re-read on every call so edits by hand count."""

    markup: Markup = "markdown"

    def __init__(
        self, path: Path, *, project: str | None = None, clock: Callable[[], datetime] = now
    ) -> None:
        self.path = path
        self.project = project
        self.clock = clock
        self.requests_made = 0

    @property
    def rate_limit(self) -> RateLimit | None:
        return None

    # -- file -----------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            msg = f"local tracker file not found: {self.path}"
            raise FatalError(msg) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            msg = f"cannot read local tracker {self.path}: {error}"
            raise FatalError(msg) from None
        if not isinstance(data, dict):
            msg = f"local tracker {self.path}: the top level must be an object"
            raise FatalError(msg)
        self.requests_made += 1
        return data

    def _save(self, data: dict[str, Any]) -> None:
        """Atomic: a crash mid-write leaves the old file, never half a file."""
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tracker-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, ensure_ascii=False)
                out.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.requests_made += 1

    def _issue(self, data: dict[str, Any], issue_key: str) -> dict[str, Any]:
        for issue in data.get("issues", []):
            if isinstance(issue, dict) and issue.get("key") == issue_key:
                return issue
        msg = f"local tracker {self.path}: no issue {issue_key}"
        raise FatalError(msg)

    def _touch(self, issue: dict[str, Any]) -> str:
        stamp = iso(self.clock())
        assert stamp is not None
        issue["updated_at"] = stamp
        return stamp

    @staticmethod
    def _history(data: dict[str, Any], issue_key: str, stamp: str, *, before: str | None = None,
                 after: str | None = None) -> None:
        """A label change by forewarn, kept like GitHub's events and Jira's changelog keep it."""
        data.setdefault("changes", []).append({
            "issue_key": issue_key, "field": "label", "at": stamp, "before": before,
            "after": after, "actor": str(data.get("me", "forewarn")),
        })

    # -- reads ----------------------------------------------------------------

    def whoami(self) -> str:
        return str(self._load().get("me", "forewarn"))

    def fetch(self, cursor: str | None, *, progress: FetchProgress | None = None) -> FetchResult:
        data = self._load()
        if progress is not None:
            progress("tracker file", 1, 1)
        me = str(data.get("me", "forewarn"))
        since = dt(cursor) if cursor else None
        skipped: list[str] = []
        people = parse_each(data.get("people", []), person_from, "person", skipped)
        milestones = parse_each(data.get("milestones", []), milestone_from, "milestone", skipped)
        issues = parse_each(data.get("issues", []), issue_from, "issue", skipped)
        changes = parse_each(data.get("changes", []), change_from, "change", skipped)
        comments = parse_each(
            data.get("comments", []), lambda item: self._comment(item, me), "comment", skipped
        )
        for reason in skipped:
            log.warning("local tracker %s: skipped %s", self.path.name, reason)
        stamps = [issue.updated_at or issue.created_at for issue in issues]
        stamps += [comment.updated_at or comment.created_at for comment in comments]
        stamps += [change.at for change in changes]
        if since is not None:
            issues = [i for i in issues if (i.updated_at or i.created_at) > since]
            comments = [c for c in comments if (c.updated_at or c.created_at) > since]
            changes = [c for c in changes if c.at > since]
        newest = max(stamps, default=since)
        snapshot = Snapshot(
            project=self.project or str(data.get("project", "")),
            fetched_at=self.clock(),
            people={person.id: person for person in people},
            milestones=tuple(milestones),
            issues=tuple(issues),
            comments=tuple(comments),
            changes=tuple(changes),
        )
        return FetchResult(
            snapshot=snapshot,
            cursor=iso(newest) if newest else cursor,
            complete=since is None,
            skipped=tuple(skipped),
            requests=1,
        )

    @staticmethod
    def _comment(item: Any, me: str) -> Comment:
        body = str(item.get("body", ""))
        ours = str(item.get("author")) == me
        return Comment(
            id=str(item["id"]),
            issue_key=str(item["issue_key"]),
            author=str(item["author"]),
            created_at=need_dt(item.get("created_at")),
            updated_at=dt(item.get("updated_at")),
            body_excerpt=body[:EXCERPT_CHARS],
            is_ours=ours,
            marker=find_marker(body) if ours else None,
            acked=is_acked(body) if ours else False,
            visibility=visibility_from(item.get("visibility")),
        )

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        """``roles``/``groups`` of the file (a name missing there holds nobody)."""
        data = self._load() if groups else {}
        found: dict[Membership, frozenset[str]] = {}
        for ref in groups:
            table = data.get("roles" if ref.kind == "role" else "groups")
            ids = table.get(ref.name) if isinstance(table, dict) else None
            found[ref] = frozenset(map(str, ids)) if isinstance(ids, list) else frozenset()
        return found

    def check_access(self, request: AccessRequest) -> AccessReport:
        """The file can be read and written, and holds each target issue."""
        try:
            data = self._load()
        except FatalError as error:
            return AccessReport((Check("tracker file", False, str(error), "check path"),))
        checks = [Check("tracker file", True, f"{self.path} read as {data.get('me', 'forewarn')}")]
        if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
            checks = [Check("tracker file", False, f"{self.path} cannot be written",
                            "make it and its folder writable")]
        keys = {issue.get("key") for issue in data.get("issues", []) if isinstance(issue, dict)}
        for name, key, option in request.targets:
            checks.append(Check(name, True, f"{key} found") if key in keys else
                          Check(name, False, f"{key} is not in {self.path.name}",
                                f"fix {option}"))
        return AccessReport(tuple(checks), identity=f"local:{self.path.resolve()}")

    # -- writes ---------------------------------------------------------------

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        data = self._load()
        me = str(data.get("me", "forewarn"))
        tag = marker.tag(self.markup)
        for item in data.get("comments", []):
            if (
                isinstance(item, dict)
                and item.get("issue_key") == issue_key
                and item.get("author") == me
                and tag in str(item.get("body", ""))
            ):
                return RemoteComment(id=str(item["id"]), issue_key=issue_key, body=item["body"])
        return None

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        """A file write cannot lose its answer: posted once, with no retry to guard."""
        data = self._load()
        issue = self._issue(data, issue_key)
        comments = data.setdefault("comments", [])
        numbers = [int(c["id"]) for c in comments if str(c.get("id", "")).isdigit()]
        comment_id = str(max(numbers, default=0) + 1)
        stamp = self._touch(issue)
        comments.append({
            "id": comment_id, "issue_key": issue_key, "author": data.get("me", "forewarn"),
            "created_at": stamp, "updated_at": stamp, "body": marker.stamp(body, self.markup),
            **_visibility(visibility),
        })
        self._save(data)
        return comment_id

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        data = self._load()
        issue = self._issue(data, issue_key)
        for item in data.get("comments", []):
            if isinstance(item, dict) and str(item.get("id")) == comment_id:
                item["body"] = body
                item.pop("visibility", None)
                item.update(_visibility(visibility))
                item["updated_at"] = self._touch(issue)
                self._save(data)
                return
        msg = f"local tracker {self.path}: no comment {comment_id} on {issue_key}"
        raise CommentGone(msg)

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        data = self._load()
        issue = self._issue(data, issue_key)
        current = list(issue.get("labels") or [])
        folded = {label.casefold() for label in current}
        added = [label for label in labels if label.casefold() not in folded]
        if added:
            issue["labels"] = current + added
            stamp = self._touch(issue)
            for label in added:
                self._history(data, issue_key, stamp, after=label)
            self._save(data)

    def remove_label(self, issue_key: str, label: str) -> None:
        data = self._load()
        issue = self._issue(data, issue_key)
        current = list(issue.get("labels") or [])
        kept = [name for name in current if name.casefold() != label.casefold()]
        if kept != current:
            issue["labels"] = kept
            stamp = self._touch(issue)
            for name in current:
                if name not in kept:
                    self._history(data, issue_key, stamp, before=name)
            self._save(data)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        data = self._load()
        catalogue = data.setdefault("labels", [])
        if any(str(item.get("name", "")).casefold() == name.casefold() for item in catalogue):
            return
        catalogue.append({"name": name, "color": color, "description": description})
        self._save(data)


def _visibility(visibility: Visibility | None) -> dict[str, Any]:
    """A restricted comment keeps who may read it, as the codec writes it."""
    if visibility is None or visibility.is_public:
        return {}
    return {"visibility": {"kind": visibility.kind, "name": visibility.name}}
