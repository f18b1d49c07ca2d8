"""One writer at a time, and one daemon per database: lock files beside the database, found through its real path.

`run_lock` is held around each poll (and `vacuum`), so a manual `trackbot poll` gets through while a daemon
sleeps; `daemon_lock` is held by `trackbot run` for its whole life, with its pid in the file, so a second
`run` on the same database exits at once naming the first (issue 23). Both raise LockBusy: exit 75.

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
from typing import TextIO

from bot.core.errors import TrackbotError


class LockBusy(TrackbotError):
    """Another trackbot poll (or daemon) holds the lock: this one must not write beside it. The CLI exits 75
    (EX_TEMPFAIL), so a cron wrapper can tell "busy, try later" from "a source failed"."""


def lock_path(db_path: str | Path) -> Path:
    """Where the lock of this database lives: beside the real file, whatever path reached it."""
    return Path(os.path.realpath(db_path)).with_suffix(".lock")


def daemon_lock_path(db_path: str | Path) -> Path:
    """Where `trackbot run` says it is running on this database (its pid inside)."""
    return Path(os.path.realpath(db_path)).with_suffix(".daemon.lock")


def _open(path: Path) -> TextIO:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a+")  # noqa: SIM115 - the caller closes it, after the lock is released
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise TrackbotError(f"cannot create the lock file {path} ({why}): polling needs to write beside "
                            "the database (read commands still work)") from None


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the database's poll lock for the block; raises LockBusy at once if another poll has it."""
    path = lock_path(db_path)
    with _open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(f"another trackbot poll holds {path} (a `poll`, `vacuum` or a `run` polling now): "
                           "try again later") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def daemon_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the database's daemon lock while `trackbot run` lives; raises LockBusy at once naming the pid
    of the `run` that has it. The pid is written only once the lock is held, and cleared on the way out."""
    path = daemon_lock_path(db_path)
    with _open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise LockBusy(f"another `trackbot run` (pid {pid}) is already polling {db_path} ({path}): one "
                           "daemon per database; a manual `trackbot poll` gets through between its runs") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
