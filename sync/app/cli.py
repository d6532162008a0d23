"""The ``forewarn`` command. One error handler maps failures to exit codes:
2 for bad configuration or usage, 1 for a failed run, 75 when another forewarn
process holds a project (``run --once`` beside a daemon or another run: try
again later; sysexits' EX_TEMPFAIL), 130 on Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from config import (
    Config,
    ConfigError,
    Problem,
    Settings,
    effective_state_url,
    load_config,
    load_settings,
)
from config.model import redact_url
from config.settings import default_tokens
from connectors.errors import TrackerError
from connectors.model import now
from sync.app import logs
from sync.app.arguments import EXIT_BUSY, build_parser
from sync.app.output import line, print_cycle, print_failure
from sync.app.preview import print_bodies
from sync.app.progress import LiveProgress
from sync.app.runtime import build_runtime
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.progress import CycleProgress, LineProgress
from sync.store.lease import DEFAULT_TTL, Refusal, holder_id, keep, take
from sync.store.state import StateStore, StateStoreUnavailable

log = logging.getLogger("forewarn")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad command-line input: exit 2 with the message."""


#: ``--now`` replays and audits stay within these years: rules count back and forward from
#: it by up to a year (``rules.options.MAX_DURATION``), which must stay a valid date.
NOW_YEARS = (1970, 9000)


def _parse_now(text: str | None) -> Callable[[], datetime]:
    if text is None:
        return now
    try:
        fixed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"--now: not an ISO timestamp: {text!r} (like 2026-11-25T08:00:00Z)"
        raise UsageError(msg) from None
    if fixed.tzinfo is None:
        msg = f"--now: give a timezone, like {text}Z"
        raise UsageError(msg)
    first, last = NOW_YEARS
    if not first < fixed.year < last:
        msg = f"--now: {text!r} is out of range (between the years {first} and {last})"
        raise UsageError(msg)
    fixed = fixed.astimezone(UTC)
    return lambda: fixed


def examples_dir() -> Path:
    """The bundled demo: in the source tree, or where the wheel installed it."""
    candidates = [Path(__file__).resolve().parents[2] / "examples",
                  Path(sys.prefix) / "share" / "forewarn" / "examples"]
    for candidate in candidates:
        if (candidate / "demo-tracker.json").is_file():
            return candidate
    msg = "the bundled demo is missing (looked in " + ", ".join(map(str, candidates)) + ")"
    raise UsageError(msg)


def _load(path: Path, settings: Settings) -> Config:
    """The config, checked against the settings too (a tracker without any token is a
    problem); what it will not do is said on stderr, one line each. Its secrets are
    masked in every log line from then on."""

    def warn(problem: Problem) -> None:
        print(problem, file=sys.stderr)

    config = load_config(path, default_tokens=default_tokens(settings), warn=warn)
    logs.hide(config, settings, effective_state_url(settings, config))
    return config


# -- commands ---------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    config = _load(args.config, settings)
    rules = sum(len(config.rules_for(project)) for project in config.projects)
    line(console, f"{args.config}: OK ({len(config.projects)} projects, {len(config.rules)} "
                  f"rules, {rules} rule applications)")
    if args.schema:
        from config.schema import config_json_schema

        print(json.dumps(config_json_schema(), indent=2))
    if args.connect:
        from sync.app.connect import check_projects, print_checks

        if not print_checks(console, check_projects(config, settings,
                                                    clock=_parse_now(args.now))):
            return EXIT_USAGE
    return EXIT_OK


def _projects(config: Config, name: str | None) -> list[str]:
    names = [project.name for project in config.projects]
    if name is None:
        return names
    if name not in names:
        from rules.registry import suggest

        msg = f'no project named "{name}"{suggest(name, names)}'
        raise UsageError(msg)
    return [name]


Then = Callable[[ProjectRuntime, StateStore, CycleReport], None]


