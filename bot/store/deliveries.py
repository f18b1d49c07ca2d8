"""Each extra destination's deliveries (bot/deliver/notify.py): a row per destination and alert.

The `alerts` row records what became of an alert for the outbox's own sink (Slack or the
console). A destination beyond it keeps its own record, so one that is down keeps its
alerts queued, in order, without holding back Slack or another destination, and one that
is back gets them once. `Deliveries` is the store's part for this (`store.deliveries`,
built by `bot.store.history.Store` like `store.outbox`); `DestinationQueue` is one destination's
view, with the same methods `bot.deliver.loop.deliver_pending` calls on the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.alert import Alert, AlertState
from bot.store._lean_sqlite import sqlite_utils
from bot.store.outbox import alert_row, iso, write_transaction
from bot.store.rows import select_rows


class Deliveries:
    """The `destinations` and `deliveries` tables (migration m005)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def join(self, name: str, now: datetime) -> None:
        """Say from which alert on `name` takes part, the first time it is seen (before a run's
        delivery): what still waits in the outbox and everything after, not the whole history
        (a team adding PagerDuty does not want last year paged)."""
        if self.db.table("destinations").count_where("name = ?", [name]):
            return
        waiting = self.db.execute("select min(id) - 1 from alerts where state = ?", [AlertState.QUEUED.value])
        since = waiting.fetchone()[0]
        if since is None:
            since = self.db.execute("select coalesce(max(id), 0) from alerts").fetchone()[0]
        with write_transaction(self.db):
            self.db.table("destinations").insert({"name": name, "since_alert_id": since, "added_at": iso(now)})

    def enqueue(self, name: str, severities: Sequence[str], now: datetime) -> None:
        """Queue for `name` every alert of these severities since it joined that has no row yet."""
        self.join(name, now)
        since = self.db.table("destinations").get(name)["since_alert_id"]
        marks = ", ".join("?" for _ in severities)
        with write_transaction(self.db):
            self.db.execute(
                "insert or ignore into deliveries (alert_id, destination, state, attempts, queued_at) "
                f"select id, ?, ?, 0, created_at from alerts where id > ? and severity in ({marks})",
                [name, AlertState.QUEUED.value, since, *severities],
            )

    def queue(self, name: str) -> DestinationQueue:
        return DestinationQueue(self.db, name)

    def queued_times(self) -> list[datetime]:
        """When each alert still waiting for some destination was queued (`trackbot metrics`)."""
        rows = self.db.table("deliveries").rows_where("state = ?", [AlertState.QUEUED.value], select="queued_at")
        return [datetime.fromisoformat(row["queued_at"]) for row in rows]


class DestinationQueue:
    """One destination's backlog, with the outbox's methods: what `deliver_pending` walks for it.

    Each mark is its own transaction, written right after the destination answered, so a
    crash between a send and its mark repeats that one alert and no other.
    """

    def __init__(self, db: sqlite_utils.Database, name: str) -> None:
        self.db = db
        self.name = name

    def pending(self) -> list[Alert]:
        """The alerts still waiting for this destination, oldest first, with its own attempts."""
        rows = select_rows(
            self.db,
            "select alerts.*, deliveries.attempts as d_attempts, deliveries.last_error as d_error, "
            "deliveries.retry_at as d_retry from deliveries join alerts on alerts.id = deliveries.alert_id "
            "where deliveries.destination = ? and deliveries.state = ? order by alerts.id",
            [self.name, AlertState.QUEUED.value],
        )
        out = []
        for row in rows:
            attempts, error, retry_at = row.pop("d_attempts"), row.pop("d_error"), row.pop("d_retry")
            out.append(replace(alert_row(row), state=AlertState.QUEUED, attempts=attempts or 0,
                               last_error=error or "", retry_at=retry_at or ""))
        return out

    def mark_sent(self, alert_id: int, now: datetime, *, channel: str, ts: str = "", thread_ts: str = "") -> None:
        """The destination accepted it (`channel`, `ts`: a destination has no thread to keep)."""
        self._update(alert_id, {"state": AlertState.SENT.value, "sent_at": iso(now), "last_error": ""})

    def mark_sent_many(self, sent: Sequence[tuple[int, datetime, str, str, str]]) -> None:
        """(alert id, when, channel, ts, thread_ts) of alerts the destination accepted, in one statement."""
        with write_transaction(self.db):
            self.db.conn.executemany(
                "update deliveries set state = ?, sent_at = ?, last_error = '' where alert_id = ? and destination = ?",
                [(AlertState.SENT.value, iso(now), alert_id, self.name) for alert_id, now, *_ in sent],
            )

    def mark_attempt(self, alert_id: int, error: str) -> None:
        with write_transaction(self.db):
            row = self.db.table("deliveries").get((alert_id, self.name))
            self._update(alert_id, {"attempts": row["attempts"] + 1, "last_error": error})

    def mark_skipped(self, alert_id: int, state: AlertState, reason: str, silenced_by: int | None = None) -> None:
        """Held back (a silence, or the thread it follows was silenced): never sent here."""
        self._update(alert_id, {"state": state.value, "last_error": reason})

    def set_retry_at(self, alert_id: int, when: datetime) -> None:
        self._update(alert_id, {"retry_at": iso(when)})

    def _update(self, alert_id: int, values: dict[str, object]) -> None:
        with write_transaction(self.db):
            self.db.table("deliveries").update((alert_id, self.name), values)
