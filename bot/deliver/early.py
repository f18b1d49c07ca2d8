"""Delivering a finished source's alerts while slower sources still run.

`run_poll` writes each source's outcome (records, events, queued alerts) the moment that
source finishes. Without this, the outbox was delivered only after the last source, so one
upstream dripping a byte a second held every other source's page back until it timed out.

`EarlyDelivery` is an `on_result` hook: each finished source wakes one worker thread that
runs the ordinary `deliver_pending` over the outbox, with its own SQLite connection (the
poll keeps writing on the event loop's). The outbox stays the only path: an alert is
queued by the poll's transaction, then sent and marked by whichever delivery reaches it
first; only one delivery runs at a time (the worker, then the end-of-run delivery after
the worker has stopped), so nothing is sent twice, and a crash loses nothing that was
queued. The worker never waits out a Retry-After and stops at the first error: a sink
that is down is left to the end-of-run delivery, whose few tries per run stay the limit.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.core.reports import DeliveryReport
from bot.deliver.loop import Queue, Sink, deliver_pending
from bot.store.history import Store

if TYPE_CHECKING:  # the poll's module loads httpx: not needed to run this
    from bot.core.reports import SourceResult

log = logging.getLogger("trackbot")
# How long the worker waits after a wake for more sources to finish, so a burst of them is one
# delivery (one outbox query, one transaction of marks), not one each: a page waits at most this.
GATHER_SECONDS = 0.2


@dataclass
class Target:
    """One place alerts go during the poll: the outbox's own sink, or a `notify:` destination
    (which walks its own queue of delivery rows, bot/deliver/notify.py)."""

    sink: Sink
    destination: bool = False
    report: DeliveryReport = field(default_factory=DeliveryReport)
    halted: bool = False  # the sink answered an error: the end-of-run delivery retries it


def database_file(store: Store) -> Path | None:
    """The file a second connection can open, or None (an in-memory store)."""
    rows = store.db.execute("PRAGMA database_list").fetchall()
    name = next((str(row[2]) for row in rows if row[1] == "main" and row[2]), "")
    return Path(name) if name else None


class EarlyDelivery:
    """`on_result` for run_poll and a context manager around the poll (see the module doc)."""

    def __init__(self, store: Store, sinks: list[Sink], destinations: list[Sink],
                 clock: Callable[[], datetime]) -> None:
        self.database = database_file(store)  # None: nothing to share, delivery waits for the end
        self.targets = [Target(s) for s in sinks] + [Target(d, destination=True) for d in destinations]
        self.clock = clock
        self.outbox = store.outbox
        self._queued_seen = store.outbox.queued
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> EarlyDelivery:
        if self.database is not None and self.targets:
            self._thread = threading.Thread(target=self._work, name="trackbot-early-delivery", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Let a delivery in progress finish (its marks must be written), then stop."""
        self._stopping = True
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def __call__(self, result: SourceResult) -> None:
        """Wake the worker only when the poll has queued alerts since it last woke: a source that
        answered 304 (or changed nothing worth a message) leaves nothing to deliver."""
        if self.outbox.queued != self._queued_seen:
            self._queued_seen = self.outbox.queued
            self._wake.set()

    def after(self, first: Callable[[SourceResult], object]) -> Callable[[SourceResult], None]:
        """One `on_result` hook: `first` (the progress display), then this."""
        def both(result: SourceResult) -> None:
            first(result)
            self(result)
        return both

    def merged(self, sink_name: str, final: DeliveryReport, *, destination: bool = False) -> DeliveryReport:
        """What the run delivered to a sink in all: the worker's sends and skips, then the end's
        (whose queue and errors are what is still true: it tried again whatever the worker left)."""
        early = next((t.report for t in self.targets if t.sink.name == sink_name and t.destination == destination),
                     DeliveryReport())
        return DeliveryReport(sent=early.sent + final.sent, queued=final.queued, skipped=early.skipped + final.skipped,
                              errors=final.errors)

    def _work(self) -> None:
        store: Store | None = None
        try:
            while True:
                self._wake.wait()
                self._stop.wait(GATHER_SECONDS)  # sources finishing meanwhile: one delivery for all
                self._wake.clear()
                if self._stopping or all(t.halted for t in self.targets):
                    return
                store = store or Store.open(self.database or Path())
                self._deliver(store)
        except (sqlite3.Error, OSError) as exc:  # the end-of-run delivery meets it again, and says so
            log.warning("delivery during the poll stopped: %s", " ".join(str(exc).split()))
        finally:
            if store is not None:
                store.db.close()

    def _deliver(self, store: Store) -> None:
        for target in self.targets:
            if target.halted:
                continue
            queue: Queue | None = store.deliveries.queue(target.sink.name) if target.destination else None
            report = deliver_pending(store, target.sink, self.clock, queue=queue, max_wait=0)
            target.report.sent += report.sent
            target.report.skipped += report.skipped
            target.halted = bool(report.errors)
