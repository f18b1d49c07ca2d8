"""Render an alert as plain text lines: used by the console and as Slack's fallback text."""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape as _markup_escape

# C0/C1 control characters but tab and newline: an upstream line must not drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """Upstream text with terminal control characters (ESC sequences, bells) removed."""
    return _CONTROL.sub("", str(text))


def safe(text: object) -> str:
    """Upstream text ready for rich: no control characters, no markup."""
    return _markup_escape(printable(text))

MAX_LINES = 20


def alert_lines(alert: dict[str, Any]) -> list[str]:
    """The lines under an alert's title, capped with 'and N more'."""
    lines = []
    for item in alert["payload"]:
        text = str(item.get("summary", ""))
        severity = item.get("severity")
        pins = item.get("pins") or []
        prefix = f"[{severity}] " if severity and alert["kind"] != "baseline" else ""
        suffix = f" (pins: {', '.join(pins)})" if pins else ""
        lines.append(printable(f"{prefix}{text}{suffix}"))
    if len(lines) > MAX_LINES:
        extra = len(lines) - MAX_LINES
        lines = lines[:MAX_LINES] + [f"... and {extra} more"]
    return lines


def alert_text(alert: dict[str, Any]) -> str:
    head = printable(f"{alert['severity'].upper()} {alert['title']}")
    return "\n".join([head, *(f"  - {line}" for line in alert_lines(alert))])
