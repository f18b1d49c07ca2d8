"""The operations half of the store: what `trackbot metrics` reads, and each extra
destination's delivery record (bot/notify.py).

A mixin of `bot.store.Store`, like store_outbox.py, so the SQL stays in the store's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils


@dataclass(frozen=True)
class RunTimes:
    """The latest finished run, and the latest one in which no source failed."""

    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_success: datetime | None = None

    @property
    def last_duration(self) -> float | None:
        if self.last_started is None or self.last_finished is None:
            return None
        return (self.last_finished - self.last_started).total_seconds()


class OpsStore:
    db: sqlite_utils.Database

    def run_times(self) -> RunTimes:
        """Walks back from the newest finished run to the newest successful one."""
        latest: dict[str, str] | None = None
        for row in self.db["runs"].rows_where("finished_at is not null", order_by="id desc"):
            latest = latest or row
            statuses = json.loads(row["summary"] or "{}").values()
            if "failed" not in statuses:
                return RunTimes(_when(latest["started_at"]), _when(latest["finished_at"]), _when(row["finished_at"]))
        if latest is None:
            return RunTimes()
        return RunTimes(_when(latest["started_at"]), _when(latest["finished_at"]), None)

    def queued_delivery_times(self) -> list[datetime]:
        """When each alert still waiting for an extra destination was queued (bot/notify.py)."""
        rows = self.db["deliveries"].rows_where("state = 'queued'", select="queued_at")
        return [datetime.fromisoformat(row["queued_at"]) for row in rows]


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
