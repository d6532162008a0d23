"""What ``check-config --connect`` says about each notification channel, sending nothing.

One line per channel: ✓ with the service, its URL with the credentials masked
and who uses it; ✗ with why Apprise cannot use it (its form, or a value the
service refuses, like a Slack token of the wrong shape).
"""

from __future__ import annotations

from dataclasses import dataclass

from config import Config
from config.channels import service_problem
from sync.notify.channels import describe_url


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    channel: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} channel {self.channel}: {self.detail}"


def channel_checks(config: Config) -> list[ChannelCheck]:
    """One check per configured channel, in the file's order; nothing is sent."""
    checks: list[ChannelCheck] = []
    for name, channel in config.channels.items():
        url = channel.url.get_secret_value()
        problem = service_problem(url)
        if problem:
            checks.append(ChannelCheck(name, False, problem))
            continue
        users = [f"project {project.name}" for project in config.projects
                 if name in project.notify_channels]
        users += [f"rule {rule.id}" for rule in config.rules if name in rule.notify_channels]
        parts = [describe_url(url), "for " + ", ".join(users) if users
                 else "named by no project or rule: it receives nothing"]
        if channel.digest is not None and "digest" in channel.events:
            parts.append(f"digest {channel.digest.every}")
        checks.append(ChannelCheck(name, True, "; ".join(parts)))
    return checks
