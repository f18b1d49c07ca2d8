"""Security advisories matched to the fleet's package pins: the one place that decides.

Every advisory kind (debian_security_tracker, debian_dsa, rhel_csaf, ...) emits records of
one shape and calls this module from its `events` hook, so "does this advisory affect what
we run" has one answer, tested once.

Contract
--------
Input, one record per (advisory, package, distribution release)::

    Record(kind="advisory", key=f"advisory:{id}:{package}:{distro}",
           product=f"{family}:{package}",          # debian:openssl, rhel:bind
           version=fixed_version or "",
           data={"id": "CVE-2024-1234" | "DSA-5970-1" | "RHSA-2024:0010", "cves": [...],
                 "rating": <upstream word: "high", "Important">, "severity": critical|warning|info,
                 "distro": "bookworm" | "9" | "9.2 eus", "status": "open" | "resolved" | ...,
                 "fixed_version": "" | "1.2-3+deb12u1" | "32:9.8.2-0.68.el6", "published": "",
                 "title": "", "url": "",
                 "summary": ""})                          # optional: one line for `trackbot search`

`advisory_events(source, records, pins, cves)` -> one ``advisory`` event per affected pin:

- the pin's product equals the record's (case-insensitive) and its ``distro`` equals the
  record's distro (case and spaces ignored); a pin without a distro matches no advisory;
- the pin's version is affected: the record has a ``fixed_version`` and the pin is older in
  dpkg order (``debian:``) or rpm order (``rhel:``), or it has none and its status is open;
  a pin at or above the fixed version, or a version that does not parse, is not affected;
- severity is the record's, raised to critical when `cves` (ctx.cves) says one of its CVEs
  is known exploited (CISA KEV); the summary names the KEV date;
- the event's version is the pin's; data names the fixed version, the rating, the CVEs and
  the inventories (``hosts``) that carry the pin;
- key ``advisory:{id}:{product}:{distro}:{pin version}``, with ``:kev`` appended once a CVE
  is KEV-listed: the same advisory and pin are alerted once, a later KEV listing once more.

`fix_events(source, previous, records, pins, cves)` -> ``fix_available`` for each pin still
affected by an advisory that was open in `previous` (no fixed version) and now has one. Key
``fix_available:{product}:{pin version}:{id}``, the changelog rules' shape (bot/judge/rules.py), so a
CVE fix read in a Debian changelog and in the tracker is one event. Severity: critical for a
critical or KEV-listed advisory, info for an info one, warning otherwise.

Re-deriving every event on every run is wasteful when a source holds tens of thousands of
advisories (the store drops known keys, but only after the core has matched each event to the
fleet). So kinds pass their records through `with_exposure(records, pins)` at collect time
(each advisory record then names the pin versions it affects in ``data["affects"]``, so a fleet
change changes the record, and matching reads that list instead of comparing versions again) and give the events functions only `news(previous, records, cves)`:
the records new or changed since the last good run, plus those naming a KEV-listed CVE.
`advisory_news(source, previous, records, pins, cves)` does all of it for an `events` hook,
and marks as baseline (standing facts for the core's one summary) the events of records that
changed only because the fleet did.

All pure functions; pins are indexed by (product, distro) and versions parsed once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core import versions
from bot.core.model import Event, Pin, Record
from bot.judge import fleet
from bot.judge.cves import CveInfo

ADVISORY = "advisory"
FIX_AVAILABLE = "fix_available"
OPEN_STATUSES = frozenset({"open", "undetermined", "affected", "known_affected", "under_investigation",
                           "fix_deferred", "will_not_fix", "out_of_support_scope"})

_PinIndex = Mapping[tuple[str, str], Sequence[Pin]]


def advisory_events(source: str, records: Sequence[Record], pins: Sequence[Pin],
                    cves: Mapping[str, CveInfo]) -> list[Event]:
    """The `advisory` events these records raise for the pins they affect (module docstring)."""
    index, order = index_pins(pins), _Order()
    events: dict[str, Event] = {}
    for record in records:
        if record.kind != ADVISORY:
            continue
        for pin in affected_pins(record, index, order):
            event = _advisory_event(source, record, pin, cves)
            events.setdefault(event.key, event)
    return list(events.values())


def fix_events(source: str, previous: Sequence[Record], records: Sequence[Record], pins: Sequence[Pin],
               cves: Mapping[str, CveInfo]) -> list[Event]:
    """`fix_available` for pins of advisories that were open last time and now name a fix."""
    index, order = index_pins(pins), _Order()
    was_open = {r.key for r in previous if r.kind == ADVISORY and not _fixed_version(r)}
    events: dict[str, Event] = {}
    for record in records:
        if record.kind != ADVISORY or record.key not in was_open or not _fixed_version(record):
            continue
        for pin in affected_pins(record, index, order):
            event = _fix_event(source, record, pin, cves)
            events.setdefault(event.key, event)
    return list(events.values())


def index_pins(pins: Sequence[Pin]) -> dict[tuple[str, str], list[Pin]]:
    """Package pins by (product, distro), the two things an advisory must match exactly."""
    index: dict[tuple[str, str], list[Pin]] = defaultdict(list)
    for pin in pins:
        if pin.distro and versions.scheme_for(pin.product) in ("deb", "rpm"):
            index[(fleet.canonical_product(pin.product), _distro(pin.distro))].append(pin)
    return index


def with_exposure(records: Sequence[Record], pins: Sequence[Pin]) -> list[Record]:
    """Advisory records with ``data["affects"]``: the pinned versions each affects, sorted."""
    index, order = index_pins(pins), _Order()
    out = []
    for record in records:
        if record.kind == ADVISORY:
            affects = sorted({pin.version for pin in affected_pins(record, index, order)})
            record = replace(record, data={**record.data, "affects": affects})
        out.append(record)
    return out


def advisory_news(source: str, previous: Sequence[Record], records: Sequence[Record], pins: Sequence[Pin],
                  cves: Mapping[str, CveInfo]) -> list[Event]:
    """What an advisory kind's `events` hook returns: advisory and fix_available events of `news`.

    A record whose only change is ``affects`` (the fleet changed: a new host, an upgrade, not
    the upstream) gives standing facts: its events are marked baseline, so they go into the one
    "where the pins stand" summary the core sends after a fleet change, never a flood of alerts.
    """
    fresh = news(previous, records, cves)
    before = {r.key: r for r in previous}
    # Changed, but only in `affects`: the fleet moved. (Unchanged records are in `fresh` for a KEV
    # listing, which is news.)
    standing = {r.key for r in fresh if r.key in before and before[r.key] != r
                and _upstream(before[r.key]) == _upstream(r)}
    found = [*advisory_events(source, fresh, pins, cves), *fix_events(source, previous, fresh, pins, cves)]
    return [replace(e, baseline=True) if e.data.get("record") in standing else e for e in found]


def _upstream(record: Record) -> Record:
    return replace(record, data={k: v for k, v in record.data.items() if k != "affects"})


def news(previous: Sequence[Record], records: Sequence[Record], cves: Mapping[str, CveInfo]) -> list[Record]:
    """Records new or changed since the last good run, and those naming a KEV-listed CVE."""
    before = {r.key: r for r in previous}
    return [r for r in records if before.get(r.key) != r or kev_dates(r, cves)]


def affected_pins(record: Record, index: _PinIndex, order: _Order | None = None) -> list[Pin]:
    """The pins of the record's product and distro whose version the advisory affects."""
    candidates = index.get((fleet.canonical_product(record.product), _distro(str(record.data.get("distro", "")))))
    if not candidates:
        return []
    affects = record.data.get("affects")
    if isinstance(affects, (list, tuple)):  # with_exposure already decided, for this same fleet
        return [pin for pin in candidates if pin.version in affects]
    order = order or _Order()
    return [pin for pin in candidates if order.affected(record, pin.version)]


