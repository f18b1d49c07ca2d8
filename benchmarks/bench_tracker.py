"""The Debian security tracker's JSON (~80 MB): streaming parse vs json.load, and matching speed.

Run: python benchmarks/bench_tracker.py [MB] [PINS]

Generates a tracker JSON of about MB megabytes (default 80) with the real structure
(``{package: {CVE: {description, scope, debianbug, releases: {codename: {status,
repositories, fixed_version, urgency, nodsa}}}}}``, five releases per CVE, a long tail of
packages with one or two CVEs and a few with thousands, like linux and chromium), whose first
packages are the source packages of a real bookworm host (tests/fixtures/inventories). Then,
each in its own process so peak memory is the process's own (ru_maxrss, minus the same
interpreter with the same imports doing nothing), prints:

- json.load of the file, keeping nothing (the reference);
- debian_security_tracker.parse (ijson, package by package) for the real host's inventory;
- the same for PINS (default 2,000) pinned packages: a fleet's mix (random packages), and the
  worst case (the packages with the most CVEs: every big record set kept);
- advisory_events + fix_events of those records against the PINS pins (the matching), and the
  core's match.apply_pins over the resulting events, for scale.

Times are CPU seconds of each child (time.process_time), so a busy shared machine does not
blur the ratios; peak memory is RSS.

Goals (issue 10): streaming peak memory <= 1/5 of json.load's, time <= 1.5x json.load's;
matching 2,000 pins against the full tracker in under 2 s.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import inventory  # noqa: E402
from bot.core.model import Pin, Snapshot  # noqa: E402
from bot.judge.advisories import with_exposure  # noqa: E402
from bot.judge.match import apply_pins  # noqa: E402
from bot.sources import debian_security_tracker as tracker  # noqa: E402

RELEASES = ("bookworm", "bullseye", "trixie", "forky", "sid")
URGENCIES = ("low", "medium", "high", "unimportant", "not yet assigned", "end-of-life", "low**", "medium**")
WORDS = ["buffer", "overflow", "in", "the", "parser", "allows", "remote", "attackers", "to", "execute", "arbitrary", "code", "or", "cause", "a", "denial", "of", "service", "via", "a", "crafted", "file", "use-after-free", "integer", "overflow", "heap", "out-of-bounds", "read"]
HOST = ROOT / "tests" / "fixtures" / "inventories" / "bookworm-host.dpkg"


def host_packages() -> list[str]:
    return sorted({line.split()[1] for line in HOST.read_text().splitlines() if line.strip()})


def version(rng: random.Random) -> str:
    return f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}"


def cve_entry(rng: random.Random) -> dict[str, object]:
    releases = {}
    for release in RELEASES:
        status = rng.choice(("resolved", "resolved", "resolved", "open", "undetermined"))
        state: dict[str, object] = {"status": status, "repositories": {release: version(rng)},
                                    "urgency": rng.choice(URGENCIES)}
        if status == "resolved":
            state["fixed_version"] = version(rng) + "+deb12u1"
        if rng.random() < 0.2:
            state["nodsa"] = "Minor issue"
        releases[release] = state
    return {"scope": rng.choice(("local", "remote")), "debianbug": rng.randint(100000, 1100000),
            "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 45))), "releases": releases}


def generate(path: Path, megabytes: float, seed: int = 10) -> dict[str, int]:
    """Write the tracker JSON; return {package: number of CVEs}."""
    rng = random.Random(seed)
    names = host_packages()
    counts: dict[str, int] = {}
    written = 0
    with path.open("w") as out:
        out.write("{")
        while written < megabytes * 1e6:
            name = names[len(counts)] if len(counts) < len(names) else f"pkg{len(counts):05d}"
            count = min(int(rng.paretovariate(1.1)), 3000)
            entries = {f"CVE-{rng.randint(2005, 2026)}-{rng.randint(1000, 99999)}": cve_entry(rng) for _ in range(count)}
            blob = json.dumps(name) + ": " + json.dumps(entries)
            out.write((", " if counts else "") + blob)
            written += len(blob) + 2
            counts[name] = len(entries)
        out.write("}")
    return counts


def pins_for(counts: dict[str, int], how_many: int, *, worst: bool, seed: int = 11) -> list[Pin]:
    """A fleet's mix (random packages) or the worst case (the packages with the most CVEs)."""
    rng = random.Random(seed)
    names = sorted(counts, key=lambda name: -counts[name]) if worst else rng.sample(sorted(counts), len(counts))
    return [Pin(f"debian:{name}", version(rng), "bookworm", (f"hosts/h{rng.randint(1, 40)}.dpkg",))
            for name in names[:how_many]]


