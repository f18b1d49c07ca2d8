"""When to poll a source again and when a missing record counts as withdrawn: pure decisions.

Kept apart from the poll so each rule is a function of stored state and the clock,
tested from a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.store.history import StoredRecord


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


DUE_SLACK = timedelta(seconds=60)  # at most this much early still counts as due (timer jitter)
RETRY_LADDER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


def retry_delay(failures: int, every: timedelta | None) -> timedelta:
    """How long after a failed poll to try again: 1m, 5m, 15m, 1h, then doubling, never past `every`.

    A source with `every: 1d` that failed once used to wait a whole day (and page about it
    three days later); a blip now costs a minute, a long outage settles at the normal pace.
    """
    step = RETRY_LADDER[min(failures, len(RETRY_LADDER)) - 1]
    if failures > len(RETRY_LADDER):
        step = RETRY_LADDER[-1] * 2 ** min(failures - len(RETRY_LADDER), 16)
    return min(step, every) if every else step


def next_try(every: timedelta | None, state: Mapping[str, Any] | None) -> datetime | None:
    """When the source is next due (None: at the next run). Counts from when its last poll *began*.

    Counting from the start (not the end) of the last poll, and forgiving a start a little
    early (cron and systemd timers jitter by seconds), keeps `every: 1h` under a 15-minute
    run at every 4th run instead of every 5th.
    """
    if not state or not state.get("last_run_at"):
        return None
    failures = int(state.get("consecutive_failures") or 0)
    if not every:
        return None  # polled every run, failing or not
    wait = retry_delay(failures, every) if failures else every
    return datetime.fromisoformat(state["last_run_at"]) + wait - min(wait / 20, DUE_SLACK)


def is_due(every: timedelta | None, state: Mapping[str, Any] | None, now: datetime) -> bool:
    due = next_try(every, state)
    return due is None or now >= due


def failing_long_enough(failures: int, failing_since: str | None, now: datetime, *, after: int,
                        for_: timedelta) -> bool:
    """`source_failing` opens after `after` failures in a row or `for_` of failing, whichever first."""
    if failures >= after:
        return True
    return bool(failing_since) and now - datetime.fromisoformat(str(failing_since)) >= for_
