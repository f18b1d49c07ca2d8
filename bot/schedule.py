"""When to poll a source again and when a missing record counts as withdrawn: pure decisions.

Kept apart from the poll so each rule is a function of stored state and the clock,
tested from a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.store import StoredRecord


def confirmed_missing(stored: Iterable[StoredRecord], now: datetime, confirm_after: timedelta) -> frozenset[str]:
    """Keys missing since at least `confirm_after` ago: if this poll misses them too, they are gone.

    A record missing from one poll is only marked; polls a minute apart (a retry, a manual
    poll after the timer's) must not turn a stale copy served twice into a withdrawal.
    """
    return frozenset(
        s.record.key
        for s in stored
        if s.gone_at is None and s.missing_at and now - datetime.fromisoformat(s.missing_at) >= confirm_after
    )
