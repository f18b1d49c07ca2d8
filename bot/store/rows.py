"""The typed values the store hands out, and the converters from its rows.

`bot.store.history` and `bot.store.outbox` read rows; these functions turn each into a frozen
value (a record, an event, an incident), so nothing past the store indexes a dict by a
column name that might not be there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.alert import event_from_dict
from bot.core.model import Event, Record
from bot.store._lean_sqlite import sqlite_utils


@dataclass(frozen=True)
class StoredEvent(Event):
    """An event as the history holds it: when it was detected, and in which run."""

    detected_at: str = ""
    run_id: int = 0

    def as_json(self) -> dict[str, Any]:
        """What `trackbot events --json` prints: the event's fields and its data, flat."""
        return {**self.as_dict(), "detected_at": self.detected_at, "run_id": self.run_id}


@dataclass(frozen=True)
class StoredRecord:
    record: Record
    digest: str
    first_seen_at: str
    gone_at: str | None
    missing_at: str | None = None  # missing from the last poll, not yet confirmed gone
    source: str = ""


@dataclass(frozen=True)
class Incident:
    """A problem that is (or was) true over several polls: opened once alerted, resolved once gone."""

    rowid: int
    key: str
    source: str
    kind: str
    severity: str
    product: str
    version: str
    summary: str
    first_seen_at: str
    opened_at: str | None
    resolved_at: str | None


@dataclass(frozen=True)
class RunTimes:
    """The newest finished run (start and end), and the end of the newest one with no failed
    source, as stored (ISO 8601, "" for never): what `trackbot metrics` reports."""

    last_started: str = ""
    last_finished: str = ""
    last_success: str = ""

    @property
    def last_duration(self) -> float | None:
        if not self.last_started or not self.last_finished:
            return None
        return (datetime.fromisoformat(self.last_finished) - datetime.fromisoformat(self.last_started)).total_seconds()


def select_rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts from plain SQL. The poll's per-source reads use it: sqlite-utils' `rows_where`
    first asks sqlite_master whether the table exists, a query per call (4% of a cold poll)."""
    cursor = db.execute(sql, list(params))
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def stored_record(row: dict[str, Any]) -> StoredRecord:
    record = Record(row["kind"], row["key"], row["product"], row["version"] or "", json.loads(row["data"] or "{}"))
    return StoredRecord(record, row["digest"], row["first_seen_at"] or "", row["gone_at"], row.get("missing_at"),
                        row["source"])


def stored_event(row: dict[str, Any]) -> StoredEvent:
    event = event_from_dict({**json.loads(row["data"] or "{}"), **{k: v for k, v in row.items() if k != "data"}})
    data = {k: v for k, v in event.data.items() if k not in ("detected_at", "run_id")}
    return StoredEvent(event.kind, event.severity, event.product, event.version, event.key, event.summary,
                       event.source, data, event.baseline, row["detected_at"] or "", row["run_id"] or 0)


def incident(row: dict[str, Any]) -> Incident:
    return Incident(row["rowid"], row["key"], row["source"], row["kind"], row["severity"], row["product"] or "",
                    row["version"] or "", row["summary"] or "", row["first_seen_at"], row["opened_at"],
                    row["resolved_at"])
