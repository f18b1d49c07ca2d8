"""A poll of N GitHub releases feeds on 127.0.0.1: `trackbot poll` against nvchecker, side by side.

Each feed is tests/fixtures/github/releases.atom.sample.xml (10 entries, ~14.5 KB) with its own
repository name, served with an ETag by a threaded HTTP server in this process (a matching
If-None-Match gets 304). Both tools run as child processes at concurrency 20; for each run
the figures are wall time, CPU time (user+sys of the child, from wait4) and peak RSS.

- cold: an empty database (trackbot) / no old versions (nvchecker);
- warm: the same feeds again: trackbot sends conditional GETs and gets 304s, nvchecker
  downloads everything again (its regex source has no conditional GET).

After the warm runs it prints how much one unchanged trackbot poll adds to the database.
nvchecker is installed in the benchmark's own virtual environment, never in trackbot's:

    python3 -m venv /tmp/nvc-venv && /tmp/nvc-venv/bin/pip install nvchecker
    python benchmarks/bench_poll.py --feeds 1000 --runs 5 --nvchecker /tmp/nvc-venv/bin/nvchecker
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "github" / "releases.atom.sample.xml"
CONCURRENCY = 20


def serve(feeds: int) -> tuple[ThreadingHTTPServer, str]:
    template = FIXTURE.read_bytes()
    bodies = {f"/org{i}/proj{i}/releases.atom": template.replace(b"hashicorp/consul", f"org{i}/proj{i}".encode())
              for i in range(feeds)}
    tags = {path: '"' + hashlib.sha1(body).hexdigest() + '"' for path, body in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process run to completion."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{argv[0]} failed: {child.stderr.read().decode()[-2000:] if child.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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


def trackbot_runs(work: Path, config: Path, runs: int) -> dict[str, list[tuple[float, float, float]]]:
    cli = [sys.executable, "-m", "bot.cli", "--config", str(config)]
    cold = []
    for n in range(runs):
        cold.append(measure([*cli, "--db", str(work / f"cold{n}.db"), "poll", "--force"], work))
    db = work / "cold0.db"
    warm, growth = [], []
    for _ in range(runs):
        before = sum(p.stat().st_size for p in work.glob("cold0.db*"))
        warm.append(measure([*cli, "--db", str(db), "poll", "--force"], work))
        subprocess.run([sys.executable, "-c", "import sqlite3,sys; sqlite3.connect(sys.argv[1])"
                        ".execute('pragma wal_checkpoint(TRUNCATE)')", str(db)], check=True)
        growth.append(sum(p.stat().st_size for p in work.glob("cold0.db*")) - before)
    print(f"trackbot: database growth per unchanged poll (after a WAL checkpoint): {growth} bytes")
    return {"cold": cold, "warm": warm}


def nvchecker_runs(work: Path, config: Path, runs: int, nvchecker: str) -> dict[str, list[tuple[float, float, float]]]:
    cold, warm = [], []
    for _ in range(runs):
        for name in ("old.json", "new.json"):
            (work / name).unlink(missing_ok=True)
        cold.append(measure([nvchecker, "-c", str(config)], work))
        warm.append(measure([nvchecker, "-c", str(config)], work))  # new.json exists: versions known
    return {"cold": cold, "warm": warm}


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nvchecker", default="/tmp/nvc-venv/bin/nvchecker")
    args = parser.parse_args()
    server, base = serve(args.feeds)
    work = Path(tempfile.mkdtemp(prefix="trackbot-bench-poll-"))
    try:
        results = {"trackbot": trackbot_runs(work, trackbot_config(work, base, args.feeds), args.runs)}
        if shutil.which(args.nvchecker) or Path(args.nvchecker).exists():
            results["nvchecker"] = nvchecker_runs(work, nvchecker_config(work, base, args.feeds), args.runs,
                                                  args.nvchecker)
        else:
            print(f"nvchecker not found at {args.nvchecker}: trackbot only")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.feeds} feeds, concurrency {CONCURRENCY}, median (min-max) of {args.runs}, {os.cpu_count()} CPUs")
    print(f"{'case':16}{'wall s':>22}{'CPU s':>22}{'peak RSS MiB':>22}")
    for tool, cases in results.items():
        for case, rows in cases.items():
            walls, cpus, rss = ([r[i] for r in rows] for i in range(3))
            print(f"{tool + ' ' + case:16}{spread(walls, '.2f'):>22}{spread(cpus, '.2f'):>22}{spread(rss, '.0f'):>22}")
    if "nvchecker" in results:
        for case in ("cold", "warm"):
            ratio = [statistics.median(r[i] for r in results["trackbot"][case])
                     / statistics.median(r[i] for r in results["nvchecker"][case]) for i in range(3)]
            print(f"ratio trackbot/nvchecker {case}: wall {ratio[0]:.1f}x, CPU {ratio[1]:.1f}x, RSS {ratio[2]:.1f}x")


if __name__ == "__main__":
    main()
