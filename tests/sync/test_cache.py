"""sync/cache.py: a delta merged into the cached snapshot, and forewarn's own writes applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot
from sync.cache import merge, to_write, with_writes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def issue(number: int, title: str = "", labels: tuple[str, ...] = (), *,
          updated_at: datetime | None = None) -> Issue:
    return Issue(key=f"p#{number}", title=title or f"Issue {number}", url="", state="open",
                 created_at=T0, author="carol", labels=labels, updated_at=updated_at)


def comment(ident: str, body: str = "") -> Comment:
    return Comment(id=ident, issue_key="p#1", author="carol", created_at=T0, body_excerpt=body)


def milestone(number: int, title: str = "") -> Milestone:
    return Milestone(key=f"p/milestones/{number}", title=title or f"M{number}")


def change(number: int, label: str) -> Change:
    return Change(f"p#{number}", "label", T0, after=label, actor="alice")


def snapshot(at: datetime = T0, *, issues: tuple[Issue, ...] = (),
             comments: tuple[Comment, ...] = (), milestones: tuple[Milestone, ...] = (),
             changes: tuple[Change, ...] = (), people: dict[str, Person] | None = None
             ) -> Snapshot:
    return Snapshot(project="p", fetched_at=at, issues=issues, comments=comments,
                    milestones=milestones, changes=changes, people=people or {})


BASE = snapshot(
    issues=(issue(1, "One"), issue(2, "Two")),
    comments=(comment("10", "first"), comment("11", "second")),
    milestones=(milestone(1, "v1"), milestone(2, "v2")),
    changes=(change(1, "bug"),),
    people={"carol": Person("carol", "Carol")},
)


def test_without_a_cache_the_delta_is_the_snapshot() -> None:
    assert merge(None, BASE) is BASE


@pytest.mark.parametrize(
    ("delta", "titles", "bodies"),
    [
        # Nothing changed: everything cached stays.
        (snapshot(LATER), ["One", "Two"], ["first", "second"]),
        # A record in the delta replaces the cached one with its key; the rest stay.
        (snapshot(LATER, issues=(issue(2, "Two, renamed"),)), ["One", "Two, renamed"],
         ["first", "second"]),
        (snapshot(LATER, comments=(comment("10", "first, edited"),)), ["One", "Two"],
         ["first, edited", "second"]),
        # A new record is added after those seen before.
        (snapshot(LATER, issues=(issue(3, "Three"),), comments=(comment("12", "third"),)),
         ["One", "Two", "Three"], ["first", "second", "third"]),
    ],
)
def test_a_delta_is_merged_by_key(delta: Snapshot, titles: list[str], bodies: list[str]) -> None:
    merged = merge(BASE, delta)
    assert [i.title for i in merged.issues] == titles
    assert [c.body_excerpt for c in merged.comments] == bodies
    assert merged.fetched_at == LATER


@pytest.mark.parametrize(
    ("milestones", "titles"),
    [
        # Milestones come whole with every fetch: a milestone not listed is gone.
        ((milestone(2, "v2, renamed"),), ["v2, renamed"]),
        ((milestone(1, "v1"), milestone(2, "v2"), milestone(3, "v3")), ["v1", "v2", "v3"]),
        # A delta without milestones (nothing listed) keeps the cached ones.
        ((), ["v1", "v2"]),
    ],
)
def test_milestones_are_replaced_whole(milestones: tuple[Milestone, ...],
                                       titles: list[str]) -> None:
    merged = merge(BASE, snapshot(LATER, milestones=milestones))
    assert [m.title for m in merged.milestones] == titles


def test_changes_are_a_set_and_people_are_updated() -> None:
    delta = snapshot(LATER, changes=(change(1, "bug"), change(2, "p1")),
                     people={"carol": Person("carol", "Carol C."), "bob": Person("bob", "Bob")})
    merged = merge(BASE, delta)
    assert merged.changes == (change(1, "bug"), change(2, "p1"))  # seen twice, kept once
    assert {pid: p.name for pid, p in merged.people.items()} == {"carol": "Carol C.",
                                                                  "bob": "Bob"}


# Labels on p#1 before, the (target, label) pairs forewarn added and removed, labels after.
@pytest.mark.parametrize(
    ("before", "added", "removed", "after"),
    [
        ((), [("p#1", "scope-creep")], [], ("scope-creep",)),
        (("bug",), [("p#1", "scope-creep"), ("p#1", "awaiting-reply")], [],
         ("bug", "scope-creep", "awaiting-reply")),
        # Label names compare case-insensitively, as on GitHub: no second "Scope-Creep".
        (("Scope-Creep",), [("p#1", "scope-creep")], [], ("Scope-Creep",)),
        (("bug", "Awaiting-Reply"), [], [("p#1", "awaiting-reply")], ("bug",)),
        (("bug",), [], [("p#1", "awaiting-reply")], ("bug",)),  # already gone
        # Another issue's writes leave p#1 alone; an unknown issue is ignored.
        (("bug",), [("p#2", "scope-creep"), ("p#9", "x")], [("p#2", "bug")], ("bug",)),
    ],
)
def test_with_writes_applies_forewarns_labels(
    before: tuple[str, ...], added: list[tuple[str, str]], removed: list[tuple[str, str]],
    after: tuple[str, ...],
) -> None:
    cached = snapshot(issues=(issue(1, labels=before, updated_at=T0),
                              issue(2, labels=("bug",), updated_at=T0)))
    written = with_writes(cached, added=added, removed=removed, comments=[], now=LATER)
    assert written.issues[0].labels == after
    # An issue forewarn wrote to is as fresh as the write; the others are untouched.
    touched = {target for target, _ in [*added, *removed]}
    assert [i.updated_at for i in written.issues] == [
        LATER if f"p#{n}" in touched else T0 for n in (1, 2)]


def test_with_writes_adds_and_replaces_comments() -> None:
    ours = Comment(id="11", issue_key="p#1", author="forewarn", created_at=LATER,
                   body_excerpt="<!-- forewarn:x:warning -->", is_ours=True, marker="x:warning")
    written = with_writes(BASE, added=[], removed=[], now=LATER,
                          comments=[ours, comment("12", "new")])
    assert [(c.id, c.body_excerpt) for c in written.comments] == [
        ("10", "first"), ("11", "<!-- forewarn:x:warning -->"), ("12", "new")]
    assert written.issues == BASE.issues


def test_to_write_names_only_what_the_fetch_returned_or_forewarn_changed() -> None:
    """The state store writes these, never the rest of the cached project."""
    ours = Comment(id="20", issue_key="p#2", author="forewarn", created_at=LATER,
                   is_ours=True, marker="f.1:warning")
    delta = snapshot(LATER, issues=(issue(1, "One again", updated_at=LATER),),
                     comments=(comment("12", "third"),), changes=(change(1, "p1"),),
                     milestones=BASE.milestones,
                     people={"carol": Person("carol", "Carol"), "dan": Person("dan", "Dan")})
    merged = merge(BASE, delta)
    after = with_writes(merged, added=[("p#2", "scope-creep")], removed=[], comments=[ours],
                        now=LATER)
    write = to_write(previous=BASE, delta=delta, after=after, replace_all=False,
                     labelled=["p#2"], comments=[ours])
    assert not write.replace
    assert [(i.key, i.labels) for i in write.issues] == [("p#1", ()), ("p#2", ("scope-creep",))]
    assert [c.id for c in write.comments] == ["12", "20"]
    assert write.changes == (change(1, "p1"),)
    assert write.milestones == BASE.milestones  # whole: the store writes those that differ
    assert write.people == [Person("dan", "Dan")]


@pytest.mark.parametrize(("previous", "replace_all"), [(None, False), (BASE, True)])
def test_to_write_a_whole_snapshot(previous: Snapshot | None, replace_all: bool) -> None:
    write = to_write(previous=previous, delta=BASE, after=BASE, replace_all=replace_all)
    assert write.replace and write.issues == BASE.issues and write.comments == BASE.comments


def test_nothing_fetched_and_nothing_written_writes_nothing() -> None:
    delta = snapshot(LATER)
    after = with_writes(merge(BASE, delta), added=[], removed=[], comments=[], now=LATER)
    assert after.issues is BASE.issues and after.comments is BASE.comments
    write = to_write(previous=BASE, delta=delta, after=after, replace_all=False)
    assert write.rows == 0 and write.milestones is None


def test_an_issue_listed_twice_is_replaced_in_both_places_not_a_crash() -> None:
    # A paginated listing can return an issue twice; forewarn's label on it must not fail
    # the cycle.
    twice = snapshot(T0, issues=(issue(1, "One"), issue(1, "One")))
    written = with_writes(twice, added=[("p#1", "scope-creep")], removed=[], comments=[],
                          now=LATER)
    assert [i.labels for i in written.issues] == [("scope-creep",), ("scope-creep",)]
    merged = merge(twice, snapshot(LATER, issues=(issue(1, "One again"),)))
    assert [i.title for i in merged.issues] == ["One again", "One again"]
