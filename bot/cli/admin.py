"""Looking after trackbot itself: `status`, `check`, `db`, `backup`, `vacuum`, `metrics`, and the team's own
marks on the history: `note`, `silence`, `silences`."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.app import App, console, delivery_problem, json_option, product_option, safe
from bot.core.clock import parse_interval
from bot.core.errors import ConfigError, TrackbotError
from bot.core.lazy import lazy_module
from bot.read import preflight as reads
from bot.store.lock import run_lock

if TYPE_CHECKING:
    from bot.config import check as configcheck
    from bot.read import views
    from bot.sources.api import SourceConf
    from bot.store import reads as store_reads
    from bot.store import retention
else:  # imported at first use (issue 11)
    configcheck, retention, store_reads, views = map(
        lazy_module, ("bot.config.check", "bot.store.retention", "bot.store.reads", "bot.read.views"))


@click.command()
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
    undelivered = delivery_problem(cfg, store, app.clock())
    if undelivered:
        console.print(f"[red]{safe(undelivered)}[/]", highlight=False, soft_wrap=True)
    where = str(Path(app.db_path).resolve())  # which history this is (the default follows sources.yaml)
    line = f"database: {where}" if len(where) + 10 <= console.width else f"database:\n  {where}"
    console.print(safe(line), highlight=False, soft_wrap=True)


def _status_item(conf: SourceConf, state: dict[str, Any], open_count: int) -> dict[str, Any]:
    """A source's state as `status --json` gives it, with its open incidents and when a failing one is tried next."""
    failing = bool(state.get("consecutive_failures"))
    due = views.next_try_of(conf, state) if failing else None
    return {**state, "name": conf.name, "kind": conf.kind, "open_incidents": open_count,
            "next_try": due.isoformat() if due else ("next run" if failing else None)}


@click.command()
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
        undelivered = delivery_problem(cfg, app.store(write=False), app.clock())
        if undelivered:
            problems.append(undelivered)
    if cfg.notify:
        from bot.deliver.notify import check as check_destinations

        problems += check_destinations(cfg.notify, os.environ)
    for problem in problems:
        click.echo(f"trackbot: {problem}", err=True)
    sys.exit(2 if problems else 0)


@click.command()
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
    store.add_note(product or "", version, text, app.clock())
    console.print("note saved")


@click.command()
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
    reads.checked_pattern(store, pattern)  # a pattern no event kind can match: did you mean
    now = app.clock()
    silence_id = store.add_silence(now, now + length, product=product or "", pattern=pattern, reason=reason)
    what = " and ".join(x for x in (f"product {product}" if product else "", f"keys {pattern}" if pattern else "") if x)
    console.print(f"silence {silence_id}: {safe(what)} until {(now + length).isoformat()}", highlight=False)


@click.command()
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
    store, now = app.reader(), app.clock()
    for silence_id in remove_ids:
        if not store.remove_silence(silence_id, now):
            raise click.ClickException(f"no active silence {silence_id}")
        console.print(f"silence {silence_id} removed")
    if remove_ids:
        return
    every = store.silences(now, include_ended=show_all)
    rows = reads.limited(every, limit if limit or as_json else reads.DEFAULT_LIMIT)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
        return
    console.print(views.silences_table(rows, now))
    more = reads.more_line(len(rows), len(every))
    if more:
        console.print(f"[dim]{more}[/]", highlight=False)


@click.command()
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
    cfg, store, now = app.config(), app.store(), app.clock()
    write_textfile(store, [s.name for s in cfg.sources], Path(textfile), now)
    waiting = backlog(store)
    if limit is not None and waiting.age(now) > limit:
        raise TrackbotError(f"{waiting.queued} alerts undelivered, the oldest for {waiting.age(now) / 3600:.1f} h "
                            f"(more than {max_queue_age}): see `trackbot poll` for the last error")
    console.print(f"metrics written to {textfile} ({waiting.queued} alerts queued)", highlight=False)


@click.command()
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


@click.command()
@click.pass_obj
def db(app: App) -> None:
    """Print the history database's path, to browse it with Datasette.

    \b
    Example:
      datasette "$(trackbot db)" -m db/metadata.yml
    """
    click.echo(str(Path(app.db_path).resolve()))


@click.command()
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
        dropped = retention.apply(store, conf, app.clock())
        store.compact()
    console.print(f"forgot {dropped['runs']} runs and {dropped['alert_bodies']} delivered alert bodies (runs older "
                  f"than {conf.runs}, bodies older than {conf.delivered_alerts})", highlight=False)
