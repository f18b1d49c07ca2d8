"""Which of an alert's events a silence covers. Pure: typed silences and alerts in, no I/O.

A silence names a product, an event-key pattern (shell-style: ``apt_hash_mismatch:*``),
or both (both must match). A silenced event is still stored and still goes into the
digest; only the Slack message is held back. Delivery applies silences once, for every
transport (`bot.deliver.loop.deliver_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from bot.core import versions as fleet  # same_product
from bot.core.alert import Alert
from bot.core.model import Event


@dataclass(frozen=True)
class Silence:
    """A team's request not to hear about a product and/or event keys until a time."""

    id: int
    product: str
    pattern: str
    reason: str
    created_at: str
    until: str
    removed_at: str | None = None


def covers(silence: Silence, event: Event, incident_key: str = "") -> bool:
    product = silence.product.lower()
    if not product and not silence.pattern:
        return False
    if product and not fleet.same_product(event.product, product):  # `--product moby` holds docker too
        return False
    if silence.pattern:
        keys = [event.key, str(event.data.get("incident") or ""), incident_key]
        return any(k and fnmatchcase(k, silence.pattern) for k in keys)
    return True


def split(alert: Alert, silences: Sequence[Silence]) -> tuple[tuple[Event, ...], Silence | None]:
    """The events no silence covers, and the first silence that covered any."""
    kept: list[Event] = []
    hit = None
    for event in alert.items:
        match = next((s for s in silences if covers(s, event, alert.incident_key)), None)
        if match is None:
            kept.append(event)
        else:
            hit = hit or match
    return tuple(kept), hit
