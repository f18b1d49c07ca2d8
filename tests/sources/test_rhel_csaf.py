"""rhel_csaf: real Red Hat CSAF advisories served as Red Hat lays them out, polled into a real history.

``/advisories/changes.csv``, ``/advisories/deletions.csv`` and ``/advisories/2024/rhsa-2024_NNNN.json``
on a 127.0.0.1 server. RHSA-2024:0010 (tigervnc, Important, RHEL 9 AppStream) and RHSA-2024:6163
(python3.9, Moderate, RHEL 9) are real files.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
import respx

from bot.config import load as configuration
from bot.core.model import Pin, Snapshot
from bot.judge.cves import CveInfo
from bot.read.search import ordered_hits
from bot.sources import rhel_csaf
from bot.sources.api import SourceError
from bot.sources.rhel_csaf_doc import parse_advisory, stream_of
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import Clock, Collect
from tests.sources.conftest import FIXTURES, assert_fails_naming_the_url, failure_rows, mock_answer

TIGERVNC = (FIXTURES / "redhat/csaf-rhsa-2024_0010.json").read_bytes()
PYTHON = (FIXTURES / "redhat/csaf-rhsa-2024_6163.json").read_bytes()
SAMPLE_INDEX = (FIXTURES / "redhat/csaf-changes.csv.sample").read_bytes()
FIXED = "0:1.13.1-3.el9_3.3"
BELOW = "0:1.13.1-3.el9_3.2"


def test_an_advisory_is_one_record_per_package_and_stream_with_the_fixed_nevra():
    records = parse_advisory(TIGERVNC, "u")
    advisories = {r.key: r for r in records if r.kind == "advisory"}
    assert sorted(advisories) == sorted(f"advisory:RHSA-2024:0010:{p}:9" for p in (
        "tigervnc", "tigervnc-icons", "tigervnc-license", "tigervnc-selinux", "tigervnc-server",
        "tigervnc-server-minimal", "tigervnc-server-module"))  # no -debuginfo / -debugsource
    server = advisories["advisory:RHSA-2024:0010:tigervnc-server:9"]
    assert server.product == "rhel:tigervnc-server" and server.version == FIXED
    assert server.data == {
        "id": "RHSA-2024:0010", "cves": ["CVE-2023-5367", "CVE-2023-6377", "CVE-2023-6478"],
        "rating": "Important", "severity": "critical", "status": "fixed", "published": "2024-01-02",
        "title": "tigervnc security update", "url": "https://access.redhat.com/errata/RHSA-2024:0010",
        "distro": "9", "fixed_version": FIXED, "nevra": f"tigervnc-server-{FIXED}",
        "summary": f"RHSA-2024:0010 tigervnc-server (RHEL 9) fixed in tigervnc-server-{FIXED} (Important): "
                   "tigervnc security update"}
    cves = {r.data["cve"]: r.data for r in records if r.kind == "cve"}
    assert cves["CVE-2023-5367"]["severity"] == "critical" and cves["CVE-2023-5367"]["rating"] == "Important"
    [python] = [r for r in parse_advisory(PYTHON, "u") if r.kind == "advisory"]
    assert (python.data["severity"], python.data["rating"], python.version) == ("warning", "Moderate",
                                                                               "0:3.9.18-3.el9_4.5")


@pytest.mark.parametrize("cpe, stream", [
    ("cpe:/o:redhat:enterprise_linux:9::baseos", "9"),
    ("cpe:/a:redhat:enterprise_linux:8::appstream", "8"),
    ("cpe:/o:redhat:enterprise_linux:7::server", "7"),
    ("cpe:/a:redhat:rhel_eus:9.2::appstream", "9.2 eus"),
    ("cpe:/o:redhat:rhel_aus:8.4::baseos", "8.4 aus"),
    ("cpe:/a:redhat:rhel_e4s:9.0::appstream", "9.0 e4s"),
    ("cpe:/o:redhat:rhel_els:6", "6 els"),
    ("cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*", "9"),
    ("cpe:/a:redhat:openshift:4.14::el9", None),
    ("cpe:/a:redhat:jboss_enterprise_application_platform:7.4", None),
])
def test_product_streams_from_cpes(cpe, stream):
    assert stream_of(cpe) == stream


def test_pins_follow_their_streams():
    pins = rhel_csaf.stream_pins([Pin("rhel:bind", "32:9.8.2-0.68.rc1.el6_10.16", "6"),
                                  Pin("rhel:bind", "32:9.11.36-8.el9_2.1", "9.2 eus"), Pin("docker", "1.10.3")])
    assert [p.distro for p in pins] == ["6", "6 els", "9.2 eus", ""]


def index(*rows: tuple[str, str]) -> bytes:
    return "".join(f'"{path}","{date}"\n' for path, date in rows).encode()


@dataclass
class RedHat:
    """A 127.0.0.1 server laid out like security.access.redhat.com/data/csaf/v2/advisories/."""

    web: object
    changes: list[tuple[str, str]] = field(default_factory=list)
    deletions: list[tuple[str, str]] = field(default_factory=list)

    def publish(self, path: str, body: bytes, changed: str) -> None:
        self.web.routes[f"/advisories/{path}"] = Route(body)
        self.changes = [row for row in self.changes if row[0] != path] + [(path, changed)]
        self.serve()

    def delete(self, path: str, when: str) -> None:
        self.web.routes.pop(f"/advisories/{path}", None)
        self.deletions.append((path, when))
        self.serve()

    def serve(self) -> None:
        self.web.routes["/advisories/changes.csv"] = Route(index(*reversed(self.changes)))  # newest first
        self.web.routes["/advisories/deletions.csv"] = Route(index(*self.deletions))


def setup_poll(tmp_path, web, pins: str, extra: str = ""):
    path = tmp_path / "sources.yaml"
    path.write_text(f"""