def _cycles(
    config: Config, settings: Settings, *, project: str | None, dry_run: bool,
    clock: Callable[[], datetime], console: Console, then: Then | None = None,
    summary: bool = False, progress: CycleProgress | None = None,
    wait: timedelta = timedelta(0),
) -> list[CycleReport]:
    """One cycle per project; ``then`` runs after each, while the state store is open;
    ``progress`` hears pages read and writes done (None: nothing is shown).

    A cycle that writes holds the project's lease (``sync/store/lease.py``), so it never
    runs beside a daemon's or another ``run``'s on the same store; ``wait`` is how long
    to wait for it. A dry run writes nothing and takes none."""
    url = effective_state_url(settings, config)
    log.debug("state store %s", redact_url(url))
    store = StateStore(url)
    holder = holder_id()
    reports = []
    try:
        for name in _projects(config, project):
            try:
                runtime = build_runtime(config, config.project(name), settings=settings,
                                        clock=clock)
            except TrackerError as error:
                report = CycleReport(project=name, started_at=clock(), dry_run=dry_run,
                                     errors=[str(error)])
                print_failure(console, report)
            else:
                runtime.progress = progress
                report = _leased_cycle(runtime, store, holder=holder, wait=wait, clock=clock,
                                       dry_run=dry_run, summary=summary)
                if isinstance(progress, LiveProgress):
                    progress.finish(name)
                if report.busy:
                    print_failure(console, report)
                else:
                    print_cycle(console, report, runtime.style)
                    if then is not None:
                        then(runtime, store, report)
            reports.append(report)
    finally:
        store.close()
    return reports


def _leased_cycle(
    runtime: ProjectRuntime, store: StateStore, *, holder: str, wait: timedelta,
    clock: Callable[[], datetime], dry_run: bool, summary: bool,
) -> CycleReport:
    """The project's cycle under its lease (leases run on the wall clock, never ``--now``)."""
    if dry_run:
        return run_cycle(runtime, store, clock=clock, dry_run=True, summary=summary)
    taken = take(store, runtime.name, holder, ttl=DEFAULT_TTL, clock=now, wait=wait)
    if isinstance(taken, Refusal):
        why = (f"another forewarn process is working on this project (its lease is {taken}); "
               "nothing was done: run again later, or give --wait")
        return CycleReport(project=runtime.name, started_at=clock(), dry_run=dry_run,
                           errors=[why], busy=True)
    with keep(taken) as holding:
        runtime.lease = holding
        try:
            return run_cycle(runtime, store, clock=clock, dry_run=False, summary=summary)
        finally:
            runtime.lease = None


