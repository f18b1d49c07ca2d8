"""debian_releases: distro-info-data's debian.csv -> support phases, ends and moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
import respx

from bot.core.model import Event, Pin, Record, Snapshot
from bot.sources import debian_releases as releases
from bot.sources.api import SourceError
from tests.conftest import FIXTURES

CSV = (FIXTURES / "debian" / "debian.csv").read_bytes()
CONF = releases.Conf(name="debian-releases", kind="debian_releases", url="https://distro-info.example.org/debian.csv")


class Ctx:
    def __init__(self, fleet: tuple[Pin, ...], today: str) -> None:
        self.fleet = fleet
        self.today = datetime.fromisoformat(today).replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.today


def news(body: bytes, *pins: Pin, today: str = "2026-11-27", previous: list[Record] | None = None) -> dict[str, Event]:
    snapshot = Snapshot(tuple(releases.parse(body, CONF)))
    found = releases.events(previous or [], snapshot, CONF, Ctx(pins, today))  # type: ignore[arg-type]
    return {e.key: e for e in found}


def test_rows_become_releases_with_their_phase_dates_and_sid_is_left_out() -> None:
    found = {r.version: r for r in releases.parse(CSV, CONF)}
    assert found["12"].data == {"codename": "bookworm", "name": "Bookworm", "release": "2023-06-10",
                                "eol": "2026-07-11", "eol_lts": "2028-06-30", "eol_elts": "2033-06-30"}
    assert found["15"].data["eol"] == "" and found["1.1"].data["eol_lts"] == ""
    assert all(r.product == "debian" and r.key == f"branch:{r.version}" for r in found.values())
    assert "" not in found and len(found) == 20


def test_passed_ends_are_branch_eol_critical_when_pinned_by_version_or_by_package_distro() -> None:
    events = news(CSV, Pin("debian", "8"), Pin("debian:openssl", "3.0.11-1~deb12u2", "bookworm"))
    jessie = events["branch_eol:debian:8:elts"]
    assert jessie.severity == "critical" and "extended LTS ended 2025-06-30" in jessie.summary
    assert events["branch_eol:debian:8"].severity == "critical"
    bookworm = events["branch_eol:debian:12"]  # security support ended 2026-07-11, now in LTS
    assert bookworm.severity == "critical" and "now in LTS until 2028-06-30" in bookworm.summary
    assert bookworm.data["pins"] == ["1 package pin(s) on bookworm"]
    assert events["branch_eol:debian:9"].severity == "info"  # nobody runs stretch
    assert "branch_eol:debian:12:lts" not in events


def test_an_end_passing_between_two_polls_of_the_same_file_is_news_that_day() -> None:
    pin = Pin("debian", "11")
    assert "branch_eol:debian:11:lts" not in news(CSV, pin, today="2026-08-30")
    assert news(CSV, pin, today="2026-08-31")["branch_eol:debian:11:lts"].severity == "critical"


def test_first_sight_says_the_phase_of_each_release_and_a_moved_date_is_news() -> None:
    pin = Pin("debian", "13")
    first = news(CSV, pin, today="2026-11-27")
    trixie = [e for e in first.values() if e.version == "13"]
    assert [e.kind for e in trixie] == ["branch_eol_scheduled"]  # only the next end, not all three
    assert trixie[0].severity == "warning"
    assert "in security support until 2028-08-09 (then LTS until 2030-06-30, extended LTS until 2035-06-30)" \
        in trixie[0].summary
    before = releases.parse(CSV, CONF)
    moved = CSV.replace(b"13,Trixie,trixie,2023-06-10,2025-08-09,2028-08-09,2030-06-30",
                        b"13,Trixie,trixie,2023-06-10,2025-08-09,2028-08-09,2031-06-30")
    later = news(moved, pin, previous=before)
    [change] = [e for e in later.values() if e.version == "13"]
    assert "end of LTS moved from 2030-06-30 to 2031-06-30" in change.summary
    assert change.key == "branch_eol_scheduled:debian:13:lts:2031-06-30"
    assert not [e for e in news(CSV, pin, previous=before).values() if e.version == "13"]


@pytest.mark.parametrize(("body", "says"), [
    (CSV.replace(b"2026-07-11", b"2026-13-11"), "row 18 (bookworm) eol: bad date '2026-13-11'"),
    (CSV.replace(b"2033-06-30", b"someday"), "row 18 (bookworm) eol-elts: bad date"),
    (CSV + b"16\n", "row 24: expected at least"),
    (b"codename,version\n12,bookworm\n", "header is not"),
    (b"<html><body>404</body></html>", "HTML page"),
    (CSV.splitlines(keepends=True)[0], "lists no releases"),
])
def test_bad_rows_fail_with_one_line_naming_the_url_and_row(body: bytes, says: str) -> None:
    with pytest.raises(SourceError) as caught:
        releases.parse(body, CONF)
    assert says in str(caught.value) and CONF.url in str(caught.value)


async def test_collect_is_unconditional_so_dates_are_checked_every_run(core_context) -> None:  # type: ignore[no-untyped-def]
    with respx.mock:
        route = respx.get(CONF.url).mock(return_value=httpx.Response(200, content=CSV, headers={"etag": '"x"'}))
        ctx = core_context(validators={CONF.url: {"etag": '"x"'}})
        snapshot = await releases.collect(CONF, ctx)
    assert "if-none-match" not in route.calls.last.request.headers
    assert len(snapshot.records) == 20 and date.fromisoformat(snapshot.records[0].data["eol"])
