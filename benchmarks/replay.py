"""Replay real upstream history through trackbot, step by step, and count what it would send.

Run: python benchmarks/replay.py [scenario ...]      (scenarios: see SCENARIOS; default all)

Each scenario serves a sequence of real files on 127.0.0.1 (one file per step: the upstream as
it stood after each release or upload), sets a simulated clock to that step's date, and polls
through the real code path (`bot.poll.cycle.run_poll`: fetch, parse, diff, rules, policy, match,
outbox, delivery to a collecting deliverer). The first step is the baseline. It prints, per
month: pages (critical events), messages (the grouping rule: one per source and run for its
warnings, one per critical, one per incident) and warnings; then every page with its summary,
so each can be judged. Figures for the shipped files are in benchmarks/README.md.

The steps are cut from the newest file, as upstream's own history: a Debian changelog at
upload X is the file from X's entry down; a Docker CHANGELOG at release X is its title plus
every section from X down.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load as configuration  # noqa: E402
from bot.core.alert import Alert, AlertKind  # noqa: E402
from bot.deliver.loop import Delivered, Outcome, Outgoing, deliver_pending  # noqa: E402
from bot.poll.cycle import run_poll  # noqa: E402
from bot.store.history import Store  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class Step:
    label: str  # the release or upload this step brings
    when: datetime
    body: bytes


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # the source kind that reads the file
    path: str  # where the file is served
    config: str  # sources.yaml without the source (fleet, arch, modules, watch words)
    steps: Callable[[], list[Step]]


# --- cutting real files into steps ------------------------------------------------------------


def debian_steps(path: Path, first: str) -> list[Step]:
    """A Debian changelog upload by upload, oldest first, starting at upload `first`."""
    text = gzip.decompress(path.read_bytes()).decode()
    starts = [m.start() for m in re.finditer(r"^\S+ \(([^)]+)\)", text, re.M)]
    steps = []
    for start in starts:
        version = re.match(r"^\S+ \(([^)]+)\)", text[start:])
        trailer = re.search(r"^ -- .*?>  (.+)$", text[start:], re.M)
        assert version and trailer
        when = email.utils.parsedate_to_datetime(trailer.group(1)).astimezone(UTC)
        steps.append(Step(version.group(1), when, gzip.compress(text[start:].encode())))
        if version.group(1) == first:
            break
    return steps[::-1]


def docker_steps(path: Path, first: str) -> list[Step]:
    """A Docker CHANGELOG release by release, oldest first, starting at release `first`."""
    text = path.read_text()
    heads = list(re.finditer(r"^## \[?v?(\d+\.\d+[^\s\]]*)\]?.*?(\d{4}-\d{2}-\d{2})", text, re.M))
    title = text[: heads[0].start()]
    steps = []
    for head in heads:
        when = datetime.fromisoformat(head.group(2)).replace(hour=12, tzinfo=UTC)
        steps.append(Step(head.group(1), when, (title + text[head.start():]).encode()))
        if head.group(1) == first:
            break
    return steps[::-1]


# Branches kernel.org listed as longterm in 2018-2022 (the others are "stable" until they end).
LONGTERM = frozenset({"3.16", "3.18", "4.4", "4.9", "4.14", "4.19", "5.4", "5.10", "5.15"})
ENDED_AFTER = timedelta(days=60)  # no release for this long after a branch's last one: it had ended
SHOWN_ENDED = timedelta(days=21)  # how long kernel.org keeps an ended branch listed (iseol: true)


def kernel_steps(path: Path, first: str, last: str) -> list[Step]:
    """kernel.org's releases.json as it stood after each release day from `first` to `last`.

    Versions and dates are kernel.org's own (the tags' dates, as endoflife.date records them);
    the listing is rebuilt from them the way kernel.org shows it: the newest mainline, each
    branch's newest release, a branch marked EOL with its last release and gone three weeks on.
    """
    released = {v: date.fromisoformat(d) for v, d in json.loads(path.read_text())["versions"].items()}
    end_of_data = max(released.values())
    branches: dict[str, list[str]] = {}
    for version in released:
        if version.count(".") == 2:
            branches.setdefault(version.rsplit(".", 1)[0], []).append(version)

    def listing(day: date) -> list[dict[str, Any]]:
        mainline = max((v for v in released if v.count(".") == 1 and released[v] <= day), key=lambda v: released[v])
        entries = [_kernel_entry(mainline, "mainline", False, released[mainline])]
        for branch, versions in branches.items():
            out = sorted((v for v in versions if released[v] <= day), key=lambda v: int(v.rsplit(".", 1)[1]))
            if not out:
                continue
            final = max(versions, key=lambda v: int(v.rsplit(".", 1)[1]))
            ended = released[final] + ENDED_AFTER <= end_of_data
            if ended and day > released[final] + SHOWN_ENDED:
                continue
            moniker = "longterm" if branch in LONGTERM else "stable"
            entries.append(_kernel_entry(out[-1], moniker, ended and out[-1] == final, released[out[-1]]))
        return entries

    days = sorted({d for d in released.values() if date.fromisoformat(first) <= d <= date.fromisoformat(last)})
    steps = []
    for day in days:
        entries = listing(day)
        stable = next((e["version"] for e in entries if e["moniker"] == "stable"), entries[0]["version"])
        body = json.dumps({"latest_stable": {"version": stable}, "releases": entries}).encode()
        steps.append(Step(day.isoformat(), datetime.combine(day, datetime.min.time(), UTC).replace(hour=20), body))
    return steps


def _kernel_entry(version: str, moniker: str, iseol: bool, day: date) -> dict[str, Any]:
    base = f"https://cdn.kernel.org/pub/linux/kernel/v{version.split('.')[0]}.x"
    return {"iseol": iseol, "version": version, "moniker": moniker, "source": f"{base}/linux-{version}.tar.xz",
            "released": {"timestamp": 0, "isodate": day.isoformat()},
            "changelog": None if moniker == "mainline" else f"{base}/ChangeLog-{version}"}


WATCH = "watch_words: [aufs, overlay, devicemapper]\n"
SCENARIOS = [
    Scenario("debian-linux", "debian_changelog", "/linux/changelog.Debian.gz",
             'fleet:\n  - {product: "debian:linux", version: "6.1.27-1"}\n' + WATCH,
             lambda: debian_steps(DATA / "linux-6.1.changelog.Debian.gz", "6.1.27-1")),
    Scenario("debian-linux-amd64-modules", "debian_changelog", "/linux/changelog.Debian.gz",
             'fleet:\n  - {product: "debian:linux", version: "6.1.27-1"}\n' + WATCH
             + "arch: [amd64]\nmodules: MODULES\n",
             lambda: debian_steps(DATA / "linux-6.1.changelog.Debian.gz", "6.1.27-1")),
    Scenario("debian-linux-kernel-branch-pin", "debian_changelog", "/linux/changelog.Debian.gz",
             'fleet:\n  - {product: linux, version: "6.1"}\n' + WATCH + "arch: [amd64]\nmodules: MODULES\n",
             lambda: debian_steps(DATA / "linux-6.1.changelog.Debian.gz", "6.1.27-1")),
    Scenario("moby-1.10.3", "docker_changelog", "/CHANGELOG.md",
             'fleet:\n  - {product: docker, version: "1.10.3"}\n' + WATCH,
             lambda: docker_steps(FIXTURES / "docker" / "moby-CHANGELOG.md", "1.10.3")),
    Scenario("docker-ce-18.09.1", "docker_changelog", "/CHANGELOG.md",
             'fleet:\n  - {product: docker, version: "18.09.1"}\n' + WATCH,
             lambda: docker_steps(FIXTURES / "docker" / "docker-ce-18.09-CHANGELOG.md", "18.09.1")),
    Scenario("docker-ce-19.03.0", "docker_changelog", "/CHANGELOG.md",
             'fleet:\n  - {product: docker, version: "19.03.0"}\n' + WATCH,
             lambda: docker_steps(FIXTURES / "docker" / "docker-ce-19.03-CHANGELOG.md", "19.03.0")),
    Scenario("kernel-org-4.9-4.19", "kernel_releases", "/releases.json",
             'fleet:\n  - {product: linux, version: "4.9"}\n  - {product: linux, version: "4.19"}\n' + WATCH,
             lambda: kernel_steps(DATA / "linux-kernel-releases-2018-2022.json", "2019-01-01", "2021-12-31")),
]


# --- serving, polling, counting ---------------------------------------------------------------


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[str]:
    """A loopback server answering GET from `files` (changed between steps by the caller)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Collect:
    """A sink that keeps every alert (what Slack would have been sent)."""

    name = "replay"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def prepare(self, store: Store, now: datetime) -> None:
        """Nothing to follow up: the replay counts what each poll sends."""

    def send(self, outgoing: Outgoing) -> Outcome:
        self.alerts.append(outgoing.alert)
        return Delivered(channel="replay")


