"""The digest's pin table: how far behind each pin is, and the smallest upgrade that fixes what matters.

One row per fleet pin, from the history alone: the newest release in the pin's branch and
overall, how many releases and days behind, the branch's end (from endoflife.date) or
"abandoned", open incidents, the fixes and advisories waiting for it by severity, and the
smallest version of its branch that brings every critical fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import fleet, versions
from bot.model import Pin
from bot.store import Incident, StoredEvent, StoredRecord

WAITING = ("fix_available", "advisory", "regression")


def pin_rows(pins: Sequence[Pin], records: Sequence[StoredRecord], events: Sequence[StoredEvent],
             incidents: Sequence[Incident], today: date) -> list[dict[str, Any]]:
    return [_row(pin, (records, events, incidents), today) for pin in pins]


def _row(pin: Pin, history: tuple[Sequence[StoredRecord], Sequence[StoredEvent], Sequence[Incident]],
         today: date) -> dict[str, Any]:
    records, events, incidents = history
    scheme = versions.scheme_for(pin.product)
    mine = [r for r in records if fleet.same_product(r.record.product, pin.product)]
    dates = {r.record.version: str(r.record.data.get("date") or "") for r in mine if r.record.kind == "release"}
    released = [v for v in dates if not _prerelease(v, scheme)]
    try:
        newer = fleet.newer_in_branch(pin, released)
    except ValueError:
        newer = []
    newest = max(released, key=lambda v: versions.sort_key(v, scheme), default="")
    waiting = [e for e in events if e.kind in WAITING and fleet.same_product(e.product, pin.product)
               and e.version == pin.version and not e.baseline]
    critical_fixes = [str(e.data.get("fixed_in") or "") for e in waiting if e.severity == "critical"]
    upgrade = max(filter(None, critical_fixes), key=lambda v: versions.sort_key(v, scheme), default="")
    branch_end, abandoned = _branch_end(pin, mine, events)
    touching = incidents_of(pin, mine, incidents)
    return {
        "product": pin.product, "pinned": pin.version, "distro": pin.distro,
        "newest_in_branch": newer[-1] if newer else "", "newest_overall": newest,
        "releases_behind": len(newer), "days_behind": _days(dates.get(newer[0], "") if newer else "", today),
        "branch_end": "abandoned" if abandoned else branch_end,
        "open_incidents": len(touching), "incident_keys": [i.key for i in touching],
        "waiting": dict(Counter(e.severity for e in waiting)),
        "smallest_upgrade": upgrade,
    }


def incidents_of(pin: Pin, records: Sequence[StoredRecord], incidents: Sequence[Incident]) -> list[Incident]:
    """The open incidents that touch a pin: about its product, or raised by a source that feeds it.

    An apt repository's incidents carry the repository's own product (`apt:<source>`) or none,
    not the packages it serves, so a Hash Sum mismatch on the repository that ships
    `debian:docker.io` counts for that pin through the source that recorded its releases.
    `records` are the pin's product's records (any source).
    """
    feeding = {r.source for r in records if r.source}
    return [i for i in incidents
            if (i.product and fleet.same_product(i.product, pin.product)) or i.source in feeding]


def _prerelease(version: str, scheme: str) -> bool:
    try:
        return versions.is_prerelease(version, scheme)
    except ValueError:
        return True


def _days(first_newer_date: str, today: date) -> int | None:
    """Days since the first newer release of the branch came out: how long the pin has been behind."""
    try:
        return max(0, (today - date.fromisoformat(first_newer_date[:10])).days)
    except ValueError:
        return None


def _branch_end(pin: Pin, records: Sequence[StoredRecord], events: Sequence[StoredEvent]) -> tuple[str, bool]:
    scheme = versions.scheme_for(pin.product)
    abandoned = any(e.kind == "branch_abandoned" and fleet.same_product(e.product, pin.product)
                    and _holds(pin.version, e.version, scheme) for e in events)
    for row in records:
        if row.record.kind == "branch" and _holds(pin.version, row.record.version, scheme):
            eol = row.record.data.get("eol")
            return (str(eol) if isinstance(eol, str) else ("ended" if eol else "")), abandoned
    return "", abandoned


def _holds(version: str, branch: str, scheme: str) -> bool:
    try:
        return bool(branch) and versions.in_branch(version, branch, scheme)
    except ValueError:
        return False
