"""Render an alert as plain text lines: used by the console and as Slack's fallback text."""

from __future__ import annotations

from typing import Any

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
        lines.append(f"{prefix}{text}{suffix}")
    if len(lines) > MAX_LINES:
        extra = len(lines) - MAX_LINES
        lines = lines[:MAX_LINES] + [f"... and {extra} more"]
    return lines


def alert_text(alert: dict[str, Any]) -> str:
    head = f"{alert['severity'].upper()} {alert['title']}"
    return "\n".join([head, *(f"  - {line}" for line in alert_lines(alert))])
