"""endoflife: cycles of linux and docker-engine (endoflife.date v0 API shape)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from bot.core.model import Pin, Snapshot
from bot.sources import endoflife
from bot.sources.api import SourceError
from bot.sources.endoflife import Conf, parse
from tests.sources.conftest import assert_fails_naming_the_url, failure_rows, mock_answer
from tests.sources.kernel_support import FIXTURES, HookContext

LINUX = (FIXTURES / "endoflife/derived-api-v0-linux.json").read_bytes()
DOCKER = (FIXTURES / "endoflife/derived-api-v0-docker-engine.json").read_bytes()
LINUX_CONF = Conf(name="eol-linux", kind="endoflife", endoflife="linux", url="https://eol.example.org/linux.json")
DOCKER_CONF = Conf(name="eol-docker", kind="endoflife", endoflife="docker-engine")


def branches(records):
    return {r.version: r for r in records}


def test_cycles_become_branches_with_eol_as_date_or_flag():
    linux = branches(parse(LINUX, LINUX_CONF))
    assert linux["7.2"].data["eol"] is False and linux["7.2"].data["latest"] == "7.2.0"
    assert linux["4.19"].data == {"eol": "2024-12-05", "latest": "4.19.325", "release_date": "2018-10-22",
                                  "latest_date": "2024-12-05", "lts": True, "support": ""}
    assert all(r.kind == "branch" and r.key == f"branch:{r.version}" and r.product == "linux"
               for r in linux.values())


def test_docker_engine_is_our_docker_product_and_the_default_url_is_the_public_api():
    records = parse(DOCKER, DOCKER_CONF)
    assert {r.product for r in records} == {"docker"}
    assert branches(records)["19.03"].data["eol"] == "2021-01-08"
    assert endoflife.url_of(DOCKER_CONF) == "https://endoflife.date/api/docker-engine.json"


def news(before, after, conf, pins, today):
    missing = frozenset(r.key for r in before if r not in after)  # absent twice: the core confirmed it
    ctx = HookContext(fleet=tuple(pins), clock=datetime.fromisoformat(today).replace(tzinfo=UTC), missing=missing)
    return {e.key: e for e in endoflife.events(before, Snapshot(tuple(after)), conf, ctx)}


def edit(body: bytes, cycle: str, **changes) -> list:
    doc = json.loads(body)
    for item in doc:
        if item["cycle"] == cycle:
            item.update(changes)
    return parse(json.dumps(doc).encode(), LINUX_CONF)


def test_a_pinned_cycle_whose_eol_date_passes_is_critical_on_that_day():
    pins = [Pin("linux", "5.10")]
    records = parse(LINUX, LINUX_CONF)  # 5.10: eol 2026-12-31
    before = news([], records, LINUX_CONF, pins, "2026-12-30")
    assert "branch_eol:linux:5.10" not in before
    scheduled = before["branch_eol_scheduled:linux:5.10:2026-12-31"]
    assert scheduled.severity == "warning" and scheduled.summary == "linux 5.10 end of life set to 2026-12-31"
    after = news(records, records, LINUX_CONF, pins, "2026-12-31")  # same document, the date came
    event = after["branch_eol:linux:5.10"]
    assert event.severity == "critical"
    assert event.summary.startswith("linux 5.10 reached end of life on 2026-12-31; still maintained: 7.2, 7.1,")


def test_unpinned_ended_cycles_are_info_and_a_moved_date_is_news():
    records = parse(LINUX, LINUX_CONF)
    events = news([], records, LINUX_CONF, [Pin("linux", "5.10")], "2026-09-01")
    assert events["branch_eol:linux:4.19"].severity == "info"  # nobody pins 4.19: digest only
    moved = edit(LINUX, "6.12", eol="2029-06-30")
    later = news(records, moved, LINUX_CONF, [Pin("linux", "6.12.40")], "2026-09-01")
    event = later["branch_eol_scheduled:linux:6.12:2029-06-30"]
    assert event.summary == "linux 6.12 end of life moved from 2028-12-31 to 2029-06-30"
    assert event.severity == "warning"  # an exact pin inside the cycle
    assert "branch_eol_scheduled:linux:6.12:2028-12-31" not in later


def test_rhel_and_debian_cycles_match_their_pins():
    conf = Conf(name="eol-rhel", kind="endoflife", endoflife="rhel")
    body = json.dumps([{"cycle": "7", "releaseDate": "2014-06-09", "eol": "2024-06-30", "latest": "7.9"},
                       {"cycle": "9", "releaseDate": "2022-05-17", "eol": "2032-05-31", "latest": "9.6"}]).encode()
    events = news([], parse(body, conf), conf, [Pin("rhel", "7.2")], "2026-01-01")
    assert events["branch_eol:rhel:7"].severity == "critical"
    assert "still maintained: 9" in events["branch_eol:rhel:7"].summary


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<!doctype html><html>Cloudflare</html>", "HTML"),
        (LINUX[:100], "not JSON"),
        (b'[{"cycle": "\xe9"}]', r"endoflife.date answer is not valid UTF-8 \(byte 12\) \(https://"),
        (b"[]", "not a list of cycles"),
        (b'{"cycle": "1"}', "not a list of cycles"),
        (b'[{"releaseDate": "2020-01-01"}]', "without a name"),
        (b'[{"cycle": "1", "eol": "soon"}]', "expected a date or a boolean"),
    ],
)
def test_broken_answers_are_errors(body, reason):
    with pytest.raises(SourceError, match=reason):
        parse(body, LINUX_CONF)


@respx.mock
async def test_collect_always_refetches_so_a_passing_date_is_seen(core_context):
    url = "https://eol.example.org/linux.json"
    route = respx.get(url).mock(return_value=httpx.Response(200, content=LINUX, headers={"ETag": '"v1"'}))
    ctx = core_context(validators={url: {"etag": '"v1"'}})  # the last good run saw this ETag
    snapshot = await endoflife.collect(LINUX_CONF, ctx)
    assert len(snapshot.records) == len(json.loads(LINUX)) and snapshot.complete
    assert "if-none-match" not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of endoflife.date JSON", truncated=LINUX[: len(LINUX) // 2],
                 cut="endoflife.date answer is not JSON", conditional=False),  # always refetched: a 304 is wrong
)
@respx.mock
async def test_collect_failure_table(answer, error, reason, core_context):
    url = endoflife.url_of(LINUX_CONF)
    mock_answer(respx.get(url), answer)
    await assert_fails_naming_the_url(endoflife.collect(LINUX_CONF, core_context()), error, reason, url)
