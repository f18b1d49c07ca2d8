"""Start-up: `trackbot --help`, and `trackbot status` on a 1,000-source config, as child processes.

Builds, in a temporary directory, a sources.yaml with 1,000 sources (every kind of the example
sources.yaml once, the rest `github_releases` feeds, as a big fleet's config looks) and a
database written through the store (every source polled once; 50 failing, 10 of them with an
open incident). Then runs each command `--runs` times and prints, per command, the median
(min–max) of the wall time to the first byte on stdout and the CPU time used by then (from
/proc, 10 ms ticks), of the wall time to exit and of the CPU time in all (user+sys, from wait4),
beside a bare `python -c print()`. The machine is shared: CPU time is the steadier figure.
Byte code is cached as in an install (one untimed run of each command first, with
PYTHONDONTWRITEBYTECODE unset).

Each `--tree LABEL=PATH` is a checkout of trackbot, measured with the same interpreter (its
`bot` package first on PYTHONPATH), so a before/after comparison is one invocation:

    git archive 8ece835 | (mkdir -p /tmp/trackbot-before && tar -x -C /tmp/trackbot-before)
    python benchmarks/bench_startup.py --tree before=/tmp/trackbot-before --tree after=. --runs 11 \
        --nvchecker /tmp/nvc-venv/bin/nvchecker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.model import Finding  # noqa: E402
from bot.store.history import Store  # noqa: E402

SOURCES, FAILING, WITH_INCIDENT = 1000, 50, 10
ENTRY = "import sys; from bot.cli.main import entry; sys.argv[0] = 'trackbot'; entry()"  # what the `trackbot` script does
OTHER_KINDS = [  # one of every kind but github_releases, as in the example sources.yaml
    "{name: docker-changelog, kind: docker_changelog, url: 'https://example.org/CHANGELOG.md', every: 1d}",
    "{name: kernel-releases, kind: kernel_releases, url: 'https://www.kernel.org/releases.json', every: 1h}",
    "{name: kernel-changelog, kind: kernel_changelog, releases_url: 'https://www.kernel.org/releases.json'}",
    "{name: kernel-feed, kind: kernel_feed}",
    "{name: eol-linux, kind: endoflife, endoflife: linux, every: 1d}",
    "{name: rhel-lifecycle, kind: rhel_lifecycle, url: 'https://endoflife.date/api/rhel.json', every: 1d}",
    "{name: debian-linux, kind: debian_changelog, url: 'https://example.org/l/linux/stable_changelog', every: 6h}",
    "{name: debian-releases, kind: debian_releases, every: 1d}",
    "{name: debian-dsa, kind: debian_dsa, every: 1h}",
    "{name: debian-security-tracker, kind: debian_security_tracker, every: 1h}",
    "{name: host-apt, kind: apt_sources, watch_packages: [linux-image-amd64, docker.io]}",
    "{name: docker-apt, kind: apt_repo, url: 'https://download.docker.com/linux/debian', suites: [bookworm], "
    "components: [stable], keyring: keys/docker.asc, watch_packages: [docker-ce]}",
    "{name: rhel-csaf, kind: rhel_csaf, url: 'https://security.access.redhat.com/data/csaf/v2/advisories/'}",
    "{name: cisa-kev, kind: kev, url: 'https://example.org/known_exploited_vulnerabilities.json', every: 6h}",
]


def build(work: Path) -> tuple[Path, Path]:
    """sources.yaml and a database in which every source has been polled."""
    lines = ["fleet:", "  - {product: docker, version: '1.10.3'}", "  - {product: linux, version: '6.1'}",
             "watch_words: [aufs, overlay]", "sources:"]
    lines += [f"  - {source}" for source in OTHER_KINDS]
    lines += [f"  - {{name: proj{i}, kind: github_releases, repo: org{i}/proj{i}, every: 1h}}"
              for i in range(SOURCES - len(OTHER_KINDS))]
    config = work / "sources.yaml"
    config.write_text("\n".join(lines) + "\n")
    db = work / "trackbot.db"
    store = Store.open(db)
    now = datetime.now(UTC) - timedelta(minutes=5)
    names = [f"proj{i}" for i in range(SOURCES - len(OTHER_KINDS))]
    with store.transaction():
        for i, name in enumerate(names):
            if i < FAILING:
                store.mark_failure(name, "github_releases", now, f"https://github.com/org{i}/proj{i}/releases.atom: "
                                   "HTTP 503 Service Unavailable", 0.4)
            else:
                store.mark_success(name, "github_releases", now, changed=i % 7 == 0, seconds=0.2)
        for name in names[:WITH_INCIDENT]:
            row = store.incident_seen(name, Finding("source_failing", f"source_failing:{name}", f"{name} fails"), now)
            store.open_incident(row["rowid"], now)
    return config, db


def cpu_so_far(pid: int) -> float:
    """CPU seconds (user+sys) a running process has used, from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, float]:
    """(s to the first byte on stdout, CPU s by then, s to exit, CPU s in all) of one child."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    first = child.stdout.read(1)
    first_at, first_cpu = time.perf_counter() - started, cpu_so_far(child.pid)
    child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if not first or os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} printed nothing or failed (exit {os.waitstatus_to_exitcode(status)})")
    return first_at, first_cpu, wall, usage.ru_utime + usage.ru_stime


PHASES = """
import io, json, sys, time
marks = [("interpreter start", time.process_time())]
def mark(label): marks.append((label, time.process_time()))
import bot.cli.main
mark("import bot.cli.main (click, rich.console)")
import bot.config.load, yaml
mark("import yaml, the config (model, versions, kinds' names)")
import bot.read.views, bot.store.reads, bot.store.connect
mark("import store, sqlite-utils, rich.table")
from rich.console import Console
config = bot.config.load.load(sys.argv[1], outline=True)
mark("load sources.yaml, check names, kinds, every")
store = bot.cli.main.reads.existing_store(sys.argv[2])
states = {s["name"]: s for s in store.all_source_states()}
counts = bot.store.reads.open_incident_counts(store)
mark("read the database")
console = Console(file=io.StringIO(), width=120)
table = bot.read.views.status_table(config.sources, states, counts, width=120)
mark("build the table")
lines = 0
for segment in console.render(table):
    lines += segment.text == "\\n"
    if lines == 5:
        break
