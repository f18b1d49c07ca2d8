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

from bot.core import versions
from bot.core.model import Pin
from bot.judge import fleet
from bot.store.history import Incident, StoredEvent, StoredRecord

WAITING = ("fix_available", "advisory", "regression")


def pin_rows(pins: Sequence[Pin], records: Sequence[StoredRecord], events: Sequence[StoredEvent],
             incidents: Sequence[Incident], today: date) -> list[dict[str, Any]]:
    return [_row(pin, (records, events, incidents), today) for pin in pins]


def _row(pin: Pin, history: tuple[Sequence[StoredRecord], Sequence[StoredEvent], Sequence[Incident]],
         today: date) -> dict[str, Any]:
    records, events, incidents = history
    scheme = versions.scheme_for(pin.product)
    mine = [r for r in records if fleet.same_product(r.record.product, pin.product)]
    every_latest = [str(r.record.data["latest"]) for r in mine if r.record.kind == "branch" and r.record.data.get("latest")]
    dates = {r.record.version: str(r.record.data.get("date") or "") for r in mine if r.record.kind == "release"}
    released = [v for v in dates if not _prerelease(v, scheme)]
    waiting = [e for e in events if e.kind in WAITING and fleet.same_product(e.product, pin.product)
               and e.version == pin.version]  # the first poll's (baseline) findings wait as much as later ones
    critical_fixes = [str(e.data.get("fixed_in") or "") for e in waiting if e.severity == "critical"]
    branch_end, abandoned = _branch_end(pin, mine, events)
    touching = incidents_of(pin, mine, incidents)
    return {
        "product": pin.product, "pinned": pin.version, "distro": pin.distro,
        **_behind(pin, released + _branch_latest(pin, mine, scheme), released, dates, today),
        "newest_overall": max(released + every_latest, key=lambda v: versions.sort_key(v, scheme), default=""),
        "branch_end": "abandoned" if abandoned else branch_end,
        "open_incidents": len(touching), "incident_keys": [i.key for i in touching],
        "waiting": dict(Counter(e.severity for e in waiting)),
        "smallest_upgrade": max(filter(None, critical_fixes), key=lambda v: versions.sort_key(v, scheme), default=""),
    }


def _behind(pin: Pin, known: list[str], released: list[str], dates: dict[str, str], today: date) -> dict[str, Any]:
    """How far behind: newer releases in the pin's branch (None for a branch pin, which runs whatever
    the branch has, or when no release of its branch is known), newer releases at all, and days since
    the first newer one came out. `known` adds endoflife.date's latest release of the branch."""
    scheme = versions.scheme_for(pin.product)
    is_branch = bool(pin.spec and pin.spec.is_branch)
    newer = _newer(pin, known)
    overall = [] if is_branch else sorted((v for v in released if _newer_than(v, pin.version, scheme)),
                                         key=lambda v: versions.sort_key(v, scheme))
    any_known = _any_in_branch(pin, known)
    first_newer = next((v for v in ([] if is_branch else newer) + overall if dates.get(v)), "")
    return {
        "is_branch": is_branch,
        "newest_in_branch": newer[-1] if newer else ("" if any_known else "?"),
        "releases_behind": None if is_branch or not (newer or overall or any_known) else len(newer),
        "newer_overall": len(overall),
        "days_behind": _days(dates.get(first_newer, ""), today) if first_newer else None,
    }


def _newer(pin: Pin, candidates: Sequence[str]) -> list[str]:
    """Releases of the pin's branch newer than it (every release of it, for a branch pin)."""
    try:
        return fleet.newer_in_branch(pin, candidates)
    except ValueError:
        return []


def _newer_than(version: str, pinned: str, scheme: str) -> bool:
    try:
        return versions.compare(version, pinned, scheme) > 0
    except ValueError:
        return False


def _any_in_branch(pin: Pin, candidates: Sequence[str]) -> bool:
    """Whether the history knows any release of the pin's branch: "(is newest)" needs that much."""
    spec = pin.spec
    if spec is None:
        return False
    try:
        branch = spec.version if spec.is_branch else versions.branch_of(spec.version, spec.scheme)
    except ValueError:
        return False
    return any(_holds(v, branch, spec.scheme) for v in candidates)


def _branch_latest(pin: Pin, records: Sequence[StoredRecord], scheme: str) -> list[str]:
    """The `latest` release endoflife.date or kernel.org give for the pin's branch."""
    return [str(r.record.data.get("latest")) for r in records
            if r.record.kind == "branch" and r.record.data.get("latest") and _holds(pin.version, r.record.version, scheme)]


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
    """The branch's end of life: from a branch record (endoflife.date, kernel.org), else from a
    `branch_eol` event (a DSA saying Debian 8 ended, a pin older than every listed cycle): "ended"
    when no date is known. And whether the branch was found abandoned."""
    scheme = versions.scheme_for(pin.product)
    mine = [e for e in events if fleet.same_product(e.product, pin.product) and _holds(pin.version, e.version, scheme)]
    abandoned = any(e.kind == "branch_abandoned" for e in mine)
    for row in records:
        if row.record.kind == "branch" and _holds(pin.version, row.record.version, scheme):
            eol = row.record.data.get("eol")
            return (str(eol) if isinstance(eol, str) else ("ended" if eol else "")), abandoned
    ended = [e.data.get("eol") for e in mine if e.kind == "branch_eol"]
    dated = sorted(str(eol) for eol in ended if isinstance(eol, str) and eol)
    return (dated[0] if dated else ("ended" if ended else "")), abandoned


def _holds(version: str, branch: str, scheme: str) -> bool:
    try:
        return bool(branch) and versions.in_branch(version, branch, scheme)
    except ValueError:
        return False
