"""debian_dsa: DSA/DLA lists (and RSS) -> advisories, regression updates and end-of-life notices."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from bot.core.model import Event, Pin, Snapshot
from bot.judge.cves import CveInfo
from bot.sources import debian_dsa as dsa
from bot.sources.api import SourceError
from tests.conftest import FIXTURES

LIST = (FIXTURES / "debian-security" / "DSA-list-excerpt.txt").read_bytes()
CONF = dsa.Conf(name="dsa", kind="debian_dsa", url="https://tracker.example.org/data/DSA/list")


class Ctx:
    def __init__(self, fleet: tuple[Pin, ...], cves: dict[str, CveInfo] | None = None) -> None:
        self.fleet = fleet
        self.cves = cves or {}

    def now(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC)


def events(body: bytes, *pins: Pin, cves: dict[str, CveInfo] | None = None) -> list[Event]:
    ctx = Ctx(pins, cves)
    snapshot = Snapshot(tuple(dsa.records_of(dsa.parse(body, CONF), pins, ctx.cves)))
    return dsa.events((), snapshot, CONF, ctx)  # type: ignore[arg-type]


def test_the_list_parses_ids_dates_packages_cves_and_fixes() -> None:
    found = {a.id: a for a in dsa.parse(LIST, CONF)}
    assert len(found) == 10
    assert found["DSA-140"].fixes == (("woody", "libpng", "1.0.12-3.woody.2"), ("woody", "libpng3", "1.2.1-1.1.woody.2"))
    assert found["DSA-140"].cves == ("CVE-2002-0660", "CVE-2002-0728")
    assert (found["DSA-2808-2"].package, found["DSA-2808-2"].title) == ("openjpeg", "regression update")
    assert found["DSA-4205-1"].package == "" and found["DSA-4205-1"].published == "2018-04-18"


def test_a_pinned_package_below_the_dsa_fix_gets_one_advisory_rated_by_the_tracker() -> None:
    pin = Pin("debian:sope", "5.8.0-1", "bookworm", ("hosts/web.dpkg",))
    rated = {"CVE-2025-53603": CveInfo("CVE-2025-53603", "critical", "urgency high")}
    [event] = [e for e in events(LIST, pin, cves=rated) if e.kind == "advisory"]
    assert (event.kind, event.severity, event.data["fixed_version"]) == ("advisory", "critical", "5.8.0-1+deb12u1")
    assert event.data["advisory"] == "DSA-5970-1" and event.data["published"] == "2025-07-31"
    [unrated] = [e for e in events(LIST, pin) if e.kind == "advisory"]
    assert unrated.severity == "warning"
    for other in (Pin("debian:sope", "5.8.0-1+deb12u1", "bookworm"), Pin("debian:sope", "5.8.0-1", "trixie")):
        assert [e for e in events(LIST, other) if e.kind == "advisory"] == []


def test_a_regression_update_is_a_regression_for_pins_that_carry_the_earlier_fix() -> None:
    earlier = (b"[10 Apr 2014] DSA-2808-1 openjpeg - security update\n"
               b"        [wheezy] - openjpeg 1.3+dfsg-4.7\n")
    body = LIST + earlier
    carrying = Pin("debian:openjpeg", "1.3+dfsg-4.7", "wheezy")
    older = Pin("debian:openjpeg", "1.3+dfsg-4.6", "wheezy")
    kinds = {(e.kind, e.version) for e in events(body, carrying, older)}
    assert ("regression", "1.3+dfsg-4.7") in kinds and ("regression", "1.3+dfsg-4.6") not in kinds
    assert ("advisory", "1.3+dfsg-4.6") in kinds  # still below the fix: exposed, just not regressed
    [regression] = [e for e in events(body, carrying) if e.kind == "regression"]
    assert regression.severity == "warning" and regression.data["regressed_in"] == "1.3+dfsg-4.7"
    assert "DSA-2808-1" in regression.summary and regression.key == "regression:debian:openjpeg:1.3+dfsg-4.7:DSA-2808-2"
    # without the earlier DSA in the list, any pin below the new fix may carry it
    assert [e.kind for e in events(LIST, older) if e.kind == "regression"] == ["regression"]


def test_an_end_of_life_notice_is_branch_eol_for_that_release_critical_when_pinned() -> None:
    [eol] = [e for e in events(LIST, Pin("debian", "8")) if e.kind == "branch_eol"]
    assert (eol.product, eol.version, eol.severity, eol.key) == ("debian", "8", "critical", "branch_eol:debian:8")
    assert "2018-04-18" in eol.summary and "jessie" in eol.summary
    [by_package] = [e for e in events(LIST, Pin("debian:bash", "4.3-11", "jessie")) if e.kind == "branch_eol"]
    assert by_package.severity == "critical"
    [unpinned] = [e for e in events(LIST, Pin("debian", "12")) if e.kind == "branch_eol"]
    assert unpinned.severity == "info"


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://www.debian.org/security/dsa"><title>Debian Security</title>
<link>https://www.debian.org/security/dsa</link><description>DSAs</description></channel>
<item rdf:about="https://www.debian.org/security/2014/dsa-2808-2"><title>DSA-2808-2 openjpeg - regression update</title>
<link>https://www.debian.org/security/2014/dsa-2808-2</link><description>CVE-2013-6045</description>
<dc:date>2014-04-22</dc:date></item>
<item rdf:about="https://www.debian.org/security/2018/dsa-4205-1"><title>DSA-4205-1 jessie end-of-life</title>
<link>https://www.debian.org/security/2018/dsa-4205-1</link><description>end of support</description>
<dc:date>2018-04-18</dc:date></item>
</rdf:RDF>
"""


