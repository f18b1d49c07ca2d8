"""What the CLI shows: rich tables and the story of a version, from plain data.

Rendering lives apart from the commands (and from Slack's rendering) so each command is
a few lines, and every upstream string passes through `escape` before rich sees it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.segment import Segment, Segments
from rich.table import Table

from bot.core.clock import parse_interval
from bot.core.text import safe
from bot.poll import schedule
from bot.read.fast_table import MeasuredTable
from bot.read.preflight import fit_error, shorten_url, wrapped

if TYPE_CHECKING:  # names for annotations only: `status` and `events` need not import the poll (httpx) or the kinds
    from bot.core.model import SourceConf
    from bot.core.reports import DeliveryReport, RunReport
    from bot.core.silence import Silence
    from bot.store.history import StoredEvent

STATUS_STYLES = {"failed": "red", "changed": "green", "unchanged": "", "skipped": "dim"}
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow"}


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


@dataclass(frozen=True)
class PollIncidents:
    """Open incidents per source after a poll, and how many of them this poll opened."""

    open: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)


def show_poll(console: Console, report: RunReport, delivery: DeliveryReport,
              incidents: PollIncidents | None = None, *, show_all: bool = False) -> None:
    """The poll table, each failure's reason on one line, then what happened to the alerts.

    Unless `show_all`, the table lists only sources that changed, failed, raised events or have an
    open incident, and one line counts the rest: a 1,000-source poll where nothing happened prints
    a few lines. A source with an open incident is shown as such, not as `unchanged`: an apt
    mirror whose Release did not change can still be serving a broken index.
    """
    known = incidents or PollIncidents()
    shown = [r for r in report.results
             if show_all or r.status in ("changed", "failed") or r.events or known.open.get(r.name)]
    rows = [
        (safe(r.name), r.kind, _poll_status(r.status, known.open.get(r.name, 0), known.opened.get(r.name, 0)),
         str(r.new_records), str(r.events), f"{r.seconds:.1f}s")
        for r in shown
    ]
    if rows:  # names whole (what `--source` takes); a long status wraps instead
        grid = Table(title="trackbot poll")
        grid.add_column("source", no_wrap=True, min_width=min(28, max(len(r.name) for r in shown)))
        grid.add_column("kind", no_wrap=True, overflow="ellipsis")
        grid.add_column("status", min_width=15)  # "1 incident open" on one line
        for column in ("new", "events", "time"):
            grid.add_column(column, no_wrap=True, justify="right")
        for row in rows:
            grid.add_row(*row)
        console.print(grid)
    quiet = len(report.results) - len(shown)
    if quiet:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(_count_statuses(report, shown).items()))
        console.print(f"{quiet} other source{'' if quiet == 1 else 's'}: {counts} (--all lists every source)",
                      highlight=False)
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


def _poll_status(status: str, open_count: int, opened: int) -> str:
    """A source with an incident never reads as a plain "unchanged": its Release may not change while
    it serves a broken index. "1 new incident" on the run that opened it."""
    prefix = "changed, " if status == "changed" else ""
    if opened and status != "failed":
        return f"[red]{prefix}{opened} new incident{'s' if opened > 1 else ''}[/]"
    if open_count and status != "failed":
        return f"[red]{prefix}{open_count} incident{'s' if open_count > 1 else ''} open[/]"
    return f"[{STATUS_STYLES[status]}]{status}[/]" if STATUS_STYLES[status] else status
def _count_statuses(report: RunReport, shown: Sequence[object]) -> dict[str, int]:
    listed = {id(r) for r in shown}
    counts: dict[str, int] = {}
    for r in report.results:
        if id(r) not in listed:
            counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def event_lines(rows: Sequence[StoredEvent], since: str, width: int = 80, total: int = 0) -> list[str]:
    """`trackbot events` on a terminal: a heading line per event (when, severity, kind, product version),
    then its summary wrapped under it, so a long summary reads at 80 columns instead of a squeezed column.
    `total`: how many matched before --limit kept the newest."""
    count = f"the newest {len(rows)} of {total}" if total > len(rows) else str(len(rows))
    noun = "event" if max(total, len(rows)) == 1 else "events"
    lines = [f"[bold]{count} {noun} since {safe(since)}[/], oldest first"]
    for e in rows:
        severity = f"[{SEVERITY_STYLES.get(e.severity, '')}]{e.severity}[/]" if SEVERITY_STYLES.get(e.severity) \
            else e.severity
        what = " ".join(safe(part) for part in (e.product, e.version) if part)
        lines.append(f"{short_time(e.detected_at)} {severity} {e.kind}{' (baseline)' if e.baseline else ''}"
                     f"{'  ' + what if what else ''}")
        lines += [f"    {safe(part)}" for part in wrapped(e.summary, width - 4)]
    return lines


def status_table(sources: Sequence[SourceConf], states: dict[str, dict[str, Any]],
                 open_incidents: dict[str, int] | None = None, *, width: int = 80) -> Table:
    """One row per source, the name always whole, in 80 columns: the kind takes what is left.

    Each failing source's error and next try follow the table on a line of their own
    (`status_error_lines`), since an error squeezed into a column says nothing.
    """
    counts = open_incidents or {}
    # measured from a few cells per column, not all 5,000: the first rows print at once (issue 11)
    grid = MeasuredTable(title="sources", width=min(width, 120) if width < 120 else None)
    longest = max((len(conf.name) for conf in sources), default=6)
    grid.add_column("source", no_wrap=True, min_width=min(longest, 28), overflow="ellipsis")
    grid.add_column("last success", no_wrap=True, min_width=17)
    grid.add_column("fails", no_wrap=True, justify="right", min_width=5)
    grid.add_column("open", no_wrap=True, justify="right", min_width=4)
    grid.add_column("kind", no_wrap=True, overflow="ellipsis")
    for conf in sources:
        s = states.get(conf.name, {})
        failures = int(s.get("consecutive_failures") or 0)
        open_count = counts.get(conf.name, 0)
        grid.add_row(safe(conf.name), short_time(s.get("last_success_at")) or "never",
                     f"[red]{failures}[/]" if failures else "0", f"[red]{open_count}[/]" if open_count else "0",
                     conf.kind)
    return grid


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


def status_error_lines(sources: Sequence[SourceConf], states: dict[str, dict[str, Any]], width: int = 80) -> list[str]:
    """Per failing source: since when and its next try, then its last error wrapped (at most 3 lines), a long
    URL in it cut in the middle with its host kept, so each line fits the terminal's width."""
    lines = []
    for conf in sources:
        s = states.get(conf.name, {})
        if not (s.get("consecutive_failures") and s.get("last_error")):
            continue
        due = next_try_of(conf, s)
        lines.append(f"[red]{safe(conf.name)}[/]: failing since {short_time(s.get('failing_since')) or '?'}, "
                     f"next try {short_time(due.isoformat()) if due else 'at the next run'}")
        lines += ["    " + safe(part) for part in fit_error(s["last_error"], max(20, width - 4))]
    return lines


