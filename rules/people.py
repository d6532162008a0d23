"""Who is a client, who is on the team, who is a bot: decided once, before rules run.

A project says who its clients are, who its team is, or both::

    projects:
      - {name: portal, tracker: gh, repo: acme/portal, clients: external}
      - {name: billing, tracker: acme, jira_project: BILL, clients: ["*@client.example"]}
      - {name: intranet, tracker: gh, repo: acme/intranet, team: members, bots: [renovate*]}
      - {name: support, tracker: acme, jira_project: SUP, clients: ["*@client.example"],
         bots: [{group: automation-accounts}, jenkins]}
      - {name: desk, tracker: acme, jira_project: DESK, team: {role: Developers},
         clients: customers}
      - {name: ops, tracker: acme, jira_project: OPS,
         team: [{group: acme-team}, {role: Developers}, "*@acme.example"]}

``People(clients=..., team=..., bots=..., self_ids=..., members=...).classify(snapshot)``
(or ``classify(snapshot, clients=..., …)`` where no role or group is named)
returns the same snapshot (issues, comments and changes are shared, not copied)
with every person's ``kind`` decided. ``members`` says who belongs to each Jira
project role and group the settings name (``Membership`` → person ids): the
connector reads it from the tracker (``Connector.members``); rules never do
I/O. The first step that applies wins:

1. **bot** — the connector already said ``bot`` (GitHub type Bot, Jira
   accountType app), the tracker gives no type and the person is Jira's own
   automation account (``AUTOMATION_NAMES``, ``AUTOMATION_IDS``: "Automation
   for Jira", user ``automation`` on Data Center and Server), the id ends in
   ``[bot]``, the id or name matches a ``bots`` pattern, the person is
   in a role or group ``bots`` names (``{group: automation-accounts}``), or
   the id is one of ``self_ids`` (forewarn's own account). Bots never count in
   any rule. Accounts that only *look* automated are never reclassified here:
   ``rules/bot_suspects.py`` names them so the admin can decide.
2. **named** — ``team`` and ``clients`` may be lists of patterns (logins,
   account ids, names, emails; ``fnmatch`` globs, case-insensitive; a single
   string that is not a keyword is one pattern) and of Jira project roles and
   groups (``{role: Developers}``, ``{group: acme-team}``). Membership of a
   named role or group, or a pattern without wildcards that equals the id,
   name or email, beats a glob; between equally specific matches on both
   sides, ``team`` wins.
3. **keywords** — ``clients: external``: a person whose GitHub
   ``author_association`` is not MEMBER, OWNER or COLLABORATOR is a client
   (and one with such an association is team); on Jira, where there is no
   association, ``external`` means *not in the team's roles or groups* (the
   team must name one). ``team: members``: a person with one of those
   associations is team (and one with another association a client).
   ``clients: customers``: a Jira Service Management customer (Jira Cloud
   ``accountType: customer``) is a client.
4. **the rest** — where only ``clients`` is given every other human is team;
   where only ``team`` is given every other human is a client. Where neither
   is given, people with an association are classified as if
   ``clients: external`` had been written and the others keep the kind the
   tracker gave them (``unknown`` unless the local tracker file says ``team``
   or ``client``). With both given, an undecided person keeps the tracker's
   kind too.

Rules ignore ``unknown`` people: their messages neither start nor answer a
wait for a reply.

**E-mail blind spots.** Jira Cloud hides many people's e-mail addresses, so
an e-mail pattern (``*@client.example``) cannot see them: they fall to step 4
whatever their address. ``People.hidden_emails`` counts the people an e-mail pattern
could not judge (no visible e-mail, decided by no id, name, role, group or
keyword), so the run can say how many and what to write instead.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import translate
from operator import attrgetter

from connectors.model import Membership, Person, PersonKind, Snapshot

EXTERNAL = "external"
MEMBERS = "members"
CUSTOMERS = "customers"
#: Jira Cloud's accountType of a Jira Service Management customer.
CUSTOMER_ACCOUNT = "customer"
#: GitHub author_association values that mean "works on this repository".
INSIDE_ASSOCIATIONS = frozenset({"MEMBER", "OWNER", "COLLABORATOR"})
#: Automation accounts a tracker without account types shows as people. Jira rules run as
#: "Automation for Jira" unless a rule names another actor (Atlassian, "What is a rule
#: actor?": the display name); Data Center and Server send that user without an
#: ``accountType`` (Cloud says ``app``), under the user name ``automation`` on the sites issue
#: 19 measured (Atlassian does not document it). Only where the tracker gives neither an
#: account type (Jira Cloud) nor an association (GitHub): there the tracker decides.
AUTOMATION_NAMES = frozenset({"automation for jira"})
AUTOMATION_IDS = frozenset({"automation"})
_GLOB_CHARS = frozenset("*?[")
#: Tracker ids that are safe to mention as they are (GitHub logins, Jira account ids).
_MENTIONABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$")

#: Client organisations, each with its people's patterns (``clients: {initech: [...]}``).
Organisations = Mapping[str, Sequence[str]]
#: What ``clients``/``team`` may say: a keyword, patterns and roles/groups mixed, or (clients)
#: organisations, every one of whose people is a client.
Spec = str | Sequence[str | Membership] | Organisations | None
#: Who belongs to each role or group: person ids, as the tracker names people.
Members = Mapping[Membership, Collection[str]]


class _Patterns:
    """A list of globs matched case-insensitively against id, name and email."""

    def __init__(self, patterns: Iterable[str]) -> None:
        folded = [pattern.casefold() for pattern in patterns if pattern]
        self.exact = frozenset(p for p in folded if not _GLOB_CHARS & set(p))
        globs = [translate(p) for p in folded if _GLOB_CHARS & set(p)]
        self.glob = re.compile("|".join(globs)) if globs else None
        #: An e-mail pattern (``*@client.example``) cannot judge who hides their e-mail.
        self.by_email = any("@" in p for p in folded)

    def __bool__(self) -> bool:
        return bool(self.exact) or self.glob is not None

    def level(self, person: Person) -> int:
        """2 for an exact match, 1 for a glob match, 0 for none."""
        names = [value.casefold() for value in (person.id, person.name, person.email) if value]
        if any(name in self.exact for name in names):
            return 2
        if self.glob is not None and any(self.glob.match(name) for name in names):
            return 1
        return 0


@dataclass(frozen=True, slots=True)
class _Side:
    """One of ``clients``/``team``: its keyword, patterns and the ids of its roles/groups."""

    given: bool
    keyword: str | None
    patterns: _Patterns
    memberships: tuple[Membership, ...]
    member_ids: frozenset[str]

    @classmethod
    def of(cls, value: Spec, keywords: Collection[str], members: Members) -> _Side:
        if value is None:
            return cls(False, None, _Patterns(()), (), frozenset())
        if isinstance(value, str):
            if value.casefold() in keywords:
                return cls(True, value.casefold(), _Patterns(()), (), frozenset())
            value = (value,)
        if isinstance(value, Mapping):
            value = tuple(pattern for patterns in value.values() for pattern in patterns)
        held = tuple(item for item in value if isinstance(item, Membership))
        ids = frozenset(pid.casefold() for ref in held for pid in members.get(ref, ()))
        patterns = _Patterns(item for item in value if isinstance(item, str))
        return cls(True, None, patterns, held, ids)

    def level(self, person: Person) -> int:
        """A role or group member counts as an exact match (2); else the patterns decide."""
        if person.id.casefold() in self.member_ids:
            return 2
        return self.patterns.level(person)


def memberships(*specs: Spec) -> tuple[Membership, ...]:
    """The roles and groups the settings name, in order, each once: what to ask the tracker."""
    found: dict[Membership, None] = {}
    for spec in specs:
        if spec is not None and not isinstance(spec, str):
            found.update((item, None) for item in spec if isinstance(item, Membership))
    return tuple(found)


def organisation_of(person: Person, organisations: Organisations) -> str | None:
    """The client organisation whose patterns match the person best (exact beats a glob)."""
    best: tuple[int, str] | None = None
    for name, patterns in organisations.items():
        level = _Patterns(patterns).level(person)
        if level and (best is None or level > best[0]):
            best = (level, name)
    return best[1] if best else None


def organisation_index(people: Mapping[str, Person],
                       organisations: Organisations) -> dict[str, str]:
    """Person id -> client organisation, for the clients an organisation claims.

    ``organisation_of`` for everyone at once: each organisation's patterns are
    compiled once, not once per person (rules ask it per message).
    """
    compiled = [(name, _Patterns(patterns)) for name, patterns in organisations.items()]
    found: dict[str, str] = {}
    for person_id, person in people.items():
        if person.kind != "client":
            continue
        best: tuple[int, str] | None = None
        for name, patterns in compiled:
            level = patterns.level(person)
            if level and (best is None or level > best[0]):
                best = (level, name)
        if best is not None:
            found[person_id] = best[1]
    return found


def mentionable(ids: Iterable[str]) -> tuple[str, ...]:
    """Tracker ids (assignees) that can be mentioned as they are; any other is left out:
    a mention is written unescaped, so nothing read from a tracker gets there unchecked."""
    return tuple(pid for pid in ids if _is_mentionable(pid))


@functools.lru_cache(maxsize=4096)
def _is_mentionable(person_id: str) -> bool:
    """Asked for the assignees of every finding: a project's few hundred ids, remembered."""
    return _MENTIONABLE.match(person_id) is not None


