"""Sending through Apprise to local receivers: what arrives, and how a failure is classed."""

from __future__ import annotations

import logging

import pytest
import responses

from connectors.retry import RetryPolicy
from sync.notify.channels import Channels, describe_url
from tests.fakes.channels import HttpReceiver, SmtpReceiver

NO_WAIT = RetryPolicy(attempts=3, scale=0)


@pytest.mark.parametrize(("subject", "body", "plain"), [
    ("[portal] reminder: feedback", "⏰ **Carol** is waiting for a reply on “Login fails”.",
     "⏰ Carol is waiting for a reply on “Login fails”."),
    ("[portal] 提醒：feedback", "⏰ **Carol** 仍在等待对“登录失败”的答复。",
     "⏰ Carol 仍在等待对“登录失败”的答复。"),
], ids=["en", "zh-CN"])
def test_an_email_arrives_with_its_subject_and_text(smtp: SmtpReceiver, subject: str, body: str,
                                                    plain: str) -> None:
    channels = Channels({"pm": smtp.url()}, retry=NO_WAIT)
    assert channels.send("pm", subject=subject, body=body).outcome == "sent"
    [message] = smtp.messages
    assert (message["subject"], message["to"], message["from"]) == (
        subject, "pm@example.com", "forewarn@example.com")
    assert smtp.texts() == [plain + "\n"] or smtp.texts() == [plain]
    html = message.get_body(("html",))
    assert html is not None and "<strong>Carol</strong>" in str(html.get_content())


def test_a_webhook_gets_title_and_body_as_json(http: HttpReceiver) -> None:
    channels = Channels({"hook": http.url()}, retry=NO_WAIT)
    assert channels.send("hook", subject="[portal] warning: scope", body="⚠️ text").outcome == "sent"
    [got] = http.received
    assert got.path == "/hook"
    assert (got.body["title"], got.body["message"], got.body["type"]) == (
        "[portal] warning: scope", "⚠️ text", "info")


def test_ntfy_can_be_pointed_at_a_local_server(http: HttpReceiver) -> None:
    channels = Channels({"phone": http.url("ntfy", "forewarn-alerts")}, retry=NO_WAIT)
    assert channels.send("phone", subject="[portal] reminder", body="due soon").outcome == "sent"
    [got] = http.received
    assert got.body["topic"] == "forewarn-alerts" and got.body["message"] == "due soon"


SLACK_HOOK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


@responses.activate(assert_all_requests_are_fired=True)
def test_slack_is_an_incoming_webhook_on_its_own_host() -> None:
    # Apprise posts to hooks.slack.com over HTTPS only (no local host can stand in): the
    # incoming-webhook request of https://api.slack.com/messaging/webhooks, recorded here.
    responses.add(responses.POST, SLACK_HOOK, body="ok")
    channels = Channels({"team": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#delivery"},
                        retry=NO_WAIT)
    assert channels.send("team", subject="[portal] critical: feedback",
                         body="🚨 **Carol** waits").outcome == "sent"
    import json

    sent = json.loads(responses.calls[0].request.body)
    assert sent["channel"] == "#delivery"
    assert sent["attachments"][0]["title"] == "[portal] critical: feedback"
    assert sent["attachments"][0]["text"] == "🚨 *Carol* waits"  # Markdown made Slack's


@pytest.mark.parametrize(("script", "outcome", "requests"), [
    (["500", "500", "500"], "failed", 3),   # refused every time: retried, then given up
    (["500", "ok"], "sent", 2),             # refused once, then accepted
    (["drop"], "unknown", 1),               # the response was lost: never sent again
])
def test_a_refusal_is_retried_and_a_lost_response_is_not(
    http: HttpReceiver, script: list[str], outcome: str, requests: int,
) -> None:
    http.script = list(script)
    channels = Channels({"hook": http.url()}, retry=NO_WAIT)
    delivery = channels.send("hook", subject="s", body="b")
    assert delivery.outcome == outcome
    assert len(http.received) == requests


def test_a_channel_that_answers_nothing_is_an_unknown_outcome(http: HttpReceiver) -> None:
    http.script = ["hang"]
    channels = Channels({"hook": http.url(query="rto=0.2")}, retry=NO_WAIT)
    assert channels.send("hook", subject="s", body="b").outcome == "unknown"
    assert len(http.received) == 1


def test_an_unreachable_channel_fails_without_quoting_its_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "json://forewarn:hunter2secret@127.0.0.1:9/hook"
    with caplog.at_level(logging.DEBUG):
        delivery = Channels({"hook": url}, retry=NO_WAIT).send("hook", subject="s", body="b")
    assert delivery.outcome == "failed"
    assert "hunter2secret" not in delivery.detail
    assert "hunter2secret" not in caplog.text
    assert "hunter2secret" not in repr(Channels({"hook": url}))


@pytest.mark.parametrize(("url", "shown"), [
    ("mailto://user:s3cretpass@example.com", "E-Mail (mailto://user:****@example.com/)"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "Slack (slack://T...2/A...D/T...Q//)"),
    ("json://127.0.0.1:8080/hook", "JSON (json://127.0.0.1:8080/hook)"),
])
def test_a_channel_is_described_with_its_credentials_masked(url: str, shown: str) -> None:
    assert describe_url(url) == shown
