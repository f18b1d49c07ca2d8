"""kernel_changelog: ChangeLog-X.Y.Z of each new release of the pinned branches."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.core.model import Pin
from bot.sources import kernel_changelog
from bot.sources.api import SourceError
from bot.sources.kernel_changelog import Conf, changelog_url, parse, wanted_versions
from tests.sources.conftest import assert_fails_naming_the_url, failure_rows, mock_answer
from tests.sources.kernel_support import (
    CHANGELOG_3_16_84,
    CHANGELOG_3_16_85,
    COW_UPSTREAM,
    OVL_SHA,
    OVL_UPSTREAM,
    REVERT_SHA,
    commit,
    entry,
    releases_json,
)

RELEASES = "https://www.example.org/releases.json"
TEMPLATE = "https://cdn.example.org/v{major}.x/ChangeLog-{version}"
CONF = Conf(name="kernel-changelog", kind="kernel_changelog", releases_url=RELEASES, url_template=TEMPLATE)
LISTING = releases_json(entry("5.9.3", "stable"), entry("4.4.241"), entry("3.16.85"))


def by_title(records):
    return {r.data["title"]: r for r in records}


def test_each_commit_keeps_title_upstream_fixes_stable_and_cves():
    records = by_title(parse(CHANGELOG_3_16_85, "3.16.85", CONF, ("devicemapper",)))
    assert list(records) == [
        "Linux 3.16.85",
        'Revert "ovl: fix lookup of lower dentries on overlay mounts"',
        "mm: remove gup_flags FOLL_WRITE games from __get_user_pages()",
        "dm thin: fix devicemapper pool resize",
    ]
    cow = records["mm: remove gup_flags FOLL_WRITE games from __get_user_pages()"]
    assert cow.key == "line:3.16.85:0b4c1e9a8f7d" and cow.product == "linux" and cow.version == "3.16.85"
    assert cow.data["upstream_sha"] == COW_UPSTREAM  # from "[ Upstream commit <sha> ]"
    assert cow.data["fixes"] == ["4ceb5db9757a"]
    assert cow.data["stable"] == "Cc: stable@vger.kernel.org"
    assert cow.data["cves"] == ["CVE-2016-5195"]
    assert cow.data["author"] == "Linus Torvalds <torvalds@linux-foundation.org>"
    assert cow.data["date"] == "2016-10-13"
    dm = records["dm thin: fix devicemapper pool resize"]
    assert dm.data["upstream_sha"].startswith("3a2b1c0d")  # from "commit <sha> upstream."
    assert "watch:devicemapper" in dm.data["classes"]
    assert dm.data["notes"] == ["This fixes a regression introduced in 3.16.82 where a resized pool was left read-only."]


def test_a_revert_is_linked_to_the_commit_it_reverts():
    old = by_title(parse(CHANGELOG_3_16_84, "3.16.84", CONF))
    new = by_title(parse(CHANGELOG_3_16_85, "3.16.85", CONF))
    revert = new['Revert "ovl: fix lookup of lower dentries on overlay mounts"']
    original = old["ovl: fix lookup of lower dentries on overlay mounts"]
    assert revert.data["reverts_sha"] == original.data["sha"] == OVL_SHA
    assert revert.data["reverts"] == original.data["title"]
    assert revert.data["reverts_upstream"] == original.data["upstream_sha"] == OVL_UPSTREAM
    assert revert.data["sha"] == REVERT_SHA and revert.data["upstream_sha"] == ""
    assert "revert" in revert.data["classes"]
    assert original.data["stable"] == "Cc: <stable@vger.kernel.org> # v3.18+"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<!DOCTYPE html><html><title>404 Not Found</title></html>", "HTML"),
        (b"Linux 3.16.85\n\nno git log here\n", "no 'commit <sha>' block"),
        (CHANGELOG_3_16_85 + commit("d" * 40, "x").split("\n\n")[0].encode(), "has no message"),
    ],
)
def test_broken_changelogs_are_errors(body, reason):
    with pytest.raises(SourceError, match=reason):
        parse(body, "3.16.85", CONF)


def test_url_template_follows_the_cdn_layout():
    assert changelog_url(kernel_changelog.DEFAULT_TEMPLATE, "3.16.85") == (
        "https://cdn.kernel.org/pub/linux/kernel/v3.x/ChangeLog-3.16.85")
    assert changelog_url(kernel_changelog.DEFAULT_TEMPLATE, "2.6.32.71").endswith("/v2.6.x/ChangeLog-2.6.32.71")


@pytest.mark.parametrize(
    "latest, pinned, done, expected",
    [
        ("3.16.85", "", [], ["3.16.85"]),  # first run on a branch pin: the latest (backfill 1)
        ("3.16.85", "3.16.82", [], ["3.16.83", "3.16.84", "3.16.85"]),  # exact pin: all newer
        ("3.16.85", "", ["3.16.83"], ["3.16.84", "3.16.85"]),  # two releases between polls
        ("3.16.85", "", ["3.16.85"], []),
        ("3.16.85", "3.16.1", [], [f"3.16.{n}" for n in range(66, 86)]),  # capped at max_fetch
        ("5.10", "", [], []),  # X.Y alone has no stable ChangeLog
    ],
)
def test_which_changelogs_are_read(latest, pinned, done, expected):
    branch = ".".join(latest.split(".")[:2])
    assert wanted_versions(branch, latest, pinned, done, CONF) == expected


@respx.mock
async def test_collect_reads_only_new_releases_and_keeps_what_it_read(core_context):
    respx.get(RELEASES).mock(return_value=httpx.Response(200, content=LISTING))
    first = respx.get(TEMPLATE.format(major=3, version="3.16.84")).mock(
        return_value=httpx.Response(200, content=CHANGELOG_3_16_84))
    second = respx.get(TEMPLATE.format(major=3, version="3.16.85")).mock(
        return_value=httpx.Response(200, content=CHANGELOG_3_16_85))
    ctx = core_context(fleet=(Pin("linux", "3.16.83"), Pin("docker", "1.10.3")))
    snapshot = await kernel_changelog.collect(CONF, ctx)
    assert first.call_count == second.call_count == 1
    assert sorted({r.version for r in snapshot.records}) == ["3.16.84", "3.16.85"]
    assert snapshot.complete is False
    # Next run: nothing new upstream, nothing fetched but the listing; records carried forward.
    again = await kernel_changelog.collect(CONF, core_context(fleet=ctx.fleet, previous=snapshot.records))
    assert first.call_count == second.call_count == 1
    assert {r.key for r in again.records} == {r.key for r in snapshot.records}


@respx.mock
async def test_a_missing_changelog_fails_the_source(core_context):
    respx.get(RELEASES).mock(return_value=httpx.Response(200, content=LISTING))
    respx.get(TEMPLATE.format(major=3, version="3.16.85")).mock(return_value=httpx.Response(404))
    with pytest.raises(SourceError, match="HTTP 404"):
        await kernel_changelog.collect(CONF, core_context(fleet=(Pin("linux", "3.16"),)))


CHANGELOG_URL = TEMPLATE.format(major=3, version="3.16.85")


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of ChangeLog-3.16.85", truncated=CHANGELOG_3_16_85[:-40],
                 cut="truncated ChangeLog-3.16.85: the body ends mid-line", conditional=False),
)
@respx.mock
async def test_changelog_failure_table(answer, error, reason, core_context):
    """A ChangeLog fetched once and kept: a failure must fail the poll, never be read as "no commits"."""
    respx.get(RELEASES).mock(return_value=httpx.Response(200, content=LISTING))
    mock_answer(respx.get(CHANGELOG_URL), answer)
    call = kernel_changelog.collect(CONF, core_context(fleet=(Pin("linux", "3.16"),)))
    await assert_fails_naming_the_url(call, error, reason, CHANGELOG_URL)


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of releases.json", truncated=LISTING[: len(LISTING) // 2],
                 cut="releases.json is not JSON", conditional=False),
)
@respx.mock
async def test_releases_listing_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(RELEASES), answer)
    call = kernel_changelog.collect(CONF, core_context(fleet=(Pin("linux", "3.16"),)))
    await assert_fails_naming_the_url(call, error, reason, RELEASES)


async def test_no_pinned_kernel_branch_is_a_config_problem_said_plainly(core_context):
    with pytest.raises(SourceError, match="no linux branch pinned"):
        await kernel_changelog.collect(CONF, core_context(fleet=(Pin("docker", "1.10.3"),)))


@respx.mock
async def test_a_pinned_branch_kernel_org_no_longer_lists_is_one_standing_warning(core_context):
    respx.get(RELEASES).mock(return_value=httpx.Response(200, content=releases_json(entry("5.9.3", "stable"))))
    snapshot = await kernel_changelog.collect(CONF, core_context(fleet=(Pin("linux", "3.16"),)))
    [finding] = snapshot.findings
    assert finding.kind == "changelog_unavailable" and finding.severity == "warning"
    assert "linux 3.16 is not listed on kernel.org" in finding.summary
    assert snapshot.records == () and snapshot.complete is False
