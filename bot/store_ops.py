"""The operations half of the store: what `trackbot metrics` reads, and each extra
destination's delivery record (bot/notify.py).

A mixin of `bot.store.Store`, like store_outbox.py, so the SQL stays in the store's files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.store_outbox import _alert_row, iso


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

    # extra destinations (bot/notify.py) ----------------------------------------------------

    def destination_since(self, name: str, now: datetime) -> int:
        """The alert id after which `name` takes part. A destination seen for the first time gets
        what is still waiting in the outbox and everything after, not the whole history."""
        rows = list(self.db["destinations"].rows_where("name = ?", [name]))
        if rows:
            return int(rows[0]["since_alert_id"])
        waiting = self.db.execute("select min(id) - 1 from alerts where state = 'queued'").fetchone()[0]
        since = waiting if waiting is not None else self.db.execute("select coalesce(max(id), 0) from alerts").fetchone()[0]
        with self.db.atomic():
            self.db.table("destinations").insert({"name": name, "since_alert_id": since, "added_at": iso(now)})
        return int(since)

    def enqueue_deliveries(self, name: str, severities: Sequence[str], since: int) -> None:
        """A delivery row for every alert after `since` of these severities that has none yet."""
        marks = ", ".join("?" for _ in severities)
        with self.db.atomic():
            self.db.execute(
                "insert or ignore into deliveries (alert_id, destination, state, attempts, queued_at) "
                f"select id, ?, 'queued', 0, created_at from alerts where id > ? and severity in ({marks})",
                [name, since, *severities],
            )

    def pending_deliveries(self, name: str) -> list[dict[str, Any]]:
        """The alerts still waiting for `name`, oldest first."""
        rows = self.db.execute(
            "select alerts.* from deliveries join alerts on alerts.id = deliveries.alert_id "
            "where deliveries.destination = ? and deliveries.state = 'queued' order by alerts.id",
            [name],
        )
        columns = [c[0] for c in rows.description]
        return [_alert_row(dict(zip(columns, row, strict=True))) for row in rows.fetchall()]

    def finish_delivery(self, alert_id: int, name: str, state: str, now: datetime, note: str = "") -> None:
        """'sent' once the destination accepted it, or 'silenced'; its own transaction, right after the send."""
        with self.db.atomic():
            self.db.table("deliveries").update((alert_id, name), {"state": state, "sent_at": iso(now), "last_error": note})

    def delivery_failed(self, alert_id: int, name: str, error: str) -> None:
        with self.db.atomic():
            row = self.db.table("deliveries").get((alert_id, name))
            self.db.table("deliveries").update((alert_id, name), {"attempts": row["attempts"] + 1, "last_error": error})


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
