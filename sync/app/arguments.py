"""The ``forewarn`` command line: its commands, their options and help texts.

``sync/app/cli.py`` carries the commands out; what each accepts lives here, so
that the help a user reads and the options the code reads are one list.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TypeAlias

#: The exit code of ``run --once`` when another forewarn process holds a project
#: (sysexits' EX_TEMPFAIL: try again later).
EXIT_BUSY = 75

#: What ``add_subparsers`` returns (argparse names no public type for it).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forewarn",
        description="Watch scope, dates and client feedback in GitHub or Jira; write alerts back.",
    )
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (default), ERROR")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check_config(commands)
    _add_run(commands)
    _add_report(commands)
    _add_demo(commands)
    _add_daemon(commands)
    _add_notify(commands)
    return parser


def _with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
    sub.add_argument("-c", "--config", type=Path,
                     help="the config file (default: $FOREWARN_CONFIG or forewarn.yaml)")
    return sub


def _add_check_config(commands: Commands) -> None:
    check = _with_config(
        commands.add_parser("check-config", help="validate the config; exit 2 on problems"))
    check.add_argument("--schema", action="store_true",
                       help="also print the config's JSON Schema (for editors)")
    check.add_argument("--connect", action="store_true",
                       help="also ask each tracker what forewarn may do there (credentials, "
                            "project, status issue, labels, boards, e-mails, quota), without "
                            "writing; one ✓/✗ line each, exit 2 on any ✗")
    check.add_argument("--now", help="--connect: count waiting clients as of this ISO time")
    check.set_defaults(command_name="check-config")


def _add_run(commands: Commands) -> None:
    run = _with_config(commands.add_parser("run", help="one cycle: fetch, evaluate, write alerts"))
    run.add_argument("--once", action="store_true", help="run one cycle and exit")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan and what each comment would say; write nothing")
    run.add_argument("--show-bodies", action=argparse.BooleanOptionalAction, default=None,
                     help="print the body of each comment created and the diff of each edit "
                          "(the default with --dry-run; --no-show-bodies for the plan only)")
    run.add_argument("--project", help="only this project")
    run.add_argument("--now", help="evaluate as of this ISO time (replays, audits)")
    run.add_argument("--wait", metavar="DURATION",
                     help="when another forewarn process (a daemon, another run) is working "
                          "on a project, wait this long for it (default: do not wait; "
                          f"exit {EXIT_BUSY})")
    run.add_argument("--summary", action="store_true",
                     help="also post the expectation summary of the current period (and due "
                          "milestone retrospectives) to each project's status issue")
    run.set_defaults(command_name="run")


def _add_report(commands: Commands) -> None:
    report = _with_config(commands.add_parser(
        "report", help="the expectation summary now, without writing to the tracker or state"))
    report.add_argument("--format", choices=("md", "json", "html"), default="md",
                        help="md: each project's comment as its tracker shows it (GitHub "
                             "Markdown, or Jira wiki markup for a Jira project); json: an "
                             "array with one summary per project "
                             "(docs/summary.schema.json); html: one self-contained page")
    report.add_argument("--out", help="write to this file instead of standard output")
    report.add_argument("--project", help="only this project")
    report.add_argument("--now", help="as of this ISO time")
    report.set_defaults(command_name="report")


def _add_demo(commands: Commands) -> None:
    demo = commands.add_parser("demo", help="the whole job on a bundled sample project, offline")
    demo.add_argument("--dir", help="keep the demo's tracker and state in this folder")
    demo.add_argument("--now", help="as of this ISO time (default: the demo's own date)")
    demo.add_argument("--language", choices=("en", "zh-CN"), default="en",
                      help="the language of the demo: its alerts, summary and narration")
    demo.set_defaults(command_name="demo")


def _add_daemon(commands: Commands) -> None:
    daemon = _with_config(commands.add_parser(
        "daemon", help="cycles and summaries on schedule; /healthz, /readyz, /metrics"))
    daemon.add_argument("--interval", metavar="DURATION",
                        help="run every project this often, overriding its `every` "
                             "(like 30s; tests and trials)")
    daemon.add_argument("--workers", type=int, default=4,
                        help="cycles running at once (default 4)")
    daemon.add_argument("--lease-ttl", metavar="DURATION",
                        help="how long a project's lease outlives a replica that died "
                             "holding it (default 60s)")
    daemon.add_argument("--replica-id", metavar="NAME",
                        help="this replica's name in leases (default HOSTNAME:PID); a random "
                             "token is added, so no two processes share a lease")
    daemon.add_argument("--dry-run", action="store_true",
                        help="plan and log, write nothing to trackers")
    daemon.set_defaults(command_name="daemon")


def _add_notify(commands: Commands) -> None:
    notify = _with_config(commands.add_parser(
        "notify", help="notification channels: send a test message to one"))
    notify.add_argument("--test", metavar="CHANNEL", required=True,
                        help="send one test message to this channel (a key of channels)")
    notify.add_argument("--language", choices=("en", "zh-CN"),
                        help="the message's language (default: the project's that names it)")
    notify.add_argument("--dry-run", action="store_true", help="print the message, send nothing")
    notify.set_defaults(command_name="notify")
