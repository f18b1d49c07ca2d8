"""Delivering the outbox: alerts are marked sent only after the deliverer says so.

A deliverer answers Delivered, Retry (keep it queued; later alerts wait, so order is
kept), Fatal (keep it queued and report it; the others still go) or Skipped (silenced,
or info that never pages: kept for the digest, never posted). A Retry that names a
short Retry-After is waited out (up to `max_wait` seconds a run); a longer one is stored
on the alert, and no call is made before it passes. The console deliverer is the
default when Slack is not configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from rich.console import Console

from bot import silence
from bot.render import alert_lines, safe
from bot.store import Store

STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


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
    state: str = "silenced"  # or "skipped"
    silence_id: int | None = None


Outcome = Delivered | Retry | Fatal | Skipped
MAX_WAIT = 30.0  # seconds of Retry-After a run may wait out before leaving the rest for the next run
MAX_WAITED_RETRIES = 3  # and at most this many waits: `Retry-After: 1` for ever is 4 calls a run, not 31


class Deliverer(Protocol):
    name: str

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    queued: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


class ConsoleDeliverer:
    """Prints alerts with rich; upstream text is escaped so it cannot inject markup."""

    name = "console"

    def __init__(self, console: Console | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.console = console or Console()
        self.clock = clock or (lambda: datetime.now(UTC))

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome:
        kept, hit = silence.split(alert, store.silences(self.clock()))
        if hit is not None and not kept:
            return Skipped(f"silenced: {hit.get('reason') or 'no reason given'}", "silenced", hit["id"])
        alert = {**alert, "payload": kept}
        style = STYLES.get(alert["severity"], "")
        self.console.print(f"[{style}]{alert['severity'].upper()}[/] [bold]{safe(alert['title'])}[/]")
        for line in alert_lines(alert):
            self.console.print(f"  • {safe(line)}", highlight=False)
        return Delivered(channel="console")


def deliver_pending(
    store: Store,
    deliverer: Deliverer,
    clock: Callable[[], datetime],
    *,
    sleep: Callable[[float], object] = time.sleep,
    max_wait: float = MAX_WAIT,
) -> DeliveryReport:
    """Send the backlog oldest first; stop at the first Retry so order is kept."""
    report = DeliveryReport()
    prepare = getattr(deliverer, "prepare", None)
    if prepare:
        prepare(store, clock())  # queue follow-ups (reminders, fix replies) before sending
    pending = store.pending_alerts()
    budget, waits = max_wait, MAX_WAITED_RETRIES
    for index, alert in enumerate(pending):
        if alert.get("retry_at") and alert["retry_at"] > clock().isoformat(timespec="seconds"):
            report.queued += len(pending) - index
            report.errors.append(f"Slack asked to wait until {alert['retry_at']}")
            break
        outcome = deliverer.deliver(alert, store)
        while isinstance(outcome, Retry) and outcome.after and outcome.after <= budget and waits > 0:
            store.mark_attempt(alert["id"], outcome.reason)
            budget, waits = budget - outcome.after, waits - 1
            sleep(outcome.after)
            outcome = deliverer.deliver(alert, store)
        if isinstance(outcome, Delivered):
            store.mark_sent(alert["id"], clock(), channel=outcome.channel, ts=outcome.ts, thread_ts=outcome.thread_ts)
            report.sent += 1
            continue
        if isinstance(outcome, Skipped):
            store.mark_skipped(alert["id"], outcome.state, outcome.reason, outcome.silence_id)
            report.skipped += 1
            continue
        store.mark_attempt(alert["id"], outcome.reason)
        report.errors.append(outcome.reason)
        if isinstance(outcome, Retry):
            if outcome.after:
                store.set_retry_at(alert["id"], clock() + timedelta(seconds=outcome.after))
            report.queued += len(pending) - index
            break
        report.queued += 1
    return report
