"""Who is a client, who is on the team, who is a bot: decided once, before rules run.

A project says who its clients are, who its team is, or both::

    projects:
      - {name: portal, tracker: gh, repo: acme/portal, clients: external}
      - {name: billing, tracker: acme, jira_project: BILL, clients: ["*@client.example"]}
      - {name: intranet, tracker: gh, repo: acme/intranet, team: members, bots: [renovate*]}

``classify(snapshot, clients=..., team=..., bots=..., self_ids=...)`` returns
the same snapshot (issues, comments and changes are shared, not copied) with
every person's ``kind`` decided. The first step that applies wins:

1. **bot** — the connector already said ``bot`` (GitHub type Bot, Jira
   accountType app), the id ends in ``[bot]``, the id or name matches a
   ``bots`` glob, or the id is one of ``self_ids`` (forewarn's own account).
   Bots never count in any rule.
2. **named** — ``team`` and ``clients`` may be lists of patterns (logins,
   account ids, names, emails; ``fnmatch`` globs, case-insensitive; a single
   string that is not a keyword is one pattern). A pattern without wildcards
   that equals the id, name or email beats a glob; between equally specific
   matches on both sides, ``team`` wins.
3. **keywords** — ``clients: external``: a person whose GitHub
   ``author_association`` is not MEMBER, OWNER or COLLABORATOR is a client
   (and one with such an association is team); ``team: members``: a person
   with one of those associations is team (and one with another association a
   client). A person without an association (Jira, the local tracker) is not
   decided by a keyword.
4. **the rest** — where only ``clients`` is given every other human is team;
   where only ``team`` is given every other human is a client. Where neither
   is given, people with an association are classified as if
   ``clients: external`` had been written and the others keep the kind the
   tracker gave them (``unknown`` unless the local tracker file says ``team``
   or ``client``). With both given, an undecided person keeps the tracker's
   kind too.

Rules ignore ``unknown`` people: their messages neither start nor answer a
wait for a reply.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import translate

from connectors.model import Person, PersonKind, Snapshot

EXTERNAL = "external"
MEMBERS = "members"
#: GitHub author_association values that mean "works on this repository".
INSIDE_ASSOCIATIONS = frozenset({"MEMBER", "OWNER", "COLLABORATOR"})
_GLOB_CHARS = frozenset("*?[")
#: Tracker ids that are safe to mention as they are (GitHub logins, Jira account ids).
_MENTIONABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$")


class _Patterns:
    """A list of globs matched case-insensitively against id, name and email."""

    def __init__(self, patterns: Iterable[str]) -> None:
        folded = [pattern.casefold() for pattern in patterns if pattern]
        self.exact = frozenset(p for p in folded if not _GLOB_CHARS & set(p))
        globs = [translate(p) for p in folded if _GLOB_CHARS & set(p)]
        self.glob = re.compile("|".join(globs)) if globs else None

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


Organisations = Mapping[str, Sequence[str]]


def _spec(value: str | Sequence[str] | Organisations | None,
          keyword: str) -> tuple[bool, _Patterns]:
    """(keyword given, patterns) from a ``clients``/``team`` setting."""
    if value is None:
        return False, _Patterns(())
    if isinstance(value, str):
        if value.casefold() == keyword:
            return True, _Patterns(())
        return False, _Patterns((value,))
    if isinstance(value, Mapping):  # client organisations: every one of them is a client
        return False, _Patterns(pattern for patterns in value.values() for pattern in patterns)
    return False, _Patterns(value)


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
    return tuple(pid for pid in ids if _MENTIONABLE.match(pid))


def _by_association(person: Person) -> PersonKind | None:
    if not person.association:
        return None
    return "team" if person.association.upper() in INSIDE_ASSOCIATIONS else "client"


def classify(
    snapshot: Snapshot,
    *,
    clients: str | Sequence[str] | Organisations | None,
    team: str | Sequence[str] | None,
    bots: Sequence[str] = (),
    self_ids: Sequence[str] = (),
) -> Snapshot:
    """The snapshot with every person's kind decided (see the module docstring)."""
    external, client_patterns = _spec(clients, EXTERNAL)
    members, team_patterns = _spec(team, MEMBERS)
    decide = _Decider(
        clients=client_patterns,
        team=team_patterns,
        bots=_Patterns(bots),
        ours=frozenset(person_id.casefold() for person_id in self_ids),
        keyword=external or members,
        clients_given=clients is not None,
        team_given=team is not None,
    )

    def decided(person: Person) -> Person:
        kind = decide(person)
        return person if kind == person.kind else dataclasses.replace(person, kind=kind)

    people = {person_id: decided(person) for person_id, person in snapshot.people.items()}
    # Authors and assignees the connector did not describe are classified by id.
    for person_id in _referenced(snapshot):
        if person_id not in people:
            people[person_id] = decided(Person(id=person_id, name=person_id))
    return dataclasses.replace(snapshot, people=people)


@dataclass(frozen=True, slots=True)
class _Decider:
    """A project's ``clients``, ``team`` and ``bots``: the steps of the module docstring."""

    clients: _Patterns
    team: _Patterns
    bots: _Patterns
    #: forewarn's own account ids, case-folded.
    ours: frozenset[str]
    #: ``clients: external`` or ``team: members`` was given.
    keyword: bool
    clients_given: bool
    team_given: bool

    def __call__(self, person: Person) -> PersonKind:
        if self._is_bot(person):
            return "bot"
        team_level = self.team.level(person)
        client_level = self.clients.level(person)
        if team_level or client_level:
            return "team" if team_level >= client_level else "client"
        return self._the_rest(person)

    def _is_bot(self, person: Person) -> bool:
        folded_id = person.id.casefold()
        return (
            person.kind == "bot"
            or folded_id.endswith("[bot]")
            or folded_id in self.ours
            or bool(self.bots.level(person))
        )

    def _the_rest(self, person: Person) -> PersonKind:
        """Steps 3 and 4: a keyword, else the side that was not listed."""
        by_association = _by_association(person)
        neither_given = not (self.clients_given or self.team_given)
        if by_association is not None and (self.keyword or neither_given):
            return by_association
        if self.clients_given and not self.team_given:
            return "team"
        if self.team_given and not self.clients_given:
            return "client"
        return person.kind


def _referenced(snapshot: Snapshot) -> set[str]:
    ids: set[str] = {comment.author for comment in snapshot.comments}
    for issue in snapshot.issues:
        ids.add(issue.author)
        ids.update(issue.assignees)
    return ids
