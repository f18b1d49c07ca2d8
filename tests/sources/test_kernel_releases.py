"""kernel_releases (releases.json) and kernel_feed (kdist.xml) on kernel.org's real documents."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from bot.core.model import Pin, Snapshot
from bot.sources import kernel_feed, kernel_releases
from bot.sources.api import SourceError
from tests.sources.conftest import assert_fails_naming_the_url, failure_rows, mock_answer
from tests.sources.kernel_support import FIXTURES, HookContext, entry, releases_json

URL = "https://www.example.org/releases.json"
CONF = kernel_releases.Conf(name="kernel", kind="kernel_releases", url=URL)
FEED_CONF = kernel_feed.Conf(name="kdist", kind="kernel_feed", url="https://www.example.org/kdist.xml")
RELEASES = (FIXTURES / "kernel/releases.json.excerpt-2020-12-14.json").read_bytes()
KDIST = (FIXTURES / "kernel/kdist-2020-05-08.xml").read_bytes()


def of(records, kind):
    return {r.version: r for r in records if r.kind == kind}


def test_releases_json_gives_releases_and_only_stable_branches():
    records = kernel_releases.parse(RELEASES, CONF)
    assert sorted(of(records, "release")) == ["5.10", "5.10.1"]
    assert of(records, "release")["5.10.1"].data["changelog"].endswith("/v5.x/ChangeLog-5.10.1")
    assert of(records, "release")["5.10.1"].data["date"] == "2020-12-14"
    [branch] = of(records, "branch").values()  # mainline 5.10 is not a maintained branch
    assert branch.key == "branch:5.10" and branch.data == {
        "eol": False, "latest": "5.10.1", "moniker": "stable", "date": "2020-12-14"}


def test_kdist_feed_gives_the_same_records_with_eol_and_no_linux_next():
    records = kernel_feed.parse(KDIST, FEED_CONF)
    branches = of(records, "branch")
    assert sorted(branches, key=lambda b: [int(x) for x in b.split(".")]) == [
        "3.16", "4.4", "4.9", "4.14", "4.19", "5.4", "5.5", "5.6"]
    assert branches["3.16"].data["latest"] == "3.16.83" and branches["3.16"].data["moniker"] == "longterm"
    assert branches["5.5"].data["eol"] is True
    assert [v for v, b in branches.items() if b.data["eol"]] == ["5.5"]
    releases = of(records, "release")
    assert "next-20200508" not in releases and releases["5.7-rc4"].data["prerelease"] is True
    assert releases["4.19.121"].data["changelog"] == "https://cdn.kernel.org/pub/linux/kernel/v4.x/ChangeLog-4.19.121"


def test_feed_and_json_agree_on_the_same_entries():
    doc = releases_json(entry("5.6.11", "stable", date="2020-05-06"), entry("5.5.19", "stable", True, "2020-04-21"),
                        entry("3.16.83", date="2020-04-28"))
    from_json = {r.key: r for r in kernel_releases.parse(doc, CONF) if r.kind == "branch"}
    from_feed = {r.key: r for r in kernel_feed.parse(KDIST, FEED_CONF) if r.key in from_json}
    assert from_feed == from_json


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<!DOCTYPE html><html><body>503</body></html>", "HTML"),
        (RELEASES[: len(RELEASES) // 2], "not JSON"),
        (b'{"releases": "\xff\xfe"}', r"releases.json is not valid UTF-8 \(byte 14\) \(https://"),
        (b"{}", "no 'releases' list"),
        (b'{"releases": []}', "no 'releases' list"),
        (b'{"releases": [{"moniker": "stable"}]}', "without version"),
        (json.dumps({"releases": [json.loads(RELEASES)["releases"][0]]}).encode(), "no stable or longterm"),
    ],
)
def test_broken_releases_json_is_an_error_never_an_empty_list(body, reason):
    with pytest.raises(SourceError, match=reason):
        kernel_releases.parse(body, CONF)


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<html><body>captive portal</body></html>", "HTML"),
        (KDIST[: len(KDIST) // 2], "malformed or truncated"),
        (b"<rss version='2.0'><channel><title>x</title></channel></rss>", "no items"),
    ],
)
def test_broken_kdist_is_an_error(body, reason):
    with pytest.raises(SourceError, match=reason):
        kernel_feed.parse(body, FEED_CONF)


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of releases.json", truncated=RELEASES[: len(RELEASES) // 2],
                 cut="releases.json is not JSON"),
)
@respx.mock
async def test_collect_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(URL), answer)
    await assert_fails_naming_the_url(
        kernel_releases.collect(CONF, core_context(validators={URL: {"etag": '"old"'}})), error, reason, URL)


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of kdist.xml", truncated=KDIST[: len(KDIST) // 2],
                 cut="kdist.xml is malformed or truncated"),
)
@respx.mock
async def test_kernel_feed_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(FEED_CONF.url), answer)
    ctx = core_context(validators={FEED_CONF.url: {"etag": '"old"'}})
    await assert_fails_naming_the_url(kernel_feed.collect(FEED_CONF, ctx), error, reason, FEED_CONF.url)


@respx.mock
async def test_collect_is_partial_so_older_releases_are_not_withdrawn(core_context):
    respx.get(URL).mock(return_value=httpx.Response(200, content=RELEASES))
    snapshot = await kernel_releases.collect(CONF, core_context())
    assert snapshot.complete is False and len(snapshot.records) == 3


# --- branch news ----------------------------------------------------------------------------


PINNED = (Pin("linux", "3.16"),)


def run_events(before: bytes | None, after: bytes, pins=PINNED, confirmed=True):
    """The hook's events; `confirmed`: the last poll already missed what `after` lacks."""
    previous = kernel_releases.parse(before, CONF) if before else []
    current = kernel_releases.parse(after, CONF)
    missing = frozenset(r.key for r in previous if r not in current) if confirmed else frozenset()
    ctx = HookContext(fleet=tuple(pins), missing=missing)
    return kernel_releases.events(previous, Snapshot(tuple(current)), CONF, ctx)


