"""Who holds a Jira project role or belongs to a group: what ``team: {role: …}`` reads.

Read through the platform REST API, the same paths on Cloud and Data Center:

* ``GET /rest/api/2/project/{key}/role``: the project's roles, name → URL (the
  role id ends the URL);
* ``GET /rest/api/2/project/{key}/role/{id}``: the role's actors, users
  (``atlassian-user-role-actor``) and groups (``atlassian-group-role-actor``);
* ``GET /rest/api/2/group/member?groupname=…``: a group's users, ``startAt``
  paged (``isLast``), subgroups included.

The two deployments differ in how they name people: Cloud gives
``accountId`` (a user actor's ``actorUser.accountId``), Data Center the user
``name``, which is also how forewarn names people there (``parse.person_id``).
Jira shows role actors to *Administer Projects* and group members to *Browse
users and groups* (Cloud) or an administrator (Data Center): a refusal is a
fatal error that names the permission.

What is read is kept in the memo with the time it was read and refreshed at
most once a day, so a steady-state cycle sends no request for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.base import Memo
from connectors.errors import FatalError
from connectors.jira import pages
from connectors.jira.http import JiraHttp
from connectors.jira.parse import memo_json, person_id
from connectors.model import Membership, parse_utc

MEMO_MEMBERS = "jira.members"
#: How long role and group membership read from Jira is trusted.
REFRESH = timedelta(days=1)
#: Group members per page (the documented maximum).
GROUP_PAGE = 50
_USER_ACTOR = "atlassian-user-role-actor"
_GROUP_ACTOR = "atlassian-group-role-actor"


def _key(ref: Membership) -> str:
    return f"{ref.kind}:{ref.name}"


class Directory:
    """Role and group membership of one project, cached in the connector's memo."""

    def __init__(self, http: JiraHttp, memo: Memo, *, site: str, project_key: str,
                 clock: Callable[[], datetime]) -> None:
        self.http = http
        self.memo = memo
        self.site = site
        self.project_key = project_key
        self.clock = clock

    def members(self, groups: Sequence[Membership]) -> dict[Membership, frozenset[str]]:
        """Person ids per role or group; from the memo unless a day old or incomplete."""
        if not groups:
            return {}
        cached = self._cached()
        if cached is not None and all(_key(ref) in cached for ref in groups):
            return {ref: frozenset(cached[_key(ref)]) for ref in groups}
        found = {ref: self._read(ref) for ref in groups}
        self.memo.set(MEMO_MEMBERS, json.dumps({
            "read_at": self.clock().isoformat(),
            "members": {_key(ref): sorted(ids) for ref, ids in found.items()},
        }, sort_keys=True))
        return found

    def _cached(self) -> dict[str, list[str]] | None:
        data = memo_json(self.memo.get(MEMO_MEMBERS))
        if not isinstance(data, dict) or not isinstance(data.get("members"), dict):
            return None
        try:
            read_at = parse_utc(str(data.get("read_at")))
        except ValueError:
            return None
        if self.clock() - read_at >= REFRESH:
            return None
        return {str(k): [str(i) for i in v] for k, v in data["members"].items()
                if isinstance(v, list)}

    def _read(self, ref: Membership) -> frozenset[str]:
        if ref.kind == "group":
            return self._group(ref.name)
        return self._role(ref.name)

    def _role(self, name: str) -> frozenset[str]:
        project = quote(self.project_key, safe="")
        path = f"/rest/api/2/project/{project}/role"
        roles = self._get(path, what=f"the roles of project {self.project_key}",
                          needs="Administer Projects on the project")
        url = roles.get(name) if isinstance(roles, dict) else None
        if not isinstance(url, str) or not url.rstrip("/").rsplit("/", 1)[-1].isdigit():
            known = ", ".join(sorted(roles)) if isinstance(roles, dict) else "none"
            msg = (f"Jira {self.site}: project {self.project_key} has no role named "
                   f'"{name}" (its roles: {known})')
            raise FatalError(msg)
        role_id = url.rstrip("/").rsplit("/", 1)[-1]
        role = self._get(f"{path}/{role_id}", what=f"role {name} of {self.project_key}",
                         needs="Administer Projects on the project")
        ids: set[str] = set()
        for actor in role.get("actors") or [] if isinstance(role, dict) else []:
            if not isinstance(actor, dict):
                continue
            if actor.get("type") == _USER_ACTOR:
                pid = person_id(actor.get("actorUser")) or person_id(actor)
                if pid:
                    ids.add(pid)
            elif actor.get("type") == _GROUP_ACTOR:
                group = actor.get("actorGroup")
                group_name = (group if isinstance(group, dict) else actor).get("name")
                if isinstance(group_name, str) and group_name:
                    ids |= self._group(group_name)
        return frozenset(ids)

    def _group(self, name: str) -> frozenset[str]:
        path = "/rest/api/2/group/member"

        def get(_path: str, params: dict[str, Any]) -> dict[str, Any]:
            query = {"groupname": name, "includeInactiveUsers": "false", **params}
            page = self._get(path, params=query, what=f"the members of group {name}",
                             needs="Browse users and groups")
            return pages.as_object(page, f"GET {path}", self.site)

        users = pages.start_at_list(get, path, "values", size=GROUP_PAGE, site=self.site)
        return frozenset(pid for user in users if (pid := person_id(user)))

    def _get(self, path: str, *, what: str, needs: str,
             params: dict[str, Any] | None = None) -> Any:
        try:
            return self.http.get(path, params)
        except FatalError as error:
            if error.status in (403, 404):
                msg = (f"{error}: cannot read {what}; check the name, and that forewarn's "
                       f"account has the {needs} permission")
                raise FatalError(msg) from None
            raise
