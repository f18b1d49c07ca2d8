"""Prometheus figures about trackbot itself, so that a dead or stuck trackbot pages elsewhere.

Written in the text format for node_exporter's textfile collector by `trackbot metrics
--textfile PATH` and, with `metrics: {textfile: PATH}` in sources.yaml, after every poll
and every `run` cycle. prometheus_client writes a temporary file beside PATH and renames
it over PATH, so the collector never reads half a file. Every figure comes from the
database, so the file says the same whichever process wrote it.

Timestamps are Unix seconds, 0 for "never" (a source that never succeeded is as stale as
one can be, and an alert rule on `time() - x` fires for it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from bot.core.severity import SEVERITIES
from bot.store.history import Store


@dataclass(frozen=True)
class Backlog:
    """Alerts waiting for a destination: how many, and since when the oldest."""

    queued: int
    oldest: datetime | None

    def age(self, now: datetime) -> float:
        return (now - self.oldest).total_seconds() if self.oldest else 0.0


def backlog(store: Store) -> Backlog:
    """The main outbox (Slack or console) and every extra destination's queue together."""
    created = [datetime.fromisoformat(alert.created_at) for alert in store.outbox.pending()]
    created += store.deliveries.queued_times()
    return Backlog(len(created), min(created) if created else None)


def registry(store: Store, sources: Sequence[str], now: datetime) -> CollectorRegistry:
    """Every figure, for the sources configured now (a removed source's old state is left out)."""
    reg = CollectorRegistry()
    last_success = Gauge("trackbot_source_last_success_timestamp_seconds",
                         "When the source last polled successfully (0: never).", ["source"], registry=reg)
    failures = Gauge("trackbot_source_consecutive_failures",
                     "Failed polls in a row (0 after a success).", ["source"], registry=reg)
    duration = Gauge("trackbot_source_last_duration_seconds",
                     "How long the source's last poll took.", ["source"], registry=reg)
    states = {row["name"]: row for row in store.all_source_states()}
    for name in sources:
        state = states.get(name) or {}
        last_success.labels(name).set(_stamp(state.get("last_success_at")))
        failures.labels(name).set(int(state.get("consecutive_failures") or 0))
        duration.labels(name).set(float(state.get("last_duration") or 0.0))
    incidents = Gauge("trackbot_incidents_open", "Open incidents (alerted, not resolved) by severity.",
                      ["severity"], registry=reg)
    counts = Counter(incident.severity for incident in store.incidents(open_only=True))
    for severity in SEVERITIES:
        incidents.labels(severity).set(counts[severity])
    waiting = backlog(store)
    Gauge("trackbot_alerts_queued", "Alerts not yet delivered (every destination).", registry=reg).set(waiting.queued)
    Gauge("trackbot_alerts_oldest_queued_age_seconds", "Age of the oldest undelivered alert (0: none).",
          registry=reg).set(waiting.age(now))
    runs = store.run_times()
    Gauge("trackbot_last_run_timestamp_seconds", "When the last run finished (0: never).",
          registry=reg).set(_stamp(runs.last_finished))
    Gauge("trackbot_last_run_duration_seconds", "How long the last run took.",
          registry=reg).set(runs.last_duration or 0.0)
    Gauge("trackbot_last_success_timestamp_seconds", "When the last run with no failed source finished (0: never).",
          registry=reg).set(_stamp(runs.last_success))
    return reg


def write_textfile(store: Store, sources: Sequence[str], path: Path, now: datetime) -> None:
    """Write the figures to `path` atomically (temp file beside it, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry(store, sources, now))


def _stamp(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0
