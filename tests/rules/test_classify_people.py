from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from connectors.model import Comment, Issue, Membership, Person, PersonKind, Snapshot
from rules.people import (
    People,
    Spec,
    classify,
    hidden_email_advice,
    memberships,
    without_email,
    without_email_note,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
DEVS = Membership("role", "Developers")
ADMINS = Membership("role", "Administrators")
ACME = Membership("group", "acme-team")
#: Who the tracker says holds each role and group (ids as Jira Cloud names people).
MEMBERS = {DEVS: ["712020:dev-ann", "712020:DEV-BO"], ACME: ["712020:pm-cy"], ADMINS: []}


def person(person_id: str, *, name: str = "", email: str | None = None,
           association: str | None = None, kind: PersonKind = "unknown",
           account_type: str | None = None) -> Person:
    return Person(id=person_id, name=name or person_id, email=email, association=association,
                  kind=kind, account_type=account_type)


def kind_of(who: Person, *, clients: Spec = None, team: Spec = None,
            bots: Sequence[str | Membership] = (), self_ids: Sequence[str] = ()) -> str:
    snapshot = Snapshot(project="p", fetched_at=T0, people={who.id: who})
    result = People(clients, team, bots, self_ids, MEMBERS).classify(snapshot)
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


DEV = person("712020:dev-ann", name="Ann Dev")           # in role Developers, e-mail hidden
DEV2 = person("712020:dev-bo", name="Bo Dev")            # the role lists ids in another case
PM = person("712020:pm-cy", email="cy@acme.example")     # in group acme-team
HIDDEN = person("712020:client-di", name="Di Client")    # a client whose e-mail Jira hides
SHOWN = person("712020:client-ed", email="ed@client.example")
CUSTOMER = person("qm:5a82b573:72e66569", name="Example Customer", account_type="customer")
AGENT = person("712020:agent-flo", account_type="atlassian")


@pytest.mark.parametrize(
    ("who", "clients", "team", "expected"),
    [
        # team: {role: ...} / {group: ...}: members are team, everyone else a client
        (DEV, None, [DEVS], "team"),
        (DEV2, None, [DEVS], "team"),
        (HIDDEN, None, [DEVS], "client"),          # no e-mail needed
        (PM, None, [DEVS], "client"),
        (PM, None, [ACME], "team"),
        (DEV, None, [ADMINS], "client"),           # an empty role holds nobody
        # a list mixing roles, groups and patterns
        (PM, None, [DEVS, ACME], "team"),
        (person("x", email="x@acme.example"), None, [DEVS, "*@acme.example"], "team"),
        (HIDDEN, None, [DEVS, "*@acme.example"], "client"),
        # membership is as specific as an exact id: it beats a client glob
        (DEV, ["*"], [DEVS], "team"),
        (PM, [ACME], ["*@acme.example"], "client"),
        (PM, [ACME], [ACME], "team"),              # a tie goes to the team
        # clients: external on Jira: not in the team's roles or groups
        (HIDDEN, "external", [DEVS], "client"),
        (DEV, "external", [DEVS], "team"),
        (PM, "external", [DEVS, ACME], "team"),
        (person("gh", association="MEMBER"), "external", [DEVS], "team"),  # GitHub: association
        # clients: customers (Jira Service Management: accountType customer)
        (CUSTOMER, "customers", None, "client"),
        (AGENT, "customers", None, "team"),        # only clients given: the rest is team
        (CUSTOMER, "customers", [DEVS], "client"),
        (DEV, "customers", [DEVS], "team"),
        (AGENT, "customers", [DEVS], "unknown"),   # both given, neither says: undecided
        (CUSTOMER, ["*@client.example"], None, "team"),  # a customer is not a keyword elsewhere
    ],
)
def test_roles_groups_and_customers(who: Person, clients: Spec, team: Spec,
                                    expected: str) -> None:
    assert kind_of(who, clients=clients, team=team) == expected


def test_memberships_are_asked_once_in_order() -> None:
    assert memberships([ACME, "*@x"], "external", None, [DEVS, ACME]) == (ACME, DEVS)
    assert memberships("members", None) == ()


@pytest.mark.parametrize(
    ("clients", "team", "expected"),
    [
        (["*@client.example"], None, 3),            # HIDDEN, DEV, DEV2: nobody can tell
        (["*@client.example"], [DEVS], 1),          # the role names DEV and DEV2: HIDDEN left
        (["*@client.example"], [DEVS, ACME], 1),
        (None, [DEVS, "*@acme.example"], 1),
        ("customers", [DEVS], 0),                   # no e-mail pattern: nothing is blind
        (None, [DEVS], 0),
        (["*@client.example", "712020:client-di"], [DEVS], 0),  # named by id
        (["Di Client"], ["*@acme.example"], 2),     # DEV and DEV2 only show names
    ],
)
def test_people_an_email_pattern_cannot_judge(clients: Spec, team: Spec, expected: int) -> None:
    bot = person("712020:forewarn", name="forewarn")
    people = {p.id: p for p in (DEV, DEV2, PM, HIDDEN, SHOWN, bot)}
    snapshot = Snapshot(project="p", fetched_at=T0, people=people)
    assert People(clients, team, (), [bot.id], MEMBERS).hidden_emails(snapshot) == expected


def test_hidden_email_advice_says_how_many_and_what_to_write() -> None:
    assert hidden_email_advice("billing", 33) == (
        "billing: 33 people show no e-mail address, so the e-mail patterns in clients/team "
        "cannot tell whether they are clients; name them by account id, or write "
        "team: {role: …} or {group: …} (clients: customers on a service desk)")
    assert hidden_email_advice("billing", 1).startswith("billing: 1 person shows no e-mail")


@pytest.mark.parametrize(
    ("who", "bots", "self_ids", "expected"),
    [
        (person("ci", kind="bot"), (), (), "bot"),
        (person("dependabot[bot]"), (), (), "bot"),
        (person("Renovate-Bot"), ("renovate*",), (), "bot"),
        (person("u9", name="Jenkins"), ("jenkins",), (), "bot"),
        (person("forewarn-app"), (), ("Forewarn-App",), "bot"),
        (person("ann", email="ann@client.example"), (), (), "client"),
        # bots: {group: …} / {role: …}: whoever Jira says is in it
        (person("712020:pm-cy"), (ACME,), (), "bot"),
        (person("712020:dev-bo"), ("jenkins", DEVS), (), "bot"),
        (person("712020:dev-ann"), (ACME,), (), "client"),
        # Jira Data Center's and Server's automation account: no account type, known by its
        # user name or display name (Cloud says accountType: app, a bot already)
        (person("automation", name="Automation for Jira"), (), (), "bot"),
        (person("automation", name="Rule runner"), (), (), "bot"),
        (person("JIRAUSER10400", name="automation for jira"), (), (), "bot"),
        (person("automation", name="Automation for Jira", account_type="app", kind="bot"), (),
         (), "bot"),
        # where the tracker gives a type (Cloud) or an association (GitHub), it decides
        (person("712020:auto", name="Automation for Jira", account_type="atlassian"), (), (),
         "client"),
        (person("automation", association="NONE"), (), (), "client"),
    ],
)
def test_bots_never_count(who: Person, bots: Sequence[str | Membership],
                          self_ids: Sequence[str], expected: str) -> None:
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


def test_people_whose_email_jira_hides_are_counted() -> None:
    people = {p.id: p for p in (
        person("a", account_type="atlassian"),                        # hidden
        person("b", account_type="customer"),                         # hidden
        person("c", email="c@x.example", account_type="atlassian"),   # shown
        person("d", account_type="app", kind="bot"),                  # a bot
        person("gh-user"),                                             # GitHub: no e-mail given
    )}
    assert without_email(Snapshot(project="p", fetched_at=T0, people=people)) == 2
    assert without_email_note("billing", 2) == (
        "billing: 2 people show no e-mail address; clients/team tell who they are by account "
        "id, role, group or service desk customer")


def test_people_named_by_id_name_or_email_are_the_admins_word() -> None:
    # Named exactly in clients or team: the admin said who they are. A glob, a role or a
    # group says less: the account may have slipped in unseen.
    people = [person("ci-runner", name="CI Runner"), person("712020:dev-bo"),
              person("qa-bot", email="qa@acme.example"), person("triage", name="Triage Bot"),
              person("ops-bot")]
    settings = People(clients=["*@client.example"], team=["CI Runner", "qa@acme.example",
                                                          DEVS, "ops-*"], members=MEMBERS)
    assert settings.named(people) == {"ci-runner", "qa-bot"}
