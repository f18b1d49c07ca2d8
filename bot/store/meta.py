"""Facts about the database itself, kept in its `meta` table: which sources.yaml it was last polled with.

The default database follows sources.yaml, but `--db` and TRACKBOT_DB can point two configs at one file;
the first poll under another config says so once (issue 23), so a history mixed by mistake does not go unseen.
"""

from __future__ import annotations

from bot.store.history import Store

CONFIG_PATH = "config_path"


def recorded(store: Store, key: str) -> str | None:
    """The value stored under `key`, or None."""
    row = store.db.execute("select value from meta where key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def record(store: Store, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    with store.transaction():
        store.db.execute("insert or replace into meta (key, value) values (?, ?)", [key, value])


def config_moved(store: Store, config_path: str) -> str | None:
    """Record the config this database is polled with; the config it was polled with before, when that differs."""
    before = recorded(store, CONFIG_PATH)
    if before == config_path:
        return None
    record(store, CONFIG_PATH, config_path)
    return before