def is_affected(record: Record, version: str) -> bool:
    """True when `version` of the record's package is affected (older than the fix, or no fix yet)."""
    return _Order().affected(record, version)


class _Order:
    """Version comparisons for one matching pass, each version string parsed once."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, str], Any] = {}

    def affected(self, record: Record, version: str) -> bool:
        fixed = _fixed_version(record)
        if not fixed:
            return str(record.data.get("status", "open")).lower() in OPEN_STATUSES
        scheme = versions.scheme_for(record.product)
        mine, fix = self._parse(version, scheme), self._parse(fixed, scheme)
        if mine is None or fix is None:
            return False  # a version nobody can order is not evidence of exposure
        return bool(mine < fix)

    def _parse(self, text: str, scheme: str) -> Any:
        key = (text, scheme)
        if key not in self._parsed:
            try:
                self._parsed[key] = versions.parse(text, scheme)
            except ValueError:
                self._parsed[key] = None
        return self._parsed[key]


def kev_dates(record: Record, cves: Mapping[str, CveInfo]) -> dict[str, str]:
    """The record's CVEs that CISA lists as exploited, with the day each was listed."""
    return {cve: cves[cve].kev_date for cve in _cves(record) if cve in cves and cves[cve].exploited}


def _advisory_event(source: str, record: Record, pin: Pin, cves: Mapping[str, CveInfo]) -> Event:
    data = record.data
    kev = kev_dates(record, cves)
    severity = "critical" if kev else str(data.get("severity") or "warning")
    adv_id = str(data.get("id") or record.key)
    fixed = _fixed_version(record)
    label = fleet.pin_label(pin)
    rating = str(data.get("rating") or "")
    summary = f"{_title(adv_id, record)} affects {label}"
    summary += f" on {', '.join(pin.hosts)}" if pin.hosts else ""
    summary += f": fixed in {data.get('nevra') or fixed}" if fixed else ": no fixed version yet"  # rpm: the NEVRA
    summary += f" ({rating})" if rating else ""
    summary += _kev_text(kev)
    key = f"advisory:{adv_id}:{pin.product}:{pin.distro}:{pin.version}" + (":kev" if kev else "")
    return Event(ADVISORY, severity, pin.product, pin.version, key, summary[:500], source,
                 _event_data(record, pin, kev))


