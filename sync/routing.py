"""Where one project's alerts go, as the cycle needs it (``alerts`` and ``backfill`` in the
config, resolved to tracker keys and records by ``sync/app/runtime.py``).

* ``to: issue`` — one comment per finding on its issue, public: the client reads it;
* ``to: internal`` — the same comments, restricted (``visibility``: a Jira role or group,
  or a Service Management internal note): only the team reads them;
* ``to: digest`` — no comment on any client issue: one team comment per project on
  ``team_issue`` lists every finding (``sync/digest.py``).

``labels: False`` keeps labels off the project's issues. ``backfill: digest`` makes a
project's first cycle list the findings already there in one digest on the team
issue instead of commenting on each (``backfills``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from config.alerts import AlertsTo, Backfill
from connectors.model import PUBLIC, Visibility

__all__ = ["AlertsTo", "Backfill", "Routing"]


@dataclass(frozen=True, slots=True)
class Routing:
    """One project's ``alerts`` and ``backfill``, with the team issue as a tracker key.

    The defaults are forewarn's behaviour before audiences (every finding commented on its
    issue, publicly, from the first cycle): code that builds a runtime by hand keeps it;
    the config's own default for ``backfill`` is ``digest`` (``sync/app/runtime.py``).
    """

    to: AlertsTo = "issue"
    visibility: Visibility = PUBLIC
    #: The team issue: the digest's home, and the backfill digest's (``alerts.issue``, else
    #: the status issue).
    team_issue: str | None = None
    labels: bool = True
    backfill: Backfill = "comment"

    @property
    def per_finding(self) -> bool:
        """Whether each finding gets a comment of its own (not with ``to: digest``)."""
        return self.to != "digest"

    @property
    def audience(self) -> Literal["client", "team"]:
        return "client" if self.to == "issue" else "team"

    def backfills(self, first_cycle: bool) -> bool:
        """Whether this cycle lists what it finds in the backfill digest (see the module)."""
        return first_cycle and self.backfill == "digest" and self.per_finding
