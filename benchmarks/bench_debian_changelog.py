"""How long the Debian linux changelog takes to read, and the rules to run over it.

Run: python benchmarks/bench_debian_changelog.py [N]
Prints medians of N runs, side by side, for: gunzip, python-debian's Changelog alone,
our whole parse (Changelog + item split + records), and rule_events for one Debian
pin and one kernel branch pin over every record (a first poll: everything is new).
The same steps run on the 3000-line fixture and on a 10x copy of it (versions
bumped so each entry is distinct), to show how time grows with the file: the real
linux changelog.Debian.gz of a stable release is tens of thousands of lines.
"""

from __future__ import annotations

import gzip
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from debian.changelog import Changelog  # noqa: E402

from bot.core.model import Pin  # noqa: E402
from bot.judge.rules import rule_events  # noqa: E402
from bot.sources.debian_changelog import Conf, parse  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/debian/linux-6.1.changelog.Debian.head3000.gz"
CONF = Conf(name="bench", kind="debian_changelog", url="https://example.org/linux")
WATCH = ("aufs", "overlay", "devicemapper", "hash sum")
PINS = {"debian:linux 6.1.158-1": Pin("debian:linux", "6.1.158-1"), "linux 6.1": Pin("linux", "6.1")}


def median(step: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def scaled(text: bytes, copies: int) -> bytes:
    """`copies` copies of the changelog, newest first, each with its own Debian revision."""
    parts = []
    complete = text[: text.rindex(b"\nlinux (")]  # every copy but the last ends on a trailer
    for n in range(copies, 0, -1):
        text_n = complete if n > 1 else text
        def bump(m: re.Match[bytes], n: int = n) -> bytes:
            return b"linux (%s-%d)" % (m.group(1), int(m.group(2)) + 100 * n)

        parts.append(re.sub(rb"^linux \(([\d.]+)-(\d+)\)", bump, text_n, flags=re.M))
    return b"\n".join(parts)


def rows_for(label: str, body: bytes, runs: int) -> list[tuple[str, float, str]]:
    gunzip_s, text = median(lambda: gzip.decompress(body), runs)
    debian_s, blocks = median(lambda: list(Changelog(text, strict=False)), runs)
    parse_s, records = median(lambda: parse(body, CONF, WATCH), runs)
    lines = text.count(b"\n")
    rows = [
        (f"{label}: gunzip", gunzip_s, f"{len(body):,} -> {len(text):,} bytes, {lines:,} lines"),
        (f"{label}: Changelog()", debian_s, f"{len(blocks)} entries"),
        (f"{label}: parse", parse_s, f"{len(records):,} records"),
    ]
    for name, pin in PINS.items():
        seconds, events = median(lambda pin=pin: rule_events("bench", records, records, [pin], WATCH), runs)
        rows.append((f"{label}: rules {name}", seconds, f"{len(events):,} events"))
    return rows


def main() -> None:
    logging.getLogger("debian.changelog").setLevel(logging.ERROR)  # the fixture's cut last entry
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    small = FIXTURE.read_bytes()
    big = gzip.compress(scaled(gzip.decompress(small), 10))
    rows = rows_for("head3000", small, runs) + rows_for("10x", big, max(1, runs // 2))
    print(f"Debian linux changelog, median of {runs} runs (10x: {max(1, runs // 2)})")
    print(f"{'step':<36} {'median ms':>10}  note")
    for step, seconds, note in rows:
        print(f"{step:<36} {seconds * 1000:>10.1f}  {note}")
    small_parse = next(s for n, s, _ in rows if n == "head3000: parse")
    big_parse = next(s for n, s, _ in rows if n == "10x: parse")
    print(f"parse 10x / head3000: {big_parse / small_parse:.1f}x")


if __name__ == "__main__":
    main()
