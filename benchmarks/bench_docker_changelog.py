"""How long reading and parsing Docker's whole CHANGELOG.md takes, and how much memory.

Run: python benchmarks/bench_docker_changelog.py [N]
Prints medians of N runs for each step side by side, peak memory (tracemalloc) of
each step, and ratios to the file read. `bench_parse()` is the place to add steps
(the diff against the previous snapshot): return more rows and they are printed.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.model import Snapshot  # noqa: E402
from bot.judge.diff import diff  # noqa: E402
from bot.sources.docker_changelog import Conf, parse  # noqa: E402
from bot.store.history import Store  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/docker/moby-CHANGELOG.md"
CONF = Conf(name="bench", kind="docker_changelog", url="https://example.org/CHANGELOG.md")
NOW = datetime(2026, 11, 27, tzinfo=UTC)
WATCH = ("aufs", "overlay", "devicemapper", "hash sum")


def measure(step: Callable[[], Any], runs: int) -> tuple[float, int, Any]:
    """Median seconds over `runs`, peak bytes of one traced run, and the step's result."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak, result


def bench_parse(runs: int) -> list[tuple[str, float, int, str]]:
    """Rows of (step, median seconds, peak bytes, note). Extend here with the diff step."""
    read_s, read_peak, body = measure(FIXTURE.read_bytes, runs)
    parse_s, parse_peak, records = measure(lambda: parse(body, CONF, watch_words=WATCH), runs)
    releases = sum(r.kind == "release" for r in records)
    snapshot = Snapshot(tuple(records))
    diff_s, diff_peak, result = measure(
        lambda: diff(records, snapshot, source="bench", detected="T"), runs
    )
    store = Store.memory()
    first = diff([], snapshot, source="bench", detected="T")
    store.save_records("bench", 1, NOW, seen=first.seen, new_or_changed=first.new_or_changed, gone=[])

    def save_unchanged() -> None:
        with store.transaction():
            store.save_records("bench", 2, NOW, seen=result.seen, new_or_changed=result.new_or_changed, gone=[])

    save_s, save_peak, _ = measure(save_unchanged, runs)
    return [
        ("read file", read_s, read_peak, f"{len(body):,} bytes"),
        ("parse", parse_s, parse_peak, f"{releases} releases, {len(records) - releases} lines"),
        ("diff", diff_s, diff_peak, f"against a history holding it: {len(result.events)} events"),
        ("store", save_s, save_peak, "mark every record seen, in one transaction"),
    ]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rows = bench_parse(runs)
    base_s, base_peak = rows[0][1], rows[0][2]
    print(f"moby CHANGELOG.md, median of {runs} runs")
    print(f"{'step':<12} {'median ms':>10} {'x read':>8} {'peak KiB':>10} {'x read':>8}  note")
    for step, seconds, peak, note in rows:
        print(
            f"{step:<12} {seconds * 1000:>10.2f} {seconds / base_s:>8.1f} "
            f"{peak / 1024:>10.0f} {peak / max(base_peak, 1):>8.1f}  {note}"
        )


if __name__ == "__main__":
    main()
