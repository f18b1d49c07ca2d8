"""Retention: run rows and delivered alerts' bodies are bookkeeping, dropped after a while.

    retention: {runs: 90d, delivered_alerts: 90d}     # sources.yaml; these are the defaults

The history itself (records, events, incidents, notes, and every alert's row: its title,
state, channel and event keys) is never dropped. `trackbot vacuum` applies the setting at
once (and then compacts the file); `poll` and `run` apply it at most once a day, as one
indexed DELETE and one indexed UPDATE (migration m007), so the database stops growing with
the number of polls. Kept light (no store import) because bot/config/load.py builds RetentionConf.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.clock import iso, parse_interval

# re-exported: `retention.RetentionConf` and `retention.problems` read as before
from bot.core.settings import RetentionConf as RetentionConf
from bot.core.settings import retention_problems

problems = retention_problems

if TYPE_CHECKING:
    from bot.store.history import Store

EVERY = timedelta(days=1)  # how often poll/run apply it


def apply(store: Store, conf: RetentionConf, now: datetime) -> dict[str, int]:
    """Forget what the setting says is too old; {"runs": n, "alert_bodies": n}."""
    counts = store.forget_before(now - parse_interval(conf.runs), now - parse_interval(conf.delivered_alerts))
    store.mark_maintenance("retention", now)
    return counts


def apply_if_due(store: Store, conf: RetentionConf, now: datetime) -> dict[str, int] | None:
    """`apply`, unless it ran less than a day ago (what poll and run call after each run)."""
    last = store.maintenance_done("retention")
    if last and last > iso(now - EVERY):
        return None
    return apply(store, conf, now)
