"""Delivering the outbox: alerts are marked sent only after the deliverer says so.

A deliverer answers Delivered, Retry (keep it queued; later alerts wait, so order is
kept) or Fatal (keep it queued and report it; the others still go). The console
deliverer is the default when Slack is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape

from bot.render import alert_lines
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


Outcome = Delivered | Retry | Fatal


class Deliverer(Protocol):
    name: str

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)


class ConsoleDeliverer:
    """Prints alerts with rich; upstream text is escaped so it cannot inject markup."""

    name = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome:
        style = STYLES.get(alert["severity"], "")
        self.console.print(f"[{style}]{alert['severity'].upper()}[/] [bold]{escape(alert['title'])}[/]")
        for line in alert_lines(alert):
            self.console.print(f"  • {escape(line)}", highlight=False)
        return Delivered(channel="console")


def deliver_pending(store: Store, deliverer: Deliverer, clock: Callable[[], datetime]) -> DeliveryReport:
    """Send the backlog oldest first; stop at the first Retry so order is kept."""
    report = DeliveryReport()
    pending = store.pending_alerts()
    for index, alert in enumerate(pending):
        outcome = deliverer.deliver(alert, store)
        if isinstance(outcome, Delivered):
            store.mark_sent(alert["id"], clock(), channel=outcome.channel, ts=outcome.ts, thread_ts=outcome.thread_ts)
            report.sent += 1
            continue
        store.mark_attempt(alert["id"], outcome.reason)
        report.errors.append(outcome.reason)
        if isinstance(outcome, Retry):
            report.queued += len(pending) - index
            break
        report.queued += 1
    return report
