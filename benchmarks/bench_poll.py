"""A poll of N GitHub releases feeds on 127.0.0.1: `trackbot poll` against nvchecker, side by side.

Each feed is tests/fixtures/github/releases.atom.sample.xml (10 entries, ~14.5 KB) with its own
repository name, served with an ETag by a threaded HTTP server in a process of its own (a
matching If-None-Match gets 304). A third contender, "httpx alone", only makes the same
requests with httpx (FLOOR_SCRIPT): the floor of any poller built on it. All run as child
processes at concurrency 20; for each run
the figures are wall time, CPU time (user+sys of the child, from wait4), the time the child
sat runnable waiting for a CPU (from /proc/PID/task/*/schedstat, sampled every 20 ms: on a
shared machine this is most of the gap between wall and CPU) and peak RSS.

- cold: an empty database (trackbot) / no old versions (nvchecker);
- warm: the same feeds again: trackbot sends conditional GETs and gets 304s, nvchecker
  downloads everything again (its regex source has no conditional GET).

Runs alternate between the trees and nvchecker, so a burst of load on the machine hits each
of them alike. After the warm runs it prints how much one unchanged trackbot poll adds to the
database (after a WAL checkpoint), and the warm peak RSS across feed counts (the goal: the
same within 20%). Every trackbot runs its own source tree through PYTHONPATH (this checkout,
and `--tree before=/path/to/old/checkout` beside it) with the libraries of `--python`'s venv:
by default this interpreter's (with the test extras), but a venv with only trackbot's runtime
dependencies is what a user deploys. nvchecker is installed in the benchmark's own virtual
environment, never in trackbot's:

    python3 -m venv /tmp/nvc-venv && /tmp/nvc-venv/bin/pip install nvchecker
    python3 -m venv /tmp/tb-venv && /tmp/tb-venv/bin/pip install . && /tmp/tb-venv/bin/pip uninstall -y trackbot
    python benchmarks/bench_poll.py --feeds 100 1000 3000:3 --runs 5 --python /tmp/tb-venv/bin/python \
        --tree before=/tmp/trackbot-before
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "github" / "releases.atom.sample.xml"
CONCURRENCY = 20


def serve(feeds: int) -> tuple[multiprocessing.Process, str]:
    """The feeds' server in a process of its own. Its memory (every body) must not be this
    process's: a child's ru_maxrss starts at its parent's RSS (Linux keeps the high-water mark of
    the forked copy across exec), so a big parent would read as every tool's peak."""
    ready: multiprocessing.SimpleQueue[str] = multiprocessing.SimpleQueue()
    process = multiprocessing.get_context("fork").Process(target=_serve_forever, args=(feeds, ready), daemon=True)
    process.start()
    return process, ready.get()


def _serve_forever(feeds: int, ready: multiprocessing.SimpleQueue[str]) -> None:
    server, base = _server(feeds)
    ready.put(base)
    server.serve_forever()


