"""`trackbot backup PATH`: a consistent copy of the database while trackbot may be running.

SQLite's online backup API copies page by page under SQLite's own locking, so a poll
writing at the same moment never yields a torn copy (a plain `cp` of a WAL database can).
The copy is written beside its target and renamed into place, and it is switched out of
WAL mode, so the result is one self-contained file (what the scheduled workflow commits).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.core.errors import TrackbotError


def backup(database: Path, target: Path) -> int:
    """Copy `database` to `target` atomically; returns the copy's size in bytes."""
    if not database.is_file():
        raise TrackbotError(f"no database at {database}: nothing to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(database)) as source, \
                contextlib.closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise TrackbotError(f"backup of {database} to {target} failed: {exc}") from None
    return target.stat().st_size