@dataclass
class Tally:
    pages: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    per_step: list[int] = field(default_factory=list)  # messages per step after the baseline
    page_lines: list[str] = field(default_factory=list)
    releases: Counter[str] = field(default_factory=Counter)  # new releases of pinned branches, by severity


def count(alerts: list[Alert], month: str, label: str, tally: Tally) -> None:
    """The grouping rule: one message per source and run for its warnings, one per critical."""
    messages = 0
    for alert in alerts:
        if alert.kind == AlertKind.BASELINE:
            continue
        items = list(alert.items)
        critical = [i for i in items if i.severity == "critical"]
        warning = [i for i in items if i.severity == "warning"]
        if alert.kind.startswith("incident"):
            critical, warning = ([items[0]], []) if alert.severity == "critical" else ([], items[:1])
        messages += len(critical) + (1 if warning else 0)
        tally.pages[month] += len(critical)
        tally.warnings[month] += len(warning)
        tally.page_lines += [f"{month} {label}: {i.summary[:220]}" for i in critical]
    tally.messages[month] += messages
    tally.per_step.append(messages)


def replay(scenario: Scenario) -> Tally:
    steps = scenario.steps()
    files: dict[str, bytes] = {}
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp, serve(files) as url:
        config_text = scenario.config.replace("MODULES", str(DATA / "modules-docker-host.txt"))
        config_text += (f"sources:\n  - {{name: {scenario.name}, kind: {scenario.kind}, "
                        f'url: "{url}{scenario.path}"}}\nsettings: {{retries: 0, timeout: 30}}\n')
        path = Path(tmp) / "sources.yaml"
        path.write_text(config_text)
        cfg = configuration.load(path)
        store = Store.open(Path(tmp) / "trackbot.db")
        for i, step in enumerate(steps):
            files[scenario.path] = step.body
            sink = Collect()
            clock = step.when
            asyncio.run(run_poll(cfg, store, clock=lambda c=clock: c))  # type: ignore[misc]
            deliver_pending(store, sink, lambda c=clock: c)  # type: ignore[misc]
            if i:
                count(sink.alerts, step.when.strftime("%Y-%m"), step.label, tally)
        # Every new release of a pinned branch stays in the history (digest, why), loud or not.
        tally.releases.update(e.severity for e in store.events(kinds=["new_release"], news_only=True)
                              if e.data.get("pins"))
    return tally


