"""Which of an alert's events a silence covers. Pure: silences and alerts are plain dicts.

A silence names a product, an event-key pattern (shell-style: ``apt_hash_mismatch:*``),
or both (both must match). A silenced event is still stored and still goes into the
digest; only the Slack message is held back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any


def covers(silence: Mapping[str, Any], event: Mapping[str, Any], incident_key: str = "") -> bool:
    product = (silence.get("product") or "").lower()
    pattern = silence.get("pattern") or ""
    if not product and not pattern:
        return False
    if product and str(event.get("product") or "").lower() != product:
        return False
    if pattern:
        keys = [str(event.get("key") or ""), str(event.get("incident") or ""), incident_key]
        return any(k and fnmatchcase(k, pattern) for k in keys)
    return True


def split(
    alert: Mapping[str, Any], silences: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None]:
    """The events no silence covers, and the first silence that covered any."""
    kept, hit = [], None
    for event in alert.get("payload") or []:
        match = next((s for s in silences if covers(s, event, alert.get("incident_key") or "")), None)
        if match is None:
            kept.append(event)
        else:
            hit = hit or match
    return kept, hit