def test_rss_feed_gives_regression_and_eol_notices() -> None:
    conf = dsa.Conf(name="dsa", kind="debian_dsa", url="https://www.debian.org/security/dsa", format="rss")
    found = {a.id: a for a in dsa.parse(RSS, conf)}
    assert found["DSA-2808-2"].package == "openjpeg" and found["DSA-2808-2"].cves == ("CVE-2013-6045",)
    assert found["DSA-4205-1"].published == "2018-04-18" and found["DSA-4205-1"].package == ""
    pins = (Pin("debian:openjpeg", "1.3+dfsg-4.7", "wheezy"), Pin("debian", "8"))
    snapshot = Snapshot(tuple(dsa.records_of(found.values(), pins, {})))
    news = {e.kind: e for e in dsa.events((), snapshot, conf, Ctx(pins))}  # type: ignore[arg-type]
    assert news["regression"].version == "1.3+dfsg-4.7" and "check the advisory" in news["regression"].summary
    assert news["branch_eol"].severity == "critical"


@pytest.mark.parametrize(("body", "says"), [
    (b"[22 Apr 2014] DSA-2808-2 openjpeg - regression update\nDSA-1 broken\n", "line 2: not a '[DD Mon YYYY]"),
    (b"[31 Foo 2014] DSA-2808-2 openjpeg - regression update\n", "line 1: bad date [31 Foo 2014] for DSA-2808-2"),
    (b"[31 Feb 2014] DSA-2808-2 openjpeg - regression update\n", "line 1: bad date"),
    (b"\t[wheezy] - openjpeg 1.3\n", "line 1: indented line before any"),
    (b"<!DOCTYPE html><html>Gateway timeout</html>", "HTML page"),
    (b"\n\n", "no DSA or DLA found"),
])
def test_bad_lists_fail_with_one_line_naming_the_url_and_row(body: bytes, says: str) -> None:
    with pytest.raises(SourceError) as caught:
        dsa.parse(body, CONF)
    assert says in str(caught.value) and CONF.url in str(caught.value)


async def test_collect_through_the_core_context(core_context) -> None:  # type: ignore[no-untyped-def]
    pin = Pin("debian:drupal7", "7.52-2+deb9u4", "stretch")
    with respx.mock:
        respx.get(CONF.url).mock(return_value=httpx.Response(200, content=LIST))
        snapshot = await dsa.collect(CONF, core_context(fleet=(pin,)))
    advisories = [r for r in snapshot.records if r.kind == "advisory"]
    assert [(r.key, r.version) for r in advisories] == [("advisory:DSA-4323-1:drupal7:stretch", "7.52-2+deb9u5")]
    assert len([r for r in snapshot.records if r.kind == "announcement"]) == 10


def test_a_regression_update_is_news_once_not_every_run() -> None:
    pin = Pin("debian:openjpeg", "1.3+dfsg-4.7", "wheezy")
    ctx = Ctx((pin,))
    records = tuple(dsa.records_of(dsa.parse(LIST, CONF), (pin,), {}))
    first = [e.kind for e in dsa.events((), Snapshot(records), CONF, ctx)]  # type: ignore[arg-type]
    again = [e.kind for e in dsa.events(records, Snapshot(records), CONF, ctx)]  # type: ignore[arg-type]
    assert "regression" in first and "regression" not in again
