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
    since_option,
    since_time,
)
from bot.core.lazy import lazy_module
from bot.core.severity import SEVERITIES, severity_rank
from bot.read import preflight as reads

if TYPE_CHECKING:
    from bot.read import views
    from bot.read import why as why_module
    from bot.store import reads as store_reads
else:  # imported at first use (issue 11)
    store_reads, views, why_module = map(lazy_module, ("bot.store.reads", "bot.read.views", "bot.read.why"))


SEVERITY_HELP = "Only events of this severity and above (warning: warning and critical)."


@click.command()
@since_option
@product_option
@click.option("--kind", "-k", default=None, help="Only this event kind (see `trackbot help events`).")
@click.option("--severity", type=click.Choice(SEVERITIES), default=None, help=SEVERITY_HELP)
@click.option("--no-baseline", is_flag=True, help="Leave out the facts stored by a source's first poll.")
@reads.listing_options()
@click.pass_obj
def events(app: App, since: str, product: str | None, kind: str | None, severity: str | None, no_baseline: bool,
           *, listing: reads.Listing) -> None:
    """What was detected, oldest first: the newest 50 unless --limit or --all.

    \b
    Examples:
      trackbot events --since 30d --product linux --kind branch_eol --json
      trackbot events --severity warning --no-baseline --limit 20
    """
    store = app.reader()
    product = reads.checked_product(store, product, app.pins())
    kind = reads.checked_kind(store, kind)
    # in SQL: the newest `limit` (still oldest first), streamed from the cursor for --json
    from bot.store.history import EventFilter

    chosen = EventFilter(since_time(since, app.clock()), store_reads.product_names(product) if product else None,
                         [kind] if kind else None, no_baseline, SEVERITIES[severity_rank(severity):] if severity else None)
    rows = store.iter_events(chosen, listing.rows)
    if listing.as_json:
        echo_json_list(e.as_json() for e in rows)
        return
    listed = list(rows)
    matched = store.count_events(chosen) if listing.rows and len(listed) == listing.rows else len(listed)
    with app.paged():
        for line in views.event_lines(listed, since, console.width, matched):
            console.print(line, highlight=False, soft_wrap=True)
        more(len(listed), matched)


def more(shown: int, total: int) -> None:
    """The last line of a cut listing: how many more, and how to see them."""
    line = reads.more_line(shown, total)
    if line:
        console.print(f"[dim]{line}[/]", highlight=False)


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
    if not any(story[k] for k in ("releases", "events", "pins", "notes")):
        reads.checked_version(version)  # "abc", "1.1O": a usage error with a hint, not "nothing recorded"
    if as_json:
        click.echo(json.dumps(story, indent=2, default=str))
        return
    with app.paged():
        views.show_story(console, story)


@click.command()
@click.argument("words", nargs=-1, required=True)
@product_option
@reads.listing_options()
@click.pass_obj
def search(app: App, words: tuple[str, ...], product: str | None, *, listing: reads.Listing) -> None:
    """Search every changelog line and advisory ever seen (product, version, date, source): the best 50
    unless --limit or --all.

    \b
    Examples:
      trackbot search aufs mount
      trackbot search CVE-2016-5195 --product linux --json
    """
    from bot.read.search import ordered_hits

    store = app.reader()
    every = ordered_hits(store, list(words), reads.checked_product(store, product, app.pins()))
    hits = listing.cut(every)
    if listing.as_json:
        click.echo(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
        return
    with app.paged():
        for line in views.search_lines(hits, console.width):
            console.print(line, highlight=False, soft_wrap=True)
        more(len(hits), len(every))


@click.command()
@reads.listing_options("Every incident, resolved ones too (with their duration), however many.")
@click.pass_obj
def incidents(app: App, *, listing: reads.Listing) -> None:
    """What is broken right now: open incidents (kind, source, since, last seen, alert thread).

    \b
    Examples:
      trackbot incidents
      trackbot incidents --all --json
    """
    from bot.read.incidents import incident_items, incident_lines

    every = incident_items(app.reader(), include_resolved=listing.show_all, now=app.clock())
    items = listing.cut(every)
    if listing.as_json:
        click.echo(json.dumps(items, indent=2))
        return
    with app.paged():
        for line in incident_lines(items, console.width):
            console.print(line, highlight=False, soft_wrap=True)
        more(len(items), len(every))


@click.command()
@click.argument("start", metavar="FROM")
@click.argument("end", metavar="TO")
@product_option
@reads.listing_options()
@click.pass_obj
def changes(app: App, start: str, end: str, product: str | None, *, listing: reads.Listing) -> None:
    """What an upgrade brings: every line after FROM up to TO, security and regressions first (the first 50
    unless --limit or --all).

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
    found = listing.cut(every)
    if listing.as_json:
        click.echo(json.dumps([c.as_json() for c in found], indent=2))
        return
    with app.paged():
        views.show_changes(console, found, f"{products[0]} {start} -> {end}", total=len(every))
        more(len(found), len(every))


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
