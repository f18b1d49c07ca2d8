"""What the CLI shows: rich tables and the story of a version, from plain data.

Rendering lives apart from the commands (and from Slack's rendering) so each command is
a few lines, and every upstream string passes through `escape` before rich sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from bot import schedule
from bot.clock import parse_interval
from bot.readcli import shorten
from bot.render import safe

if TYPE_CHECKING:  # names for annotations only: `status` and `events` need not import the poll (httpx) or the kinds
    from bot.deliver import DeliveryReport
    from bot.poll import RunReport
    from bot.silence import Silence
    from bot.sources.api import SourceConf
    from bot.store import StoredEvent

STATUS_STYLES = {"failed": "red", "changed": "green", "unchanged": "", "skipped": "dim"}


def short_time(stamp: str | None) -> str:
    """'2026-11-27T21:25:25+00:00' -> '2026-11-27 21:25Z': what fits a terminal column."""
    return f"{stamp[:10]} {stamp[11:16]}Z" if stamp and len(stamp) >= 16 else (stamp or "")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *, no_wrap: Sequence[str] = ()) -> Table:
    grid = Table(title=title)
    for column in columns:
        grid.add_column(column, no_wrap=column in no_wrap)
    for row in rows:
        grid.add_row(*row)
    return grid


SKIPPED_LINES = 10  # up to this many skipped sources get a line saying when they are due


def show_poll(console: Console, report: RunReport, delivery: DeliveryReport,
              open_incidents: dict[str, int] | None = None, *, show_all: bool = False) -> None:
    """The poll table, each failure's reason on one line, then what happened to the alerts.

    Unless `show_all`, the table lists only sources that changed, failed, raised events or have an
    open incident, and one line counts the rest: a 1,000-source poll where nothing happened prints
    a few lines. A source with an open incident is shown as such, not as `unchanged`: an apt
    mirror whose Release did not change can still be serving a broken index.
    """
    incidents = open_incidents or {}
    shown = [r for r in report.results
             if show_all or r.status in ("changed", "failed") or r.events or incidents.get(r.name)]
    rows = [
        (r.name, r.kind, _poll_status(r.status, incidents.get(r.name, 0)),
         str(r.new_records), str(r.events), f"{r.seconds:.1f}s")
        for r in shown
    ]
    columns = ("source", "kind", "status", "new", "events", "time")
    if rows:
        console.print(table("trackbot poll", columns, rows, no_wrap=columns[1:]))
    quiet = len(report.results) - len(shown)
    if quiet:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(_count_statuses(report, shown).items()))
        console.print(f"{quiet} other sources: {counts} (--all lists every source)", highlight=False)
    for r in report.failed:
        console.print(f"[red]failed[/] {safe(r.name)}: {safe(r.reason)}", highlight=False, soft_wrap=True)
    skipped = [r for r in report.results if r.status == "skipped" and r.reason]
    for r in skipped if show_all or len(skipped) <= SKIPPED_LINES else []:
        if r.status == "skipped" and r.reason:  # says when the next try is
            console.print(f"[dim]skipped {safe(r.name)}: {safe(r.reason)}[/]", highlight=False, soft_wrap=True)
    d = delivery
    line = f"alerts: {d.sent} delivered, {d.queued} queued"
    if d.skipped:
        line += f", {d.skipped} held back (silenced or info, kept for the digest)"
    if d.errors:
        line += f" (last error: {d.errors[-1]})"
    console.print(safe(line), highlight=False)


def _poll_status(status: str, open_count: int) -> str:
    if open_count and status != "failed":
        return f"[red]{status}, {open_count} incident{'s' if open_count > 1 else ''} open[/]"
    return f"[{STATUS_STYLES[status]}]{status}[/]" if STATUS_STYLES[status] else status
def _count_statuses(report: RunReport, shown: Sequence[object]) -> dict[str, int]:
    listed = {id(r) for r in shown}
    counts: dict[str, int] = {}
    for r in report.results:
        if id(r) not in listed:
            counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def events_table(rows: Sequence[StoredEvent], since: str) -> Table:
    return table(
        f"events since {since}",
        ("detected", "severity", "kind", "product", "version", "summary"),
        (
            (short_time(e.detected_at), e.severity, e.kind + (" (baseline)" if e.baseline else ""),
             safe(e.product), safe(e.version), safe(e.summary))
            for e in rows
        ),
    )


def status_table(sources: Sequence[SourceConf], states: dict[str, dict[str, Any]],
                 open_incidents: dict[str, int] | None = None, *, width: int = 80) -> Table:
    """One line per source at any terminal width: long errors and URLs lose their middle, never wrap."""
    counts = open_incidents or {}
    error_width = max(20, width - 62)
    rows = []
    for conf in sources:
        s = states.get(conf.name, {})
        open_count = counts.get(conf.name, 0)
        error = s.get("last_error") or ""
        if error and s.get("consecutive_failures"):  # a failing source: when it is tried again (bot.schedule)
            due = schedule.next_try(parse_interval(conf.every) if conf.every else None, s)
            error = f"{error} (next try {short_time(due.isoformat()) if due else 'next run'})"
        rows.append((conf.name, conf.kind, short_time(s.get("last_success_at")) or "never",
                     str(s.get("consecutive_failures") or 0),
                     f"[red]{open_count}[/]" if open_count else "0",
                     safe(shorten(error, error_width))))
    grid = Table(title="sources")
    for index, column in enumerate(("source", "kind", "last success", "fails", "open", "last error (next try)")):
        width = _cell_width(column, (row[index] for row in rows))
        grid.add_column(column, no_wrap=True, overflow="ellipsis", width=min(width, 22) if column == "source" else width)
    for row in rows:
        grid.add_row(*row)
    return grid


def _cell_width(header: str, cells: Iterable[str]) -> int:
    """The width rich would measure for a column that never wraps: its widest cell, as rendered.

    Given to the table up front, so rich does not measure every cell of every column before it
    prints the first line (a 1,000-source status table: 40% of its printing time); the layout is
    the same, since rich sizes such a column by its widest cell.
    """
    return max([_rendered_width(header), *map(_rendered_width, cells)])


def _rendered_width(cell: str) -> int:
    if cell.isascii() and cell.isprintable() and "[" not in cell and cell.count(":") < 2:
        return len(cell)  # no markup, no :emoji: code, one column per character: most cells
    return Text.from_markup(cell).cell_len


def print_streamed(console: Console, renderable: RenderableType, *, first: int = 5, lines: int = 50) -> None:
    """`console.print(renderable)`, written as rich renders it instead of all at the end: the first
    `first` lines at once (a table's title, header and first row), then every `lines` lines, so a
    1,000-row status table starts at once (issue 11)."""
    block: list[Segment] = []
    count, due = 0, first
    for segment in console.render(renderable):
        block.append(segment)
        count += segment.text == "\n"
        if count == due:
            console.print(Segments(block), end="")
            block, count, due = [], 0, lines
    console.print(Segments(block), end="")


def silences_table(rows: Sequence[Silence], now: datetime) -> Table:
    return table(
        "silences",
        ("id", "product", "keys", "until", "reason", "ended"),
        (
            (str(r.id), safe(r.product), safe(r.pattern), r.until, safe(r.reason),
             r.removed_at or ("expired" if r.until <= now.isoformat() else ""))
            for r in rows
        ),
    )


def show_story(console: Console, story: dict[str, Any]) -> None:
    """`trackbot why`: releases with their lines that matter, then events, alerts, pins, notes."""
    q = story["query"]
    console.print(f"[bold]Story of {safe(q['product'] or 'any product')} {safe(q['version'])}[/]")
    if not any(story[k] for k in ("releases", "events", "pins", "notes")):
        console.print("  nothing recorded about it yet")
    for rel in story["releases"]:
        gone = f", withdrawn {rel['withdrawn_at']}" if rel["withdrawn_at"] else ""
        console.print(safe(f"• {rel['product']} {rel['version']} released {rel['date'] or '?'}"
                             f" (first seen {rel['first_seen_at'] or '?'}{gone})"), highlight=False)
        for line in rel["lines"]:
            console.print(safe(f"    - [{','.join(line['classes'])}] {line['text']}"), highlight=False)
    for title, key, fmt in _STORY_PARTS:
        if story[key]:
            console.print(f"[bold]{title}[/]")
            for item in story[key]:
                console.print(f"  {safe(fmt(item))}", highlight=False)


_STORY_PARTS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("Events", "events", lambda e: f"{e['detected_at']} {e['severity']} {e['kind']}: {e['summary']}"),
    ("Alerts", "alerts", lambda a: f"{a['created_at']} {a['severity']} [{a['state']}] {a['title']}"),
    ("Fleet pins", "pins", lambda p: f"{p['product']} {p['version']} {p['distro']}".strip()),
    ("Notes", "notes", lambda n: f"{n['created_at']} {n['text']}"),
    ("Upgrades", "upgrades", lambda u: f"run `{u['command']}` to see what the upgrade brings"),
)


def show_changes(console: Console, found: Sequence[Any], title: str) -> None:
    """`trackbot changes`: one heading per group, each line with its version and date."""
    console.print(f"[bold]{safe(title)}[/]: {len(found)} lines", highlight=False)
    group = ""
    for change in found:
        if change.group != group:
            group = change.group
            console.print(f"[bold]{group.capitalize()}[/]")
        console.print(safe(f"  {change.version} ({change.date or '?'}) {change.text}"), highlight=False, soft_wrap=True)
