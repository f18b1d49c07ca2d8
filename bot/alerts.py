"""Turn what one source's poll produced into outbox rows: one message per thing that happened.

Pure: the rows are plain dicts that `Store.queue_alert` writes in the same
transaction as the events behind them. Info events never page: they wait for the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import fleet, policy, versions
from bot.model import Event, Pin, Record, severity_rank

BASELINE_WORTH_SAYING = (
    "fix_available", "regression", "advisory", "branch_eol", "branch_eol_scheduled", "branch_dropped",
    "branch_abandoned", "branch_uncovered",
)


def loudest(severities: Sequence[str]) -> str:
    return max(severities, key=severity_rank, default="info")


def events_alert(source: str, events: Sequence[Event], run_id: int) -> dict[str, Any] | None:
    """One alert for the non-info, non-baseline events a source produced in one run."""
    loud = [e for e in events if not e.baseline and severity_rank(e.severity) >= 1]
    if not loud:
        return None
    loud.sort(key=lambda e: -severity_rank(e.severity))
    title = loud[0].summary if len(loud) == 1 else f"{source}: {len(loud)} changes touching the fleet"
    return {
        "run_id": run_id,
        "source": source,
        "kind": "events",
        "severity": loudest([e.severity for e in loud]),
        "title": title,
        "event_keys": [e.key for e in loud],
        "payload": [e.as_dict() for e in loud],
    }


def incident_alert(
    source: str, event: Event, run_id: int, *, opened: bool, incident_key: str, duration: str = ""
) -> dict[str, Any]:
    """An incident's opening or its resolution (a reply in the same Slack thread)."""
    title = event.summary if opened else f"Resolved after {duration}: {event.summary}"
    payload = {**event.as_dict(), "duration": duration} if duration else event.as_dict()
    return {
        "run_id": run_id,
        "source": source,
        "kind": "incident_open" if opened else "incident_resolved",
        "severity": event.severity if opened else "info",
        "title": title,
        "incident_key": incident_key,
        "event_keys": [event.key],
        "payload": [payload],
    }


def baseline_alert(
    source: str, records: Sequence[Record], events: Sequence[Event], pins: Sequence[Pin], run_id: int,
    *, rebaseline: bool = False,
) -> dict[str, Any]:
    """The one message of a source's first poll: where the pins stand, not every release ever made.

    `rebaseline`: the fleet, watch words or the source's settings changed since its last poll,
    so the history was read again against them: the same summary, for the new settings.
    """
    releases = [r for r in records if r.kind == "release"]
    lines = [] if rebaseline else [
        f"{len(releases)} releases and {len(records) - len(releases)} other records recorded as history."
    ]
    lines += pin_standing(releases, pins)
    worth = [e for e in events if e.kind in BASELINE_WORTH_SAYING and e.data.get("pins")]
    lines += [f"[{e.severity}] {e.summary}" for e in worth]
    return {
        "run_id": run_id,
        "source": source,
        "kind": "baseline",
        "severity": str(policy.BASELINE),  # a summary of standing facts: posted once, never pages
        "title": f"{source}: settings or fleet changed, where the pins stand now" if rebaseline
        else f"{source}: first poll, baseline recorded",
        "event_keys": [e.key for e in worth],
        "payload": [{"kind": "baseline", "summary": line} for line in lines],
    }


def pin_standing(releases: Sequence[Record], pins: Sequence[Pin]) -> list[str]:
    """For each pin these releases are about: where its branch stands, and the newest overall."""
    lines = []
    for pin in pins:
        mine = {r.version: r for r in releases if fleet.same_product(pin.product, r.product)}
        if not mine:
            continue
        scheme = versions.scheme_for(pin.product)
        ordered = sorted(mine, key=lambda v: versions.sort_key(v, scheme))
        newer = fleet.newer_in_branch(pin, ordered)
        newest = ordered[-1]
        overall = f"newest overall {newest} ({mine[newest].data.get('date') or 'date unknown'})"
        if newer:
            branch = f"{len(newer)} newer in its branch, up to {newer[-1]}"
        else:
            last = mine.get(pin.version)
            dated = f", released {last.data.get('date')}" if last and last.data.get("date") else ""
            branch = f"no newer release in its branch{dated}"
        lines.append(f"{fleet.pin_label(pin)}: {branch}; {overall}")
    return lines


def duration_text(start: str, end: datetime) -> str:
    began = datetime.fromisoformat(start)
    seconds = int((end - began).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)
