"""debian_security_tracker: the tracker's JSON, streamed, matched to the fleet's package pins."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx

from bot.config import load as configuration
from bot.core.alert import Alert, AlertKind
from bot.core.model import Pin, Record, Snapshot
from bot.deliver.loop import Delivered, Outgoing
from bot.read.search import ordered_hits
from bot.sources import debian_security_tracker as tracker
from bot.sources.api import SourceError
from bot.store.history import Store
from tests.conftest import FIXTURES, Route, poll_and_deliver

EXCERPT = (FIXTURES / "debian-security" / "tracker-data-json-excerpt.json").read_bytes()
CONF = tracker.Conf(name="tracker", kind="debian_security_tracker", url="https://tracker.example.org/data/json")
SOPE_OLD = Pin("debian:sope", "5.8.0-1", "bookworm", ("hosts/web.dpkg",))


class Ctx:
    def __init__(self, fleet: tuple[Pin, ...]) -> None:
        self.fleet = fleet
        self.cves: dict[str, object] = {}

    def now(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC)


def parse(body: bytes, *pins: Pin) -> list[Record]:
    return tracker.parse(io.BytesIO(body), CONF, tracker.Wanted.from_pins(pins))


def advisories(body: bytes, *pins: Pin) -> list:
    snapshot = Snapshot(tuple(parse(body, *pins)))
    return [e for e in tracker.events((), snapshot, CONF, Ctx(pins)) if e.kind == "advisory"]  # type: ignore[arg-type]


def test_a_pin_below_fixed_version_gets_exactly_one_advisory_with_fix_and_urgency() -> None:
    [event] = advisories(EXCERPT, SOPE_OLD)
    assert (event.product, event.version, event.data["fixed_version"]) == ("debian:sope", "5.8.0-1", "5.8.0-1+deb12u1")
    assert event.data["cves"] == ["CVE-2025-53603"] and event.data["rating"] == "urgency not yet assigned"
    assert event.severity == "warning"
    assert "fixed in 5.8.0-1+deb12u1" in event.summary and "hosts/web.dpkg" in event.summary


@pytest.mark.parametrize("pin", [
    Pin("debian:sope", "5.8.0-1+deb12u1", "bookworm"),  # at the fix
    Pin("debian:sope", "5.8.0-2", "bookworm"),  # above it
    Pin("debian:sope", "5.8.0-1", "buster"),  # a release the tracker does not list for it
    Pin("debian:sogo", "5.8.0-1", "bookworm"),  # another package
    Pin("debian:prototypejs", "1.7.1-3", "jessie"),  # fixed long before (and "0": never affected)
])
def test_no_advisory_at_or_above_the_fix_or_elsewhere(pin: Pin) -> None:
    assert advisories(EXCERPT, pin) == []


def test_urgency_maps_to_severity_and_is_kept_per_cve() -> None:
    pins = (Pin("debian:txt2man", "1.5.5-4", "jessie"), Pin("debian:prototypejs", "1.6.0.1-1", "stretch"),
            Pin("debian:chromium", "90.0-1", "buster"))
    severity = {e.data["cves"][0]: e.severity for e in advisories(EXCERPT, *pins)}
    assert severity == {"CVE-2013-1444": "info", "CVE-2008-7220": "critical", "CVE-2022-0456": "info"}
    cve = {r.data["cve"]: r.data for r in parse(EXCERPT, *pins) if r.kind == "cve"}
    assert cve["CVE-2008-7220"]["severity"] == "critical" and cve["CVE-2008-7220"]["rating"] == "urgency high"
    assert "Prototype JavaScript framework" in cve["CVE-2008-7220"]["description"]
    assert cve["CVE-2013-1444"]["severity"] == "info"
    assert cve["CVE-2022-0456"]["severity"] == ""  # end-of-life says nothing of the flaw itself


def test_only_pinned_packages_and_releases_are_kept() -> None:
    records = parse(EXCERPT, SOPE_OLD)
    kept = {(r.product, r.data.get("distro")) for r in records if r.kind == "advisory"}
    assert kept == {("debian:sope", "bookworm")}
    assert {r.kind for r in records} == {"advisory", "cve", "tracker"}
    assert [r.data["packages"] for r in records if r.kind == "tracker"] == [6]


def test_fix_available_when_an_open_cve_gets_a_fixed_version() -> None:
    doc = json.loads(EXCERPT)
    state = doc["sope"]["CVE-2025-53603"]["releases"]["bookworm"]
    state.update(status="open", urgency="high")
    del state["fixed_version"]
    before = parse(json.dumps(doc).encode(), SOPE_OLD)
    state.update(status="resolved", fixed_version="5.8.0-1+deb12u1")
    after = parse(json.dumps(doc).encode(), SOPE_OLD)
    ctx = Ctx((SOPE_OLD,))
    [opened] = [e for e in tracker.events((), Snapshot(tuple(before)), CONF, ctx)]  # type: ignore[arg-type]
    assert opened.kind == "advisory" and opened.severity == "critical" and "no fixed version yet" in opened.summary
    news = tracker.events(before, Snapshot(tuple(after)), CONF, ctx)  # type: ignore[arg-type]
    fix = [e for e in news if e.kind == "fix_available"]
    assert [(f.severity, f.data["fixed_in"]) for f in fix] == [("critical", "5.8.0-1+deb12u1")]
    assert {e.key for e in news if e.kind == "advisory"} == {opened.key}  # the same fact, not re-alerted


def test_gzip_body_reads_the_same() -> None:
    assert parse(gzip.compress(EXCERPT), SOPE_OLD) == parse(EXCERPT, SOPE_OLD)


@pytest.mark.parametrize(("body", "says"), [
    (EXCERPT[: len(EXCERPT) // 2], "cut or malformed"),
    (EXCERPT.rstrip()[:-1], "cut or malformed"),  # only the final brace missing
    (gzip.compress(EXCERPT)[:-40], "cut or malformed"),
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML page"),
    (b"{}", "lists no packages"),
    (b'{"sope": {"CVE-2025-53603": {"releases": {"bookworm": {"urgency": "low"}}}}}', "bookworm: no status"),
    (b'{"sope": ["CVE-2025-53603"]}', "expected an object of CVEs"),
    (b"", "cut or malformed"),
])
def test_bad_bodies_fail_with_one_line_naming_the_url(body: bytes, says: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse(body, SOPE_OLD)
    assert says in str(caught.value) and "https://tracker.example.org/data/json" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_collect_streams_the_body_and_needs_debian_pins(core_context) -> None:  # type: ignore[no-untyped-def]
    with respx.mock:
        respx.get(CONF.url).mock(return_value=httpx.Response(200, content=EXCERPT))
        snapshot = await tracker.collect(CONF, core_context(fleet=(SOPE_OLD,)))
        assert [r.version for r in snapshot.records if r.kind == "advisory"] == ["5.8.0-1+deb12u1"]
        with pytest.raises(SourceError, match="pins no debian:<package>"):
            await tracker.collect(CONF, core_context(fleet=(Pin("docker", "1.10.3"),)))
        respx.get(CONF.url).mock(return_value=httpx.Response(500))
        with pytest.raises(SourceError, match="500"):
            await tracker.collect(CONF, core_context(fleet=(SOPE_OLD,)))


class Collect:
    name = "collect"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def prepare(self, store: Store, now: datetime) -> None:
        """Nothing to follow up."""

    def send(self, outgoing: Outgoing) -> Delivered:
        self.alerts.append(outgoing.alert)
        return Delivered(channel="test")


def test_poll_end_to_end_inventory_baseline_then_a_new_advisory_and_a_cut_body(tmp_path: Path, web) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "hosts").mkdir()
    (tmp_path / "hosts" / "web.dpkg").write_text("sope sope 5.8.0-1\nbash bash 5.2.15-2\n")
    (tmp_path / "sources.yaml").write_text(
        "inventories:\n  - {file: hosts/web.dpkg, distro: bookworm}\n"
        f"sources:\n  - {{name: tracker, kind: debian_security_tracker, url: '{web.url}/json'}}\n"
        "settings: {retries: 0, timeout: 5}\n")
    cfg = configuration.load(tmp_path / "sources.yaml")
    store = Store.open(tmp_path / "trackbot.db")
    sink, now = Collect(), [datetime(2026, 11, 27, tzinfo=UTC)]

    def poll() -> object:
        now[0] += timedelta(hours=1)
        return asyncio.run(poll_and_deliver(cfg, store, clock=lambda: now[0], deliverer=sink))

    web.routes["/json"] = Route(EXCERPT)
    poll()
    [baseline] = sink.alerts
    assert baseline.kind == AlertKind.BASELINE
    assert any("CVE-2025-53603" in line.summary for line in baseline.items)
    [found] = ordered_hits(store, ["sope", "bookworm", "resolved"])  # `trackbot search` finds the advisory
    assert found.text == "CVE-2025-53603 sope (bookworm): resolved in 5.8.0-1+deb12u1, " \
        "urgency not yet assigned"
    doc = json.loads(EXCERPT)
    doc["bash"] = {"CVE-2026-0001": {"description": "bash flaw", "releases": {
        "bookworm": {"status": "open", "urgency": "high", "repositories": {"bookworm": "5.2.15-2"}}}}}
    web.routes["/json"] = Route(json.dumps(doc).encode())
    poll()
    [alert] = sink.alerts[1:]
    [event] = [e for e in store.events() if e.kind == "advisory" and "CVE-2026-0001" in e.key]
    assert event.severity == "critical" and "hosts/web.dpkg" in event.summary
    assert alert.severity == "critical"
    before = len(store.events())
    web.routes["/json"] = Route(json.dumps(doc).encode()[:5000])
    report = poll()
    assert [r.status for r in report.results] == ["failed"]  # type: ignore[attr-defined]
    assert "cut or malformed" in report.results[0].reason  # type: ignore[attr-defined]
    assert len(store.events()) == before and len(sink.alerts) == 2
