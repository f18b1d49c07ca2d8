"""One writer at a time: the lock file beside the database, found through its real path.

The lock is named after the database's *resolved* path, so a database reached through a
symlink (or `--db ./db/../db/trackbot.db`) is guarded by the same lock as the real file;
two differently spelled paths must never let two polls write at once.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.core.errors import TrackbotError


class LockBusy(TrackbotError):
    """Another trackbot poll holds the lock: this one must not write beside it."""


def lock_path(db_path: str | Path) -> Path:
    """Where the lock of this database lives: beside the real file, whatever path reached it."""
    return Path(os.path.realpath(db_path)).with_suffix(".lock")


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the database's lock for the block; raises LockBusy at once if another run has it."""
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise TrackbotError(f"cannot create the lock file {path} ({why}): polling needs to write beside "
                            "the database (read commands still work)") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(f"another trackbot run holds {path}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