def _fix_event(source: str, record: Record, pin: Pin, cves: Mapping[str, CveInfo]) -> Event:
    kev = kev_dates(record, cves)
    declared = str(record.data.get("severity") or "warning")
    severity = "critical" if kev or declared == "critical" else "info" if declared == "info" else "warning"
    adv_id = str(record.data.get("id") or record.key)
    fixed = _fixed_version(record)
    where = f" (carried by {', '.join(pin.hosts)})" if pin.hosts else ""
    summary = f"Fix for {_title(adv_id, record)} available for {fleet.pin_label(pin)}{where} in {fixed}"
    summary += _kev_text(kev)
    key = f"{FIX_AVAILABLE}:{pin.product}:{pin.version}:{adv_id}"
    data = {**_event_data(record, pin, kev), "fixed_in": fixed, "pin": pin.version}
    return Event(FIX_AVAILABLE, severity, pin.product, pin.version, key, summary[:500], source, data)


def _event_data(record: Record, pin: Pin, kev: Mapping[str, str]) -> dict[str, object]:
    data = record.data
    return {
        "record": record.key,
        "advisory": str(data.get("id") or ""),
        "cves": _cves(record),
        "rating": str(data.get("rating") or ""),
        "status": str(data.get("status") or ""),
        "distro": pin.distro,
        "fixed_version": _fixed_version(record),
        "published": str(data.get("published") or ""),
        "title": str(data.get("title") or ""),
        "url": str(data.get("url") or ""),
        "hosts": list(pin.hosts),
        "kev": dict(kev),
    }


def _title(adv_id: str, record: Record) -> str:
    cves = [c for c in _cves(record) if c != adv_id]
    named = f"{adv_id} ({', '.join(cves[:3])}{', ...' if len(cves) > 3 else ''})" if cves else adv_id
    title = str(record.data.get("title") or "")
    return f"{named} {title}".strip() if title and title != adv_id else named


def _kev_text(kev: Mapping[str, str]) -> str:
    if not kev:
        return ""
    listed = ", ".join(f"{cve} since {day}" for cve, day in sorted(kev.items()))
    return f"; known exploited (CISA KEV: {listed})"


def _cves(record: Record) -> list[str]:
    return [str(c) for c in record.data.get("cves") or ()]


def _fixed_version(record: Record) -> str:
    return str(record.data.get("fixed_version") or record.version or "")


def _distro(text: str) -> str:
    return " ".join(text.lower().split())