def _by_association(person: Person) -> PersonKind | None:
    if not person.association:
        return None
    return "team" if person.association.upper() in INSIDE_ASSOCIATIONS else "client"


@dataclass(frozen=True, slots=True)
class People:
    """A project's ``clients``, ``team`` and ``bots``, forewarn's own ids, and who is in the
    roles and groups they name: what decides everyone's kind."""

    clients: Spec = None
    team: Spec = None
    bots: Sequence[str | Membership] = ()
    self_ids: Sequence[str] = ()
    members: Members = dataclasses.field(default_factory=dict)

    def _decider(self) -> _Decider:
        return _Decider.build(clients=self.clients, team=self.team, bots=self.bots,
                              self_ids=self.self_ids, members=self.members)

    def classify(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with every person's kind decided (see the module docstring)."""
        decide = self._decider()

        def decided(person: Person) -> Person:
            kind = decide(person)
            return person if kind == person.kind else dataclasses.replace(person, kind=kind)

        people = {person_id: decided(person) for person_id, person in snapshot.people.items()}
        # Authors and assignees the connector did not describe are classified by id.
        for person_id in _referenced(snapshot):
            if person_id not in people:
                people[person_id] = decided(Person(id=person_id, name=person_id))
        return dataclasses.replace(snapshot, people=people)

    def hidden_emails(self, snapshot: Snapshot) -> int:
        """How many people an e-mail pattern of ``clients``/``team`` could not judge.

        They show no e-mail (Jira Cloud hides it unless the profile allows it) and
        nothing else names them: no id or name pattern, role, group or keyword. Zero
        when neither setting holds an e-mail pattern.
        """
        decide = self._decider()
        if not (decide.clients.patterns.by_email or decide.team.patterns.by_email):
            return 0
        return sum(decide.blind(person) for person in snapshot.people.values())

    def named(self, people: Iterable[Person]) -> frozenset[str]:
        """The ids of the people ``clients`` or ``team`` name by id, name or e-mail (no glob,
        role or group): the admin said who they are, so an account that looks automated but
        is named there is a person, and forewarn stops asking (``rules/bot_suspects.py``)."""
        decide = self._decider()
        return frozenset(person.id for person in people if 2 in (
            decide.team.patterns.level(person), decide.clients.patterns.level(person)))


def classify(
    snapshot: Snapshot, *, clients: Spec, team: Spec, bots: Sequence[str | Membership] = (),
    self_ids: Sequence[str] = (),
) -> Snapshot:
    """``People(...).classify(snapshot)`` for settings that name no role or group."""
    return People(clients, team, bots, self_ids).classify(snapshot)


def without_email(snapshot: Snapshot) -> int:
    """People (bots aside) on a tracker that hides e-mail addresses (Jira Cloud: its people
    carry an ``account_type``) whose address it hides. Call it on a classified snapshot."""
    return sum(1 for person in snapshot.people.values()
               if person.account_type and person.kind != "bot" and not person.email)


def hidden_email_advice(project: str, count: int) -> str:
    """What the first cycle (and ``check-config --connect``) says about the blind spots."""
    people = "1 person shows" if count == 1 else f"{count} people show"
    return (f"{project}: {people} no e-mail address, so the e-mail patterns in clients/team "
            "cannot tell whether they are clients; name them by account id, or write "
            "team: {role: …} or {group: …} (clients: customers on a service desk)")


def without_email_note(project: str, count: int) -> str:
    """What the first cycle says when e-mails are hidden but nobody depends on them."""
    people = "1 person shows" if count == 1 else f"{count} people show"
    return (f"{project}: {people} no e-mail address; clients/team tell who they are by "
            "account id, role, group or service desk customer")


@dataclass(frozen=True, slots=True)
class _Decider:
    """A project's ``clients``, ``team`` and ``bots``: the steps of the module docstring."""

    clients: _Side
    team: _Side
    bots: _Side
    #: forewarn's own account ids, case-folded.
    ours: frozenset[str]

    @classmethod
    def build(cls, *, clients: Spec, team: Spec, bots: Sequence[str | Membership],
              self_ids: Sequence[str], members: Members) -> _Decider:
        return cls(
            clients=_Side.of(clients, (EXTERNAL, CUSTOMERS), members),
            team=_Side.of(team, (MEMBERS,), members),
            bots=_Side.of(tuple(bots), (), members),
            ours=frozenset(person_id.casefold() for person_id in self_ids),
        )

    def __call__(self, person: Person) -> PersonKind:
        if self._is_bot(person):
            return "bot"
        team_level = self.team.level(person)
        client_level = self.clients.level(person)
        if team_level or client_level:
            return "team" if team_level >= client_level else "client"
        return self._by_keyword(person) or self._the_rest(person)

    def blind(self, person: Person) -> bool:
        """No e-mail and decided only by step 4: an e-mail pattern could not judge them."""
        if person.email or self._is_bot(person):
            return False
        if max(self.team.level(person), self.clients.level(person)) == 2:
            return False
        return self._by_keyword(person) is None

    def _is_bot(self, person: Person) -> bool:
        folded_id = person.id.casefold()
        return (
            person.kind == "bot"
            or folded_id.endswith("[bot]")
            or (person.account_type is None and person.association is None
                and (folded_id in AUTOMATION_IDS or person.name.casefold() in AUTOMATION_NAMES))
            or folded_id in self.ours
            or bool(self.bots.level(person))
        )

    def _by_keyword(self, person: Person) -> PersonKind | None:
        """Step 3: ``external`` (association, else outside the team's roles and groups),
        ``members``, ``customers``; and association alone when neither side is given."""
        keyword = self.clients.keyword
        if keyword == CUSTOMERS:
            return "client" if person.account_type == CUSTOMER_ACCOUNT else None
        by_association = _by_association(person)
        neither_given = not (self.clients.given or self.team.given)
        if by_association is not None and (keyword or self.team.keyword or neither_given):
            return by_association
        if keyword == EXTERNAL and by_association is None and self.team.memberships:
            return "client"  # Jira: not in the team's roles or groups (step 2 saw that)
        return None

    def _the_rest(self, person: Person) -> PersonKind:
        """Step 4: the side that was not listed."""
        if self.clients.given and not self.team.given:
            return "team"
        if self.team.given and not self.clients.given:
            return "client"
        return person.kind


def _referenced(snapshot: Snapshot) -> set[str]:
    ids: set[str] = set(map(_AUTHOR, snapshot.comments))  # a million: a C loop
    for issue in snapshot.issues:
        ids.add(issue.author)
        ids.update(issue.assignees)
    return ids


_AUTHOR = attrgetter("author")
