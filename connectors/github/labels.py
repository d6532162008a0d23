"""The labels forewarn puts on issues, made in each repository of a plan where needed.

A label is made (``POST /repos/{owner}/{repo}/labels``) in the home repository when
the publisher asks for it (``ensure_label``), and in another repository of the plan
(``repos:``, a Project's items) just before it is first applied there, with the same
colour and description. Each repository's catalogue is read once a cycle, and only
when a label is needed there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.github.http import Transport
from connectors.github.read import PER_PAGE, items


@dataclass(frozen=True, slots=True)
class LabelSpec:
    color: str
    description: str


@dataclass(eq=False)
class Labels:
    http: Transport
    repo: str
    #: Label name (case-folded) -> how forewarn makes it.
    specs: dict[str, tuple[str, LabelSpec]] = field(default_factory=dict)
    #: Repository -> its label names (case-folded), read this cycle.
    catalogues: dict[str, set[str]] = field(default_factory=dict)

    def forget(self) -> None:
        """A new cycle: the catalogues are read again when needed."""
        self.catalogues.clear()

    def want(self, name: str, *, color: str, description: str) -> None:
        self.specs[name.casefold()] = (name, LabelSpec(color.lstrip("#"), description))

    def ready(self, repo: str, names: list[str]) -> None:
        """Make each label forewarn knows how to make that ``repo`` lacks."""
        known = self._names(repo) if any(n.casefold() in self.specs for n in names) else set()
        for wanted in names:
            found = self.specs.get(wanted.casefold())
            if found is None or wanted.casefold() in known:
                continue
            name, spec = found
            path = f"/repos/{repo}/labels"
            body = {"name": name, "color": spec.color, "description": spec.description}
            response = self.http.call("POST", path, body=body, accept=(422,))
            if response.status == 422 and not _already_exists(response.data):
                raise self.http.error_for(422, response.headers, response.data, f"POST {path}")
            known.add(name.casefold())

    def _names(self, repo: str) -> set[str]:
        key = repo.casefold()
        if key not in self.catalogues:
            path = f"/repos/{repo}/labels"
            names: set[str] = set()
            for page in self.http.pages(path, {"per_page": PER_PAGE}):
                for raw in items(page, f"GET {path}", self.repo):
                    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                        names.add(raw["name"].casefold())
            self.catalogues[key] = names
        return self.catalogues[key]


def _already_exists(data: Any) -> bool:
    errors = data.get("errors") if isinstance(data, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("code") == "already_exists" for e in errors
    )
