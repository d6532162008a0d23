"""Notification channels in forewarn.yaml: Apprise URLs checked at load, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.channels import form_problem, secret_parts, service_problem
from sync.notify.checks import channel_checks
from tests.config.conftest import Load, Problems

HEADER = """\
version: 1
trackers:
  local: {kind: local, path: demo.json}
"""


@pytest.mark.parametrize(("channels", "project", "expected"), [
    ('  pm: "slak://T1/B2/C3"\n', "notify_channels: [pm]",
     'forewarn.yaml:5:7: channels.pm: no notification service "slak://" (did you mean '
     '"slack"?)'),
    ('  pm: "hooks.slack.com/services/x"\n', "notify_channels: [pm]",
     "forewarn.yaml:5:7: channels.pm: not an Apprise URL (write service://…, like "
     "json://hooks.example.com/forewarn)"),
    ('  pm: {url: "json://", severity: high}\n', "notify_channels: [pm]",
     "forewarn.yaml:5:13: channels.pm.url: Apprise cannot parse this json:// URL (see its "
     "page on appriseit.com)"),
    ('  pm: {url: "mailto://a:b@example.com", severity: info}\n', "notify_channels: [pm]",
     'forewarn.yaml:5:51: channels.pm.severity: "info" is not one of: warning, critical'),
    ('  pm: {url: "mailto://a:b@example.com", digest: {every: "noon"}}\n',
     "notify_channels: [pm]",
     'forewarn.yaml:5:57: channels.pm.digest.every: not a schedule: "noon" (a weekday or '
     "daily, then HH:MM: monday 09:00)"),
    ('  team: "mailto://a:b@example.com"\n', "notify_channels: [tem]",
     'forewarn.yaml:7:52: project "demo": no channel named "tem" (did you mean "team"?)'),
    ('  Team: "mailto://a:b@example.com"\n', "notify_channels: []",
     'forewarn.yaml:5:9: not a valid channel name: "Team" (use lowercase letters, digits, - '
     "and _)"),
])
def test_bad_channels_are_problems_at_their_place(
    problems: Problems, channels: str, project: str, expected: str,
) -> None:
    text = (HEADER + "channels:\n" + channels
            + f"projects:\n  - {{name: demo, tracker: local, {project}}}\n")
    assert expected in problems(text)


def test_a_channel_url_from_the_environment_or_a_secret_file(
    load: Load, secrets_dir: Path,
) -> None:
    (secrets_dir / "pm_mail_url").write_text("mailto://forewarn:fromafile@mail.example.com\n")
    config = load(HEADER + """\
channels:
  pm: ${PM_MAIL_URL}
  team: {url: "slack://${SLACK_TOKENS}/#delivery", digest: {every: Monday 9:00}}
projects:
  - {name: demo, tracker: local, notify_channels: [pm, team]}
rules:
  - {id: feedback, kind: unanswered_feedback, notify_channels: team, remind: [50%, 2h]}
""", environ={"SLACK_TOKENS": "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"})
    pm, team = config.channels["pm"], config.channels["team"]
    assert pm.url.get_secret_value() == "mailto://forewarn:fromafile@mail.example.com"
    assert team.digest is not None and team.digest.every == "monday 09:00"
    assert config.rules[0].notify_channels == ("team",)
    shown = repr(config) + str(config.model_dump()) + config.model_dump_json()
    assert "fromafile" not in shown and "TIiajkdnlazkcOXrIdevi7FQ" not in shown


def test_a_problem_never_quotes_the_url(problems: Problems) -> None:
    found = problems(HEADER + 'channels:\n  pm: "slak://xoxb-secret-token-value/1/2/3"\n')
    assert "xoxb-secret-token-value" not in "\n".join(found)


@pytest.mark.parametrize(("url", "form", "service"), [
    ("mailto://…", None, "Invalid ~From~ email specified:"),
    ("slack://onlyone", None, "An invalid Slack (second) Token (None) was specified."),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", None, None),
    ("workflows://prod.westeurope.logic.azure.com:443/wfid/signature0", None, None),
    ("ntfy://ntfy.example.com/alerts", None, None),
    ("matrix://forewarn:pw@matrix.example.com/#delivery", None, None),
])
def test_the_form_at_load_and_the_service_for_connect(
    url: str, form: str | None, service: str | None,
) -> None:
    """Load checks Apprise's parsing only (DESIGN.md's ``mailto://…`` placeholder loads);
    ``check-config --connect`` also asks the service, which refuses what it cannot use."""
    assert form_problem(url) == form
    problem = service_problem(url)
    assert (problem if service is None else (problem or "")[: len(service)]) == service


def test_secret_parts_are_what_a_log_must_mask() -> None:
    parts = secret_parts("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#delivery")
    assert {"T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"} <= set(parts)


def test_connect_lines_say_what_each_channel_is_and_who_uses_it(load: Load) -> None:
    config = load(HEADER + """\
channels:
  pm: "mailto://forewarn:hunter22@mail.example.com?to=pm@example.com"
  team: {url: "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", digest: {every: daily 09:00}}
  broken: "slack://onlyone"
  spare: "ntfy://ntfy.example.com/alerts"
projects:
  - {name: demo, tracker: local, notify_channels: [pm]}
rules:
  - {id: feedback, kind: unanswered_feedback, notify_channels: [team]}
""")
    assert [str(check) for check in channel_checks(config)] == [
        "✓ channel pm: E-Mail (mailto://forewarn:****@mail.example.com/pm%40example.com); "
        "for project demo",
        "✓ channel team: Slack (slack://T...2/A...D/T...Q//); for rule feedback; "
        "digest daily 09:00",
        "✗ channel broken: An invalid Slack (second) Token (None) was specified.",
        "✓ channel spare: ntfy (ntfy://ntfy.example.com/alerts); named by no project or rule: "
        "it receives nothing",
    ]