def _server(feeds: int) -> tuple[ThreadingHTTPServer, str]:
    template = FIXTURE.read_bytes()
    bodies = {f"/org{i}/proj{i}/releases.atom": template.replace(b"hashicorp/consul", f"org{i}/proj{i}".encode())
              for i in range(feeds)}
    tags = {path: '"' + hashlib.sha1(body).hexdigest() + '"' for path, body in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, each body waits for the client's
        # delayed ACK (~40 ms), ~1 s per 1,000 feeds of idle time for both tools alike.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == tags[self.path]:
                self.send_response(304)
                self.send_header("ETag", tags[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("ETag", tags[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default 5 drops SYNs at concurrency 20: a 1 s retransmit for both tools

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass(frozen=True)
class Sample:
    wall: float  # s
    cpu: float  # s, user + sys
    queued: float  # s runnable but waiting for a CPU
    rss: float  # MiB, peak


def _queued(pid: int) -> float | None:
    """Seconds the process's threads have waited on a run queue so far (Linux schedstat)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return total / 1e9


def measure(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """One child process run to completion."""
    with tempfile.TemporaryFile() as errors:  # not a pipe: nvchecker logs a line per feed and would block on it
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        queued = 0.0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            queued = _queued(child.pid) or queued
            time.sleep(0.02)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            errors.seek(0)
            raise SystemExit(f"{argv[0]} failed: {errors.read().decode()[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, queued, usage.ru_maxrss / 1024)


def trackbot_config(work: Path, base: str, feeds: int) -> Path:
    lines = [f"settings: {{concurrency: {CONCURRENCY}, timeout: 60}}", "sources:"]
    lines += [f"  - {{name: proj{i}, kind: github_releases, repo: org{i}/proj{i}, "
              f"url: '{base}/org{i}/proj{i}/releases.atom'}}" for i in range(feeds)]
    path = work / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def nvchecker_config(work: Path, base: str, feeds: int) -> Path:
    lines = ["[__config__]", f"max_concurrency = {CONCURRENCY}", 'oldver = "old.json"', 'newver = "new.json"', ""]
    for i in range(feeds):
        lines += [f"[proj{i}]", 'source = "regex"', f'url = "{base}/org{i}/proj{i}/releases.atom"',
                  "regex = '<title>v([\\d.]+)</title>'", ""]
    path = work / "nvchecker.toml"
    path.write_text("\n".join(lines))
    return path


# The floor: a process that only makes the requests, with httpx (which trackbot must use) at
# the same concurrency, reading each body; warm, with the ETags the cold run got. No parsing,
# no history: what any httpx-based poller pays before doing anything with the answers.
FLOOR_SCRIPT = """
import asyncio, json, sys
import httpx
urls = open(sys.argv[1]).read().split()
try:
    tags = json.load(open(sys.argv[2]))
except OSError:
    tags = {}
async def main():
    gate, seen = asyncio.Semaphore(int(sys.argv[3])), {}
    async with httpx.AsyncClient(timeout=60) as client:
        async def one(url):
            async with gate:
                answer = await client.get(url, headers={"If-None-Match": tags[url]} if url in tags else {})
                seen[url] = answer.headers.get("etag", "")
        await asyncio.gather(*(one(url) for url in urls))
    json.dump(seen, open(sys.argv[2], "w"))
asyncio.run(main())
"""


@dataclass(frozen=True)
class Tool:
    """How to start one contender: a trackbot source tree, nvchecker, or httpx alone (the floor)."""

    label: str
    tree: Path | None = None  # None: the trackbot this interpreter imports
    nvchecker: str = ""
    floor: bool = False

    def env(self) -> dict[str, str] | None:
        return {**os.environ, "PYTHONPATH": str(self.tree)} if self.tree else None


def _db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def _checkpoint(db: Path) -> None:
    subprocess.run([sys.executable, "-c", "import sqlite3,sys; sqlite3.connect(sys.argv[1])"
                    ".execute('pragma wal_checkpoint(TRUNCATE)')", str(db)], check=True)


def run_size(feeds: int, runs: int, tools: list[Tool], python: str) -> dict[str, dict[str, list[Sample]]]:
    """cold and warm samples per tool; prints each unchanged poll's database growth."""
    server, base = serve(feeds)
    work = Path(tempfile.mkdtemp(prefix="trackbot-bench-poll-"))
    results: dict[str, dict[str, list[Sample]]] = {t.label: {"cold": [], "warm": []} for t in tools}
    growth: dict[str, list[int]] = {t.label: [] for t in tools if not t.nvchecker}
    try:
        config, nvconfig = trackbot_config(work, base, feeds), nvchecker_config(work, base, feeds)
        (work / "urls.txt").write_text("".join(f"{base}/org{i}/proj{i}/releases.atom\n" for i in range(feeds)))
        for n in range(runs):
            for tool in tools:
                if tool.nvchecker:
                    for name in ("old.json", "new.json"):
                        (work / name).unlink(missing_ok=True)
                    results[tool.label]["cold"].append(measure([tool.nvchecker, "-c", str(nvconfig)], work))
                    results[tool.label]["warm"].append(measure([tool.nvchecker, "-c", str(nvconfig)], work))
                    continue
                if tool.floor:
                    (work / "etags.json").unlink(missing_ok=True)
                    floor = [python, "-c", FLOOR_SCRIPT, str(work / "urls.txt"), str(work / "etags.json"), str(CONCURRENCY)]
                    results[tool.label]["cold"].append(measure(floor, work))
                    results[tool.label]["warm"].append(measure(floor, work))
                    continue
                db = work / f"{tool.label}-{n}.db"
                cli = [python, "-m", "bot.cli.main", "--config", str(config), "--db", str(db), "poll", "--force"]
                results[tool.label]["cold"].append(measure(cli, work, tool.env()))
                _checkpoint(db)
                before = _db_bytes(db)
                results[tool.label]["warm"].append(measure(cli, work, tool.env()))
                _checkpoint(db)
                growth[tool.label].append(_db_bytes(db) - before)
    finally:
        server.terminate()
        server.join()
        shutil.rmtree(work, ignore_errors=True)
    for label, grown in growth.items():
        print(f"{feeds} feeds, {label}: database growth per unchanged poll (after a WAL checkpoint): {grown} bytes")
    return results


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def report(feeds: int, runs: int, results: dict[str, dict[str, list[Sample]]]) -> None:
    print(f"\n{feeds} feeds, concurrency {CONCURRENCY}, median (min-max) of {runs}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'case':22}{'wall s':>22}{'CPU s':>22}{'run-queue wait s':>22}{'peak RSS MiB':>16}")
    for case in ("cold", "warm"):
        for tool, cases in results.items():
            rows = cases[case]
            print(f"{tool + ' ' + case:22}{spread([r.wall for r in rows], '.2f'):>22}"
                  f"{spread([r.cpu for r in rows], '.2f'):>22}{spread([r.queued for r in rows], '.2f'):>22}"
                  f"{spread([r.rss for r in rows], '.0f'):>16}")
    if "nvchecker" not in results:
        return
    for tool in (t for t in results if t != "nvchecker"):
        for case in ("cold", "warm"):
            ratio = [statistics.median(getattr(r, field) for r in results[tool][case])
                     / statistics.median(getattr(r, field) for r in results["nvchecker"][case])
                     for field in ("wall", "cpu", "rss")]
            print(f"ratio {tool}/nvchecker {case}: wall {ratio[0]:.2f}x, CPU {ratio[1]:.2f}x, RSS {ratio[2]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", nargs="+", default=["100", "1000", "3000"],
                        help="feed counts; N:R runs N feeds R times instead of --runs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nvchecker", default="/tmp/nvc-venv/bin/nvchecker")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs trackbot (its venv's libraries; the code is each tree's)")
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH",
                        help="also run the trackbot source tree at PATH, labelled LABEL")
    args = parser.parse_args()
    tools = [Tool(label, Path(path).resolve()) for label, _, path in (t.partition("=") for t in args.tree)]
    tools.append(Tool("trackbot", ROOT))
    tools.append(Tool("httpx alone", floor=True))
    if shutil.which(args.nvchecker) or Path(args.nvchecker).exists():
        tools.append(Tool("nvchecker", nvchecker=args.nvchecker))
    else:
        print(f"nvchecker not found at {args.nvchecker}: trackbot only")
    warm_rss: dict[str, dict[int, float]] = {}
    for spec in args.feeds:
        feeds, _, runs_text = spec.partition(":")
        runs = int(runs_text or args.runs)
        results = run_size(int(feeds), runs, tools, args.python)
        report(int(feeds), runs, results)
        for tool, cases in results.items():
            warm_rss.setdefault(tool, {})[int(feeds)] = statistics.median(r.rss for r in cases["warm"])
    print("\nwarm peak RSS (median MiB) by feed count; goal: the same within 20%")
    for tool, by_size in warm_rss.items():
        sizes = ", ".join(f"{n}: {rss:.0f}" for n, rss in by_size.items())
        print(f"{tool:12} {sizes}  (largest / smallest {max(by_size.values()) / min(by_size.values()):.2f})")


if __name__ == "__main__":
    main()
