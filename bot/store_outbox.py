"""The outbox half of the store: alerts, their delivery, threads, follow-ups and silences.

A mixin of `bot.store.Store` (which owns the connection and the migrations), kept apart
so each file stays small; like store.py it is the only place these tables are written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.clock import iso

__all__ = ["OutboxStore", "iso"]


class OutboxStore:
    db: sqlite_utils.Database

    def transaction(self) -> AbstractContextManager[None]:  # provided by Store
        raise NotImplementedError

    # alerts (the outbox) ------------------------------------------------------------------

    def queue_alert(self, alert: dict[str, Any], now: datetime) -> int:
        row = {
            **alert,
            "payload": json.dumps(alert.get("payload", []), sort_keys=True, default=str),
            "event_keys": json.dumps(alert.get("event_keys", [])),
            "created_at": iso(now),
            "state": "queued",
            "attempts": 0,
        }
        return int(self.db["alerts"].insert(row, alter=True).last_pk)

    def pending_alerts(self) -> list[dict[str, Any]]:
        rows = self.db["alerts"].rows_where("state = 'queued'", order_by="id")
        return [_alert_row(row) for row in rows]

    def mark_sent(self, alert_id: int, now: datetime, **delivery: Any) -> None:
        with self.transaction():
            self.db["alerts"].update(alert_id, {"state": "sent", "sent_at": iso(now), **delivery}, alter=True)

    def mark_attempt(self, alert_id: int, error: str) -> None:
        with self.transaction():
            row = self.db["alerts"].get(alert_id)
            self.db["alerts"].update(alert_id, {"attempts": row["attempts"] + 1, "last_error": error})

    def alerts(self, *, event_keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
        rows = [_alert_row(row) for row in self.db["alerts"].rows_where(order_by="id")]
        if event_keys is None:
            return rows
        wanted = set(event_keys)
        return [row for row in rows if wanted & set(row["event_keys"])]

    # delivery follow-ups and silences (bot/slack) ------------------------------------------

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        rows = list(self.db["alerts"].rows_where("id = ?", [alert_id]))
        return _alert_row(rows[0]) if rows else None

    def incident_thread(self, incident_key: str, before_id: int) -> list[dict[str, Any]]:
        """The alerts of an incident's latest opening and its updates, oldest first."""
        rows = self.db["alerts"].rows_where(
            "incident_key = ? and id < ? and kind in ('incident_open', 'incident_update')",
            [incident_key, before_id], order_by="id",
        )
        thread: list[dict[str, Any]] = []
        for row in rows:
            thread = [] if row["kind"] == "incident_open" else thread
            thread.append(_alert_row(row))
        return thread

    def alerts_mentioning(self, kinds: Sequence[str], before_id: int) -> list[dict[str, Any]]:
        """Earlier alerts whose events include one of these kinds (candidates for a follow-up)."""
        likes = " or ".join("payload like ?" for _ in kinds)
        rows = self.db["alerts"].rows_where(
            f"id < ? and ({likes})", [before_id, *(f'%"kind": "{k}"%' for k in kinds)], order_by="id"
        )
        return [_alert_row(row) for row in rows]

    def has_followup(self, origin_id: int, reply_to: int) -> bool:
        return bool(self.db["alerts"].count_where("origin_id = ? and reply_to = ?", [origin_id, reply_to]))

    def mark_skipped(self, alert_id: int, state: str, reason: str, silenced_by: int | None = None) -> None:
        """An alert that will not be posted: 'silenced' (kept for the digest) or 'skipped'."""
        with self.transaction():
            self.db["alerts"].update(alert_id, {"state": state, "last_error": reason, "silenced_by": silenced_by})

    def set_retry_at(self, alert_id: int, when: datetime) -> None:
        with self.transaction():
            self.db["alerts"].update(alert_id, {"retry_at": iso(when)})

    def silenced_alerts(self, since: datetime) -> list[dict[str, Any]]:
        rows = self.db["alerts"].rows_where("state = 'silenced' and created_at >= ?", [iso(since)], order_by="id")
        return [_alert_row(row) for row in rows]

    def add_silence(self, now: datetime, until: datetime, *, product: str, pattern: str, reason: str) -> int:
        with self.transaction():
            row = {"created_at": iso(now), "until": iso(until), "product": product, "pattern": pattern,
                   "reason": reason, "removed_at": None}
            return int(self.db["silences"].insert(row).last_pk)

    def silences(self, now: datetime, *, include_ended: bool = False) -> list[dict[str, Any]]:
        if include_ended:
            return list(self.db["silences"].rows_where(order_by="id"))
        where = "removed_at is null and until > ?"
        return list(self.db["silences"].rows_where(where, [iso(now)], order_by="id"))

    def remove_silence(self, silence_id: int, now: datetime) -> bool:
        with self.transaction():
            if not self.db["silences"].count_where("id = ? and removed_at is null", [silence_id]):
                return False
            self.db["silences"].update(silence_id, {"removed_at": iso(now)})
            return True


def _alert_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "payload": json.loads(row["payload"] or "[]"), "event_keys": json.loads(row["event_keys"] or "[]")}
