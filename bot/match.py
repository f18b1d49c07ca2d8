"""Match events to the fleet's pins and set their severity (PRODUCT.md's event table).

Pure: events and pins in, events out. Which pins an event touches is bot.fleet's answer
(`fleet.touched_pins`); this module only attaches them (`data["pins"]`, so alerts, `why`
and the digest can say which part of the fleet it is about) and sets the severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot import fleet, policy, versions
from bot.model import Event, Pin, severity_rank


def apply_pins(events: Sequence[Event], pins: Sequence[Pin]) -> list[Event]:
    """Each event matched against its own product's pins only (pins indexed by product, in fleet
    order): linear in events + pins, where comparing every event with every pin was their product."""
    by_product: dict[str, list[Pin]] = {}
    for pin in pins:
        by_product.setdefault(fleet.canonical_product(pin.product), []).append(pin)
    return [_match(event, by_product.get(fleet.canonical_product(event.product), [])) for event in events]


def _match(event: Event, pins: Sequence[Pin]) -> Event:
    touched = fleet.touched_pins(pins, event.product, event.version)
    if not touched:  # policy rule 1: product news no pin runs is info
        return replace(event, severity=str(policy.unpinned(event.kind, event.severity)))
    severity = max(event.severity, _pinned_severity(event, touched), key=severity_rank)
    data = {**event.data, "pins": [fleet.pin_label(p) for p in touched]}
    return replace(event, severity=severity, data=data)


def _pinned_severity(event: Event, touched: list[Pin]) -> str:
    exact = any(_same(event.product, event.version, pin) for pin in touched)
    if event.kind == "new_release":
        return "warning" if _newer_than_any(event, touched) else "info"
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


def _newer_than_any(event: Event, touched: list[Pin]) -> bool:
    scheme = versions.scheme_for(event.product)
    for pin in touched:
        try:
            if versions.compare(event.version, pin.version, scheme) > 0:
                return True
        except ValueError:
            continue
    return False