class _Ctx:
    def __init__(self, fleet: tuple[Pin, ...]) -> None:
        self.fleet = fleet
        self.cves: dict[str, object] = {}


def child(mode: str, path: str, pins_file: str) -> None:
    """One measurement, in its own process; prints a JSON line."""
    pins = [Pin(p[0], p[1], p[2], tuple(p[3])) for p in json.loads(Path(pins_file).read_text())] if pins_file else []
    started = time.process_time()  # CPU seconds: the machine running this may be shared
    extra: dict[str, object] = {}
    if mode == "idle":
        pass
    elif mode == "json.load":
        with open(path, "rb") as body:
            extra["packages"] = len(json.load(body))
    else:
        conf = tracker.Conf(name="bench", kind=tracker.NAME)
        with open(path, "rb") as body:
            records = tracker.parse(body, conf, tracker.Wanted.from_pins(pins))
        extra["records"] = len(records)
        if mode == "match":
            parsed = time.process_time()
            exposed = with_exposure(records, pins)  # what collect does
            snapshot = Snapshot(tuple(exposed))
            ctx = _Ctx(tuple(pins))
            events = tracker.events((), snapshot, conf, ctx)  # type: ignore[arg-type]  # first poll: all new
            matched = time.process_time()
            again = tracker.events(exposed, snapshot, conf, ctx)  # type: ignore[arg-type]  # next poll
            steady = time.process_time()
            apply_pins(events[:2000], pins)
            extra.update(parse_s=parsed - started, match_s=matched - parsed, steady_s=steady - matched,
                         apply_2000_s=time.process_time() - steady, events=len(events), again=len(again))
    extra["seconds"] = time.process_time() - started
    extra["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(extra))


def measure(mode: str, path: Path, pins_file: str = "") -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path), pins_file],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 80
    how_many = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracker.json"
        began = time.perf_counter()
        counts = generate(path, megabytes)
        size = path.stat().st_size / 1e6
        cves = sum(counts.values())
        print(f"generated {size:.1f} MB: {len(counts)} packages, {cves} package CVEs, "
              f"{cves * len(RELEASES)} release entries ({time.perf_counter() - began:.1f}s)")
        host = inventory.pins([inventory.Inventory(file=HOST.name, distro="bookworm")], HOST.parent)
        files = {"host": Path(tmp) / "host.json", "mix": Path(tmp) / "mix.json", "worst": Path(tmp) / "worst.json"}
        fleets = {"host": list(host), "mix": pins_for(counts, how_many, worst=False),
                  "worst": pins_for(counts, how_many, worst=True)}
        for name, pins in fleets.items():
            files[name].write_text(json.dumps([[p.product, p.version, p.distro, list(p.hosts)] for p in pins]))
        idle = measure("idle", path)["peak_mb"]
        reference = measure("json.load", path)
        rows = [("json.load (keeps nothing)", reference),
                (f"ijson stream, real host inventory ({len(host)} pins)", measure("stream", path, str(files["host"]))),
                (f"ijson stream, {how_many} pins, a fleet's mix", measure("match", path, str(files["mix"]))),
                (f"ijson stream, {how_many} pins, most-CVE packages", measure("stream", path, str(files["worst"]))),
                ("  the same, then matched", measure("match", path, str(files["worst"])))]
        print(f"interpreter with the same imports, idle: {idle:.0f} MB peak RSS (subtracted below)")
        for label, row in rows:
            mem = row["peak_mb"] - idle
            ratio_t = row["seconds"] / reference["seconds"]
            ratio_m = mem / (reference["peak_mb"] - idle)
            shown = row.get("parse_s", row["seconds"])
            print(f"{label:<48} parse {shown:6.2f} s ({shown / reference['seconds']:4.2f}x)  peak {mem:6.1f} MB "
                  f"({ratio_m:4.2f}x)" + (f"  {int(row['records'])} records" if "records" in row else ""))
            if "match_s" in row:
                print(f"{'':<48} matching, first poll: {row['match_s']:.2f} s -> {int(row['events'])} events; "
                      f"next poll (nothing changed): {row['steady_s']:.3f} s -> {int(row['again'])} events; "
                      f"core match.apply_pins on 2,000 of them: {row['apply_2000_s']:.2f} s "
                      f"(whole child {ratio_t:.2f}x json.load)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    else:
        main()
