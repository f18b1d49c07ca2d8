"""`trackbot poll` and `trackbot run`: one poll as both do it (the writes, every destination, the table, metrics,
heartbeat, retention), the daemon loop around it, and the weekly digest `run` posts."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.app import App, Interrupted, console, plural, safe
from bot.core.clock import Clock, parse_interval, utcnow
from bot.core.errors import log
from bot.core.lazy import lazy_module
from bot.ops.logs import LogFormat, configure_logging, log_run
from bot.store.lock import daemon_lock, run_lock

if TYPE_CHECKING:
    from bot.config import load as configuration
    from bot.poll import daemon
    from bot.read import views
    from bot.store import connect as dbopen
    from bot.store import reads as store_reads
    from bot.store import retention
    from bot.store.history import Store
else:  # imported at first use (issue 11)
    daemon, dbopen, retention, store_reads, views = map(
        lazy_module, ("bot.poll.daemon", "bot.store.connect", "bot.store.retention", "bot.store.reads", "bot.read.views"))


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
               show_table: bool = True, show_all: bool = False, clock: Clock = utcnow) -> int:
    """One cycle (bot.poll.job.cycle, what `poll` and each `run` cycle do), then what it showed:
    the table and the notify lines. Exit code: 1 a source failed, 3 nobody hears the alerts."""
    from bot.poll.job import (  # the poll stack: loaded only by the commands that poll
        CycleOptions,
        Sinks,
        cycle,
    )
    from bot.poll.progress import PollProgress

    progress = PollProgress(console, len(only) or len(cfg.sources))
    options = CycleOptions(only=only, force=force, on_result=progress, watching=progress)
    try:
        result = cycle(cfg, store, Sinks(_deliverer(cfg), _destinations(cfg)), clock, options)
    except KeyboardInterrupt:  # each source's findings were written as it finished: say how many
        rest = progress.total - progress.done
        raise Interrupted(f"interrupted: {plural(progress.done, 'source')} of {progress.total} finished this poll "
                          f"and what they found is saved (their alerts went out); the other {rest} are polled "
                          "next time; the database is consistent") from None
    if show_table:  # not with --log-format json: there every line is a JSON object
        incidents = views.PollIncidents(store_reads.open_incident_counts(store),
                                        store_reads.open_incident_counts(store, result.began.isoformat()))
        views.show_poll(console, result.report, result.delivery, incidents, show_all=show_all)
    log_run(result.report, result.delivery, (clock() - result.began).total_seconds())
    for line, failing in result.notified:
        (log.warning if failing else log.info)(line)
        if show_table:
            console.print(safe(line), highlight=False)
    for problem in result.problems:
        log.warning(problem)
        if show_table:
            click.echo(f"trackbot: {problem}", err=True)
    if result.undelivered:  # exit 3: cron and systemd must see that nobody hears the alerts
        click.echo(f"trackbot: {result.undelivered}", err=True)
    return result.exit_code


@click.command()
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
        store = app.store()
        app.say_if_config_moved(store)
        code = _poll_once(cfg, store, only, force, show_all=show_all, clock=app.clock)
    sys.exit(code)


@click.command()
@click.option("--every", default="15m", show_default=True, help="Interval between runs.")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs (default: never).")
@click.option("--log-format", type=click.Choice([f.value for f in LogFormat]), default="text", show_default=True,
              help="Timestamped log lines on stderr; json: one JSON object per line (journald, Loki), no table.")
@click.pass_obj
def run(app: App, every: str, runs: int | None, log_format: str) -> None:
    """Poll for ever, re-reading sources.yaml when it changes (a bad edit keeps the last good config).

    A bad config at start exits 2 before the first run; a second `run` on the same database exits 75 at once,
    naming the first one's pid. The poll lock is held only while polling: a manual `poll` gets through between runs.

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
        app.say_if_config_moved(store)
        code = _poll_once(cfg, store, show_table=show_table, clock=app.clock)
        _weekly_digest(cfg, store, app.clock())
        return code

    with daemon_lock(app.db_path), configure_logging(fmt):  # one daemon per database, for its whole life
        try:
            daemon.run_loop(watch, app.db_path, cycle, daemon.RunPlan(interval, runs, app.clock), log=say)
        except Interrupted:
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted between runs: every finished run is saved; the database is consistent") \
                from None


def _weekly_digest(cfg: configuration.Config, store: Store, now: datetime) -> None:
    """`digest:` in sources.yaml: post the week's digest once its slot has passed (bot/deliver/digest_post.py)."""
    if cfg.digest is None:
        return
    from bot.deliver.digest_post import post_if_due

    line = post_if_due(cfg, store, now, lambda text: console.print(text, markup=False, highlight=False,
                                                                        soft_wrap=True))
    if line:
        log.info(line)  # a timestamped line on stderr (text or JSON, as --log-format says)