fleet:
{pins}
sources:
  - {{name: rhsa, kind: rhel_csaf, url: "{web.url}/advisories/"{extra}}}
settings: {{retries: 0, timeout: 5}}
""")
    return configuration.load(path), Store.open(tmp_path / "t.db"), Clock()


def poll(cfg, store, clock, sink=None):
    clock.advance(hours=1)
    return asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink or Collect()))


def advisory_events(store):
    return [e for e in store.events() if e.kind == "advisory"]


PIN_CASES = [
    ("one release below the fix, on the advisory's stream", BELOW, "9", 1),
    ("at the fixed version", FIXED, "9", 0),
    ("on another stream", BELOW, "8", 0),
    ("on an EUS stream the advisory does not fix", BELOW, "9.2 eus", 0),
]


@pytest.mark.parametrize("label, version, distro, expected", PIN_CASES, ids=[c[0] for c in PIN_CASES])
def test_a_new_advisory_alerts_exactly_the_pins_it_affects(tmp_path, web, label, version, distro, expected):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc-server", version: "{version}", '
                                                  f'distro: "{distro}"}}')
    poll(cfg, store, clock)  # baseline: python3.9 is not pinned
    assert advisory_events(store) == []
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-27T12:30:00+00:00")
    sink = Collect()
    report = poll(cfg, store, clock, sink)
    assert [r.status for r in report.results] == ["changed"]
    found = advisory_events(store)
    assert len(found) == expected
    if expected:
        [event] = found
        assert event.severity == "critical" and not event.baseline
        assert f"fixed in tigervnc-server-{FIXED}" in event.summary and "(Important)" in event.summary
        assert [a.severity for a in sink.alerts] == ["critical"]
    else:
        assert sink.alerts == []


def test_unpinned_packages_give_nothing_and_a_republished_advisory_is_not_news(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}\n'
                                                  '  - {product: "rhel:bind", version: "32:9.16.23-1.el9", distro: "9"}')
    poll(cfg, store, clock)
    [event] = advisory_events(store)
    assert event.product == "rhel:tigervnc" and event.baseline  # the first poll: a standing fact
    doc = json.loads(TIGERVNC)
    doc["document"]["tracking"]["current_release_date"] = "2026-11-27T13:00:00+00:00"  # regenerated by Red Hat
    redhat.publish("2024/rhsa-2024_0010.json", json.dumps(doc).encode(), "2026-11-27T13:00:00+00:00")
    sink = Collect()
    poll(cfg, store, clock, sink)
    assert "/advisories/2024/rhsa-2024_0010.json" in [path for path, _ in web.requests[-2:]]  # read again
    assert len(advisory_events(store)) == 1 and sink.alerts == []
    found = ordered_hits(store, ["tigervnc-server", "rhsa-2024:0010"])  # `trackbot search` finds the advisory
    assert [hit.text for hit in found] == [
        f"RHSA-2024:0010 tigervnc-server (RHEL 9) fixed in tigervnc-server-{FIXED} (Important): tigervnc security update",
        f"RHSA-2024:0010 tigervnc-server-minimal (RHEL 9) fixed in tigervnc-server-minimal-{FIXED} (Important): "
        "tigervnc security update",
        f"RHSA-2024:0010 tigervnc-server-module (RHEL 9) fixed in tigervnc-server-module-{FIXED} (Important): "
        "tigervnc security update"]


def test_a_major_past_maintenance_matches_its_els_stream(tmp_path, web):
    doc = json.loads(TIGERVNC)
    for branch in doc["product_tree"]["branches"][0]["branches"][0]["branches"]:
        branch["product"]["product_identification_helper"]["cpe"] = "cpe:/a:redhat:rhel_els:9"
    records = [r for r in parse_advisory(json.dumps(doc).encode(), "u") if r.kind == "advisory"]
    assert {r.data["distro"] for r in records} == {"9 els"}
    ctx = HookContext(fleet=(Pin("rhel:tigervnc", BELOW, "9"),))
    [event] = rhel_csaf.events([], Snapshot(tuple(records)), CONF, ctx)
    assert event.kind == "advisory" and event.product == "rhel:tigervnc"


@dataclass
class HookContext:
    fleet: tuple[Pin, ...] = ()
    cves: dict[str, CveInfo] = field(default_factory=dict)

    def now(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC)


CONF = rhel_csaf.Conf(name="rhsa", kind="rhel_csaf", url="https://rh.example.org/advisories/")


def test_a_kev_listed_cve_makes_a_moderate_advisory_critical_with_the_kev_date():
    records = parse_advisory(PYTHON, "u")
    pins = (Pin("rhel:python3.9", "0:3.9.18-3.el9_4.4", "9"),)
    [quiet] = rhel_csaf.events([], Snapshot(tuple(records)), CONF, HookContext(fleet=pins))
    assert quiet.severity == "warning"
    kev = {"CVE-2024-8088": CveInfo("CVE-2024-8088", "critical", kev_date="2026-11-20")}
    [loud] = rhel_csaf.events([], Snapshot(tuple(records)), CONF, HookContext(fleet=pins, cves=kev))
    assert loud.severity == "critical" and "CVE-2024-8088 since 2026-11-20" in loud.summary
    assert loud.key != quiet.key  # the KEV listing is news once more


def test_a_deleted_advisory_is_info_and_its_records_go(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}')
    poll(cfg, store, clock)
    redhat.delete("2024/rhsa-2024_0010.json", "2026-11-27T12:10:00+00:00")
    sink = Collect()
    poll(cfg, store, clock, sink)
    [deleted] = [e for e in store.events() if e.kind == "advisory_deleted"]
    assert deleted.severity == "info"
    assert deleted.summary.startswith("Red Hat deleted advisory RHSA-2024:0010 (tigervnc security update)")
    assert {s.record.kind for s in store.records("rhsa") if s.record.key.startswith("advisory:")} == {
        "advisory_deleted"}  # tombstones, matched by nothing
    assert sink.alerts == []  # info: the digest only


def test_an_advisory_deleted_then_published_again_is_matched_again(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}')
    poll(cfg, store, clock)
    redhat.delete("2024/rhsa-2024_0010.json", "2026-11-27T12:10:00+00:00")
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-27T12:20:00+00:00")
    [result] = poll(cfg, store, clock).results
    assert result.status != "failed"
    kinds = {s.record.key: s.record.kind for s in store.records("rhsa") if s.record.key.startswith("advisory:")}
    assert kinds["advisory:RHSA-2024:0010:tigervnc:9"] == "advisory" and len(kinds) == 7
    assert [e for e in store.events() if e.kind == "advisory_deleted"] == []


def test_with_first_days_the_first_polls_catch_up_oldest_first_a_bounded_number_at_a_time(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-26T10:00:00+00:00")
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T11:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, '  - {product: docker, version: "1.10.3"}',
                                   ", max_per_run: 1, first_days: 30")
    poll(cfg, store, clock)
    fetched = [p for p, _ in web.requests if p.endswith(".json")]
    assert fetched == ["/advisories/2024/rhsa-2024_6163.json"]  # oldest change first
    poll(cfg, store, clock)
    fetched = [p for p, _ in web.requests if p.endswith(".json")]
    assert fetched[1:] == ["/advisories/2024/rhsa-2024_0010.json"]
    poll(cfg, store, clock)  # nothing changed since: nothing fetched
    assert len([p for p, _ in web.requests if p.endswith(".json")]) == 2
    ids = {s.record.data["id"] for s in store.records("rhsa") if s.record.kind == "advisory"}
    assert ids == {"RHSA-2024:0010", "RHSA-2024:6163"}


def _no_fixes(doc):
    for vuln in doc["vulnerabilities"]:
        vuln["product_status"] = {"known_affected": vuln["product_status"]["fixed"]}
        vuln["remediations"] = [r for r in vuln["remediations"] if r["category"] != "vendor_fix"]


def _no_cpe(doc):
    doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"].pop("product_identification_helper")


def _bad_eus(doc):
    helper = doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"]["product_identification_helper"]
    helper["cpe"] = "cpe:/a:redhat:rhel_eus:nine::appstream"


BAD_ADVISORIES = [
    ("no fixed packages", _no_fixes, "RHSA-2024:0010: no fixed packages on any RHEL stream"),
    ("stream without a CPE", _no_cpe,
     "RHSA-2024:0010: unknown product stream 'AppStream-9.3.0.Z.MAIN' (no CPE in the product tree)"),
    ("malformed EUS stream", _bad_eus,
     "RHSA-2024:0010: unknown RHEL product stream 'cpe:/a:redhat:rhel_eus:nine::appstream'"),
]


@pytest.mark.parametrize("label, spoil, reason", BAD_ADVISORIES, ids=[c[0] for c in BAD_ADVISORIES])
def test_a_bad_advisory_fails_the_poll_naming_it_and_writes_nothing(tmp_path, web, label, spoil, reason):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}')
    poll(cfg, store, clock)
    before = sorted(s.record.key for s in store.records("rhsa"))
    doc = json.loads(TIGERVNC)
    spoil(doc)
    redhat.publish("2024/rhsa-2024_0010.json", json.dumps(doc).encode(), "2026-11-27T12:30:00+00:00")
    [result] = poll(cfg, store, clock).results
    assert result.status == "failed"
    assert result.reason == (f"{reason} (to go on without it: skip: [RHSA-2024:0010]) "
                             f"({web.url}/advisories/2024/rhsa-2024_0010.json)")
    assert sorted(s.record.key for s in store.records("rhsa")) == before and advisory_events(store) == []
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-27T12:30:00+00:00")  # Red Hat fixes it
    [result] = poll(cfg, store, clock).results
    assert result.status == "changed" and len(advisory_events(store)) == 1  # the watermark had not moved


def test_a_partial_download_raises_and_withdraws_nothing(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}')
    poll(cfg, store, clock)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON[: len(PYTHON) // 2], "2026-11-27T12:30:00+00:00")
    [result] = poll(cfg, store, clock).results
    assert result.status == "failed" and result.reason.startswith("CSAF advisory is not JSON (truncated")
    assert result.reason.endswith(f"({web.url}/advisories/2024/rhsa-2024_6163.json)")
    assert len([s for s in store.records("rhsa") if s.record.kind == "advisory"]) == 7


INDEX_URL = "https://rh.example.org/advisories/changes.csv"
BAD_INDEXES = [
    ("bad date", index(("2024/rhsa-2024_0010.json", "2025-02-18T14:28:08+00:00"), ("2024/rhsa-2024_6163.json", "yesterday")),
     "row 2 (2024/rhsa-2024_6163.json): bad date 'yesterday'"),
    ("no time zone", index(("2024/rhsa-2024_0010.json", "2025-02-18T14:28:08")),
     "row 1 (2024/rhsa-2024_0010.json): date without a time zone '2025-02-18T14:28:08'"),
    ("not a path", b'"../../etc/passwd","2025-02-18T14:28:08+00:00"\n', "row 1: expected"),
    ("cut mid-row", SAMPLE_INDEX[:-30], "row 5: expected"),
    ("html", b"<html><body>Service unavailable</body></html>", "HTML page instead of the CSAF index CSV"),
    ("empty", b"", "CSAF index lists no advisories"),
]


@pytest.mark.parametrize("label, body, reason", BAD_INDEXES, ids=[c[0] for c in BAD_INDEXES])
def test_a_bad_index_row_is_one_line_naming_the_url_and_row(label, body, reason):
    with pytest.raises(SourceError) as caught:
        rhel_csaf.parse_index(body, INDEX_URL)
    message = str(caught.value)
    assert reason in message and message.endswith(f"({INDEX_URL})") and "\n" not in message


def test_red_hats_index_sample_parses():
    rows = rhel_csaf.parse_index(SAMPLE_INDEX, INDEX_URL)
    assert [r.advisory_id for r in rows][:2] == ["RHSA-2024:0010", "RHSA-2024:11255"]
    assert rows[0].changed == datetime(2025, 2, 18, 14, 28, 8, tzinfo=UTC)


def test_an_advisory_red_hat_leaves_broken_can_be_skipped(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-26T10:00:00+00:00")
    doc = json.loads(TIGERVNC)
    _no_cpe(doc)
    redhat.publish("2024/rhsa-2024_0010.json", json.dumps(doc).encode(), "2026-11-26T11:00:00+00:00")
    pins = '  - {product: "rhel:python3.9", version: "0:3.9.18-3.el9_4.4", distro: "9"}'
    cfg, store, clock = setup_poll(tmp_path, web, pins, ', skip: ["RHSA-2024:0010"]')
    [result] = poll(cfg, store, clock).results
    assert result.status == "changed"
    assert [e.data["advisory"] for e in advisory_events(store)] == ["RHSA-2024:6163"]
    assert "/advisories/2024/rhsa-2024_0010.json" not in [p for p, _ in web.requests]


def test_an_eus_advisory_reaches_only_pins_that_opted_into_that_stream():
    doc = json.loads(TIGERVNC)
    helper = doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"]["product_identification_helper"]
    helper["cpe"] = "cpe:/a:redhat:rhel_eus:9.2::appstream"
    records = parse_advisory(json.dumps(doc).encode(), "u")
    pins = (Pin("rhel:tigervnc", BELOW, "9"), Pin("rhel:tigervnc", BELOW, "9.2 EUS", ("db1",)),
            Pin("rhel:tigervnc", BELOW, "9.4 eus"))
    [event] = rhel_csaf.events([], Snapshot(tuple(records)), CONF, HookContext(fleet=pins))
    assert event.data["distro"] == "9.2 EUS" and event.data["hosts"] == ["db1"]
    assert event.severity == "critical"


def test_the_highest_fixed_build_of_a_package_on_a_stream_wins():
    doc = json.loads(TIGERVNC)
    older = "tigervnc-0:1.13.1-3.el9_3.1.x86_64"
    x86_64 = doc["product_tree"]["branches"][0]["branches"][4]["branches"]
    x86_64.append({
        "category": "product_version", "name": older,
        "product": {"name": older, "product_id": older,
                    "product_identification_helper": {"purl": "pkg:rpm/redhat/tigervnc@1.13.1-3.el9_3.1?arch=x86_64"}}})
    doc["product_tree"]["relationships"].append({
        "category": "default_component_of",
        "full_product_name": {"name": older, "product_id": f"AppStream-9.3.0.Z.MAIN:{older}"},
        "product_reference": older, "relates_to_product_reference": "AppStream-9.3.0.Z.MAIN"})
    doc["vulnerabilities"][0]["product_status"]["fixed"].append(f"AppStream-9.3.0.Z.MAIN:{older}")
    records = {r.key: r for r in parse_advisory(json.dumps(doc).encode(), "u")}
    assert records["advisory:RHSA-2024:0010:tigervnc:9"].version == FIXED


@pytest.mark.parametrize("answer, error, reason", [row for row in failure_rows(
    html=r"HTML page instead of a CSAF advisory",
    truncated=TIGERVNC[: len(TIGERVNC) // 2],
    cut=r"CSAF advisory is not JSON \(truncated or corrupt",
    conditional=False,  # advisories are fetched once each, unconditionally
) if "404" not in str(row.id)])  # a 404 is an advisory not yet published: retried, see below
@respx.mock
async def test_transport_failures_on_an_advisory_fail_the_poll(answer, error, reason, core_context):
    base = "https://rh.example.org/advisories"
    respx.get(f"{base}/changes.csv").mock(return_value=httpx.Response(
        200, content=index(("2024/rhsa-2024_0010.json", "2026-11-26T10:00:00+00:00"))))
    respx.get(f"{base}/deletions.csv").mock(return_value=httpx.Response(200, content=b""))
    mock_answer(respx.get(f"{base}/2024/rhsa-2024_0010.json"), answer)
    ctx = core_context(clock=lambda: datetime(2026, 11, 27, tzinfo=UTC))
    await assert_fails_naming_the_url(rhel_csaf.collect(CONF, ctx), error, reason,
                                      f"{base}/2024/rhsa-2024_0010.json")


def test_a_cve_newly_listed_by_cisa_pages_for_a_pinned_package_its_advisory_fixes(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-26T10:00:00+00:00")
    catalog = json.loads((FIXTURES / "kev/known_exploited_vulnerabilities.subset.json").read_bytes())
    web.routes["/kev.json"] = Route(json.dumps(catalog).encode())
    pins = '  - {product: "rhel:python3.9", version: "0:3.9.18-3.el9_4.4", distro: "9"}'
    cfg, store, clock = setup_poll(tmp_path, web, pins)
    (tmp_path / "sources.yaml").write_text((tmp_path / "sources.yaml").read_text().replace(
        "settings:", f'  - {{name: kev, kind: kev, url: "{web.url}/kev.json"}}\nsettings:'))
    cfg = configuration.load(tmp_path / "sources.yaml")
    poll(cfg, store, clock)  # baseline: a Moderate advisory for the pin, a warning
    [moderate] = advisory_events(store)
    assert moderate.severity == "warning"
    catalog["vulnerabilities"].insert(0, {**catalog["vulnerabilities"][0], "cveID": "CVE-2024-8088",
                                          "dateAdded": "2026-11-27", "vulnerabilityName": "Python zipfile DoS"})
    catalog["count"] += 1
    web.routes["/kev.json"] = Route(json.dumps(catalog).encode())
    sinks = [Collect(), Collect()]
    poll(cfg, store, clock, sinks[0])  # the catalog is read; the table each source sees is the run's start
    poll(cfg, store, clock, sinks[1])
    pages = [a for sink in sinks for a in sink.alerts if a.severity == "critical"]
    assert len(pages) == 1
    [event] = [e for e in pages[0].items if e.kind == "advisory"]
    assert event.key.endswith(":kev")
    assert "known exploited (CISA KEV: CVE-2024-8088 since 2026-11-27)" in event.summary


def test_the_first_poll_reads_the_latest_advisories_whatever_their_age(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2025-02-14T14:27:54+00:00")
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2025-02-18T14:28:08+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, '  - {product: docker, version: "1.10.3"}', ", max_per_run: 1")
    poll(cfg, store, clock)
    assert [p for p, _ in web.requests if p.endswith(".json")] == ["/advisories/2024/rhsa-2024_0010.json"]
    poll(cfg, store, clock)  # older ones are history: never read
    assert len([p for p, _ in web.requests if p.endswith(".json")]) == 1


def test_red_hats_own_index_with_files_not_served_yet_does_not_hold_up_the_rest(tmp_path, web):
    web.routes["/advisories/changes.csv"] = Route(SAMPLE_INDEX)  # lists five advisories, verbatim
    web.routes["/advisories/deletions.csv"] = Route(b"")
    web.routes["/advisories/2024/rhsa-2024_0010.json"] = Route(TIGERVNC)  # only this one is served
    cfg, store, clock = setup_poll(tmp_path, web, f'  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}')
    [result] = poll(cfg, store, clock).results
    assert result.status == "changed"
    [event] = advisory_events(store)
    assert event.version == BELOW and f"tigervnc-{FIXED}" in event.summary
    missing = sorted(e.key for e in store.events() if e.kind == "advisory_unavailable")
    assert missing == [f"advisory_unavailable:2024/rhsa-2024_{n}.json" for n in ("11255", "4444", "5555", "6666")]
    web.routes["/advisories/2024/rhsa-2024_6666.json"] = Route(PYTHON.replace(b"RHSA-2024:6163", b"RHSA-2024:6666"))
    poll(cfg, store, clock)  # asked for again, now served: read
    ids = {s.record.data["id"] for s in store.records("rhsa") if s.record.kind == "advisory"}
    assert ids == {"RHSA-2024:0010", "RHSA-2024:6666"}


def test_a_host_added_to_the_fleet_hears_of_stored_advisories_in_one_summary_not_a_page(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, '  - {product: "rhel:bind", version: "32:9.16.23-1.el9", distro: "9"}')
    poll(cfg, store, clock)
    (tmp_path / "sources.yaml").write_text((tmp_path / "sources.yaml").read_text().replace(
        "fleet:\n", f'fleet:\n  - {{product: "rhel:tigervnc", version: "{BELOW}", distro: "9"}}\n'))
    cfg = configuration.load(tmp_path / "sources.yaml")
    sink = Collect()
    poll(cfg, store, clock, sink)
    [alert] = sink.alerts
    assert alert.kind == "baseline"  # the one fleet-change summary, not an alert of its own
    assert any("RHSA-2024:0010" in line.summary for line in alert.items)
    redhat.publish("2024/rhsa-2024_6163.json", PYTHON, "2026-11-27T14:00:00+00:00")  # news for a pin we have
    (tmp_path / "sources.yaml").write_text((tmp_path / "sources.yaml").read_text().replace(
        "fleet:\n", 'fleet:\n  - {product: "rhel:python3.9", version: "0:3.9.18-3.el9_4.4", distro: "9"}\n'))
    cfg = configuration.load(tmp_path / "sources.yaml")
    sink = Collect()
    poll(cfg, store, clock, sink)
    [news] = [a for a in sink.alerts if a.kind != "baseline"]  # a new advisory stays news, even for a new pin
    assert [e.data["advisory"] for e in news.items] == ["RHSA-2024:6163"] and news.severity == "warning"


def test_a_package_red_hat_takes_out_of_an_advisory_goes_and_stays_gone(tmp_path, web):
    redhat = RedHat(web)
    redhat.publish("2024/rhsa-2024_0010.json", TIGERVNC, "2026-11-26T10:00:00+00:00")
    cfg, store, clock = setup_poll(tmp_path, web, '  - {product: docker, version: "1.10.3"}')
    poll(cfg, store, clock)
    doc = json.loads(TIGERVNC)
    for vuln in doc["vulnerabilities"]:
        vuln["product_status"]["fixed"] = [f for f in vuln["product_status"]["fixed"] if "tigervnc-icons" not in f]
        for remedy in vuln["remediations"]:
            remedy["product_ids"] = [f for f in remedy["product_ids"] if "tigervnc-icons" not in f]
    redhat.publish("2024/rhsa-2024_0010.json", json.dumps(doc).encode(), "2026-11-27T12:30:00+00:00")
    icons = "advisory:RHSA-2024:0010:tigervnc-icons:9"
    for _ in range(3):
        poll(cfg, store, clock)
    present = {s.record.key for s in store.records("rhsa")}
    assert icons not in present and "advisory:RHSA-2024:0010:tigervnc:9" in present
    assert [s.gone_at is not None for s in store.records("rhsa", include_gone=True) if s.record.key == icons] == [True]
