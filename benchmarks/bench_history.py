"""History queries at ~10 k and ~1 M rows: `why`, `search`, `events`, `digest`, `changes`, `events --json`.

The history is generated but real-shaped (releases with dated changelog lines in sections,
new_release / fix_available / regression / branch_eol events, alerts carrying them, across
many products with overlapping version numbers) and written through the store's own write
path (`Store.save_records`, `Store.add_events`, `Store.queue_alert`), one simulated day per
transaction. Built databases are cached under /tmp (delete them to rebuild).

Each query runs in-process on a fresh connection; the figure is the median (and min/max)
of several runs, printed side by side for both sizes with the growth ratio. `events --json`
over the whole history runs in a child process (the real CLI) and reports its peak RSS.

    python benchmarks/bench_history.py            # 10k, 1M-many, 1M-long (each 1M build takes minutes)
    python benchmarks/bench_history.py --sizes 10k 1M-long --explain
    python benchmarks/bench_history.py --migrate OLD.db   # time the pending migrations on a copy
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import versions
from bot.core.alert import Alert, AlertKind
from bot.core.model import Event, Pin, Record
from bot.read.changes import changes, products_with
from bot.read.digest.build import build as build_report
from bot.read.preflight import checked_product
from bot.read.search import ordered_hits
from bot.read.why import story
from bot.store.history import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LINES_PER_RELEASE = 15
WORDS = ("fix", "crash", "leak", "daemon", "network", "storage", "overlay", "mount", "timeout", "race",
         "config", "update", "docs", "build", "client", "server", "api", "deadlock", "memory", "restart")
SECTIONS = ("Runtime", "Networking", "Storage", "Builder", "Client", "Security")
RARE_HITS = 5  # lines holding the rare word "zeroconf", at every size
CLASSES: tuple[list[str], ...] = (["fix"], [], ["security"], ["regression"], ["deprecation"], [], ["fix"])
# (products, releases per product, days): ~16 records and ~1.3 events per release. Two 1M shapes:
# "many" multiplies the products (the last week and each version number hold 100x the answer),
# "long" keeps 10 products and lengthens each one's history 100x (the answer stays the same size).
SHAPES = {"10k": (10, 60, 1000), "1M-many": (1000, 60, 1000), "1M-long": (10, 6000, 100_000)}


def releases(shape: tuple[int, int, int]) -> list[tuple[int, str, str]]:
    """(day, product, version) of every release, products with overlapping version numbers."""
    products, per_product, days_long = shape
    rng = random.Random(products)
    plan = []
    for p in range(products):
        major = p % 250  # at 1M-many, four products share each major version; otherwise none
        minor, patch = 0, 0
        days = sorted(rng.sample(range(days_long), per_product))
        for day in days:
            if rng.random() < 0.2:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            plan.append((day, f"prod{p:04d}", f"{major}.{minor}.{patch}"))
    return sorted(plan)


def rare_releases(shape: tuple[int, int, int]) -> set[tuple[str, str]]:
    """(product, version) of the RARE_HITS releases whose first line holds the rare word, spread
    evenly over the history: a rare word has the same few hits at every size (a word in a fixed
    share of lines, as before, had 5 hits at 10k and ~450 at 1M, so its figure measured its answer)."""
    plan = releases(shape)
    return {plan[(2 * i + 1) * len(plan) // (2 * RARE_HITS)][1:] for i in range(RARE_HITS)}


def line_text(rng: random.Random, n: int, product: str, version: str, rare: bool) -> str:
    words = rng.sample(WORDS, 5) + (["zeroconf"] if rare and n == 0 else [])
    return f"{words[0].capitalize()} {' '.join(words[1:])} in {product} ({version}, change {n})"


def build(path: Path, shape: tuple[int, int, int]) -> None:
    store = Store.open(path)
    store.db.execute("PRAGMA synchronous = OFF")  # a benchmark fixture: no crash to survive
    store.db.execute("PRAGMA cache_size = -262144")  # 256 MiB: fewer page writes while building
    rng = random.Random(42)
    rare = rare_releases(shape)
    by_day: dict[int, list[tuple[str, str]]] = {}
    for day, product, version in releases(shape):
        by_day.setdefault(day, []).append((product, version))
    for day in sorted(by_day):  # a day without a release has nothing to write
        now = NOW - timedelta(days=shape[2] - day)
        run = store.start_run(now)
        with store.transaction():
            for product, version in by_day.get(day, []):
                source = f"gh-{product}"
                records = [Record("release", f"release:{version}", product, version,
                                  {"date": now.date().isoformat(), "title": f"v{version}", "tag": f"v{version}"})]
                for n in range(LINES_PER_RELEASE):
                    text = line_text(rng, n, product, version, (product, version) in rare)
                    records.append(Record("changelog_line", f"line:{version}:{n}", product, version,
                                          {"text": text, "section": rng.choice(SECTIONS),
                                           "classes": rng.choice(CLASSES), "cves": [], "date": ""}))
                store.save_records(source, run, now, seen=records, new_or_changed=records, gone=[])
                events = [Event("new_release", "info", product, version, f"new_release:{product}:{version}",
                                f"{product} {version} released", source, {"pins": []}, baseline=day < 30)]
                if rng.random() < 0.25:
                    events.append(Event("fix_available", "warning", product, version,
                                        f"fix_available:{product}:{version}", f"{product} {version} fixes a crash",
                                        source, {"pins": [f"{product} {version.rsplit('.', 1)[0]}.0"]}))
                if version.endswith(".0") and rng.random() < 0.3:
                    branch = version.rsplit(".", 2)[0]
                    events.append(Event("branch_eol", "warning", product, branch, f"branch_eol:{product}:{branch}",
                                        f"{product} {branch} reached end of life", source))
                fresh = store.add_events(events, run, now)
                loud = tuple(e for e in fresh if e.severity != "info")
                if loud:
                    store.queue_alert(Alert(AlertKind.EVENTS, "warning", f"{source}: {len(loud)} warnings",
                                            source, loud, tuple(e.key for e in loud), run), now)
        store.finish_run(run, now, {"sources": len(by_day.get(day, []))})
    store.db.conn.close()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float, float]:
    """ms: wall median, min, max, and the median CPU time (steadier on a shared machine)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.thread_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    return statistics.median(times), min(times), max(times), statistics.median(cpu)