LIVE = releases_json(entry("5.9.3", "stable"), entry("5.4.74"), entry("4.4.241"), entry("3.16.85"))
ENDED = releases_json(entry("5.9.3", "stable"), entry("5.4.74"), entry("4.4.241"), entry("3.16.85", iseol=True))
GONE = releases_json(entry("5.9.3", "stable"), entry("5.4.74"), entry("4.4.241"))
NO_4_4 = releases_json(entry("5.9.3", "stable"), entry("5.4.74"))


def test_a_pinned_branch_marked_eol_is_critical_and_names_the_branches_left():
    [event] = run_events(LIVE, ENDED)
    assert (event.kind, event.severity, event.key) == ("branch_eol", "critical", "branch_eol:linux:3.16")
    assert event.summary == "linux 3.16 reached end of life; still maintained: 5.9, 5.4, 4.4"
    assert event.data["maintained"] == ["5.9", "5.4", "4.4"]


def test_an_eol_branch_that_then_disappears_is_not_dropped_again():
    assert run_events(ENDED, GONE) == []


def test_a_branch_vanishing_without_eol_is_dropped_info_unpinned_critical_pinned():
    [unpinned] = run_events(GONE, NO_4_4)
    assert (unpinned.kind, unpinned.severity, unpinned.key) == ("branch_dropped", "info", "branch_dropped:linux:4.4")
    assert "4.4 vanished upstream without an end-of-life notice (last 4.4.241)" in unpinned.summary
    [pinned] = run_events(LIVE, GONE)
    assert (pinned.kind, pinned.severity) == ("branch_dropped", "critical")


def test_a_branch_missing_from_one_listing_only_is_not_dropped_yet():
    assert run_events(GONE, NO_4_4, confirmed=False) == []


def test_kdist_feed_gives_the_same_branch_news():
    ctx = HookContext(fleet=(Pin("linux", "5.5.10"),))
    records = kernel_feed.parse(KDIST, FEED_CONF)
    [event] = kernel_feed.events([], Snapshot(tuple(records)), FEED_CONF, ctx)
    assert (event.key, event.severity) == ("branch_eol:linux:5.5", "critical")
    assert "still maintained: 5.6, 5.4, 4.19, 4.14, 4.9, 4.4, 3.16" in event.summary
