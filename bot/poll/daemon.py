"""`trackbot run`: poll on an interval, following edits of sources.yaml without a restart.

A bad config at start is the caller's ConfigError (exit 2 before any run: systemd shows
the unit failed instead of a healthy-looking service that polls nothing). While running,
the file is re-read whenever its bytes change; an edit that does not load keeps the last
good config, is said once in the log and opens one `config_invalid` incident (alerted
through the normal outbox), resolved by the first edit that loads again.

The lock is held only while polling, so a manual `trackbot poll` during the sleep works.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import load as configuration
from bot.config.check import load_checked
from bot.core.clock import Clock, utcnow
from bot.core.errors import ConfigError, TrackbotError, internal_error
from bot.ops import self_incidents
from bot.store.connect import open_store
from bot.store.history import Store
from bot.store.lock import run_lock

CONFIG_INVALID = "config_invalid"

Log = Callable[[str], None]
PollOnce = Callable[[configuration.Config, Store], object]


def file_digest(path: Path) -> str:
    """What the config file holds now ("" if it cannot be read: that is a change too)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


@dataclass
class ConfigWatch:
    """The last good config, and whether the file now on disk is good."""

    path: Path
    good: configuration.Config
    digest: str
    error: str = ""  # why the file on disk does not load; "" when it does

    @classmethod
    def start(cls, path: str | Path) -> ConfigWatch:
        """Load the config as `poll` would; raises ConfigError (the caller exits 2)."""
        where = Path(path)
        digest = file_digest(where)
        return cls(where, load_checked(where), digest)

    def refresh(self) -> str | None:
        """Re-read the file if its bytes changed; returns a line to log, at most once per change."""
        digest = file_digest(self.path)
        if digest == self.digest:
            return None
        self.digest = digest
        try:
            fresh = load_checked(self.path)
        except ConfigError as exc:
            if str(exc) == self.error:
                return None  # edited, still broken the same way: said already
            self.error = str(exc)
            return f"{exc} (still polling with the last good config)"
        self.good, self.error = fresh, ""
        return f"{self.path}: reloaded, {len(fresh.sources)} sources"


@dataclass(frozen=True)
class RunPlan:
    """How `run` loops: seconds between the starts of two runs, how many (None: for ever), and the clock
    its own bookkeeping reads (the config's self-incident)."""

    interval: float
    runs: int | None = None
    clock: Clock = utcnow


BUG_PREFIX = "run failed: "  # a line about a bug in one run (its traceback is in the log)


def run_loop(watch: ConfigWatch, db_path: str, poll_once: PollOnce, plan: RunPlan, *,
             log: Log, sleep: Callable[[float], None] | None = None) -> None:
    """Poll, sleep, repeat. One bad run (a locked or full disk, a bug) is one log line; the next run still comes.

    `sleep` defaults to time.sleep, looked up at each call so tests can stand in for it.
    """
    done = 0
    while plan.runs is None or done < plan.runs:
        started = time.monotonic()
        line = watch.refresh()
        if line:
            log(line)
        try:
            with run_lock(db_path):
                store = open_store(db_path)
                problem = f"{watch.path.name} does not load, polling goes on with the last good config: {watch.error}"
                self_incidents.track(store, CONFIG_INVALID, problem if watch.error else None, plan.clock())
                poll_once(watch.good, store)
        except TrackbotError as exc:
            log(str(exc))
        except Exception as exc:  # noqa: BLE001 - the watcher must outlive one bad run
            log(f"{BUG_PREFIX}{internal_error(exc, 'trackbot run')}")  # the traceback: to the log only
        done += 1
        if plan.runs is None or done < plan.runs:
            (sleep or time.sleep)(max(1.0, plan.interval - (time.monotonic() - started)))
