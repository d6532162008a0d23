"""Who holds a Jira project role or is in a group (connectors/jira/members.py), on Atlassian's
documented payloads (tests/fixtures/jira/atlassian-docs/, see SOURCES.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.errors import FatalError
from connectors.model import Membership
from tests.conftest import Clock
from tests.connectors.jira.support import CLOUD, NOW, SERVER, add_recorded, body, make, warm_memo

DEVS = Membership("role", "Developers")
ADMINS = Membership("group", "jira-administrators")
MIA, WILL = "5b10a2844c20165700ede21g", "5b10a0effa615349cb016cd8"
#: "Get project roles for project" answers name -> URL; built here in that documented shape
#: (the role id ends the URL), pointing at the documented Developers role.
ROLES = {"Administrators": f"{CLOUD}/rest/api/2/project/BILL/role/10002",
         "Developers": f"{CLOUD}/rest/api/2/project/BILL/role/10360"}
#: The page after the documented middle page of group members: its envelope, no more users.
LAST_PAGE = {"startAt": 5, "maxResults": 2, "total": 5, "isLast": True, "values": []}


def group_pages(rsps: responses.RequestsMock, group: str, site: str = CLOUD) -> None:
    """The documented page of two members (isLast false), then the last, empty page."""
    url = f"{site}/rest/api/2/group/member"
    first = {"groupname": group, "includeInactiveUsers": "false", "startAt": "0",
             "maxResults": "50"}
    add_recorded(rsps, "atlassian-docs/group_member_page.json", url=url,
                 match=[matchers.query_param_matcher(first)])
    rsps.add("GET", url, json=LAST_PAGE,
             match=[matchers.query_param_matcher(first | {"startAt": "2"})])


def serve_role(rsps: responses.RequestsMock) -> None:
    rsps.add("GET", f"{CLOUD}/rest/api/2/project/BILL/role", json=ROLES)
    add_recorded(rsps, "atlassian-docs/project_role_developers.json",
                 url=f"{CLOUD}/rest/api/2/project/BILL/role/10360")


def test_a_role_holds_its_users_and_the_members_of_its_groups() -> None:
    # The documented Developers role: user Mia, and group jira-developers (Mia and Will).
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        serve_role(rsps)
        group_pages(rsps, "jira-developers")
        connector = make(memo=warm_memo())
        found = connector.members([DEVS])
    assert found == {DEVS: frozenset({MIA, WILL})}
    assert connector.requests_made == 4


def test_membership_is_read_at_most_once_a_day() -> None:
    clock = Clock(NOW)
    memo = warm_memo()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        group_pages(rsps, "jira-administrators")
        connector = make(memo=memo, clock=clock)
        assert connector.members([ADMINS]) == {ADMINS: frozenset({MIA, WILL})}
        assert connector.requests_made == 2
    stored = json.loads(memo["jira.members"])
    assert stored == {"read_at": NOW.isoformat(),
                      "members": {"group:jira-administrators": sorted([WILL, MIA])}}
    # The next cycles (a new connector, the memo restored) send nothing for a day.
    clock.advance(hours=23, minutes=59)
    again = make(memo=memo, clock=clock)
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        assert again.members([ADMINS]) == {ADMINS: frozenset({MIA, WILL})}
    assert again.requests_made == 0
    clock.advance(minutes=1)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        group_pages(rsps, "jira-administrators")
        assert again.members([ADMINS]) == {ADMINS: frozenset({MIA, WILL})}
    assert again.requests_made == 2


def test_a_role_or_group_not_read_yet_is_read_at_once() -> None:
    memo = warm_memo()
    memo.set("jira.members", json.dumps({"read_at": NOW.isoformat(),
                                         "members": {"group:jira-administrators": [MIA]}}))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        serve_role(rsps)
        group_pages(rsps, "jira-developers")
        group_pages(rsps, "jira-administrators")
        found = make(memo=memo, clock=lambda: NOW + timedelta(hours=1)).members([ADMINS, DEVS])
    assert found == {ADMINS: frozenset({MIA, WILL}), DEVS: frozenset({MIA, WILL})}


def test_data_center_names_role_users_by_user_name() -> None:
    # Data Center's user actor carries the user name (how forewarn names people there);
    # the documented Cloud actor is reshaped to that and says so.
    role: dict[str, Any] = body("atlassian-docs/project_role_developers.json")
    role["actors"] = [{"id": 10241, "displayName": "Fred F. User", "name": "fred",
                       "type": "atlassian-user-role-actor"}]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{SERVER}/rest/api/2/project/BILL/role",
                 json={"Developers": f"{SERVER}/rest/api/2/project/BILL/role/10360"})
        rsps.add("GET", f"{SERVER}/rest/api/2/project/BILL/role/10360", json=role)
        connector = make(url=SERVER, email=None, memo=warm_memo(deployment="server"))
        assert connector.members([DEVS]) == {DEVS: frozenset({"fred"})}


def test_an_unknown_role_names_the_roles_there_are() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{CLOUD}/rest/api/2/project/BILL/role", json=ROLES)
        with pytest.raises(FatalError) as raised:
            make(memo=warm_memo()).members([Membership("role", "Developer")])
    assert str(raised.value) == (
        f'Jira {CLOUD}: project BILL has no role named "Developer" '
        "(its roles: Administrators, Developers)")


@pytest.mark.parametrize(
    ("groups", "path", "needs"),
    [
        ([DEVS], "/rest/api/2/project/BILL/role", "Administer Projects on the project"),
        ([ADMINS], "/rest/api/2/group/member", "Browse users and groups"),
    ],
)
def test_a_refusal_names_the_permission_to_grant(groups: list[Membership], path: str,
                                                 needs: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{CLOUD}{path}", status=403,
                 json={"errorMessages": ["You are not authorized to perform this operation."]})
        with pytest.raises(FatalError) as raised:
            make(memo=warm_memo()).members(groups)
    message = str(raised.value)
    assert message.startswith(f"Jira {CLOUD}: GET {path} -> HTTP 403: You are not authorized")
    assert message.endswith(f"check the name, and that forewarn's account has the {needs} "
                            "permission")
