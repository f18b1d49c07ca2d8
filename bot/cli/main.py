"""The `trackbot` command: a thin click layer over the library.

Every error is one line (ConfigError exits 2, anything else 1), never a traceback, unless
`--debug` (or TRACKBOT_DEBUG=1): then the "trackbot" log (internal errors with their
traceback) goes to stderr and a bug that reaches the command is re-raised.
Shared options (`--json`, `--since`, `--product`) mean the same on every command.

Over 300 lines on purpose: one short function per command, and the whole command list
in one file is what a reader of `trackbot --help` wants to find; the work is elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from bot.core.clock import parse_interval, utcnow
from bot.core.errors import ConfigError, TrackbotError, internal_error, log
from bot.core.lazy import lazy_module
from bot.ops.logs import LogFormat, configure_logging, log_run
from bot.read import preflight as reads
from bot.store.lock import run_lock

if TYPE_CHECKING:
    from bot.config import check as configcheck
    from bot.config import load as configuration
    from bot.core import model
    from bot.deliver import console as render
    from bot.deliver import health as delivery_health
    from bot.deliver.early import EarlyDelivery
    from bot.judge import fleet
    from bot.poll import daemon
    from bot.read import views
    from bot.read import why as why_module
    from bot.sources.api import SourceConf
    from bot.store import connect as dbopen
    from bot.store import reads as store_reads
    from bot.store import retention
    from bot.store.history import Store
else:  # imported at first use: `--help` and `status` do not pay for httpx, the kinds or slack-sdk (issue 11)
    configuration, configcheck, daemon, dbopen, delivery_health, fleet, model, render, store_reads, views = map(
        lazy_module, ("bot.config.load", "bot.config.check", "bot.poll.daemon", "bot.store.connect", "bot.deliver.health", "bot.judge.fleet",
                      "bot.core.model", "bot.deliver.console", "bot.store.reads", "bot.read.views"))
    retention = lazy_module("bot.store.retention")
    why_module = lazy_module("bot.read.why")

console = Console()
Command = Callable[..., Any]  # a click command function, before decoration
DEBUG = "trackbot.debug"  # key in click's ctx.meta: --debug was given


def safe(text: object) -> str:
    """Upstream text made safe for rich (bot.deliver.console.safe), without importing bot.deliver.console for `--help`."""
    return render.safe(text)


class Group(click.Group):
    """Turns every error into one line on stderr: exit 2 for config, 1 otherwise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(2)
        except TrackbotError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `trackbot events --json | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a command killed by a closed pipe
        except Exception as exc:  # one line, never a traceback (it goes to the log)
            message = internal_error(exc, f"trackbot {ctx.invoked_subcommand or ''}".strip())
            if ctx.meta.get(DEBUG):
                raise
            click.echo(f"trackbot: {message}", err=True)
            sys.exit(1)


class App:
    def __init__(self, config_path: str, db_path: str) -> None:
        self.config_path = config_path
        self.db_path = db_path

    def config(self, *, checked: bool = False, outline: bool = False) -> configuration.Config:
        """The config; `checked` adds the checks `trackbot check` makes (URLs, each kind's local needs), as poll and run
        need; `outline` reads each source's common settings only, importing no kind (bot.config.load.load)."""
        if checked:
            return configcheck.load_checked(self.config_path)
        return configuration.load(self.config_path, outline=outline)

    def store(self, *, write: bool = True) -> Store:
        """The database; read commands pass write=False and still work on a read-only file system."""
        return dbopen.open_store(self.db_path, write=write)

    def reader(self) -> Store:
        """The history for a read command: refuses a database that does not exist."""
        return reads.existing_store(self.db_path)

    def pins(self) -> list[model.Pin]:
        """The fleet's pins and sources' products (as pins) when sources.yaml loads; read commands work without it."""
        try:
            cfg = self.config()
        except TrackbotError:
            return []
        named = [model.Pin(str(getattr(c, "product", "")), "") for c in cfg.sources if getattr(c, "product", "")]
        return [*cfg.fleet, *named]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TRACKBOT_CONFIG", default="sources.yaml", show_default=True,
              help="sources.yaml to use (env TRACKBOT_CONFIG).")
@click.option("--db", "db_path", envvar="TRACKBOT_DB", default="db/trackbot.db", show_default=True,
              help="History database (env TRACKBOT_DB).")
@click.option("--debug", is_flag=True, envvar="TRACKBOT_DEBUG",
              help="Print internal errors with their traceback, and re-raise a bug (env TRACKBOT_DEBUG=1).")
@click.version_option(package_name="trackbot")
@click.pass_context
def main(ctx: click.Context, config_path: str, db_path: str, debug: bool) -> None:
    """trackbot: tells the team, at once, only what matters to the versions they run.

    \b
    Example:
      trackbot poll && trackbot why 1.10 --product docker
    """
    ctx.obj = App(config_path, db_path)
    if debug:
        ctx.meta[DEBUG] = True
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)


def json_option(f: Command) -> Command:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def product_option(f: Command) -> Command:
    return click.option("--product", "-p", default=None, help="Only this product (docker, linux, debian:docker.io...).")(f)


def since_option(f: Command) -> Command:
    return click.option("--since", default="7d", show_default=True, help="How far back: 30m, 12h, 7d, 4w.")(f)


def _since(text: str) -> datetime:
    try:
        return utcnow() - parse_interval(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _deliverer(cfg: configuration.Config) -> Any:
    from bot.deliver.loop import ConsoleSink
    from bot.deliver.slack.sink import build

    return build(cfg.slack) or ConsoleSink(console)


def _destinations(cfg: configuration.Config) -> list[Any]:
    """The `notify:` sinks (bot/deliver/notify.py), each served from its own queue after the outbox's own sink."""
    if not cfg.notify:
        return []
    from bot.deliver.notify import destinations  # only then: it loads Apprise

    return list(destinations(cfg.notify))


def _poll_once(cfg: configuration.Config, store: Store, only: tuple[str, ...] = (), force: bool = False, *,
               show_table: bool = True, show_all: bool = False) -> int:
    """One poll as `poll` and each `run` cycle do it: the writes, then every destination, then the
    table, metrics and heartbeat. Exit code: 1 a source failed, 3 nobody hears the alerts."""
    import asyncio  # the poll stack (asyncio, httpx, the kinds' parsers): loaded only by the commands that poll

    from bot.deliver.early import EarlyDelivery
    from bot.deliver.loop import deliver_pending
    from bot.ops.self_incidents import storage_guard
    from bot.poll.cycle import run_poll
    from bot.poll.progress import PollProgress

    started, began = time.monotonic(), utcnow()
    sink, targets = _deliverer(cfg), _destinations(cfg)
    if targets:
        from bot.deliver.notify import join

        join(store, targets, utcnow())
    progress = PollProgress(console, len(only) or len(cfg.sources))
    early = EarlyDelivery(store, [sink], targets, utcnow)  # a finished source's alerts go out at once
    with storage_guard(store, lambda: deliver_pending(store, sink, utcnow)), progress, early:
        report = asyncio.run(run_poll(cfg, store, only=only, force=force, on_result=early.after(progress)))
    # Everything is written: what the worker left (a sink that was down) goes now, as before.
    delivery = early.merged(sink.name, deliver_pending(store, sink, utcnow))
    notified = _notify(store, targets, early)  # ...and each `notify:` destination's own queue
    if show_table:  # not with --log-format json: there every line is a JSON object
        incidents = views.PollIncidents(store_reads.open_incident_counts(store), store_reads.open_incident_counts(store, began.isoformat()))
        views.show_poll(console, report, delivery, incidents, show_all=show_all)
    log_run(report, delivery, time.monotonic() - started)
    for line, failing in notified:
        (log.warning if failing else log.info)(line)
        if show_table:
            console.print(safe(line), highlight=False)
    healthy = not report.failed and not delivery.errors and not any(failing for _, failing in notified)
    _after_run(cfg, store, healthy=healthy, echo=show_table)
    retention.apply_if_due(store, cfg.retention, utcnow())  # at most once a day: old runs, sent alerts' bodies
    undelivered = _delivery_problem(cfg, store)
    if undelivered:  # exit 3: cron and systemd must see that nobody hears the alerts
        click.echo(f"trackbot: {undelivered}", err=True)
        return 3
    return 1 if report.failed else 0


def _delivery_problem(cfg: configuration.Config, store: Store) -> str | None:
    return delivery_health.problem(store, utcnow(), parse_interval(cfg.settings.delivery_failing_for))


def _notify(store: Store, targets: list[Any], early: EarlyDelivery) -> list[tuple[str, bool]]:
    """Deliver each `notify:` destination's backlog; its report line, and whether it had an error."""
    if not targets:
        return []
    from bot.deliver.notify import deliver_destinations, report_line

    reports = {name: early.merged(name, report, destination=True)
               for name, report in deliver_destinations(store, targets, utcnow).items()}
    return [(report_line(name, report), bool(report.errors)) for name, report in reports.items()]


def _after_run(cfg: configuration.Config, store: Store, *, healthy: bool, echo: bool) -> None:
    """Metrics textfile and heartbeat after every poll and `run` cycle (README "Watching the watcher")."""
    from bot.ops.heartbeat import ping
    from bot.ops.metrics import write_textfile

    problems = []
    if cfg.metrics.textfile:
        path = cfg.config_dir / cfg.metrics.textfile
        try:
            write_textfile(store, [s.name for s in cfg.sources], path, utcnow())
        except OSError as exc:  # the poll itself went fine: say so, do not fail it
            problems.append(f"metrics textfile {path}: {exc.strerror or exc}")
    if cfg.heartbeat_url and healthy:
        problems.append(ping(cfg.heartbeat_url) or "")
    for problem in filter(None, problems):
        log.warning(problem)
        if echo:
            click.echo(f"trackbot: {problem}", err=True)


@main.command()
@click.option("--source", "-s", "only", multiple=True, help="Poll only this source (repeatable).")
@click.option("--force", is_flag=True, help="Ignore each source's `every:` interval.")
@click.option("--all", "show_all", is_flag=True, help="List every source, not only those that changed or failed.")
@click.pass_obj
def poll(app: App, only: tuple[str, ...], force: bool, show_all: bool) -> None:
    """One run over every due source; exits 1 if any source failed.

    \b
    Example:
      trackbot poll --source kernel
    """
    cfg = app.config(checked=True)
    with run_lock(app.db_path):
        code = _poll_once(cfg, app.store(), only, force, show_all=show_all)
    sys.exit(code)


@main.command()
@click.option("--every", default="15m", show_default=True, help="Interval between runs.")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs (default: never).")
@click.option("--log-format", type=click.Choice([f.value for f in LogFormat]), default="text", show_default=True,
              help="Timestamped log lines on stderr; json: one JSON object per line (journald, Loki), no table.")
@click.pass_obj
def run(app: App, every: str, runs: int | None, log_format: str) -> None:
    """Poll for ever, re-reading sources.yaml when it changes (a bad edit keeps the last good config).

    A bad config at start exits 2 before the first run. The lock is held only while polling.

    \b
    Examples:
      trackbot run --every 15m
      trackbot run --every 15m --log-format json
    """
    fmt = LogFormat(log_format)
    try:
        interval = parse_interval(every).total_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from None
    watch = daemon.ConfigWatch.start(app.config_path)  # ConfigError: exit 2, nothing polled
    show_table = fmt is LogFormat.TEXT

    def say(line: str) -> None:
        """A line about the loop itself (a config edit, a failed run): the console in text mode;
        in JSON mode a log entry, except a bug's, which internal_error logged with its traceback."""
        if show_table:
            click.echo(f"trackbot: {line}", err=True)
        elif not line.startswith(daemon.BUG_PREFIX):
            log.warning(line)

    def cycle(cfg: configuration.Config, store: Store) -> int:
        code = _poll_once(cfg, store, show_table=show_table)
        _weekly_digest(cfg, store)
        return code

    with configure_logging(fmt):
        daemon.run_loop(watch, app.db_path, cycle, daemon.RunPlan(interval, runs), log=say)


def _weekly_digest(cfg: configuration.Config, store: Store) -> None:
    """`digest:` in sources.yaml: post the week's digest once its slot has passed (bot/deliver/digest_post.py)."""
    if cfg.digest is None:
        return
    from bot.deliver.digest_post import post_if_due

    line = post_if_due(cfg, store, utcnow(), lambda text: console.print(text, markup=False, highlight=False,
                                                                        soft_wrap=True))
    if line:
        log.info(line)  # a timestamped line on stderr (text or JSON, as --log-format says)


@main.command()
@since_option
@product_option
@click.option("--kind", "-k", default=None, help="Only this event kind (see `trackbot help events`).")
@click.option("--no-baseline", is_flag=True, help="Leave out the facts stored by a source's first poll.")
@reads.limit_option
@json_option
@click.pass_obj
def events(app: App, since: str, product: str | None, kind: str | None, no_baseline: bool, limit: int | None,
           as_json: bool) -> None:
    """What was detected, oldest first.

    \b
    Examples:
      trackbot events --since 30d --product linux --kind branch_eol --json
      trackbot events --product moby --no-baseline --limit 20
    """
    store = app.reader()
    product = reads.checked_product(store, product, app.pins())
    kind = reads.checked_kind(store, kind)
    # in SQL: the newest `limit` (still oldest first), streamed from the cursor for --json
    from bot.store.history import EventFilter

    chosen = EventFilter(_since(since), store_reads.product_names(product) if product else None,
                         [kind] if kind else None, no_baseline)
    rows = store.iter_events(chosen, limit)
    if as_json:
        _echo_json_list(e.as_json() for e in rows)
        return
    listed = list(rows)
    matched = store.count_events(chosen) if limit and len(listed) == limit else len(listed)
    for line in views.event_lines(listed, since, console.width, matched):
        console.print(line, highlight=False, soft_wrap=True)


def _echo_json_list(items: Iterable[dict[str, Any]]) -> None:
    """A JSON array written item by item (the same text as json.dumps(list, indent=2)), so memory stays flat."""
    out = sys.stdout
    first = True
    for item in items:
        body = json.dumps(item, indent=2, default=str).replace("\n", "\n  ")
        out.write(("[\n  " if first else ",\n  ") + body)
        first = False
    out.write("[]\n" if first else "\n]\n")
    out.flush()


@main.command()
@click.argument("version")
@product_option
@json_option
@click.pass_obj
def why(app: App, version: str, product: str | None, as_json: bool) -> None:
    """The story of a version or branch: releases, fixes, events, alerts, pins, notes.

    \b
    Examples:
      trackbot why 1.10 --product docker
      trackbot why 1.10.3 --product moby --json
    """
    store = app.reader()
    cfg = app.config()
    story = why_module.story(store, cfg.fleet, version, reads.checked_product(store, product, cfg.fleet))
    if as_json:
        click.echo(json.dumps(story, indent=2, default=str))
        return
    views.show_story(console, story)


@main.command()
@json_option
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """Each source's last success, consecutive failures, open incidents and last error.

    \b
    Examples:
      trackbot status
      trackbot status --json
    """
    store = app.reader()
    cfg = app.config(outline=True)  # names, kinds and `every` are all it shows: no kind module is imported
    states = {s["name"]: s for s in store.all_source_states()}
    counts = store_reads.open_incident_counts(store)
    if as_json:
        click.echo(json.dumps([_status_item(c, states.get(c.name, {}), counts.get(c.name, 0)) for c in cfg.sources],
                              indent=2, default=str))
        return
    views.print_streamed(console, views.status_table(cfg.sources, states, counts, width=console.width))
    for line in views.status_error_lines(cfg.sources, states, console.width):
        console.print(line, highlight=False, soft_wrap=True)
    undelivered = _delivery_problem(cfg, store)
    if undelivered:
        console.print(f"[red]{safe(undelivered)}[/]", highlight=False, soft_wrap=True)


def _status_item(conf: SourceConf, state: dict[str, Any], open_count: int) -> dict[str, Any]:
    """A source's state as `status --json` gives it, with its open incidents and when a failing one is tried next."""
    failing = bool(state.get("consecutive_failures"))
    due = views.next_try_of(conf, state) if failing else None
    return {**state, "name": conf.name, "kind": conf.kind, "open_incidents": open_count,
            "next_try": due.isoformat() if due else ("next run" if failing else None)}


@main.command()
@click.pass_obj
def check(app: App) -> None:
    """Validate sources.yaml, what each source needs locally (its kind's check) and the alert destination.

    \b
    Example:
      trackbot --config sources.yaml check
    """
    cfg = app.config()
    problems = configcheck.problems(cfg)  # the same checks poll and run refuse a config for
    console.print(f"{cfg.path}: {len(cfg.sources)} sources, {len(cfg.fleet)} pins")
    from bot.deliver.slack.check import check_line

    slack_ok, slack_line = check_line(cfg.slack, os.environ)
    console.print(safe(slack_line), highlight=False, soft_wrap=True)
    if cfg.digest:  # what `trackbot run` will do with it
        where = cfg.digest.channel or cfg.slack.digest_channel or cfg.slack.channel
        console.print(safe(f"weekly digest: {cfg.digest.day} {cfg.digest.hour:02d}:00 {cfg.digest.timezone}, posted by "
                           f"`trackbot run` to {where} (the console without Slack)"), highlight=False, soft_wrap=True)
    if not slack_ok:
        problems.append("Slack delivery will not work (see above)")
    if Path(app.db_path).exists():
        undelivered = _delivery_problem(cfg, app.store(write=False))
        if undelivered:
            problems.append(undelivered)
    if cfg.notify:
        from bot.deliver.notify import check as check_destinations

        problems += check_destinations(cfg.notify, os.environ)
    for problem in problems:
        click.echo(f"trackbot: {problem}", err=True)
    sys.exit(2 if problems else 0)


@main.command()
@click.argument("version")
@click.argument("text")
@product_option
@click.pass_obj
def note(app: App, version: str, text: str, product: str | None) -> None:
    """Add the team's own note to a version's story.

    \b
    Example:
      trackbot note 1.10.3 "pinned: 1.11 breaks our devicemapper setup" --product docker
    """
    if not text.strip():
        raise click.BadParameter("a note needs some text", param_hint="TEXT")
    store = app.store()
    reads.checked_product(store, product, app.pins())
    store.add_note(product or "", version, text, utcnow())
    console.print("note saved")


@main.command()
@click.argument("pattern", required=False, default="")
@product_option
@click.option("--for", "duration", default="7d", show_default=True, help="How long: 12h, 7d, 4w.")
@click.option("--reason", "-r", required=True, help="Why: shown in `trackbot silences` and the digest.")
@click.pass_obj
def silence(app: App, pattern: str, product: str | None, duration: str, reason: str) -> None:
    """Hold back Slack alerts about a product or matching an event key (shell pattern).

    Silenced events are still stored and still go into the digest.

    \b
    Examples:
      trackbot silence --product docker --for 7d --reason "upgrade window"
      trackbot silence 'source_failing:*' --for 1d --reason "upstream maintenance"
    """
    if not pattern and not product:
        raise click.UsageError("name an event key PATTERN, --product, or both")
    try:
        length = parse_interval(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    if length.total_seconds() <= 0:
        raise click.BadParameter("a silence must last longer than 0", param_hint="--for")
    if not reason.strip():
        raise click.BadParameter("say why (the digest shows it beside what was held back)", param_hint="--reason")
    store = app.store()
    reads.checked_product(store, product, app.pins())
    now = utcnow()
    silence_id = store.add_silence(now, now + length, product=product or "", pattern=pattern, reason=reason)
    what = " and ".join(x for x in (f"product {product}" if product else "", f"keys {pattern}" if pattern else "") if x)
    console.print(f"silence {silence_id}: {safe(what)} until {(now + length).isoformat()}", highlight=False)


@main.command()
@click.option("--remove", "remove_ids", type=int, multiple=True, help="End this silence now (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Also list silences that ended.")
@reads.limit_option
@json_option
@click.pass_obj
def silences(app: App, remove_ids: tuple[int, ...], show_all: bool, limit: int | None, as_json: bool) -> None:
    """List active silences, or end some.

    \b
    Example:
      trackbot silences --remove 3
    """
    store, now = app.reader(), utcnow()
    for silence_id in remove_ids:
        if not store.remove_silence(silence_id, now):
            raise click.ClickException(f"no active silence {silence_id}")
        console.print(f"silence {silence_id} removed")
    if remove_ids:
        return
    rows = reads.limited(store.silences(now, include_ended=show_all), limit)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
        return
    console.print(views.silences_table(rows, now))


@main.command()
@since_option
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the digest to this file: .html (one self-contained page), .json, or Markdown.")
@click.option("--post", is_flag=True, help="Post it to Slack's digest channel.")
@json_option
@click.pass_obj
def digest(app: App, since: str, out: str | None, post: bool, as_json: bool) -> None:
    """The weekly summary: pins that need action, the pin table, incidents, events, silences, sources.

    \b
    Examples:
      trackbot digest --since 7d --out digest.html
      trackbot digest --since 7d --post
    """
    from bot.deliver.slack import digest as slack
    from bot.read.digest import build, chart, write

    store, cfg = app.reader(), app.config()
    start, now = _since(since), utcnow()
    report = build.build(store, cfg.fleet, start, now, f"last {since}")
    if post:
        channel = cfg.digest.channel if cfg.digest else ""  # the weekly digest's channel, when sources.yaml names one
        console.print(f"digest posted to {slack.post(cfg.slack, report, channel)}")
    if out:
        period = [e for e in store.events(since=min(start, now - chart.WINDOW)) if not e.baseline]
        try:
            Path(out).write_text(write.render(report, write.format_of(out), period), encoding="utf-8")
        except OSError as exc:
            raise TrackbotError(f"cannot write the digest to {out}: {exc.strerror or exc}") from None
        console.print(f"digest written to {out}")
    if not out and not post:
        click.echo(write.render(report, "json" if as_json else "md", []), nl=False)


@main.command()
@click.argument("words", nargs=-1, required=True)
@product_option
@reads.limit_option
@json_option
@click.pass_obj
def search(app: App, words: tuple[str, ...], product: str | None, limit: int | None, as_json: bool) -> None:
    """Search every changelog line and advisory ever seen (product, version, date, source).

    \b
    Examples:
      trackbot search aufs mount
      trackbot search CVE-2016-5195 --product linux --json
    """
    from bot.read.search import ordered_hits

    store = app.reader()
    hits = reads.limited(ordered_hits(store, list(words), reads.checked_product(store, product, app.pins())), limit)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
        return
    for hit in hits:  # what it is unless a changelog line: [advisory], [announcement], [incident:...]
        what = " ".join(filter(None, (hit.product, hit.version, "" if hit.kind == "changelog_line" else f"[{hit.kind}]")))
        console.print(safe(f"{what} ({hit.date or '?'}, {hit.source}): {hit.text}"), highlight=False, soft_wrap=True)
    if not hits:
        console.print("no match")


@main.command()
@click.option("--textfile", type=click.Path(dir_okay=False), required=True,
              help="Write Prometheus text format here (atomically), e.g. for node_exporter's textfile collector.")
@click.option("--max-queue-age", default=None,
              help="Exit 1 when an alert has waited longer than this (2h): Slack or a destination is down.")
@click.pass_obj
def metrics(app: App, textfile: str, max_queue_age: str | None) -> None:
    """Write trackbot's own figures: per source last success, failures and duration; open
    incidents; queued alerts; last run.

    \b
    Example:
      trackbot metrics --textfile /var/lib/node_exporter/textfile/trackbot.prom --max-queue-age 2h
    """
    from bot.ops.metrics import backlog, write_textfile

    try:
        limit = parse_interval(max_queue_age).total_seconds() if max_queue_age else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-queue-age") from None
    cfg, store, now = app.config(), app.store(), utcnow()
    write_textfile(store, [s.name for s in cfg.sources], Path(textfile), now)
    waiting = backlog(store)
    if limit is not None and waiting.age(now) > limit:
        raise TrackbotError(f"{waiting.queued} alerts undelivered, the oldest for {waiting.age(now) / 3600:.1f} h "
                            f"(more than {max_queue_age}): see `trackbot poll` for the last error")
    console.print(f"metrics written to {textfile} ({waiting.queued} alerts queued)", highlight=False)


@main.command()
@click.argument("target", type=click.Path(dir_okay=False))
@click.pass_obj
def backup(app: App, target: str) -> None:
    """A consistent copy of the database, safe while trackbot runs (SQLite's online backup).

    \b
    Example:
      trackbot backup /var/backups/trackbot-$(date +%F).db
    """
    from bot.store.backup import backup as copy_database

    size = copy_database(Path(app.db_path), Path(target))
    console.print(f"database copied to {target} ({size} bytes)", highlight=False)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also list resolved incidents, with their duration.")
@reads.limit_option
@json_option
@click.pass_obj
def incidents(app: App, show_all: bool, limit: int | None, as_json: bool) -> None:
    """What is broken right now: open incidents (kind, source, since, last seen, alert thread).

    \b
    Examples:
      trackbot incidents
      trackbot incidents --all --json
    """
    from bot.read.incidents import incident_items, incident_lines

    items = reads.limited(incident_items(app.reader(), include_resolved=show_all, now=utcnow()), limit)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for line in incident_lines(items, console.width):
        console.print(line, highlight=False, soft_wrap=True)


@main.command()
@click.argument("start", metavar="FROM")
@click.argument("end", metavar="TO")
@product_option
@reads.limit_option
@json_option
@click.pass_obj
def changes(app: App, start: str, end: str, product: str | None, limit: int | None, as_json: bool) -> None:
    """What an upgrade brings: every line after FROM up to TO, security and regressions first.

    \b
    Examples:
      trackbot changes 1.10.0 1.10.3 --product docker
      trackbot changes 3.16.80 3.16.85 --product linux --json
    """
    from bot.read.changes import changes as read_changes
    from bot.read.changes import products_with

    store = app.reader()
    product = reads.checked_product(store, product, app.pins())
    products = [product] if product else products_with(store, end)
    if len(products) != 1:
        raise click.UsageError(f"name the product with --product ({', '.join(products) or f'no release {end} known'})")
    try:
        every = read_changes(store, start, end, products[0])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="FROM TO") from None
    found = reads.limited(every, limit)
    if as_json:
        click.echo(json.dumps([c.as_json() for c in found], indent=2))
        return
    views.show_changes(console, found, f"{products[0]} {start} -> {end}", total=len(every))


@main.command(name="help")
@click.argument("topic", type=click.Choice(["events"]))
def help_topic(topic: str) -> None:
    """Reference pages: every event kind, its meaning and default severity.

    \b
    Example:
      trackbot help events
    """
    from bot.core.event_kinds import EVENT_KINDS

    console.print(views.table("event kinds", ("kind", "default severity", "meaning"),
                              ((k.name, k.severity, k.meaning) for k in EVENT_KINDS)))


@main.command()
@click.pass_obj
def db(app: App) -> None:
    """Print the history database's path, to browse it with Datasette.

    \b
    Example:
      datasette "$(trackbot db)" -m db/metadata.yml
    """
    click.echo(str(Path(app.db_path).resolve()))


@main.command()
@click.option("--older-than", default=None,
              help="Drop run rows and delivered alerts' bodies older than this (default: the config's `retention`).")
@click.pass_obj
def vacuum(app: App, older_than: str | None) -> None:
    """Shrink the database: old run rows and delivered alerts' bodies go, the history stays.

    \b
    Examples:
      trackbot vacuum                    # what sources.yaml's `retention` says (default 90d)
      trackbot vacuum --older-than 30d
    """
    if older_than is None:  # only the retention keys are checked: vacuum needs none of the sources
        conf = app.config().retention if Path(app.config_path).exists() else retention.RetentionConf()
        for problem in retention.problems(conf):
            raise ConfigError(f"{app.config_path}: {problem}")
    else:
        conf = retention.RetentionConf(runs=older_than, delivered_alerts=older_than)
        if retention.problems(conf):
            raise click.BadParameter(f"{older_than!r} is not an interval (use e.g. 30d, 90d)",
                                     param_hint="--older-than")
    with run_lock(app.db_path):
        store = app.store()
        dropped = retention.apply(store, conf, utcnow())
        store.compact()
    console.print(f"forgot {dropped['runs']} runs and {dropped['alert_bodies']} delivered alert bodies (runs older "
                  f"than {conf.runs}, bodies older than {conf.delivered_alerts})", highlight=False)


def entry() -> None:
    main(prog_name="trackbot")


if __name__ == "__main__":
    entry()
