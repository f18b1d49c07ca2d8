"""Which weeks' digests `trackbot run` has posted (table `digest_posts`, migration m008).

One row per week, written right after the post succeeded, so a restart, a second poll in
the same hour or a catch-up never posts a week twice.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import iso
from bot.store._lean_sqlite import sqlite_utils
from bot.store.outbox import write_transaction


class DigestPosts:
    """The store's part for the weekly digest's record (`store.digest_posts`)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def posted(self, week: str) -> bool:
        return bool(self.db.table("digest_posts").count_where("week = ?", [week]))

    def record(self, week: str, channel: str, now: datetime) -> None:
        with write_transaction(self.db):
            self.db.table("digest_posts").insert({"week": week, "channel": channel, "posted_at": iso(now)},
                                                 replace=True)