def next_try_of(conf: SourceConf, state: dict[str, Any]) -> datetime | None:
    """When a source is tried again (None: at the next run), from its `every:` and its failures (bot.poll.schedule)."""
    return schedule.next_try(parse_interval(conf.every) if conf.every else None, state)


def silences_table(rows: Sequence[Silence], now: datetime) -> Table:
    return table(
        "silences",
        ("id", "product", "keys", "until", "reason", "ended"),
        (
            (str(r.id), safe(r.product), safe(r.pattern), short_time(r.until), safe(r.reason),
             f"removed {short_time(r.removed_at)}" if r.removed_at else ("expired" if r.until <= now.isoformat() else ""))
            for r in rows
        ),
        no_wrap=("id", "until"),
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


def show_changes(console: Console, found: Sequence[Any], title: str, *, total: int) -> None:
    """`trackbot changes`: one heading per group, each line with its version and date ("3 of 38" under --limit)."""
    shown = f"{len(found)} of {total}" if total > len(found) else str(total)
    console.print(f"[bold]{safe(title)}[/]: {shown} line{'' if total == 1 else 's'}", highlight=False)
    group = ""
    for change in found:
        if change.group != group:
            group = change.group
            console.print(f"[bold]{group.capitalize()}[/]")
        for part in hanging(f"{change.version} ({change.date or '?'}) {change.text}", console.width, "  ", "      "):
            console.print(safe(part), highlight=False, soft_wrap=True)


def hanging(text: str, width: int, first: str = "", rest: str = "    ") -> list[str]:
    """Text wrapped to `width` with a hanging indent, never cut: a long word (a URL) is cut in its middle,
    its host kept, rather than run past the edge."""
    words = [w if len(w) <= width - len(rest) else shorten_url(w, width - len(rest)) for w in text.split()]
    return textwrap.wrap(" ".join(words), max(20, width), initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False, break_long_words=True) or [first]


def search_lines(hits: Sequence[Any], width: int = 80) -> list[str]:
    """`trackbot search`: per hit "product version [what] (date, source): text", wrapped under itself at
    `width`; what it is unless a changelog line: [advisory], [announcement], [incident:...]."""
    if not hits:
        return ["no match"]
    lines = []
    for hit in hits:
        what = " ".join(filter(None, (hit.product, hit.version, "" if hit.kind == "changelog_line" else f"[{hit.kind}]")))
        lines += [safe(part) for part in hanging(f"{what} ({hit.date or '?'}, {hit.source}): {hit.text}", width)]
    return lines