def cmd_run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if not args.once:
        msg = "run needs --once (use `forewarn daemon` for scheduled cycles)"
        raise UsageError(msg)
    config = _load(args.config, settings)
    dry_run = args.dry_run or settings.dry_run
    clock = _parse_now(args.now)
    show = dry_run if args.show_bodies is None else args.show_bodies
    wait = _duration("--wait", args.wait, minimum=timedelta(0)) or timedelta(0)

    def bodies(runtime: ProjectRuntime, store: StateStore, report: CycleReport) -> None:
        print_bodies(console, report, runtime.connector)

    with ExitStack() as stack:
        progress: CycleProgress = (
            stack.enter_context(LiveProgress(console)) if console.is_terminal
            else LineProgress(emit=lambda text: line(console, text)))
        reports = _cycles(config, settings, project=args.project, dry_run=dry_run,
                          clock=clock, console=console, summary=args.summary,
                          progress=progress, then=bodies if show else None, wait=wait)
    if any(not report.ok and not report.busy for report in reports):
        return EXIT_FAILED
    return EXIT_BUSY if any(report.busy for report in reports) else EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from connectors.base import Markup
    from sync.summary.model import ProjectSummary
    from sync.summary.report import render_report, summarize, unavailable_summary

    config = _load(args.config, settings)
    clock = _parse_now(args.now)
    summaries: dict[str, ProjectSummary] = {}
    markups: dict[str, Markup] = {}

    def summary(runtime: ProjectRuntime, store: StateStore, report: CycleReport) -> None:
        summaries[runtime.name] = summarize(runtime, store, report, now=clock())
        markups[runtime.name] = runtime.style.markup

    reports = _cycles(config, settings, project=args.project, dry_run=True,
                      clock=clock, console=Console(quiet=True), then=summary)
    ordered = [summaries.get(report.project) or unavailable_summary(
        config, report.project, errors=report.errors, now=clock()) for report in reports]
    templates = next((config.summary_for(config.project(report.project)).templates
                      for report in reports), None)
    text = render_report(ordered, args.format, templates=templates,
                         markups=markups).rstrip("\n")
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {args.out}")
    else:
        print(text)
    return EXIT_FAILED if any(report.errors for report in reports) else EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from sync.app.output import READ_COMMENTS, demo_text

    source = examples_dir()
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="forewarn-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("forewarn.yaml", "demo-tracker.json"):
        shutil.copy(source / name, workdir / name)
    language = args.language
    config_file = workdir / "forewarn.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "language: en", f"language: {language}"), encoding="utf-8")
    tracker_file = workdir / "demo-tracker.json"
    tracker = json.loads(tracker_file.read_text(encoding="utf-8"))
    clock = _parse_now(args.now or tracker["as_of"])
    console.rule(f"[bold]{demo_text(language, 'title')}")
    console.print(demo_text(language, "intro", tracker=tracker_file, now=clock().isoformat()),
                  highlight=False)
    config = _load(config_file, settings)
    demo_settings = settings.model_copy(
        update={"state_url": f"sqlite:///{workdir / 'forewarn-demo.db'}"})
    bodies: list[str] = []
    reports: list[CycleReport] = []
    again: list[CycleReport] = []
    would: list[CycleReport] = []
    try:
        reports = _cycles(config, demo_settings, project=None, dry_run=False, clock=clock,
                          console=console)
        console.print(demo_text(language, "again"))
        again = _cycles(config, demo_settings, project=None, dry_run=False, clock=clock,
                        console=Console(quiet=True))
        for report in again:
            writes = len(report.outcome.writes) if report.outcome else 0
            console.print(demo_text(language, "again.line", project=report.project,
                                    findings=len(report.findings), writes=writes))
        would = _cycles(config, demo_settings, project=None, dry_run=True, clock=clock,
                        console=Console(quiet=True), summary=True)
        bodies = [text for report in would for text in _summary_bodies(report, language)]
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    for body in bodies:
        console.out(body, highlight=False)
    if args.dir:
        console.out(demo_text(language, "kept", tracker=tracker_file,
                              command=READ_COMMENTS.format(tracker=tracker_file)),
                    highlight=False)
    failed = not all(report.ok for report in [*reports, *again, *would])
    return EXIT_FAILED if failed else EXIT_OK


def _summary_bodies(report: CycleReport, language: str = "en") -> list[str]:
    """The retrospectives, then the summary, a dry-run cycle would post: the demo's end."""
    from sync.actions import CreateComment, EditComment
    from sync.app.output import demo_text

    posts = [action for action in report.plan.summary
             if isinstance(action, CreateComment | EditComment)]
    texts: list[str] = []
    for action in sorted(posts, key=lambda action: action.kind == "summary"):
        what = demo_text(language, "what.summary" if action.kind == "summary" else "what.retro")
        texts.append(demo_text(language, "post", what=what, target=action.target))
        texts.append(action.body)
    return texts


