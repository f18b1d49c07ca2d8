"""Delivering the outbox: one loop for every transport; an alert is marked sent only when
the transport says so.

`deliver_pending` walks the queued alerts oldest first, and for each one, once: finds
the message it follows (its thread: an incident's opening, the alert a fix answers),
applies the silences, and hands an `Outgoing` to the `Sink` (the console here, Slack in
`bot.deliver.slack.sink`), which renders and sends it. A sink answers Delivered, Retry (keep it
queued; later alerts wait, so order is kept), Fatal (keep it queued and report it; the
others still go) or Skipped (info that never pages: kept for the digest, never posted).
A Retry that names a short Retry-After is waited out (up to `max_wait` seconds a run); a
longer one is stored on the alert, and no call is made before it passes.

What each alert became is written to a `Queue`: the outbox itself (`store.outbox`, the
alert row) for the outbox's own sink, or one extra destination's delivery rows
(`store.deliveries.queue(name)`, bot/deliver/notify.py), so a destination that is down waits on
its own and the loop, threads and silences stay the same for every sink.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from rich.console import Console

from bot.core import silence
from bot.core.alert import FOLLOW_UPS, Alert, AlertKind, AlertState
from bot.core.reports import DeliveryReport as DeliveryReport  # re-exported for the sinks
from bot.deliver.console import console_markup
from bot.store.history import Store


@dataclass(frozen=True)
class Delivered:
    channel: str = ""
    ts: str = ""
    thread_ts: str = ""


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Fatal:
    reason: str


@dataclass(frozen=True)
class Skipped:
    reason: str


Outcome = Delivered | Retry | Fatal | Skipped
MAX_WAIT = 30.0  # seconds of Retry-After a run may wait out before leaving the rest for the next run
MAX_WAITED_RETRIES = 3  # and at most this many waits: `Retry-After: 1` for ever is 4 calls a run, not 31


@dataclass(frozen=True)
class Outgoing:
    """One alert ready to send: its items less the silenced ones, and the message it follows."""

    alert: Alert
    parent: Alert | None = None  # a follow-up's thread: the incident's opening, the answered alert
    silenced: int = 0  # items a silence held back (said in the message)


class Sink(Protocol):
    """Where alerts go: renders an `Outgoing` and sends it, answering an `Outcome`."""

    name: str

    def prepare(self, store: Store, now: datetime) -> None:
        """Queue what this sink follows up with (reminders, fix replies) before the backlog goes."""

    def send(self, outgoing: Outgoing) -> Outcome: ...


class Queue(Protocol):
    """What `deliver_pending` walks and marks for one sink (`bot.store.outbox.Outbox`, or
    `bot.store.deliveries.DestinationQueue` for a destination beyond the outbox's own sink)."""

    def pending(self) -> list[Alert]: ...

    def mark_sent(self, alert_id: int, now: datetime, *, channel: str, ts: str = "", thread_ts: str = "") -> None: ...

    def mark_sent_many(self, sent: Sequence[tuple[int, datetime, str, str, str]]) -> None: ...

    def mark_attempt(self, alert_id: int, error: str) -> None: ...

    def mark_skipped(self, alert_id: int, state: AlertState, reason: str, silenced_by: int | None = None) -> None: ...

    def set_retry_at(self, alert_id: int, when: datetime) -> None: ...


class ConsoleSink:
    """Prints alerts with rich; upstream text is escaped so it cannot inject markup."""

    name = "console"
    marks_in_bulk = True  # printing an alert again after a crash harms no one (see deliver_pending)

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()

    def prepare(self, store: Store, now: datetime) -> None:
        """The console follows nothing up: an incident's resolution is its own message."""

    def send(self, outgoing: Outgoing) -> Outcome:
        head, *lines = console_markup(outgoing.alert)
        self.console.print(head)
        for line in lines:
            self.console.print(line, highlight=False)
        return Delivered(channel="console")


def deliver_pending(
    store: Store,
    sink: Sink,
    clock: Callable[[], datetime],
    *,
    queue: Queue | None = None,
    sleep: Callable[[float], object] = time.sleep,
    max_wait: float = MAX_WAIT,
) -> DeliveryReport:
    """Send the backlog oldest first; stop at the first Retry so order is kept.

    `queue` is whose backlog: the outbox's own (default), or an extra destination's.
    A sink that leaves the machine has each alert marked sent as soon as it is accepted, so a
    crash repeats at most that one; a sink with `marks_in_bulk` (the console) has its alerts
    marked MARK_BATCH at a time in one statement.
    """
    queue = queue or store.outbox
    marks = _Marks(queue, MARK_BATCH if getattr(sink, "marks_in_bulk", False) else 1)
    try:
        return _deliver(store, sink, clock, queue, marks, (sleep, max_wait))
    finally:
        marks.flush()  # what was sent stays marked sent, even when a later send raised


MARK_BATCH = 200  # alerts marked sent per statement for a `marks_in_bulk` sink


class _Marks:
    """Alerts accepted by the sink, not yet marked sent in the queue."""

    def __init__(self, queue: Queue, batch: int) -> None:
        self.queue, self.batch, self.sent = queue, batch, list[tuple[int, datetime, str, str, str]]()

    def add(self, alert_id: int, now: datetime, outcome: Delivered) -> None:
        if self.batch == 1:
            self.queue.mark_sent(alert_id, now, channel=outcome.channel, ts=outcome.ts, thread_ts=outcome.thread_ts)
            return
        self.sent.append((alert_id, now, outcome.channel, outcome.ts, outcome.thread_ts))
        if len(self.sent) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.sent:
            self.queue.mark_sent_many(self.sent)
            self.sent = []


def _deliver(store: Store, sink: Sink, clock: Callable[[], datetime], queue: Queue, marks: _Marks,
             waiting: tuple[Callable[[float], object], float]) -> DeliveryReport:
    report = DeliveryReport()
    sleep, max_wait = waiting
    sink.prepare(store, clock())
    pending = queue.pending()
    budget, waits = max_wait, MAX_WAITED_RETRIES
    for index, alert in enumerate(pending):
        if alert.retry_at and alert.retry_at > clock().isoformat(timespec="seconds"):
            report.queued += len(pending) - index
            report.errors.append(f"{sink.name} asked to wait until {alert.retry_at}")
            break
        if alert.kind in FOLLOW_UPS:  # its thread is read from the queue: what was sent must be marked first
            marks.flush()
        outgoing = _outgoing(store, alert, clock())
        if not isinstance(outgoing, Outgoing):
            queue.mark_skipped(alert.id, AlertState.SILENCED, outgoing.reason, outgoing.silence_id)
            report.skipped += 1
            continue
        outcome = sink.send(outgoing)
        while isinstance(outcome, Retry) and outcome.after and outcome.after <= budget and waits > 0:
            queue.mark_attempt(alert.id, outcome.reason)
            budget, waits = budget - outcome.after, waits - 1
            sleep(outcome.after)
            outcome = sink.send(outgoing)
        if isinstance(outcome, Delivered):
            marks.add(alert.id, clock(), outcome)
            report.sent += 1
            continue
        if isinstance(outcome, Skipped):
            queue.mark_skipped(alert.id, AlertState.SKIPPED, outcome.reason)
            report.skipped += 1
            continue
        queue.mark_attempt(alert.id, outcome.reason)
        report.errors.append(outcome.reason)
        if isinstance(outcome, Retry):
            if outcome.after:
                queue.set_retry_at(alert.id, clock() + timedelta(seconds=outcome.after))
            report.queued += len(pending) - index
            break
        report.queued += 1
    return report


@dataclass(frozen=True)
class _Held:
    reason: str
    silence_id: int | None


def _outgoing(store: Store, alert: Alert, now: datetime) -> Outgoing | _Held:
    """The alert's thread and its silences, looked up once for whichever sink sends it."""
    parent = _parent(store, alert)
    if alert.kind in FOLLOW_UPS and parent and parent.state == AlertState.SILENCED:
        return _Held("follows a silenced alert", parent.silenced_by)
    kept, hit = silence.split(alert, store.silences(now))
    if hit is not None and not kept:
        return _Held(f"silenced: {hit.reason or 'no reason given'}", hit.id)
    return Outgoing(replace(alert, items=kept), parent, len(alert.items) - len(kept))


def _parent(store: Store, alert: Alert) -> Alert | None:
    if alert.kind == AlertKind.FIX_REPLY and alert.reply_to:
        return store.outbox.get(alert.reply_to)
    if alert.kind in (AlertKind.INCIDENT_UPDATE, AlertKind.INCIDENT_RESOLVED) and alert.incident_key:
        thread = store.outbox.incident_thread(alert.incident_key, alert.id)
        return thread[0] if thread else None
    return None
