"""Render an alert as plain text: the console's lines (and the digest's escaping helpers).

Rendering only: what the console prints and what Slack shows are built from an `Alert`
here and in `bot.slack.blocks`; neither knows how a message is sent (`bot.deliver`).
"""

from __future__ import annotations

import re

from rich.markup import escape as _markup_escape

from bot.alert import Alert, AlertKind

# C0/C1 control characters but tab and newline: an upstream line must not drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
MAX_LINES = 20


def printable(text: object) -> str:
    """Upstream text with terminal control characters (ESC sequences, bells) removed."""
    return _CONTROL.sub("", str(text))


def safe(text: object) -> str:
    """Upstream text ready for rich: no control characters, no markup."""
    return _markup_escape(printable(text))


def alert_lines(alert: Alert) -> list[str]:
    """The lines under an alert's title, capped with 'and N more'."""
    lines = []
    for item in alert.items:
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