mark("measure it, render its first 5 lines")
print(json.dumps([(label, round(b - a, 4)) for (_, a), (label, b) in zip([(None, 0.0)] + marks, marks)]))
"""


def breakdown(config: Path, db: Path, runs: int) -> list[tuple[str, float]]:
    """CPU seconds of each step up to status's first lines, in one process (median of `runs`)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    rounds = [json.loads(subprocess.run([sys.executable, "-c", PHASES, str(config), str(db)], env=env, check=True,
                                        capture_output=True, text=True).stdout) for _ in range(runs + 1)][1:]
    return [(label, statistics.median(r[i][1] for r in rounds)) for i, (label, _) in enumerate(rounds[0])]


def figure(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH",
                        help="a trackbot checkout to measure (repeatable; default: this one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nvchecker", metavar="PATH", help="also time `nvchecker --help` (its own venv), for scale")
    args = parser.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this tree", str(ROOT))]
    with tempfile.TemporaryDirectory(prefix="trackbot-bench-startup-") as tmp:
        work = Path(tmp)
        config, db = build(work)
        commands = {"--help": ["--help"], "status (1,000 sources)": ["--config", str(config), "--db", str(db),
                                                                      "status"]}
        # as installed: byte code cached (pip compiles it), whatever this shell says
        plain = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cases: list[tuple[str, list[str], dict[str, str]]] = [("python -c print()", [sys.executable, "-c", "print()"],
                                                               plain)]
        if args.nvchecker:
            cases.append(("nvchecker --help", [args.nvchecker, "--help"], plain))
        for label, path in trees:
            env = {**plain, "PYTHONPATH": str(Path(path).resolve()), "COLUMNS": "120"}
            cases += [(f"{label}: trackbot {name}", [sys.executable, "-c", ENTRY, *argv], env)
                      for name, argv in commands.items()]
        for _, argv, env in cases:  # writes each tree's __pycache__, not timed
            run_once(argv, env, work)
        results: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):  # interleaved, so a busy minute falls on every case alike
            for name, argv, env in cases:
                results[name].append(run_once(argv, env, work))
        steps = breakdown(config, db, args.runs)
    print(f"{SOURCES} sources ({FAILING} failing, {WITH_INCIDENT} with an open incident); median (min–max) of "
          f"{args.runs} runs, seconds; Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<40} {'first output':<21} {'CPU by then':<21} {'exit':<21} {'CPU':<21}")
    for name, rows in results.items():
        print(f"{name:<40}", *(f"{figure([r[i] for r in rows]):<21}" for i in range(4)))
    print(f"\nthis tree, `status` up to its first lines, step by step in one process: CPU s, median of {args.runs}")
    for label, seconds in steps:
        print(f"  {label:<44} {seconds:.3f}")
    print(f"  {'total':<44} {sum(s for _, s in steps):.3f}")


if __name__ == "__main__":
    main()
