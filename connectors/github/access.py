"""What forewarn may do on one repository, asked without writing (``check-config --connect``).

Every request is a GET:

* ``GET /user``: the token is accepted, and whose it is; a classic token lists its
  scopes in ``X-OAuth-Scopes`` (a fine-grained token sends none). A GitHub App is
  asked for its slug instead (``GET /app``, as ``whoami`` does).
* ``GET /repos/{owner}/{repo}``: the repository is there and visible; ``archived``
  and ``has_issues`` say whether issues can be written at all, and ``permissions``
  (``pull``, ``triage``, ``push``, ``maintain``, ``admin``) what the account may do:
  comment on an open issue with read access, on a locked one with write access,
  apply labels with triage, create them with write
  (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization).
* ``GET /repos/{owner}/{repo}/issues/{number}`` for each target issue (the status
  issue): there, not a pull request, and not locked against the account.
* ``GET /repos/{owner}/{repo}/labels`` only when the account may apply labels but
  not create them: the ones forewarn needs must exist already.

What cannot be asked without writing is said as such: the repository payload shows
the account's role, not what a fine-grained token was granted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import AccessReport, AccessRequest, Check
from connectors.errors import TrackerError
from connectors.github.http import Transport
from connectors.github.read import PER_PAGE, items

#: Repository roles, weakest first, as the ``permissions`` object names them.
ROLES = (("pull", "Read"), ("triage", "Triage"), ("push", "Write"), ("maintain", "Maintain"),
         ("admin", "Admin"))


@dataclass
class RepositoryAccess:
    """The checks of one repository through ``http``; ``login`` asks who forewarn is."""

    http: Transport
    repo: str
    login: Callable[[], str]
    app: bool
    checks: list[Check] = field(default_factory=list)
    scopes: tuple[str, ...] | None = None
    role: str | None = None

    #: The plan's other repositories (``repos:``), each checked like the home one.
    others: tuple[str, ...] = ()
    #: The Project (``github_project``): it and its named fields are checked after them.
    board: Callable[[], list[Check]] | None = None

    def run(self, request: AccessRequest) -> AccessReport:
        if not self._credentials():
            return AccessReport(tuple(self.checks))
        data = self._repository() if self.repo else {}
        if data is None:
            return AccessReport(tuple(self.checks))
        for other in self.others:
            home, role, self.repo = self.repo, self.role, other
            self._repository()
            self.repo, self.role = home, role
        if self.board is not None:
            self.checks += self.board()
        for name, key, option in request.targets:
            self._target(name, key, option)
        if self.repo:
            self._labels(request.labels)
        self._rate_limit(request.floor)
        ident = data.get("id") if data else None
        identity = f"github:{self.http.base_url}:{ident}" if ident is not None else None
        return AccessReport(tuple(self.checks), identity=identity)

    def _say(self, name: str, ok: bool, detail: str, hint: str = "") -> None:
        detail = detail.removeprefix(f"GitHub {self.repo}: ").removeprefix("GitHub: ")
        self.checks.append(Check(name, ok, detail, hint))

    def _credentials(self) -> bool:
        try:
            if self.app:
                self._say("credentials", True, f"GitHub App accepted: writes as {self.login()}")
                return True
            response = self.http.call("GET", "/user")
        except TrackerError as error:
            self._say("credentials", False, str(error))
            return False
        login = response.data.get("login") if isinstance(response.data, dict) else None
        header = response.headers.get("x-oauth-scopes")
        if header is None:
            kind = "a fine-grained token"
        else:
            self.scopes = tuple(s.strip() for s in header.split(",") if s.strip())
            kind = f"a classic token, scopes: {', '.join(self.scopes) or 'none'}"
        self._say("credentials", True, f"token accepted: writes as {login} ({kind})")
        return True

    def _repository(self) -> dict[str, Any] | None:
        try:
            data = self.http.call("GET", f"/repos/{self.repo}").data
        except TrackerError as error:
            self._say("repository", False, str(error))
            return None
        if not isinstance(data, dict):
            self._say("repository", False, f"GET /repos/{self.repo}: not a repository")
            return None
        permissions = data.get("permissions")
        if isinstance(permissions, dict):
            self.role = next((name for key, name in reversed(ROLES) if permissions.get(key)),
                             None)
        problem, hint = self._repository_problem(data)
        if problem:
            self._say("repository", False, problem, hint)
            return data
        private = "private" if data.get("private") else "public"
        role = f"; the account has {self.role} access" if self.role else ""
        self._say("repository", True, f"{data.get('full_name')} found ({private}){role}")
        return data

    def _repository_problem(self, data: dict[str, Any]) -> tuple[str, str]:
        name = str(data.get("full_name") or self.repo)
        if name.casefold() != self.repo.casefold():
            return f"{self.repo} is now {name}", f"write repo: {name}"
        if data.get("archived"):
            return f"{name} is archived: nothing can be written there", "unarchive it"
        if data.get("has_issues") is False:
            return f"{name} has issues turned off", "turn Issues on in its settings"
        if self.scopes is not None:
            need = ("repo",) if data.get("private") else ("repo", "public_repo")
            if not set(need) & set(self.scopes):
                return (f"the token's scopes do not include {' or '.join(need)}",
                        f"add the {need[0]} scope to the token")
        return "", ""

    def _rank(self) -> int:
        names = [name for _, name in ROLES]
        return names.index(self.role) if self.role in names else -1

    def _target(self, name: str, key: str, option: str) -> None:
        repo, _, number = key.rpartition("#")
        try:
            data = self.http.call("GET", f"/repos/{repo or self.repo}/issues/{number}").data
        except TrackerError as error:
            self._say(name, False, str(error),
                      f"create an issue for it, or fix {option}")
            return
        data = data if isinstance(data, dict) else {}
        if "pull_request" in data:
            self._say(name, False, f"{key} is a pull request", f"name an issue in {option}")
        elif data.get("locked") and self._rank() < 2:
            self._say(name, False, f"{key} is locked: only Write access may comment",
                      "unlock it, or grant Write")
        else:
            self._say(name, True, f"{key} found ({data.get('state', 'open')}), "
                                  f"“{data.get('title', '')}”; comments allowed")

    def _labels(self, labels: tuple[str, ...]) -> None:
        rank = self._rank()
        if self.role is None:
            self._say("labels", True, "not shown for a GitHub App: it needs Issues: read and "
                                      "write")
        elif rank >= 2:
            extra = "" if self.scopes is not None else (
                " (a fine-grained token needs Issues: read and write too)")
            self._say("labels", True, f"may create and apply labels{extra}")
        elif rank == 1:
            missing = self._missing_labels(labels)
            if missing:
                self._say("labels", False, f"{', '.join(missing)} missing, and Triage access "
                          "cannot create labels", "create them, or grant Write")
            else:
                self._say("labels", True, "may apply labels; all of them exist")
        else:
            self._say("labels", False, "Read access cannot label issues",
                      "grant Triage or Write")

    def _missing_labels(self, labels: tuple[str, ...]) -> list[str]:
        path = f"/repos/{self.repo}/labels"
        names: set[str] = set()
        for page in self.http.pages(path, {"per_page": PER_PAGE}):
            names |= {str(raw.get("name", "")).casefold()
                      for raw in items(page, f"GET {path}", self.repo) if isinstance(raw, dict)}
        return [label for label in labels if label.casefold() not in names]

    def _rate_limit(self, floor: int) -> None:
        left, reset = self.http.rate_limit_remaining, self.http.rate_limit_reset
        if left is None:
            return
        when = f" (resets at {datetime.fromtimestamp(reset, tz=UTC):%H:%M} UTC)" if reset \
            else ""
        if left < floor:
            self._say("rate limit", False, f"{left} requests left{when}: forewarn stops "
                      f"writing below {floor}", "wait for the reset, or use a GitHub App")
        else:
            self._say("rate limit", True, f"{left:,} requests left{when}")
