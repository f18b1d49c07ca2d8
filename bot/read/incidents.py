"""`trackbot incidents`: what is broken right now, and (with --all) what was and for how long.

Plain dicts first (the JSON output), the table from them, so both always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.alert import duration_text
from bot.core.text import safe
from bot.read.preflight import wrapped
from bot.read.views import short_time
from bot.store.history import Store
from bot.store.reads import incident_rows


def incident_items(store: Store, *, include_resolved: bool, now: datetime) -> list[dict[str, Any]]:
    """Open incidents first (oldest first), then resolved ones with how long they lasted."""
    items = []
    for row in incident_rows(store, include_resolved=include_resolved):
        resolved = bool(row.resolved_at)
        end = datetime.fromisoformat(row.resolved_at) if resolved else now
        items.append({
            "state": "resolved" if resolved else "open", "kind": row.kind, "severity": row.severity,
            "source": row.source, "product": row.product, "summary": row.summary, "key": row.key,
            "since": row.since, "last_seen": row.last_seen, "resolved_at": row.resolved_at or None,
            "duration" if resolved else "age": duration_text(row.since, end), "thread": row.thread or None,
        })
    return sorted(items, key=lambda i: (i["state"] != "open", i["since"]))


def incident_lines(items: Sequence[dict[str, Any]], width: int = 80) -> list[str]:
    """Per incident: what and how long, when, then its summary wrapped; each line within `width`."""
    if not items:
        return ["no open incident"]
    lines = []
    for i in items:
        state = "[red]OPEN[/]" if i["state"] == "open" else "resolved"
        took = f"open for {i['age']}" if i["state"] == "open" else f"lasted {i['duration']}"
        thread = f", thread {safe(i['thread'])}" if i["thread"] else ""
        lines.append(f"{state} [bold]{i['kind']}[/] ({i['severity']}) {safe(i['source'])}: {took}")
        lines.append(f"    since {short_time(i['since'])}, last seen {short_time(i['last_seen'])}{thread}")
        lines += [f"    {safe(part)}" for part in wrapped(i["summary"], width - 4)]  # prose: wrapped, not squeezed
    return lines