def cmd_notify(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """``forewarn notify --test CHANNEL``: one test message, sent now (nothing recorded)."""
    from config.channels import service_problem
    from rules.registry import suggest
    from sync.notify.channels import Channels, describe_url
    from sync.notify.render import test_message

    config = load_config(args.config)
    name = args.test
    if name not in config.channels:
        known = list(config.channels)
        hint = suggest(name, known) or (f" (defined: {', '.join(known)})" if known
                                        else " (no channels are defined)")
        msg = f'no channel named "{name}"{hint}'
        raise UsageError(msg)
    url = config.channels[name].url.get_secret_value()
    problem = service_problem(url)
    if problem:
        console.print(f"✗ channel {name}: {problem}", highlight=False)
        return EXIT_FAILED
    language = args.language or next(
        (config.language_for(p) for p in config.projects if name in p.notify_channels),
        config.summary.language)
    message = test_message(name, language)
    where = describe_url(url)
    if args.dry_run:
        console.print(f"would send to {name}, {where}: {message.subject}", highlight=False)
        console.out(message.body.rstrip("\n"), highlight=False)
        return EXIT_OK
    delivery = Channels({name: url}).send(name, subject=message.subject, body=message.body)
    if delivery.outcome == "sent":
        console.print(f"✓ channel {name}: sent a test message to {where}", highlight=False)
        return EXIT_OK
    what = "no answer (it may still arrive)" if delivery.outcome == "unknown" else "failed"
    console.print(f"✗ channel {name}: {what}: {delivery.detail}", highlight=False)
    return EXIT_FAILED


def _duration(option: str, text: str | None, *,
              minimum: timedelta = timedelta(seconds=1)) -> timedelta | None:
    if text is None:
        return None
    from rules.options import format_duration, parse_duration

    try:
        value = parse_duration(text)
    except ValueError as error:
        msg = f"{option}: {error}"
        raise UsageError(msg) from None
    if value < minimum:
        msg = f"{option}: at least {format_duration(minimum)}"
        raise UsageError(msg)
    return value


def cmd_daemon(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from sync.app.daemon import DaemonOptions, run_daemon

    if args.workers < 1:
        msg = "--workers: at least 1"
        raise UsageError(msg)
    options = DaemonOptions(
        config_path=args.config, http_port=settings.http_port,
        interval=_duration("--interval", args.interval), workers=args.workers,
        lease_ttl=_duration("--lease-ttl", args.lease_ttl) or DEFAULT_TTL,
        holder=holder_id(args.replica_id), dry_run=args.dry_run or settings.dry_run,
    )
    return run_daemon(options, settings)


# -- the one error handler --------------------------------------------------------------


def _log_level(args: argparse.Namespace, settings: Settings) -> str:
    """``--log-level``, else ``FOREWARN_LOG_LEVEL``; one-shot commands print only warnings
    and errors unless told otherwise, the daemon its INFO cycle lines too."""
    if args.log_level:
        return str(args.log_level)
    if args.command != "daemon" and settings.log_level == "INFO":
        return "WARNING"
    return settings.log_level


#: What each command does (``sync/app/arguments.py`` says what it accepts).
COMMANDS: dict[str, Callable[[argparse.Namespace, Settings, Console], int]] = {
    "check-config": cmd_check_config, "run": cmd_run, "report": cmd_report, "demo": cmd_demo,
    "daemon": cmd_daemon, "notify": cmd_notify,
}


def main(argv: Sequence[str] | None = None) -> int:
    # Piped output (CI logs, files) gets a fixed width instead of rich's 80 columns.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

    def error(text: str) -> None:
        print(text, file=sys.stderr)  # never wrapped: one problem, one line

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logs.setup(settings, level=_log_level(args, settings))
        if getattr(args, "config", None) is None:
            args.config = settings.config
        return int(COMMANDS[args.command_name](args, settings, console))
    except ConfigError as failure:
        for problem in failure.problems:
            error(str(problem))
        return EXIT_USAGE
    except UsageError as failure:
        error(f"forewarn: {failure}")
        return EXIT_USAGE
    except (TrackerError, StateStoreUnavailable) as failure:
        error(f"forewarn: {failure}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("forewarn: interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
