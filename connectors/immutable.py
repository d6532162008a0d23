"""``@immutable``: a frozen dataclass for the type checker, a plain slotted one at run time.

A frozen dataclass sets each field through ``object.__setattr__`` in its
``__init__``: a record of 10 fields costs three times what a plain one does.
forewarn builds a million comments when it loads a 100,000-issue project and
a finding per problem on every cycle (83,000 on the benchmark generator), so
that cost was seconds per cold start and a quarter of a second per cycle.

Records stay immutable where it is checked: mypy treats every ``@immutable``
class as frozen (PEP 681 ``dataclass_transform(frozen_default=True)``), so an
assignment to a field is a type error. They hash by value like frozen
dataclasses do (``unsafe_hash``), so they can still be set members and keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, overload

from typing_extensions import dataclass_transform

_T = TypeVar("_T")


@overload
def immutable(cls: type[_T], /) -> type[_T]: ...


@overload
def immutable(*, kw_only: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True)
def immutable(
    cls: type[_T] | None = None, /, *, kw_only: bool = False,
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """``@immutable`` or ``@immutable(kw_only=True)`` on a class with annotated fields."""

    def wrap(target: type[_T]) -> type[_T]:
        return dataclass(slots=True, unsafe_hash=True, kw_only=kw_only)(target)

    return wrap if cls is None else wrap(cls)
