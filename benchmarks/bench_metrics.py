"""What `trackbot metrics` and the per-destination outbox cost on a year-old database.

A year of 15-minute runs (35,040), 40 sources, 2,000 queued alerts for Slack and a destination,
and the worst case for `run_times`: the last month of runs all with a failed source, so it
walks back 2,880 runs to the last success. Also the signed webhook's cost per alert.

Run: python benchmarks/bench_metrics.py   (prints medians of 5 rounds)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event  # noqa: E402
from bot.deliver.loop import Outgoing  # noqa: E402
from bot.deliver.notify import message, sign  # noqa: E402
from bot.ops.metrics import registry, write_textfile  # noqa: E402
from bot.store.history import Store  # noqa: E402

RUNS, FAILING, SOURCES, QUEUED = 35_040, 2_880, 40, 2_000


def build(store: Store, start: datetime) -> list[str]:
    names = [f"source-{i}" for i in range(SOURCES)]
    rows = []
    for i in range(RUNS):
        began = start + timedelta(minutes=15 * i)
        status = "failed" if i >= RUNS - FAILING else "unchanged"
        rows.append({"started_at": began.isoformat(), "finished_at": (began + timedelta(seconds=40)).isoformat(),
                     "summary": json.dumps({name: status for name in names})})
    store.db.table("runs").insert_all(rows, batch_size=1000)
    for name in names:
        store.mark_success(name, "kernel_releases", start, changed=False, seconds=1.5)
    store.deliveries.join("OPS_WEBHOOK", start)
    for i in range(QUEUED):
        item = Event("advisory", "critical", names[0], "", f"k{i}", "x" * 200)
        store.queue_alert(Alert(AlertKind.EVENTS, "critical", f"alert {i}", names[0], (item,)), start)
    store.deliveries.enqueue("OPS_WEBHOOK", ("critical",), start)
    return names


def median_ms(action: object, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    start = datetime(2025, 12, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "t.db")
        names = build(store, start)
        now = start + timedelta(days=365)
        out = Path(folder) / "trackbot.prom"
        print(f"database: {RUNS} runs ({FAILING} failing at the end), {SOURCES} sources, {QUEUED} alerts queued "
              f"for Slack and for one destination")
        print(f"run_times (walks back {FAILING} runs):  {median_ms(store.run_times):8.1f} ms")
        print(f"registry (every figure):               {median_ms(lambda: registry(store, names, now)):8.1f} ms")
        print(f"write_textfile (figures + rename):     {median_ms(lambda: write_textfile(store, names, out, now)):8.1f} ms")
        queue = store.deliveries.queue("OPS_WEBHOOK")
        print(f"a destination's pending ({QUEUED} alerts): {median_ms(queue.pending):8.1f} ms")
        body = json.dumps(message(Outgoing(queue.pending()[0]))).encode()
        per = median_ms(lambda: [sign(b"k" * 32, "1700000000", body) for _ in range(10_000)]) / 10_000
        print(f"HMAC-SHA256 signature of one {len(body)}-byte body:   {per * 1000:8.1f} us")
        print(f"textfile size: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
