"""The read commands: `events`, `why`, `search`, `changes`, `incidents` and `help`. They open the history
read-only (a missing database is refused, a read-only file system is fine) and never write."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import click

from bot.cli.app import (
    App,
    console,
    echo_json_list,
    json_option,
    product_option,
    safe,
    since_option,
    since_time,
)
from bot.core.lazy import lazy_module
from bot.read import preflight as reads

if TYPE_CHECKING:
    from bot.read import views
    from bot.read import why as why_module
    from bot.store import reads as store_reads
else:  # imported at first use (issue 11)
    store_reads, views, why_module = map(lazy_module, ("bot.store.reads", "bot.read.views", "bot.read.why"))


@click.command()
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

    chosen = EventFilter(since_time(since, app.clock()), store_reads.product_names(product) if product else None,
                         [kind] if kind else None, no_baseline)
    rows = store.iter_events(chosen, limit)
    if as_json:
        echo_json_list(e.as_json() for e in rows)
        return
    listed = list(rows)
    matched = store.count_events(chosen) if limit and len(listed) == limit else len(listed)
    for line in views.event_lines(listed, since, console.width, matched):
        console.print(line, highlight=False, soft_wrap=True)


@click.command()
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


@click.command()
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


@click.command()
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

    items = reads.limited(incident_items(app.reader(), include_resolved=show_all, now=app.clock()), limit)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for line in incident_lines(items, console.width):
        console.print(line, highlight=False, soft_wrap=True)


@click.command()
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


@click.command(name="help")
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
