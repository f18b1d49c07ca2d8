"""Fault injection: each kind meets every misbehaviour of a real server on 127.0.0.1.

Three sources per poll: two healthy ones and the faulty one. For every (kind, fault):
the faulty source fails with one line naming its URL (never an internal error), the
healthy ones complete, nothing of the faulty source's history changes, and no event
claims a withdrawal, even over two faulty polls hours apart (enough to confirm one).
Short timeouts keep the whole suite to seconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load as configuration
from bot.core.reports import RunReport
from bot.poll.cycle import Transport
from bot.store.history import Store
from tests.conftest import poll_and_deliver
from tests.core.test_poll import Clock, Collect
from tests.faults.bodies import KINDS, MOBY
from tests.faults.server import TRANSPORT_FAULTS, FaultServer

SETTINGS = "settings: {retries: 1, timeout: 1, max_bytes: 1048576}"  # 1 s: a loaded CI box answers a 500 in time
SAYS = {  # what the one line says, beside the URL
    "never_answer": "no complete answer within 1s",
    "slow_drip": "no complete answer within 1s",
    "reset_mid_body": "connection broken",
    "http_500": "HTTP 500",
    "retry_after_short": "HTTP 503",
    "retry_after_long": "retry after 3600s",
    "redirect_loop": "too many redirects",
    "cross_host_redirect": "redirected to another host",
    "html_page": "HTML",
    "oversized_declared": "cap",
    "oversized_chunked": "cap",
    "invalid_utf8": "UTF-8",
    "deep_json": "nested too deeply",
    "newest_half_cut": "newest",
    "truncated_gzip": "cut short",
}
PEAK_BYTES = 48 * 1024 * 1024  # the stated bound: how far a faulty poll's peak RSS rises above the process's


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


@contextmanager
def peak_growth() -> Iterator[Callable[[], int]]:
    """How far the process's peak RSS (VmHWM) rose above its RSS at the start, in bytes: Linux
    resets the peak when "5" is written to /proc/self/clear_refs. Real memory, not Python's
    own accounting, and without tracemalloc's slowdown (the short timeouts would fire)."""
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    result: list[int] = []
    yield lambda: result[0]
    result.append(max(0, _status_kib("VmHWM") - before) * 1024)
CASES = [(kind, fault) for kind in KINDS for fault in TRANSPORT_FAULTS] + [
    (kind, fault) for kind, case in KINDS.items() for fault in case.spoiled
]


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    server = FaultServer()
    yield server
    server.close()


async def _no_sleep(seconds: float) -> None:
    return None


def write_config(tmp_path: Path, server: FaultServer, kind: str) -> Path:
    case = KINDS[kind]
    for name, text in case.local(f"{server.url}/faulty/{case.file}").items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join([
        "sources:",
        f'  - {{name: healthy-moby, kind: docker_changelog, url: "{server.url}/healthy/CHANGELOG.md"}}',
        f'  - {{name: healthy-kernel, {KINDS["kernel_releases"].conf(server.url + "/healthy/releases.json")}}}',
        f"  - {{name: faulty, {case.conf(f'{server.url}/faulty/{case.file}')}}}",
        SETTINGS,
    ]) + "\n")
    return path


def history(store: Store, source: str) -> list[tuple[str, str, str | None, str | None]]:
    return [(s.record.key, s.digest, s.gone_at, s.missing_at) for s in store.records(source, include_gone=True)]


def poll(cfg: configuration.Config, store: Store, clock: Clock) -> RunReport:
    return asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=Collect(), transport=Transport(sleep=_no_sleep)))


@pytest.mark.parametrize(("kind", "fault"), CASES)
def test_a_faulty_source_fails_alone_naming_its_url_and_writes_nothing(tmp_path, faults, kind, fault):
    case = KINDS[kind]
    faults.serve("/healthy/CHANGELOG.md", "ok", MOBY)
    faults.serve("/healthy/releases.json", "ok", KINDS["kernel_releases"].good)
    faulty_path = f"/faulty/{case.file}"
    faults.serve(faulty_path, "ok", case.good)
    for beside, body in case.beside.items():
        faults.serve(f"/faulty/{beside}", "ok", body)
    cfg = configuration.load(write_config(tmp_path, faults, kind))
    store, clock = Store.open(tmp_path / "t.db"), Clock()
    first = poll(cfg, store, clock)
    assert first.failed == [], first.failed  # the baseline, every source healthy
    before, events_before = history(store, "faulty"), store.events()
    baseline_hits = faults.hits.get(faulty_path, 0)

    if fault in case.spoiled:
        faults.serve(faulty_path, "ok", case.spoiled[fault])
    else:
        faults.serve(faulty_path, fault, case.good)
    for _ in range(2):  # two faulty polls further apart than confirm_after: a withdrawal would be confirmed
        clock.advance(hours=2)
        with peak_growth() as grown:
            report = poll(cfg, store, clock)
        assert grown() < PEAK_BYTES, f"the poll's peak RSS grew {grown() / 2**20:.1f} MiB"
        by_name = {r.name: r for r in report.results}
        reason = by_name["faulty"].reason
        assert by_name["faulty"].status == "failed", (fault, by_name["faulty"])
        assert f"{faults.url}{faulty_path}" in reason and "\n" not in reason, reason
        assert "internal error" not in reason, reason
        # a deep JSON or XML body where an InRelease belongs is a broken answer, not a bad signature
        says = "not a clearsigned InRelease nor a Release text" if kind.startswith("apt_") and fault in ("deep_json", "entity_bomb") \
            else SAYS.get(fault, "")
        assert says in reason, reason
        if fault == "invalid_utf8":
            assert "(byte " in reason, reason
        assert by_name["healthy-moby"].status != "failed" and by_name["healthy-kernel"].status != "failed"

    assert history(store, "faulty") == before  # nothing written for the failed source
    new_events = [e for e in store.events() if e not in events_before]
    assert [e.kind for e in new_events if e.source == "faulty"] == []
    assert not [e for e in store.events() if "withdrawn" in e.kind or "dropped" in e.kind]
    if "redirect" not in fault:  # (a redirect loop is many requests per try)
        assert faults.hits.get(faulty_path, 0) - baseline_hits <= 2 * 2  # at most retries + 1 per poll


