"""How long the RHEL advisory and KEV kinds take on real-sized inputs.

Run: python benchmarks/bench_rhel_advisories.py [N]
Prints medians of N runs of:

- rhel_csaf.parse_index on a changes.csv of 40,000 rows (Red Hat's real file lists every
  advisory ever published; it is read on every poll);
- rhel_csaf_doc.parse_advisory on the real RHSA-2024:0010 (101 KB, 40 fixed products), and on
  a copy with 50x the products (a kernel-sized advisory), per advisory;
- kev.parse on a 1,500-entry catalog (the real one had 1,404 entries in Aug 2025) built
  from the fixture's real entries;
- rhel_csaf.events (stream pins + bot.judge.advisories) for 2,000 rhel package pins against
  50,000 advisory records (a few years of RHEL advisories), all new (a first poll);
- with_exposure over the same 50,000 records: what a poll does once when the fleet changes
  (a poll with the same fleet only exposes the advisories it just read), and the events hook
  of a poll with nothing new, which matches nothing again.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.model import Pin, Record, Snapshot
from bot.sources import kev, rhel_csaf
from bot.sources.api import with_exposure
from bot.sources.rhel_csaf_doc import parse_advisory

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def median_seconds(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def big_index(rows: int) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    return "".join(f'"{2020 + i // 10000}/rhsa-{2020 + i // 10000}_{i % 10000:04d}.json",'
                   f'"{(start + timedelta(minutes=i)).isoformat()}"\n' for i in range(rows)).encode()


def kernel_sized(body: bytes, factor: int) -> bytes:
    """RHSA-2024:0010 with each product repeated under `factor` package names."""
    doc = json.loads(body)
    for arch in doc["product_tree"]["branches"][0]["branches"][1:]:
        arch["branches"] = [
            {**b, "product": {**b["product"], "product_id": b["product"]["product_id"].replace("tigervnc", f"tv{n}"),
                              "product_identification_helper": {"purl": b["product"]["product_identification_helper"][
                                  "purl"].replace("tigervnc", f"tv{n}")}}}
            for b in arch["branches"] for n in range(factor)]
    relations = doc["product_tree"]["relationships"]
    doc["product_tree"]["relationships"] = [
        {**r, "product_reference": r["product_reference"].replace("tigervnc", f"tv{n}"),
         "full_product_name": {**r["full_product_name"],
                               "product_id": r["full_product_name"]["product_id"].replace("tigervnc", f"tv{n}")}}
        for r in relations for n in range(factor)]
    for vuln in doc["vulnerabilities"]:
        fixed = vuln["product_status"]["fixed"]
        vuln["product_status"]["fixed"] = [f.replace("tigervnc", f"tv{n}") for f in fixed for n in range(factor)]
        vuln["remediations"] = []
    return json.dumps(doc).encode()


def big_catalog(entries: int) -> bytes:
    doc = json.loads((FIXTURES / "kev/known_exploited_vulnerabilities.subset.json").read_bytes())
    real = doc["vulnerabilities"]
    doc["vulnerabilities"] = [{**real[i % len(real)], "cveID": f"CVE-2020-{10000 + i}"} for i in range(entries)]
    doc["count"] = entries
    return json.dumps(doc).encode()


class Ctx:
    def __init__(self, pins: tuple[Pin, ...]) -> None:
        self.fleet, self.cves = pins, {}


def matching_inputs(records: int, pins: int) -> tuple[Snapshot, Ctx]:
    rows = [Record("advisory", f"advisory:RHSA-2024:{i:05d}:pkg{i % 3000}:{8 + i % 2}", f"rhel:pkg{i % 3000}",
                   f"0:1.{i}-1.el9", {"id": f"RHSA-2024:{i:05d}", "cves": [f"CVE-2024-{i}"], "rating": "Important",
                                      "severity": "critical", "distro": str(8 + i % 2), "status": "fixed",
                                      "fixed_version": f"0:1.{i}-1.el9", "title": "t", "url": ""})
            for i in range(records)]
    fleet = tuple(Pin(f"rhel:pkg{i}", "0:1.0-1.el9", "9", (f"host{i % 40}",)) for i in range(pins))
    return Snapshot(tuple(rows)), Ctx(fleet)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    index = big_index(40_000)
    print(f"parse_index, 40,000 rows ({len(index) / 1e6:.1f} MB): "
          f"{median_seconds(lambda: rhel_csaf.parse_index(index, 'u'), runs) * 1000:.0f} ms")
    real = (FIXTURES / "redhat/csaf-rhsa-2024_0010.json").read_bytes()
    print(f"parse_advisory, RHSA-2024:0010 ({len(real) / 1e3:.0f} KB): "
          f"{median_seconds(lambda: parse_advisory(real, 'u'), runs) * 1000:.1f} ms")
    large = kernel_sized(real, 50)
    count = len([r for r in parse_advisory(large, "u") if r.kind == "advisory"])
    print(f"parse_advisory, 50x products ({len(large) / 1e6:.1f} MB, {count} package records): "
          f"{median_seconds(lambda: parse_advisory(large, 'u'), runs) * 1000:.0f} ms")
    catalog = big_catalog(1500)
    kev_conf = kev.Conf(name="kev", kind="kev")
    print(f"kev.parse, 1,500 entries ({len(catalog) / 1e6:.1f} MB): "
          f"{median_seconds(lambda: kev.parse(catalog, kev_conf), runs) * 1000:.0f} ms")
    snapshot, ctx = matching_inputs(50_000, 2_000)
    conf = rhel_csaf.Conf(name="rhsa", kind="rhel_csaf")
    found = len(rhel_csaf.events([], snapshot, conf, ctx))  # type: ignore[arg-type]
    seconds = median_seconds(lambda: rhel_csaf.events([], snapshot, conf, ctx), runs)  # type: ignore[arg-type]
    print(f"rhel_csaf.events, 50,000 advisory records x 2,000 pins: {seconds:.2f} s ({found} advisory events)")
    pins = rhel_csaf.stream_pins(ctx.fleet)
    exposed = Snapshot(tuple(with_exposure(snapshot.records, pins)))
    collect_side = median_seconds(lambda: with_exposure(snapshot.records, pins), runs)
    quiet = median_seconds(lambda: rhel_csaf.events(exposed.records, exposed, conf, ctx), runs)  # type: ignore[arg-type]
    print(f"fleet changed: with_exposure over 50,000 records {collect_side:.2f} s; "
          f"nothing new: events hook {quiet * 1000:.0f} ms")


if __name__ == "__main__":
    main()
