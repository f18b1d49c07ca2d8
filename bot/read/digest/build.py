"""The digest as one plain dict, so Markdown, HTML, JSON and Slack all say the same thing.

Sections, in the order a reader needs them: pins that need action, the pin table, open
incidents with their age, the period's events by product (loudest first), the silenced
events with the silence's reason, and source health.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core import silence as silencing
from bot.core.alert import duration_text
from bot.core.model import Pin, severity_rank
from bot.read.digest.history import pin_history
from bot.read.digest.pins import pin_rows
from bot.store.history import Incident, Store, StoredEvent

PER_PRODUCT = 25


def build(store: Store, pins: Sequence[Pin], since: datetime, now: datetime, label: str) -> dict[str, Any]:
    period = store.events(since=since, news_only=True)
    silences = store.silences(now, include_ended=True)
    loud, held = _split_silenced(period, silences)
    open_incidents = store.incidents(open_only=True)
    table = [pin_rows([pin], *pin_history(store, pin), open_incidents, now.date())[0] for pin in pins]
    return {
        "title": f"trackbot digest ({label}): " + (f"{len(loud)} events" if loud else "nothing new"),
        "since": since.isoformat(), "generated_at": now.isoformat(),
        "needs_action": _needs_action(table, open_incidents, now.date().isoformat()),
        "pins": table,
        "incidents": [{"kind": i.kind, "severity": i.severity, "source": i.source, "summary": i.summary,
                       "since": i.first_seen_at, "age": duration_text(i.first_seen_at, now)} for i in open_incidents],
        "events": _by_product(loud),
        "event_count": len(loud),
        "silenced": [{"product": e.product, "kind": e.kind, "severity": e.severity, "summary": e.summary,
                      "reason": reason} for e, reason in held],
        "sources": _health(store, since),
    }


def _split_silenced(events: Sequence[StoredEvent], silences: Sequence[silencing.Silence]
                    ) -> tuple[list[StoredEvent], list[tuple[StoredEvent, str]]]:
    """Events a silence covered when they were detected go to their own section, with its reason."""
    loud: list[StoredEvent] = []
    held: list[tuple[StoredEvent, str]] = []
    for event in events:
        cover = next((s for s in silences if s.created_at <= event.detected_at < min(s.until, s.removed_at or s.until)
                      and silencing.covers(s, event)), None)
        if cover:
            held.append((event, cover.reason))
        else:
            loud.append(event)
    return loud, held


def _by_product(events: Sequence[StoredEvent]) -> list[dict[str, Any]]:
    groups: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in events:
        groups[event.product or "(repositories and sources)"].append(event)
    ordered = sorted(groups.items(), key=lambda kv: (-max(severity_rank(e.severity) for e in kv[1]), kv[0]))
    return [{"product": product,
             "count": len(items),
             "events": [{"severity": e.severity, "kind": e.kind, "version": e.version, "summary": e.summary,
                         "detected_at": e.detected_at}
                        for e in sorted(items, key=lambda e: (-severity_rank(e.severity), e.detected_at))[:PER_PRODUCT]]}
            for product, items in ordered]


def _needs_action(table: Sequence[dict[str, Any]], incidents: Sequence[Incident], today: str) -> list[str]:
    """EOL or abandoned branches, waiting fixes and advisories, open critical incidents."""
    lines = []
    for row in table:
        label = f"{row['product']} {row['pinned']}"
        if row["branch_end"] == "abandoned":
            lines.append(f"{label}: its branch is abandoned (no release for a long time)")
        elif row["branch_end"] == "ended":
            lines.append(f"{label}: its branch ended")
        elif row["branch_end"] and row["branch_end"] <= today:
            lines.append(f"{label}: its branch ended on {row['branch_end']}")
        waiting = row["waiting"]
        if waiting.get("critical") or waiting.get("warning"):
            upgrade = f"; smallest upgrade with every critical fix: {row['smallest_upgrade']}" \
                if row["smallest_upgrade"] else ""
            counts = " and ".join(f"{waiting[sev]} {sev}" for sev in ("critical", "warning") if waiting.get(sev))
            many = waiting.get("critical", 0) + waiting.get("warning", 0) > 1
            lines.append(f"{label}: {counts} {'fixes or advisories' if many else 'fix or advisory'} waiting{upgrade}")
    for incident in incidents:
        if incident.severity == "critical":
            pins = [f"{row['product']} {row['pinned']}" for row in table if incident.key in row["incident_keys"]]
            touches = f"; touches {', '.join(pins)}" if pins else ""
            lines.append(f"open critical incident: {incident.source} {incident.kind} ({incident.summary}){touches}")
    return lines


def _health(store: Store, since: datetime) -> list[dict[str, Any]]:
    """Sources that failed in the period (or still fail), since when."""
    out = []
    for state in store.all_source_states():
        failing = int(state.get("consecutive_failures") or 0)
        last_failure = str(state.get("last_error_at") or "")
        if failing or (state.get("last_error") and last_failure >= since.isoformat()):
            out.append({"source": state["name"], "failing": failing,
                        "since": state.get("failing_since") or last_failure,
                        "last_success": state.get("last_success_at") or "never",
                        "last_error": state.get("last_error") or ""})
    return out