def test_a_slow_source_does_not_hold_the_others(tmp_path, faults):
    """A host that never answers costs its own (retries + 1) x timeout, while the others finish first."""
    faults.serve("/healthy/CHANGELOG.md", "ok", MOBY)
    faults.serve("/healthy/releases.json", "ok", KINDS["kernel_releases"].good)
    faults.serve("/faulty/CHANGELOG.md", "never_answer")
    cfg = configuration.load(write_config(tmp_path, faults, "docker_changelog"))
    report = poll(cfg, Store.open(tmp_path / "t.db"), Clock())
    seconds = {r.name: r.seconds for r in report.results}
    assert seconds["faulty"] >= 2.0 and seconds["faulty"] < 2.0 + 2.0  # two tries of 1 s, plus slack
    assert seconds["healthy-moby"] < 1.0 and seconds["healthy-kernel"] < 1.0


def test_repeated_polls_hours_apart_after_a_fault_stay_quiet_when_the_right_copy_returns(tmp_path, faults):
    """The cut copy is refused; the full one again is not news (no 'listed again' either)."""
    case = KINDS["docker_changelog"]
    faults.serve("/healthy/CHANGELOG.md", "ok", MOBY)
    faults.serve("/healthy/releases.json", "ok", KINDS["kernel_releases"].good)
    faults.serve("/faulty/CHANGELOG.md", "ok", MOBY)
    cfg = configuration.load(write_config(tmp_path, faults, "docker_changelog"))
    store, clock = Store.open(tmp_path / "t.db"), Clock()
    poll(cfg, store, clock)
    faults.serve("/faulty/CHANGELOG.md", "ok", case.spoiled["newest_half_cut"])
    clock.advance(hours=2)
    poll(cfg, store, clock)
    faults.serve("/faulty/CHANGELOG.md", "ok", MOBY)
    clock.advance(hours=2)
    report = poll(cfg, store, clock)
    assert report.failed == []
    assert [e for e in store.events() if not e.baseline] == []
    assert timedelta(hours=4) == clock() - (clock() - timedelta(hours=4))


def test_concurrent_huge_bodies_stay_within_a_memory_bound(tmp_path, faults):
    """Three chunked bodies over the cap at once: each is spooled to disk past 4 MiB, so peak
    memory is about 3 x 4 MiB, not 3 x max_bytes (it was 250 MB for three 500 MB bodies)."""
    import tracemalloc

    faults.oversize = 24 * 1024 * 1024
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + "".join(
        f'  - {{name: huge{i}, kind: docker_changelog, url: "{faults.url}/huge{i}/CHANGELOG.md"}}\n' for i in range(3)
    ) + "settings: {retries: 0, timeout: 20, max_bytes: 20971520}\n")
    for i in range(3):
        faults.serve(f"/huge{i}/CHANGELOG.md", "oversized_chunked")
    cfg = configuration.load(path)
    store = Store.open(tmp_path / "t.db")
    tracemalloc.start()
    try:
        report = poll(cfg, store, Clock())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.status for r in report.results] == ["failed"] * 3
    assert all("over the 20971520-byte cap" in r.reason for r in report.results)
    assert peak < 24 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"  # 3 x 20 MiB buffered would be 60+


def test_poll_prints_a_line_per_finished_source_while_a_slow_one_still_runs(tmp_path, faults, monkeypatch):
    """Not a terminal (cron, CI): after the quiet seconds, each finished source is one line."""
    from click.testing import CliRunner

    from bot.cli.main import main
    from bot.poll import progress

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    faults.serve("/healthy/CHANGELOG.md", "ok", MOBY)
    faults.serve("/healthy/releases.json", "ok", KINDS["kernel_releases"].good)
    faults.serve("/faulty/CHANGELOG.md", "never_answer")
    path = write_config(tmp_path, faults, "docker_changelog")
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "poll"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line[:2] in ("1/", "2/", "3/")]
    assert [line.split()[1] for line in lines][-1] == "faulty:" and len(lines) == 3
