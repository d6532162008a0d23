from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from connectors.model import Comment, Issue, Person, PersonKind, Snapshot
from rules.people import classify

T0 = datetime(2026, 3, 2, tzinfo=UTC)

Spec = str | Sequence[str] | None


def person(person_id: str, *, name: str = "", email: str | None = None,
           association: str | None = None, kind: PersonKind = "unknown") -> Person:
    return Person(id=person_id, name=name or person_id, email=email, association=association,
                  kind=kind)


def kind_of(who: Person, *, clients: Spec = None, team: Spec = None,
            bots: Sequence[str] = (), self_ids: Sequence[str] = ()) -> str:
    snapshot = Snapshot(project="p", fetched_at=T0, people={who.id: who})
    result = classify(snapshot, clients=clients, team=team, bots=bots, self_ids=self_ids)
    return result.people[who.id].kind


@pytest.mark.parametrize(
    ("who", "clients", "team", "expected"),
    [
        # clients: external -> by GitHub author_association
        (person("ann", association="NONE"), "external", None, "client"),
        (person("ann", association="CONTRIBUTOR"), "external", None, "client"),
        (person("ann", association="FIRST_TIME_CONTRIBUTOR"), "external", None, "client"),
        (person("ann", association="MEMBER"), "external", None, "team"),
        (person("ann", association="owner"), "external", None, "team"),
        (person("ann", association="COLLABORATOR"), "external", None, "team"),
        (person("ann"), "external", None, "team"),             # only clients given: rest is team
        # team: members
        (person("ann", association="MEMBER"), None, "members", "team"),
        (person("ann", association="NONE"), None, "members", "client"),
        (person("ann"), None, "members", "client"),             # only team given: rest is client
        # patterns: ids, names, emails; globs; case-insensitive
        (person("ann", email="ann@client.example"), ["*@client.example"], None, "client"),
        (person("ann", email="ann@acme.example"), ["*@client.example"], None, "team"),
        (person("ann", email="ANN@Client.Example"), "*@client.example", None, "client"),
        (person("ann"), ["ANN"], None, "client"),
        (person("u123", name="Jane Doe"), ["jane doe"], None, "client"),
        (person("ann"), None, ["ann"], "team"),
        (person("bob"), None, ["ann"], "client"),
        (person("bob"), None, ["a*"], "client"),
        # both given: named beats keyword, exact beats glob, team wins a tie
        (person("ann", association="NONE"), "external", ["ann"], "team"),
        (person("bob", association="NONE"), "external", ["ann"], "client"),
        (person("ann"), ["*"], ["ann"], "team"),
        (person("bob"), ["*"], ["ann"], "client"),
        (person("bob"), ["bob"], ["*"], "client"),
        (person("ann"), ["ann"], ["ann"], "team"),
        (person("ann"), ["a*"], ["*n"], "team"),
        (person("zed"), ["bob"], ["ann"], "unknown"),           # both given, neither matches
        (person("zed", kind="client"), ["bob"], ["ann"], "client"),
        # neither given: association decides, the rest keeps the tracker's kind
        (person("ann", association="NONE"), None, None, "client"),
        (person("ann", association="MEMBER"), None, None, "team"),
        (person("ann"), None, None, "unknown"),
        (person("ann", kind="client"), None, None, "client"),
        (person("ann", kind="team"), None, None, "team"),
    ],
)
def test_clients_and_team(who: Person, clients: Spec, team: Spec, expected: str) -> None:
    assert kind_of(who, clients=clients, team=team) == expected


@pytest.mark.parametrize(
    ("who", "bots", "self_ids", "expected"),
    [
        (person("ci", kind="bot"), (), (), "bot"),
        (person("dependabot[bot]"), (), (), "bot"),
        (person("Renovate-Bot"), ("renovate*",), (), "bot"),
        (person("u9", name="Jenkins"), ("jenkins",), (), "bot"),
        (person("forewarn-app"), (), ("Forewarn-App",), "bot"),
        (person("ann", email="ann@client.example"), (), (), "client"),
    ],
)
def test_bots_never_count(who: Person, bots: Sequence[str], self_ids: Sequence[str],
                          expected: str) -> None:
    # Even a bot that matches the clients pattern is a bot.
    assert kind_of(who, clients=["*"], bots=bots, self_ids=self_ids) == expected


def test_only_people_change() -> None:
    issue = Issue(key="a#1", title="t", url="u", state="open", created_at=T0, author="ann",
                  assignees=("tom",))
    comment = Comment(id="1", issue_key="a#1", author="ghost", created_at=T0)
    untouched = person("tom", association="MEMBER", kind="team")
    snapshot = Snapshot(
        project="p",
        fetched_at=T0,
        issues=(issue,),
        comments=(comment,),
        people={"ann": person("ann", association="NONE"), "tom": untouched},
    )
    result = classify(snapshot, clients="external", team=None)
    assert result.issues is snapshot.issues
    assert result.comments is snapshot.comments
    assert result.changes is snapshot.changes
    assert result.people["tom"] is untouched
    assert {pid: p.kind for pid, p in result.people.items()} == {
        "ann": "client",
        "tom": "team",
        "ghost": "team",  # an author the connector did not describe: classified by id
    }
    assert snapshot.people["ann"].kind == "unknown"  # the input is not modified
