"""The outbox and the silences: the alerts waiting for (or done with) delivery, and the
rules that hold some back.

Two small classes over the same `sqlite_utils.Database` as `bot.store.history.Store`, which
builds them (composition: `store.outbox`, `store.silence_rules`); like store.py, this is
the only place these tables are written. Each write is its own transaction unless the
caller already holds one (`Database.atomic` nests as a savepoint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bot.core.alert import Alert, AlertKind, AlertState, event_from_dict
from bot.core.clock import iso
from bot.core.silence import Silence
from bot.store._lean_sqlite import sqlite_utils
from bot.store.rows import select_rows

__all__ = ["Outbox", "SilenceRules", "inserted_id", "iso", "write_transaction"]


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One atomic write. The outermost takes the write lock at once (BEGIN IMMEDIATE), so a
    writer waits its turn under busy_timeout instead of failing half-way with 'database is locked'
    (a deferred transaction that read first cannot wait: SQLite refuses its upgrade at once)."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def inserted_id(table: sqlite_utils.db.Table) -> int:
    """The integer key of the row `table` has just inserted."""
    if table.last_rowid is None:
        raise RuntimeError(f"no row was inserted into {table.name}")
    return table.last_rowid


class Outbox:
    """The `alerts` table: one row per message, queued until delivery says what became of it."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.queued = 0  # alerts this connection has queued: a delivery worker wakes only when it grows

    def queue(self, alert: Alert, now: datetime) -> int:
        row = {
            "run_id": alert.run_id,
            "source": alert.source,
            "kind": alert.kind.value,
            "severity": alert.severity,
            "title": alert.title,
            "incident_key": alert.incident_key or None,
            "reply_to": alert.reply_to,
            "origin_id": alert.origin_id,
            "payload": json.dumps([e.as_dict() for e in alert.items], sort_keys=True, default=str),
            "event_keys": json.dumps(list(alert.event_keys)),
            "created_at": iso(now),
            "state": AlertState.QUEUED.value,
            "attempts": 0,
        }
        with write_transaction(self.db):  # plain statements: a cold poll queues one alert per source
            cursor = self.db.execute(f"insert into alerts ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                                     list(row.values()))
            if cursor.lastrowid is None:
                raise RuntimeError("no row was inserted into alerts")
            alert_id = cursor.lastrowid
            self.db.conn.executemany("insert into alert_event_keys (alert_id, event_key) values (?, ?)",
                                     [(alert_id, key) for key in dict.fromkeys(alert.event_keys)])
        self.queued += 1
        return alert_id

    def pending(self) -> list[Alert]:
        rows = select_rows(self.db, "select * from alerts where state = ? order by id", [AlertState.QUEUED.value])
        return [alert_row(row) for row in rows]

    def mark_sent(self, alert_id: int, now: datetime, *, channel: str, ts: str = "", thread_ts: str = "") -> None:
        self.mark_sent_many([(alert_id, now, channel, ts, thread_ts)])

    def mark_sent_many(self, sent: Sequence[tuple[int, datetime, str, str, str]]) -> None:
        """(alert id, when, channel, ts, thread_ts) of alerts the sink accepted: one statement, one transaction."""
        with write_transaction(self.db):
            self.db.conn.executemany(
                "update alerts set state = ?, sent_at = ?, channel = ?, ts = ?, thread_ts = ? where id = ?",
                [(AlertState.SENT.value, iso(now), channel, ts, thread_ts, alert_id)
                 for alert_id, now, channel, ts, thread_ts in sent],
            )

    def mark_attempt(self, alert_id: int, error: str) -> None:
        with write_transaction(self.db):
            row = self.db.table("alerts").get(alert_id)
            self.db.table("alerts").update(alert_id, {"attempts": row["attempts"] + 1, "last_error": error})

    def all(self, *, event_keys: Iterable[str] | None = None) -> list[Alert]:
        """Every alert, or (through the alert_event_keys index, migration m006) those carrying one of `event_keys`."""
        if event_keys is None:
            return [alert_row(row) for row in self.db.table("alerts").rows_where(order_by="id")]
        wanted = list(dict.fromkeys(event_keys))
        ids: set[int] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            ids.update(r[0] for r in self.db.execute(
                f"select alert_id from alert_event_keys where event_key in ({marks})", chunk))
        found = sorted(ids)
        rows: list[Alert] = []
        for start in range(0, len(found), 500):
            chunk_ids = found[start:start + 500]
            rows += [alert_row(row) for row in self.db.table("alerts").rows_where(
                f"id in ({','.join('?' * len(chunk_ids))})", chunk_ids, order_by="id")]
        return rows

    def get(self, alert_id: int) -> Alert | None:
        rows = list(self.db.table("alerts").rows_where("id = ?", [alert_id]))
        return alert_row(rows[0]) if rows else None

    def incident_thread(self, incident_key: str, before_id: int) -> list[Alert]:
        """The alerts of an incident's latest opening and its updates, oldest first."""
        rows = self.db.table("alerts").rows_where(
            "incident_key = ? and id < ? and kind in (?, ?)",
            [incident_key, before_id, AlertKind.INCIDENT_OPEN.value, AlertKind.INCIDENT_UPDATE.value],
            order_by="id",
        )
        thread: list[Alert] = []
        for row in rows:
            thread = [] if row["kind"] == AlertKind.INCIDENT_OPEN else thread
            thread.append(alert_row(row))
        return thread

    def mentioning(self, kinds: Sequence[str], before_id: int) -> list[Alert]:
        """Earlier alerts whose events include one of these kinds (candidates for a follow-up)."""
        likes = " or ".join("payload like ?" for _ in kinds)
        rows = self.db.table("alerts").rows_where(
            f"id < ? and ({likes})", [before_id, *(f'%"kind": "{k}"%' for k in kinds)], order_by="id"
        )
        return [alert_row(row) for row in rows]

    def has_followup(self, origin_id: int, reply_to: int) -> bool:
        return bool(self.db.table("alerts").count_where("origin_id = ? and reply_to = ?", [origin_id, reply_to]))

    def mark_skipped(self, alert_id: int, state: AlertState, reason: str, silenced_by: int | None = None) -> None:
        """An alert that will not be posted: silenced (kept for the digest) or skipped (info)."""
        with write_transaction(self.db):
            self.db.table("alerts").update(alert_id, {"state": state.value, "last_error": reason, "silenced_by": silenced_by})

    def set_retry_at(self, alert_id: int, when: datetime) -> None:
        with write_transaction(self.db):
            self.db.table("alerts").update(alert_id, {"retry_at": iso(when)})

    def silenced(self, since: datetime) -> list[Alert]:
        rows = self.db.table("alerts").rows_where("state = ? and created_at >= ?", [AlertState.SILENCED.value, iso(since)],
                                            order_by="id")
        return [alert_row(row) for row in rows]


class SilenceRules:
    """The `silences` table: what the team asked not to hear about, and until when."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def add(self, now: datetime, until: datetime, *, product: str, pattern: str, reason: str) -> int:
        with write_transaction(self.db):
            row = {"created_at": iso(now), "until": iso(until), "product": product, "pattern": pattern,
                   "reason": reason, "removed_at": None}
            return inserted_id(self.db.table("silences").insert(row))

    def active(self, now: datetime, *, include_ended: bool = False) -> list[Silence]:
        if include_ended:
            rows = select_rows(self.db, "select * from silences order by id")
        else:
            rows = select_rows(self.db, "select * from silences where removed_at is null and until > ? order by id",
                               [iso(now)])
        return [Silence(row["id"], row["product"] or "", row["pattern"] or "", row["reason"] or "",
                        row["created_at"], row["until"], row["removed_at"]) for row in rows]

    def remove(self, silence_id: int, now: datetime) -> bool:
        with write_transaction(self.db):
            if not self.db.table("silences").count_where("id = ? and removed_at is null", [silence_id]):
                return False
            self.db.table("silences").update(silence_id, {"removed_at": iso(now)})
            return True


def alert_row(row: dict[str, Any]) -> Alert:
    """An `alerts` row as a typed `Alert` (also for the per-destination queues, store_deliveries.py)."""
    return Alert(
        kind=AlertKind(row["kind"]),
        severity=row["severity"],
        title=row["title"] or "",
        source=row["source"] or "",
        items=tuple(event_from_dict(item) for item in json.loads(row["payload"] or "[]")),
        event_keys=tuple(json.loads(row["event_keys"] or "[]")),
        run_id=row["run_id"],
        incident_key=row["incident_key"] or "",
        reply_to=row["reply_to"],
        origin_id=row["origin_id"],
        id=row["id"],
        state=AlertState(row["state"]),
        created_at=row["created_at"] or "",
        attempts=row["attempts"] or 0,
        last_error=row["last_error"] or "",
        sent_at=row["sent_at"] or "",
        channel=row["channel"] or "",
        ts=row["ts"] or "",
        thread_ts=row["thread_ts"] or "",
        retry_at=row["retry_at"] or "",
        silenced_by=row["silenced_by"],
    )
