"""Where a project's alerts go and who may read them: ``alerts`` and ``backfill``.

::

    alerts: {to: issue}                                     # the default: on the issue
    alerts: {to: internal, visible_to: {role: Developers}}  # Jira: restricted to a role
    alerts: {to: internal}                                  # a Service Management internal note
    alerts: {to: digest, issue: ACME-1}                     # one team comment on a team issue
    alerts: {to: issue, labels: false}                      # no labels on client issues
    backfill: digest                                        # the default (see below)

``backfill`` says what a project's first cycle (no state yet) does with the
findings that were already there: ``digest`` labels them and lists them in one
comment on the team issue (``alerts.issue``, else ``status_issue``) so that
adopting forewarn does not flood the client's issues; ``comment`` gives each
its own alert, as every later finding gets. Checks that need the tracker kind
(GitHub has no restricted comments) are ``config/audience_checks.py``'s.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from config.fields import FrozenModel, MemberRef, team_issue_ref

AlertsTo = Literal["issue", "internal", "digest"]
Backfill = Literal["digest", "comment"]


class Alerts(FrozenModel):
    """Where alerts are written (``to``), who may read them, and whether issues get labels."""

    to: AlertsTo = Field(
        default="issue",
        description="issue: a comment on the issue (public); internal: on the issue, restricted "
                    "(Jira); digest: one team comment per project on the team issue.",
    )
    visible_to: MemberRef | None = Field(
        default=None,
        description="Jira: restrict internal (or digest) comments to {role: NAME} or "
                    "{group: NAME}; without it, internal means a Service Management internal "
                    "note.",
    )
    issue: Annotated[int | str | None, BeforeValidator(team_issue_ref)] = Field(
        default=None,
        description="The team issue: where the digest goes (required with to: digest), and the "
                    "backfill digest. ACME-1, owner/repo#1, or a number in the project.",
    )
    labels: bool = Field(
        default=True,
        description="false: no labels on the project's issues (a client-visible tracker).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Alerts:
        if self.to == "digest" and self.issue is None:
            msg = ("to: digest needs issue: the team issue that holds the digest "
                   "(like ACME-1 or acme/portal-internal#1)")
            raise ValueError(msg)
        if self.to == "issue" and self.visible_to is not None:
            msg = ("visible_to restricts internal or digest alerts; alerts on the issue "
                   "(to: issue) are public")
            raise ValueError(msg)
        return self

    @property
    def audience(self) -> Literal["client", "team"]:
        """Who reads the alerts: the client on the issue, only the team otherwise."""
        return "client" if self.to == "issue" else "team"


