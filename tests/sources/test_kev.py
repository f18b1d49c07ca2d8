"""kev: CISA's Known Exploited Vulnerabilities catalog (a trimmed real copy: 32 of its entries)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from bot.config import load as configuration
from bot.judge.cves import ratings
from bot.sources import kev
from bot.sources.api import Snapshot, SourceError
from bot.sources.kev import Conf, parse
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import Clock, Collect
from tests.sources.conftest import FIXTURES, assert_fails_naming_the_url, failure_rows, mock_answer

CATALOG = (FIXTURES / "kev/known_exploited_vulnerabilities.subset.json").read_bytes()
URL = "https://kev.example.org/known_exploited_vulnerabilities.json"
CONF = Conf(name="kev", kind="kev", url=URL)


def by_cve(records):
    return {r.data["cve"]: r for r in records}


def test_each_entry_is_a_cve_record_with_the_day_cisa_listed_it():
    records = by_cve(parse(CATALOG, CONF))
    assert len(records) == 32
    webp = records["CVE-2023-4863"]
    assert webp.kind == "cve" and webp.key == "cve:CVE-2023-4863"
    assert webp.data["kev_date"] == "2023-09-13"
    assert webp.data["description"] == "Google Chromium WebP Heap-Based Buffer Overflow Vulnerability"
    assert records["CVE-2021-44228"].data["description"].endswith("(used in ransomware campaigns)")
    assert Conf(name="k", kind="kev").url == (
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json")


def write_config(tmp_path, url: str):
    path = tmp_path / "sources.yaml"
    path.write_text(f"""
fleet:
  - {{product: "rhel:libwebp", version: "0:1.2.0-6.el9_0", distro: "9"}}
sources:
  - {{name: kev, kind: kev, url: "{url}/kev.json"}}
settings: {{retries: 0, timeout: 5}}
""")
    return configuration.load(path)


def test_a_polled_catalog_marks_its_cves_exploited_and_critical_in_the_shared_table(tmp_path, web):
    web.routes["/kev.json"] = Route(CATALOG)
    cfg, store = write_config(tmp_path, web.url), Store.open(tmp_path / "t.db")
    report = asyncio.run(poll_and_deliver(cfg, store, clock=Clock(), deliverer=Collect()))
    assert [r.status for r in report.results] == ["changed"]
    table = ratings(store.cve_records())
    webp = table["CVE-2023-4863"]
    assert webp.exploited and webp.severity == "critical" and webp.kev_date == "2023-09-13"
    assert webp.sources == ("kev",)
    assert "CVE-2024-8088" not in table  # not in the catalog: nothing claimed


def test_a_broken_catalog_fails_the_source_and_keeps_what_was_known(tmp_path, web):
    web.routes["/kev.json"] = Route(CATALOG)
    cfg, store, clock = write_config(tmp_path, web.url), Store.open(tmp_path / "t.db"), Clock()
    asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=Collect()))
    web.routes["/kev.json"] = Route(json.dumps({"title": "x", "count": 0, "vulnerabilities": []}).encode())
    clock.advance(hours=1)
    report = asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=Collect()))
    [result] = report.results
    assert result.status == "failed"
    assert result.reason == f"KEV catalog lists no vulnerabilities (an empty catalog is a broken one) ({web.url}/kev.json)"
    assert ratings(store.cve_records())["CVE-2021-44228"].exploited  # nothing withdrawn


def test_a_newly_listed_cve_is_news_for_the_digest_and_the_first_catalog_is_not():
    first = parse(CATALOG, CONF)
    assert kev.events([], Snapshot(tuple(first)), CONF, None) == []  # type: ignore[arg-type]
    doc = json.loads(CATALOG)
    doc["vulnerabilities"].insert(0, {**doc["vulnerabilities"][0], "cveID": "CVE-2026-0001", "dateAdded": "2026-11-30",
                                      "vulnerabilityName": "OpenSSL Out-of-Bounds Write Vulnerability"})
    doc["count"] += 1
    [event] = kev.events(first, Snapshot(tuple(parse(json.dumps(doc).encode(), CONF))), CONF, None)  # type: ignore[arg-type]
    assert (event.kind, event.severity, event.key) == ("kev_listed", "info", "kev_listed:CVE-2026-0001")
    assert event.summary == ("CVE-2026-0001 added to CISA's Known Exploited Vulnerabilities on 2026-11-30: "
                             "OpenSSL Out-of-Bounds Write Vulnerability")


def _edited(change) -> bytes:
    doc = json.loads(CATALOG)
    change(doc)
    return json.dumps(doc).encode()


BAD_BODIES = [
    ("html", b"<!DOCTYPE html><html><body>Access Denied</body></html>", "HTML page instead of the KEV catalog JSON"),
    ("truncated", CATALOG[: len(CATALOG) // 2], "KEV catalog is not JSON (truncated or corrupt"),
    ("a list", b"[]", "KEV catalog has no 'vulnerabilities' list"),
    ("wrong shape", _edited(lambda d: d.update(vulnerabilities={"CVE-2021-44228": {}})),
     "KEV catalog has no 'vulnerabilities' list"),
    ("empty", _edited(lambda d: d.update(vulnerabilities=[], count=0)), "KEV catalog lists no vulnerabilities"),
    ("count disagrees", _edited(lambda d: d.update(count=1404)), "KEV catalog says count 1404 but lists 32 entries"),
    ("no cve id", _edited(lambda d: d["vulnerabilities"][3].update(cveID="")), "KEV entry 3 has no valid cveID: ''"),
    ("bad date", _edited(lambda d: d["vulnerabilities"][5].update(dateAdded="25/08/2025")),
     "KEV entry 5 (CVE-2025-8876) has no valid dateAdded: '25/08/2025'"),
]


@pytest.mark.parametrize("label, body, reason", BAD_BODIES, ids=[row[0] for row in BAD_BODIES])
def test_bad_input_is_one_line_naming_the_url(label, body, reason):
    with pytest.raises(SourceError) as caught:
        parse(body, CONF)
    message = str(caught.value)
    assert reason in message and message.endswith(f"({URL})") and "\n" not in message


@pytest.mark.parametrize("answer, error, reason", failure_rows(
    html=r"HTML page instead of the KEV catalog JSON",
    truncated=CATALOG[: len(CATALOG) // 2],
    cut=r"KEV catalog is not JSON \(truncated or corrupt",
))
@respx.mock
async def test_transport_failures(answer, error, reason, core_context):
    mock_answer(respx.get(URL), answer)
    ctx = core_context(validators={URL: {"etag": '"v1"'}})
    await assert_fails_naming_the_url(kev.collect(CONF, ctx), error, reason, URL)


@respx.mock
async def test_collect_reads_the_catalog(core_context):
    respx.get(URL).mock(return_value=httpx.Response(200, content=CATALOG))
    snapshot = await kev.collect(CONF, core_context())
    assert len(snapshot.records) == 32
