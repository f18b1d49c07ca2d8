"""Time as trackbot counts it: UTC, whole seconds, ISO 8601 strings, '15m'-style intervals.

Its own module (not poll's) because the config loader, the store and the Slack deliverer
need these too, and none of them may depend on the poll that uses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]  # injectable in tests; always timezone-aware UTC

_INTERVAL = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow() -> datetime:
    """Now, in UTC, to the second (what the history stores and compares)."""
    return datetime.now(UTC).replace(microsecond=0)


def fixed_clock(text: str) -> Clock | None:
    """A clock stopped at an ISO 8601 moment (`TRACKBOT_NOW`, for replays of history), or None for ''.

    Raises ValueError for text that is not a moment, so a typo cannot silently mean 'now'."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    return lambda: moment


def iso(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC strings: they sort and read well."""
    return moment.isoformat(timespec="seconds")


MAX_INTERVAL = timedelta(days=36500)  # a century: anything longer is a typo, not a schedule


def parse_interval(text: str) -> timedelta:
    """'15m', '1h', '2d', '30s' -> timedelta; raises ValueError on anything else."""
    match = _INTERVAL.fullmatch(text or "")
    if not match:
        raise ValueError(f"not an interval: {text!r} (use e.g. 15m, 1h, 1d)")
    try:
        interval = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        interval = MAX_INTERVAL * 2
    if interval > MAX_INTERVAL:  # 99999999999d used to crash every source with OverflowError
        raise ValueError(f"interval {text.strip()!r} is longer than {MAX_INTERVAL.days} days")
    return interval
