"""Database size after a year of polls, with and without retention (issue 11, item 4).

Simulates POLLS_PER_DAY polls a day through the store: each writes its run row (the compact
summary of a 50-source config where two sources changed), and each day a warning alert with
five events is queued and sent. One database keeps everything; the other applies the
default retention (`retention.apply_if_due` after each poll, as `poll` and `run` do). Sizes
are after a WAL checkpoint, without VACUUM (freed pages are reused, the file does not shrink).

    python benchmarks/bench_retention.py --days 365
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.store import retention
from bot.store.history import Store

START = datetime(2025, 1, 1, tzinfo=UTC)
POLLS_PER_DAY = 96  # every 15 minutes
SOURCES = 50


def simulate(path: Path, days: int, keep: retention.RetentionConf | None) -> tuple[int, float, int]:
    """(bytes, seconds spent in retention, run rows left) after `days` of polls."""
    store = Store.open(path)
    spent = 0.0
    for day in range(days):
        for poll in range(POLLS_PER_DAY):
            now = START + timedelta(days=day, minutes=15 * poll)
            run = store.start_run(now)
            if poll == 0:
                events = tuple(Event("fix_available", "warning", "docker", f"1.{day}.{n}", f"fix:{day}:{n}",
                                     f"docker 1.{day}.{n}: CVE-2016-{day:04d} fixed in 1.{day}.{n + 1}", "moby",
                                     {"pins": ["docker 1.10.3"], "fixed_in": f"1.{day}.{n + 1}"}) for n in range(5))
                with store.transaction():
                    store.add_events(list(events), run, now)
                alert = store.queue_alert(Alert(AlertKind.EVENTS, "warning", "moby: 5 warnings", "moby", events,
                                                tuple(e.key for e in events), run), now)
                store.outbox.mark_sent(alert, now, channel="#ops")
            summary = {f"source-{n}": "unchanged" for n in range(SOURCES)} | {"moby": "changed", "kernel": "failed"}
            store.finish_run(run, now, summary)
            if keep is not None:
                started = time.perf_counter()
                retention.apply_if_due(store, keep, now)
                spent += time.perf_counter() - started
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    runs = store.db.table("runs").count
    store.db.conn.close()
    return path.stat().st_size, spent, runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, keep in (("no retention", None), ("retention 90d/90d", retention.RetentionConf())):
            size, spent, runs = simulate(Path(tmp) / f"{label[:2]}.db", args.days, keep)
            print(f"{label:20} {args.days} days x {POLLS_PER_DAY} polls: {size / 2**20:6.1f} MiB, "
                  f"{runs} run rows, retention passes {spent:.2f} s in all")


if __name__ == "__main__":
    main()
