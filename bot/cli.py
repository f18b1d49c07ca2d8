"""The `trackbot` command: a thin click layer over the library.

Every error is one line (ConfigError exits 2, anything else 1), never a traceback.
Shared options (`--json`, `--since`, `--product`) mean the same on every command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from bot import config as configuration
from bot import fleet, views
from bot import readcli as reads
from bot import why as why_module
from bot.errors import ConfigError, TrackbotError
from bot.model import Pin
from bot.poll import parse_interval, run_poll, utcnow
from bot.render import safe
from bot.store import Store
from bot.store_reads import open_incident_counts

console = Console()


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
        except Exception as exc:  # one line, never a traceback
            click.echo(f"trackbot: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)


class App:
    def __init__(self, config_path: str, db_path: str) -> None:
        self.config_path = config_path
        self.db_path = db_path

    def config(self) -> configuration.Config:
        return configuration.load(self.config_path)

    def store(self) -> Store:
        return Store.open(self.db_path)

    def reader(self) -> Store:
        """The history for a read command: refuses a database that does not exist."""
        return reads.existing_store(self.db_path)

    def pins(self) -> list[Pin]:
        """The fleet's pins and sources' products (as pins) when sources.yaml loads; read commands work without it."""
        try:
            cfg = self.config()
        except TrackbotError:
            return []
        named = [Pin(str(getattr(c, "product", "")), "") for c in cfg.sources if getattr(c, "product", "")]
        return [*cfg.fleet, *named]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TRACKBOT_CONFIG", default="sources.yaml", show_default=True,
              help="sources.yaml to use (env TRACKBOT_CONFIG).")
@click.option("--db", "db_path", envvar="TRACKBOT_DB", default="db/trackbot.db", show_default=True,
              help="History database (env TRACKBOT_DB).")
@click.version_option(package_name="trackbot")
@click.pass_context
def main(ctx: click.Context, config_path: str, db_path: str) -> None:
    """trackbot: tells the team, at once, only what matters to the versions they run.

    \b
    Example:
      trackbot poll && trackbot why 1.10 --product docker
    """
    ctx.obj = App(config_path, db_path)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def product_option(f: Callable) -> Callable:
    return click.option("--product", "-p", default=None, help="Only this product (docker, linux, debian:docker.io...).")(f)


def since_option(f: Callable) -> Callable:
    return click.option("--since", default="7d", show_default=True, help="How far back: 30m, 12h, 7d, 4w.")(f)


def _since(text: str) -> datetime:
    try:
        return utcnow() - parse_interval(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _stamp() -> str:
    """The UTC time that starts each of `run`'s lines, so a log of days of runs can be read."""
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def run_lock(db_path: str) -> Iterator[None]:
    """One run at a time: a second poll or run exits at once instead of racing the first."""
    path = Path(db_path).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrackbotError(f"another trackbot run holds {path}") from None
        yield


def _deliverer(cfg: configuration.Config) -> Any:
    from bot.deliver import ConsoleSink
    from bot.slack.sink import build

    return build(cfg.slack) or ConsoleSink(console)


def _poll_once(app: App, only: tuple[str, ...], force: bool) -> int:
    cfg = app.config()
    store = app.store()
    report = asyncio.run(run_poll(cfg, store, deliverer=_deliverer(cfg), only=only, force=force))
    views.show_poll(console, report, open_incident_counts(store))
    return 1 if report.failed else 0


@main.command()
@click.option("--source", "-s", "only", multiple=True, help="Poll only this source (repeatable).")
@click.option("--force", is_flag=True, help="Ignore each source's `every:` interval.")
@click.pass_obj
def poll(app: App, only: tuple[str, ...], force: bool) -> None:
    """One run over every due source; exits 1 if any source failed.

    \b
    Example:
      trackbot poll --source kernel
    """
    with run_lock(app.db_path):
        code = _poll_once(app, only, force)
    sys.exit(code)


