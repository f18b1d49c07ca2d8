"""rhel_lifecycle: RHEL majors' support phases.

The fixture is endoflife.date's v0 API shape for product rhel, DERIVED (not captured) from its
product data (endoflife-date/endoflife.date products/rhel.md @ 06362a04: eoas -> support,
eol -> eol, eoes -> extendedSupport), as the endoflife fixtures are.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from bot.config import load as configuration
from bot.core.model import Pin, Snapshot
from bot.sources import rhel_lifecycle
from bot.sources.api import SourceError
from bot.sources.rhel_lifecycle import Conf, parse
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import Clock, Collect
from tests.sources.conftest import FIXTURES
from tests.sources.kernel_support import HookContext

RHEL = (FIXTURES / "endoflife/derived-api-v0-rhel.json").read_bytes()
URL = "https://eol.example.org/rhel.json"
CONF = Conf(name="rhel-life", kind="rhel_lifecycle", url=URL)


def news(pins, today, before=()):
    ctx = HookContext(fleet=tuple(pins), clock=datetime.fromisoformat(today).replace(tzinfo=UTC))
    return {e.key: e for e in rhel_lifecycle.events(list(before), Snapshot(tuple(parse(RHEL, CONF))), CONF, ctx)}


def test_each_major_is_a_branch_with_its_phase_ends():
    seven = {r.version: r for r in parse(RHEL, CONF)}["7"]
    assert seven.key == "branch:7" and seven.product == "rhel"
    assert seven.data == {"release_date": "2014-06-10", "latest": "7.9", "full_support_end": "2019-08-06",
                          "maintenance_end": "2024-06-30", "els_end": "2028-06-30"}
    assert Conf(name="r", kind="rhel_lifecycle").url == "https://endoflife.date/api/rhel.json"


def test_the_end_of_rhel_7_maintenance_is_critical_for_a_rhel_7_pin_and_notes_els():
    pins = [Pin("rhel:bind", "32:9.11.4-26.P2.el7_9.16", "7")]
    assert "branch_eol:rhel:7" not in news(pins, "2024-06-29")
    event = news(pins, "2024-06-30")["branch_eol:rhel:7"]
    assert event.severity == "critical"
    assert event.summary == ("RHEL 7 Maintenance Support ended on 2024-06-30: no more main-stream fixes; ELS "
                             "(a paid add-on) continues until 2028-06-30: critical fixes for 7.9 only, on the "
                             "'7 els' stream")
    assert event.data["pins"] == ["rhel:bind 32:9.11.4-26.P2.el7_9.16 (7)"]
    assert news([], "2024-06-30")["branch_eol:rhel:7"].severity == "info"  # nobody runs 7


def test_the_end_of_els_is_its_own_event_and_full_support_ending_is_info():
    events = news([Pin("rhel", "6.10")], "2024-07-01")
    assert events["branch_eol:rhel:6:els"].severity == "critical"
    assert "branch_eol:rhel:6" not in events  # the last phase says it all
    assert events["branch_phase:rhel:8:maintenance"].severity == "info"
    assert events["branch_phase:rhel:8:maintenance"].summary == (
        "RHEL 8 left Full Support on 2024-05-31: Maintenance Support (security and urgent fixes) until 2029-05-31")


def test_a_pinned_old_minor_is_superseded_and_a_moved_date_is_news():
    events = news([Pin("rhel", "7.2")], "2020-01-01")
    superseded = events["minor_superseded:rhel:7.2:7.9"]
    assert superseded.severity == "warning" and "main-stream fixes ship for 7.9 only" in superseded.summary
    assert "minor_superseded:rhel:7.9:7.9" not in news([Pin("rhel", "7.9")], "2020-01-01")
    doc = json.loads(RHEL)
    doc[0]["eol"] = "2031-05-31"
    earlier = parse(json.dumps(doc).encode(), CONF)
    moved = news([Pin("rhel:openssl", "1:3.0.7-27.el9", "9")], "2026-01-01", earlier)
    event = moved["branch_eol_scheduled:rhel:9:2032-05-31"]
    assert event.severity == "warning"
    assert event.summary == "RHEL 9 end of Maintenance Support moved from 2031-05-31 to 2032-05-31 (ELS until 2035-05-31)"


def test_a_rhel_7_pin_in_the_fleet_pages_through_a_real_poll(tmp_path, web):
    web.routes["/rhel.json"] = Route(RHEL)
    path = tmp_path / "sources.yaml"
    path.write_text(f"""
fleet:
  - {{product: rhel, version: "7.2"}}
sources:
  - {{name: rhel-life, kind: rhel_lifecycle, url: "{web.url}/rhel.json"}}
settings: {{retries: 0, timeout: 5}}
""")
    cfg, store, clock = configuration.load(path), Store.open(tmp_path / "t.db"), Clock()
    clock.now = datetime(2024, 6, 1, tzinfo=UTC)
    asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=Collect()))  # baseline
    clock.now = datetime(2024, 6, 30, 8, tzinfo=UTC)
    sink = Collect()
    asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))  # same document, the day came
    [alert] = sink.alerts
    assert alert.severity == "critical"
    [event] = alert.items
    assert event.key == "branch_eol:rhel:7" and event.data["pins"] == ["rhel 7.2"]


BAD = [
    ("html", b"<!DOCTYPE html><html>502</html>", "HTML page instead of the RHEL lifecycle JSON"),
    ("truncated", RHEL[:200], "RHEL lifecycle is not JSON (truncated or corrupt"),
    ("empty", b"[]", "RHEL lifecycle is not a list of release cycles"),
    ("a minor as a cycle", json.dumps([{"cycle": "9.4", "eol": "2026-04-30"}]).encode(),
     "RHEL lifecycle entry is not a major release"),
    ("bad date", json.dumps([{"cycle": "9", "eol": "31/05/2032"}]).encode(), "RHEL 9: eol is not a date: '31/05/2032'"),
    ("no phase dates", json.dumps([{"cycle": "9"}]).encode(), "names no end of Maintenance Support"),
]


@pytest.mark.parametrize("label, body, reason", BAD, ids=[row[0] for row in BAD])
def test_bad_input_is_one_line_naming_the_url(label, body, reason):
    with pytest.raises(SourceError) as caught:
        parse(body, CONF)
    message = str(caught.value)
    assert reason in message and message.endswith(f"({URL})") and "\n" not in message
