"""Render an alert as plain text: the console's lines (and the digest's escaping helpers).

Rendering only: what the console prints and what Slack shows are built from an `Alert`
here and in `bot.deliver.slack.blocks`; neither knows how a message is sent (`bot.deliver.loop`).
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.core.text import printable as printable  # re-exported: the console's users read it here too
from bot.core.text import safe as safe

# C0/C1 control characters but tab and newline: an upstream line must not drive the terminal.
STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
MAX_LINES = 20
TOP_ITEMS = 3  # fixes named on a grouped line
GROUPED = {"fix_available": "fixes", "regression": "regressions"}  # kind -> its plural on a grouped line


def display_items(items: tuple[Event, ...]) -> list[Event]:
    """An alert's items as they are shown: the fixes (or the regressions) one release brings
    to one pin are one line.

    A Debian upload or a kernel release with 40 fixes for the pin reads "40 fixes for
    debian:linux 6.1.27-1 in 6.1.30-1: <top three> (and 37 more)", CVE fixes first; the
    events themselves stay one by one in the history, `trackbot events` and the digest.
    """
    groups: dict[tuple[str, str, str], list[Event]] = {}
    order: list[Event | tuple[str, str, str]] = []
    for item in items:
        if item.kind not in GROUPED or not item.data.get("fixed_in"):
            order.append(item)
            continue
        pins = ", ".join(map(str, item.data.get("pins") or [item.product]))
        key = (item.kind, pins, str(item.data["fixed_in"]))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(item)
    shown: list[Event] = []
    for entry in order:
        if isinstance(entry, Event):
            shown.append(entry)
        else:
            shown.append(_grouped_line(groups[entry], *entry))
    return shown


def _grouped_line(events: list[Event], kind: str, pins: str, fixed_in: str) -> Event:
    if len(events) == 1:
        return events[0]
    ranked = sorted(events, key=lambda e: not e.data.get("cves"))  # CVEs first, else as told
    tops = [" ".join(str(e.data.get("text") or e.summary).split())[:120] for e in ranked[:TOP_ITEMS]]
    rest = f" (and {len(events) - TOP_ITEMS} more)" if len(events) > TOP_ITEMS else ""
    summary = f"{len(events)} {GROUPED[kind]} for {pins} in {fixed_in}: " + "; ".join(tops) + rest
    return replace(events[0], product="", version="", summary=summary, data={"count": len(events)})


def alert_lines(alert: Alert) -> list[str]:
    """The lines under an alert's title, capped with 'and N more'."""
    lines = []
    for item in display_items(alert.items):
        pins = [str(p) for p in item.data.get("pins") or []]
        prefix = f"[{item.severity}] " if item.kind != AlertKind.BASELINE and alert.kind != AlertKind.BASELINE else ""
        suffix = f" (pins: {', '.join(pins)})" if pins else ""
        lines.append(printable(f"{prefix}{item.summary}{suffix}"))
    if len(lines) > MAX_LINES:
        extra = len(lines) - MAX_LINES
        lines = lines[:MAX_LINES] + [f"... and {extra} more"]
    return lines


def console_markup(alert: Alert) -> list[str]:
    """The console's rich markup for an alert: a styled heading, then one bullet per line."""
    style = STYLES.get(alert.severity, "")
    head = f"[{style}]{alert.severity.upper()}[/] [bold]{safe(alert.title)}[/]"
    return [head, *(f"  • {safe(line)}" for line in alert_lines(alert))]
