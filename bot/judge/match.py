"""Match events to the fleet's pins and set their severity (PRODUCT.md's event table).

Pure: events and pins in, events out. Which pins an event touches is bot.judge.fleet's answer
(`fleet.touched_pins`); this module only attaches them (`data["pins"]`, so alerts, `why`
and the digest can say which part of the fleet it is about) and sets the severity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from bot.core import versions
from bot.core.model import Event, Pin, severity_rank
from bot.judge import fleet, policy

# (pin product, pin version) -> "product version" of a release -> what it carries for that pin
Brought = dict[tuple[str, str], Counter[str]]


def apply_pins(events: Sequence[Event], pins: Sequence[Pin]) -> list[Event]:
    """The events with their pins attached and their severity set (a source's events of one poll).

    Given all at once, because a new release's severity depends on the fixes that the same
    poll found in it (policy rule 7). Each event is matched against its own product's pins only
    (pins indexed by product, in fleet order): linear in events + pins, not their product.
    """
    brought = _brought(events)
    by_product: dict[str, list[Pin]] = {}
    for pin in pins:
        by_product.setdefault(fleet.canonical_product(pin.product), []).append(pin)
    return [_match(event, by_product.get(fleet.canonical_product(event.product), []), brought)
            for event in events]


def _brought(events: Sequence[Event]) -> Brought:
    """For each pin, how many fixes and reverts (warning or louder) each release brings it."""
    found: Brought = {}
    for event in events:
        if event.kind in policy.RELEASE_CONTENT and severity_rank(event.severity) >= 1:
            counts = found.setdefault((fleet.canonical_product(event.product), event.version), Counter())
            counts.update(event.data.get("brought_by") or ())
    return found


def _match(event: Event, pins: Sequence[Pin], brought: Brought) -> Event:
    touched = fleet.touched_pins(pins, event.product, event.version)
    if not touched:  # policy rule 1: product news no pin runs is info
        return replace(event, severity=str(policy.unpinned(event.kind, event.severity)))
    data = {**event.data, "pins": [fleet.pin_label(p) for p in touched]}
    if event.kind == "new_release" and ":returned:" not in event.key:
        return _pinned_release(replace(event, data=data), touched, brought)
    severity = max(event.severity, _pinned_severity(event, touched), key=severity_rank)
    return replace(event, severity=severity, data=data)


def _pinned_release(event: Event, touched: list[Pin], brought: Brought) -> Event:
    """Policy rule 7: a warning when this poll found fixes in it for a pin it is newer than."""
    newer = [pin for pin in touched if _newer(event, pin)]
    release = f"{event.product} {event.version}"
    counts = {fleet.pin_label(pin): brought.get((fleet.canonical_product(pin.product), pin.version), Counter())[release]
              for pin in newer}
    carrying = [label for label, n in counts.items() if n]
    labels = ", ".join(carrying or counts)
    severity, why = policy.pinned_release(bool(newer), sum(counts.values()), int(event.data.get("lines_read") or 0),
                                          labels)
    return replace(event, severity=str(severity), summary=f"{event.summary}; {why}" if why else event.summary)


def _pinned_severity(event: Event, touched: list[Pin]) -> str:
    exact = any(_same(event.product, event.version, pin) for pin in touched)
    if event.kind == "new_release":  # listed again after a withdrawal: it answers the withdrawal
        return "warning" if any(_newer(event, pin) for pin in touched) else "info"
    if event.kind == "release_withdrawn":
        # An index dropping an old build of a pinned package is routine; the pinned build itself
        # vanishing means it can no longer be installed.
        return "critical" if exact else event.severity if event.data.get("from_index") else "warning"
    if event.kind == "release_notes_edited":
        return "warning"
    if event.kind in policy.BRANCH_ENDS:
        return str(policy.pinned_branch(event.kind))
    return event.severity


def _same(product: str, version: str, pin: Pin) -> bool:
    scheme = versions.scheme_for(product)
    try:
        return versions.compare(version, pin.version, scheme) == 0
    except ValueError:
        return False


def _newer(event: Event, pin: Pin) -> bool:
    try:
        return versions.compare(event.version, pin.version, versions.scheme_for(event.product)) > 0
    except ValueError:
        return False
