"""One cycle, end to end: what `trackbot poll` does once and `trackbot run` does every interval.

`cycle(config, store, sinks, clock)` polls the due sources, writes what they found, delivers every
destination's alerts, then writes the metrics, pings the heartbeat and applies retention. It prints
nothing: the CLI shows its `CycleResult` (the table, the notify lines). The clock is passed in, so a
test (or a replay) runs a whole cycle at any date it likes; nothing below reads the machine's time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config.load import Config
from bot.core.clock import Clock, parse_interval
from bot.core.errors import log
from bot.core.reports import DeliveryReport, RunReport, SourceResult
from bot.deliver import health as delivery_health
from bot.deliver.early import EarlyDelivery
from bot.deliver.loop import Sink, deliver_pending
from bot.deliver.notify import Destination, deliver_destinations, join, report_line
from bot.ops.heartbeat import ping
from bot.ops.metrics import write_textfile
from bot.ops.self_incidents import storage_guard
from bot.poll.cycle import run_poll
from bot.store import retention
from bot.store.history import Store


@dataclass(frozen=True)
class Sinks:
    """Where alerts go: the outbox's own sink (Slack or the console) and each `notify:` destination."""

    main: Sink
    destinations: Sequence[Destination] = ()


@dataclass(frozen=True)
class CycleOptions:
    """Which sources, whether to ignore their intervals, and who watches them finish (a progress bar)."""

    only: tuple[str, ...] = ()
    force: bool = False
    on_result: Callable[[SourceResult], object] | None = None
    watching: AbstractContextManager[Any] = field(default_factory=nullcontext)


@dataclass
class CycleResult:
    """What one cycle did, for the CLI to show and to turn into an exit code."""

    began: datetime
    report: RunReport
    delivery: DeliveryReport
    notified: list[tuple[str, bool]]  # a report line per `notify:` destination, and whether it failed
    problems: list[str]  # the metrics textfile or the heartbeat failing: said, but the poll itself went fine
    undelivered: str | None  # why nobody hears the alerts, or None

    @property
    def healthy(self) -> bool:
        return not self.report.failed and not self.delivery.errors and not any(f for _, f in self.notified)

    @property
    def exit_code(self) -> int:
        """3 nobody hears the alerts (cron and systemd must see it), 1 a source failed, else 0."""
        return 3 if self.undelivered else 1 if self.report.failed else 0


def cycle(config: Config, store: Store, sinks: Sinks, clock: Clock, options: CycleOptions | None = None) -> CycleResult:
    """Poll, write, deliver, then the after-run chores; a finished source's alerts go out at once."""
    options = options or CycleOptions()
    started, began = time.monotonic(), clock()
    if sinks.destinations:
        join(store, sinks.destinations, clock())
    early = EarlyDelivery(store, [sinks.main], list(sinks.destinations), clock)
    on_result = early.after(options.on_result) if options.on_result else early.after(lambda _: None)
    with storage_guard(store, lambda: deliver_pending(store, sinks.main, clock), clock), options.watching, early:
        report = asyncio.run(run_poll(config, store, clock=clock, only=options.only, force=options.force,
                                      on_result=on_result))
    # Everything is written: what the worker left (a sink that was down) goes now, as before.
    delivery = early.merged(sinks.main.name, deliver_pending(store, sinks.main, clock))
    notified = _notify(store, sinks.destinations, early, clock)
    result = CycleResult(began, report, delivery, notified, [], None)
    result.problems = _after_run(config, store, clock(), healthy=result.healthy)
    retention.apply_if_due(store, config.retention, clock())  # at most once a day: old runs, sent alerts' bodies
    result.undelivered = delivery_health.problem(store, clock(), parse_interval(config.settings.delivery_failing_for))
    log.debug("cycle over %d sources in %.2f s", len(report.results), time.monotonic() - started)
    return result


def _notify(store: Store, targets: Sequence[Destination], early: EarlyDelivery,
            clock: Clock) -> list[tuple[str, bool]]:
    """Deliver each `notify:` destination's backlog; its report line, and whether it had an error."""
    if not targets:
        return []
    reports = {name: early.merged(name, report, destination=True)
               for name, report in deliver_destinations(store, list(targets), clock).items()}
    return [(report_line(name, report), bool(report.errors)) for name, report in reports.items()]


def _after_run(config: Config, store: Store, now: datetime, *, healthy: bool) -> list[str]:
    """Metrics textfile and heartbeat after every cycle (README "Watching the watcher"); what failed."""
    problems = []
    if config.metrics.textfile:
        path = config.config_dir / config.metrics.textfile
        try:
            write_textfile(store, [s.name for s in config.sources], path, now)
        except OSError as exc:  # the poll itself went fine: say so, do not fail it
            problems.append(f"metrics textfile {path}: {exc.strerror or exc}")
    if config.heartbeat_url and healthy:
        problems.append(ping(config.heartbeat_url) or "")
    return [p for p in problems if p]