def report(scenario: Scenario, tally: Tally, steps: list[Step]) -> None:
    months = sorted(set(tally.messages) | {s.when.strftime("%Y-%m") for s in steps[1:]})
    first, last = steps[0].when, steps[-1].when
    span = (last.year - first.year) * 12 + last.month - first.month  # calendar months replayed
    pages, messages, warnings = (sum(c.values()) for c in (tally.pages, tally.messages, tally.warnings))
    print(f"\n## {scenario.name}: {len(steps) - 1} steps after the baseline {steps[0].label} "
          f"({steps[0].when:%Y-%m-%d}), {span} months to {steps[-1].label} ({steps[-1].when:%Y-%m-%d})")
    polls = max(len(tally.per_step), 1)
    print(f"pages {pages}, messages {messages}, warnings {warnings}; "
          f"pages per six months {pages * 6 / max(span, 1):.2f}; "
          f"messages per step: max {max(tally.per_step, default=0)}, mean {messages / polls:.2f}; "
          f"warnings per step: mean {warnings / polls:.2f}; "
          f"steps with a message: {sum(1 for n in tally.per_step if n)} of {len(tally.per_step)}")
    print(f"new releases of pinned branches in the history: {sum(tally.releases.values())} "
          f"({tally.releases['warning']} warnings, {tally.releases['info']} info)")
    print("| month | pages | messages | warnings |")
    print("| --- | ---: | ---: | ---: |")
    for month in months:
        print(f"| {month} | {tally.pages[month]} | {tally.messages[month]} | {tally.warnings[month]} |")
    for line in tally.page_lines:
        print(f"- PAGE {line}")


def main(names: list[str]) -> None:
    chosen = [s for s in SCENARIOS if not names or s.name in names]
    for scenario in chosen:
        steps = scenario.steps()
        report(scenario, replay(scenario), steps)


if __name__ == "__main__":
    main(sys.argv[1:])
