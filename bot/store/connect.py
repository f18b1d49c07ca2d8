"""Opening the history database, and what to say when trackbot's own storage fails.

Every failure here is one line naming the database path and what to do, never a
traceback or a bare `file is not a database`: the path is where the user must look.
Read commands fall back to a read-only open, so `status` and `why` work on a read-only
file system; writing commands say in one line why they cannot write.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.errors import TrackbotError
from bot.store.history import Store


class StorageError(TrackbotError):
    """trackbot's own database cannot be used: no source is to blame."""


def describe(exc: BaseException, path: str | Path) -> StorageError:
    """A database error as one line naming the path and what to do about it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    lower = text.lower()
    if "full" in lower:
        advice = "free some space on its file system; nothing was blamed on any source"
    elif "not a database" in lower or "malformed" in lower:
        advice = "it is not a trackbot database: move it aside (a new one is made) or point --db elsewhere"
    elif "readonly" in lower or "read-only" in lower or "unable to open" in lower or "permission" in lower:
        advice = "trackbot cannot write there: read commands still work; polls need a writable directory"
    elif "locked" in lower or "busy" in lower:
        advice = "another program holds it for too long"
    else:
        advice = "see the error above"
    return StorageError(f"database {path}: {text} ({advice})")


def check_location(where: Path) -> None:
    """A database path that cannot be a file (its parent is a file, it is a directory): one line saying so."""
    for parent in (where.parent, *where.parent.parents):
        if parent.exists() and not parent.is_dir():
            raise StorageError(f"database {where}: {parent} is a file, not a directory (point --db or "
                               "TRACKBOT_DB at a path in a directory)")
    if where.exists() and where.is_dir():
        raise StorageError(f"database {where} is a directory (point --db at a file inside it)")


def open_store(path: str | Path, *, write: bool = True) -> Store:
    """Open the database; with write=False fall back to read-only when it cannot be written."""
    where = Path(path)
    check_location(where)
    try:
        return Store.open(where)
    except (sqlite3.Error, OSError) as exc:
        if write or not where.exists():
            raise describe(exc, where) from None
        failure: BaseException = exc
    try:
        return Store.open_readonly(where)
    except sqlite3.Error as exc:
        raise describe(exc if "not a database" in str(exc) else failure, where) from None


def database_path(store: Store) -> str:
    """The file behind a store's connection, as SQLite resolved it."""
    try:
        rows = store.db.conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "(the database)"
    return next((str(row[2]) for row in rows if row[1] == "main" and row[2]), "(in memory)")