def queries(store: Store, shape: tuple[int, int, int]) -> dict[str, Callable[[], object]]:
    """What the read commands do (the CLI's own functions, minus printing), on one product's history."""
    since = NOW - timedelta(days=7)
    mine = [v for _, p, v in releases(shape) if p == "prod0005"]
    version = mine[len(mine) // 2]
    upgrade_from, upgrade_to = mine[len(mine) // 2], mine[len(mine) // 2 + 10]
    branch = version.rsplit(".", 1)[0]
    print(f"  VERSION {version}, BRANCH {branch}, changes {upgrade_from} {upgrade_to}")
    pins = [Pin("prod0005", version), Pin("prod0003", branch)]

    def changes_cli() -> object:  # `trackbot changes A B`: the product is found from B
        [product] = products_with(store, upgrade_to)
        return changes(store, upgrade_from, upgrade_to, product)

    return {
        "why VERSION": lambda: story(store, [], version),
        "why VERSION --product prod0005": lambda: story(store, [], version,
                                                       checked_product(store, "prod0005")),
        "why BRANCH": lambda: story(store, [], branch),
        "search zeroconf (rare: 5 lines)": lambda: ordered_hits(store, ["zeroconf"]),
        "search crash (common)": lambda: ordered_hits(store, ["crash"]),
        "search section (a JSON key)": lambda: ordered_hits(store, ["section"]),
        "events --since 7d --limit 100": lambda: store.events(since=since, limit=100),
        "digest --since 7d": lambda: build_report(store, [], since, since + timedelta(days=7), "last 7d"),
        # with pins, as a fleet has them: VERSION exact and prod0003's BRANCH; the version cache is
        # emptied first, as in a fresh `trackbot digest` or `why` process
        "digest --since 7d (2 pins)": lambda: (versions.parse.cache_clear(),
                                                build_report(store, pins, since, since + timedelta(days=7), "7d")),
        "why VERSION (2 pins: upgrade hint)": lambda: (versions.parse.cache_clear(), story(store, pins, version)),
        "changes A B (10 releases)": changes_cli,
    }


def explain(path: Path, shape: tuple[int, int, int]) -> None:
    """Print SQLite's plan of every statement the queries run that scans a table (a bug at 1M)."""
    store = Store.open(path)
    seen: set[str] = set()

    def trace(sql: str) -> None:  # the statement with its parameters inlined
        if sql.lstrip().lower().startswith(("select", "with")):
            seen.add(sql)
    store.db.conn.set_trace_callback(trace)
    for fn in queries(store, shape).values():
        fn()
    store.db.conn.set_trace_callback(None)
    print(f"  {len(seen)} distinct statements")
    for sql in sorted(seen):
        plan = store.db.execute("explain query plan " + sql).fetchall()
        scans = [row[-1] for row in plan if row[-1].startswith("SCAN") and "VIRTUAL TABLE" not in row[-1]]
        if scans and "sqlite_master" not in sql:
            print(f"  SCAN: {sql[:200]} -> {scans}")


def json_peak(path: Path) -> tuple[float, float, int, int]:
    """`trackbot events --json` over the whole history: (seconds, peak RSS MiB, bytes printed, events).

    The real CLI in a child process. `--since` is capped at a century (36500d) and the long
    shape spans 274 years, so the child's `--since` is read as "since year 1": every event.
    The peak is the child's VmHWM: its ru_maxrss starts at this process's RSS (Linux keeps the
    high-water mark of the forked copy across exec), which after a build is ~350 MiB.
    """
    script = ("import resource, sys; from datetime import UTC, datetime; import bot.cli.main as cli\n"
              "cli._since = lambda text: datetime(1, 1, 1, tzinfo=UTC)\n"
              "try:\n cli.main(['--db', sys.argv[1], 'events', '--since', '36500d', '--json'])\n"
              "except SystemExit as exit:\n assert not exit.code, exit.code\n"
              "try:\n peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
              "except OSError:\n peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "sys.stderr.write(str(peak))")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, check=True)
    printed = done.stdout.count(b'\n    "kind": ')  # one per event
    return time.perf_counter() - started, int(done.stderr.decode().split()[-1]) / 1024, len(done.stdout), printed


def time_migrations(old: Path) -> None:
    """Open a copy of a database an older trackbot made: the pending migrations' cost at its size."""
    copy = old.with_name(old.stem + "-migrating.db")
    with closing(sqlite3.connect(old)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)  # its WAL included
    started, cpu = time.perf_counter(), time.process_time()
    Store.open(copy).db.conn.close()
    print(f"migrated a copy of {old} ({old.stat().st_size / 2**20:.0f} MiB -> {copy.stat().st_size / 2**20:.0f} MiB): "
          f"{time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")
    copy.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--explain", action="store_true", help="print the plan of every statement that scans")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cache", default="/tmp/trackbot-bench-history")
    parser.add_argument("--migrate", type=Path, metavar="OLD_DB", help="only time migrating a copy of OLD_DB")
    args = parser.parse_args()
    if args.migrate:
        time_migrations(args.migrate)
        return
    results: dict[str, dict[str, tuple[float, float, float, float]]] = {}
    for size in args.sizes:
        path = Path(f"{args.cache}-{size}.db")
        if not path.exists():
            started, cpu = time.perf_counter(), time.process_time()
            build(path.with_suffix(".part"), SHAPES[size])
            path.with_suffix(".part").rename(path)
            print(f"built {size}: {time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU")
        store = Store.open(path)
        counts = {t: store.db.table(t).count for t in ("records", "events", "alerts", "runs")}
        print(f"{size}: {path} ({path.stat().st_size / 2**20:.0f} MiB) {counts}")
        if args.explain:
            explain(path, SHAPES[size])
        results[size] = {name: timed(fn, args.repeat) for name, fn in queries(Store.open(path), SHAPES[size]).items()}
        seconds, peak, printed, listed = json_peak(path)
        print(f"{size}: events --json over all {counts['events']} events: {seconds:.1f} s, "
              f"peak RSS {peak:.0f} MiB, {printed / 2**20:.0f} MiB printed ({listed} events)")
    print(f"\nquery latency, ms median (min-max) of {args.repeat}, in-process")
    print(f"{'query':40}" + "".join(f"{size:>24}" for size in args.sizes) + ("   growth" if len(args.sizes) > 1 else ""))
    for name in next(iter(results.values())):
        cells = "".join(f"{r[name][0]:>9.1f} ({r[name][1]:.1f}-{r[name][2]:.1f})".rjust(24)
                        for r in results.values())
        growth = ""
        if len(results) > 1:
            first = results[args.sizes[0]][name][0]
            growth = "".join(f"   {results[s][name][0] / first:.1f}x" for s in args.sizes[1:])
        print(f"{name:40}{cells}{growth}")
    print(f"\nCPU ms, median of {args.repeat}")
    for name in next(iter(results.values())):
        print(f"{name:40}" + "".join(f"{r[name][3]:>24.1f}" for r in results.values()))
    print(f"\nbenchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