@main.command()
@click.option("--every", default="15m", show_default=True, help="Interval between runs.")
@click.pass_obj
def run(app: App, every: str) -> None:
    """Poll forever, one run at a time (a lock file keeps a second copy out).

    \b
    Example:
      trackbot run --every 15m
    """
    try:
        interval = parse_interval(every).total_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from None
    with run_lock(app.db_path):
        while True:
            started = time.monotonic()
            console.print(f"{_stamp()} run starts", highlight=False)
            try:
                _poll_once(app, (), False)
            except TrackbotError as exc:  # e.g. sources.yaml edited into an error: say so, keep running
                click.echo(f"{_stamp()} trackbot: {exc}", err=True)
            except Exception as exc:  # a locked or full disk, a bug: one line, and the next run still comes
                click.echo(f"{_stamp()} trackbot: run failed: internal error: {type(exc).__name__}: {exc}", err=True)
            time.sleep(max(1.0, interval - (time.monotonic() - started)))


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
    rows = store.events(since=_since(since), kinds=[kind] if kind else None)
    rows = [e for e in rows if (not product or fleet.same_product(e.product, product))
            and not (no_baseline and e.baseline)]
    rows = reads.limited(rows, limit)
    if as_json:
        click.echo(json.dumps([e.as_json() for e in rows], indent=2, default=str))
        return
    console.print(views.events_table(rows, since))


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
    cfg = app.config()
    states = {s["name"]: s for s in store.all_source_states()}
    counts = open_incident_counts(store)
    if as_json:
        click.echo(json.dumps([{**states.get(c.name, {}), "name": c.name, "kind": c.kind,
                                 "open_incidents": counts.get(c.name, 0)} for c in cfg.sources], indent=2, default=str))
        return
    console.print(views.status_table(cfg.sources, states, counts, width=console.width))


@main.command()
@click.pass_obj
def check(app: App) -> None:
    """Validate sources.yaml, the keyrings it names and the alert destination.

    \b
    Example:
      trackbot --config sources.yaml check
    """
    cfg = app.config()
    problems = []
    for index, conf in enumerate(cfg.sources):
        keyring = getattr(conf, "keyring", "")
        where = cfg.config_dir / keyring  # as the apt kinds read it: relative to sources.yaml
        if keyring and not where.exists():
            problems.append(f"sources[{index}] {conf.name}: keyring {where} does not exist")
    console.print(f"{cfg.path}: {len(cfg.sources)} sources, {len(cfg.fleet)} pins")
    if any(conf.kind.startswith("apt") for conf in cfg.sources):
        tools = {tool: shutil.which(tool) for tool in ("gpgv", "gpg")}
        console.print("apt: " + ", ".join(f"{t} {p or 'MISSING'}" for t, p in tools.items()), highlight=False)
        if not tools["gpgv"]:
            problems.append("gpgv is not installed: apt signatures cannot be verified (Debian package gpgv)")
    from bot.slack.check import check_line

    slack_ok, slack_line = check_line(cfg.slack, os.environ)
    console.print(safe(slack_line), highlight=False, soft_wrap=True)
    if not slack_ok:
        problems.append("Slack delivery will not work (see above)")
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
      trackbot silence 'apt_key_expiring:*' --for 30d --reason "key rotation planned"
    """
    if not pattern and not product:
        raise click.UsageError("name an event key PATTERN, --product, or both")
    try:
        length = parse_interval(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    if length.total_seconds() <= 0:
        raise click.BadParameter("a silence must last longer than 0", param_hint="--for")
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
    from bot.report import build, slack, write

    store = app.reader()
    start, now = _since(since), utcnow()
    report = build.build(store, app.config().fleet, start, now, f"last {since}")
    if post:
        console.print(f"digest posted to {slack.post(app.config().slack, report)}")
    if out:
        period = [e for e in store.events(since=start) if not e.baseline]
        Path(out).write_text(write.render(report, write.format_of(out), period), encoding="utf-8")
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
    from bot.search import ordered_hits

    store = app.reader()
    hits = reads.limited(ordered_hits(store, list(words), reads.checked_product(store, product, app.pins())), limit)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
        return
    for hit in hits:
        console.print(safe(f"{hit.product} {hit.version} ({hit.date or '?'}, {hit.source}): {hit.text}"),
                      highlight=False, soft_wrap=True)
    if not hits:
        console.print("no match")


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
    from bot.incident_list import incident_items, incident_lines

    items = reads.limited(incident_items(app.reader(), include_resolved=show_all, now=utcnow()), limit)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for line in incident_lines(items):
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
    from bot.changes import changes as read_changes
    from bot.changes import products_with

    store = app.reader()
    product = reads.checked_product(store, product, app.pins())
    products = [product] if product else products_with(store, end)
    if len(products) != 1:
        raise click.UsageError(f"name the product with --product ({', '.join(products) or f'no release {end} known'})")
    try:
        found = reads.limited(read_changes(store, start, end, products[0]), limit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="FROM TO") from None
    if as_json:
        click.echo(json.dumps([c.as_json() for c in found], indent=2))
        return
    views.show_changes(console, found, f"{products[0]} {start} -> {end}")


@main.command(name="help")
@click.argument("topic", type=click.Choice(["events"]))
def help_topic(topic: str) -> None:
    """Reference pages: every event kind, its meaning and default severity.

    \b
    Example:
      trackbot help events
    """
    from bot.event_kinds import EVENT_KINDS

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


def entry() -> None:
    main(prog_name="trackbot")


if __name__ == "__main__":
    entry()
