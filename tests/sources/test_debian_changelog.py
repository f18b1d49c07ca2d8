"""debian_changelog on real Debian changelogs: linux 6.1 (head), docker.io, runc."""

from __future__ import annotations

import gzip

import httpx
import pytest
import respx

from bot.sources import debian_changelog
from bot.sources.api import SourceError
from bot.sources.debian_changelog import Conf, closes, parse, split_items
from tests.sources.conftest import assert_fails_naming_the_url, failure_rows, mock_answer
from tests.sources.kernel_support import FIXTURES

URL = "https://metadata.example.org/changelogs/main/l/linux/linux_changelog"
CONF = Conf(name="debian-linux", kind="debian_changelog", url=URL)
LINUX = (FIXTURES / "debian/linux-6.1.changelog.Debian.head3000.gz").read_bytes()
DOCKER = (FIXTURES / "debian/docker.io.changelog.Debian.gz").read_bytes()
RUNC = (FIXTURES / "debian/runc.changelog.Debian.gz").read_bytes()


@pytest.fixture(scope="module")
def linux():
    return parse(LINUX, CONF)


def releases(records):
    return {r.version: r for r in records if r.kind == "release"}


def lines(records, version):
    return [r for r in records if r.kind == "changelog_line" and r.version == version]


def test_every_upload_of_the_linux_head_is_a_release_with_its_metadata(linux):
    found = releases(linux)
    assert list(found) == ["6.1.170-3", "6.1.170-2", "6.1.170-1", "6.1.164-1", "6.1.162-1", "6.1.159-1"]
    top = found["6.1.170-3"].data
    assert top["distribution"] == "bookworm-security" and top["urgency"] == "high"
    assert top["date"] == "2026-05-08" and top["maintainer"] == "Salvatore Bonaccorso <carnil@debian.org>"
    assert top["bugs_closed"] == ["1135514"]
    assert all(r.product == "debian:linux" for r in linux)
    # The fixture is the first 3000 lines: its last entry has no trailer, and says so.
    assert found["6.1.159-1"].data["truncated"] is True and found["6.1.162-1"].data["truncated"] is False


def test_new_upstream_stable_update_names_the_kernel_versions_it_brings(linux):
    upload = releases(linux)["6.1.170-1"].data
    assert upload["upstream_updates"] == ["6.1.165", "6.1.166", "6.1.167", "6.1.168", "6.1.169", "6.1.170"]
    by_text = {r.data["text"]: r for r in lines(linux, "6.1.170-1")}
    assert by_text["RDMA/siw: Fix potential NULL pointer dereference in header processing"].data["upstream"] == "6.1.165"
    cve = [r for r in lines(linux, "6.1.170-1") if "CVE-2026-23231" in r.data["cves"]]
    assert len(cve) == 1 and cve[0].data["upstream"] == "6.1.165"
    assert cve[0].data["text"].endswith("(CVE-2026-23231)")  # wrapped line joined
    assert len(upload["cves"]) > 100


def test_reverts_and_closes_are_read_from_debian_items(linux):
    [revert] = [r for r in lines(linux, "6.1.170-2") if r.data["reverts"]]
    assert revert.data["reverts"] == "wifi: cfg80211: stop NAN and P2P in cfg80211_leave"
    assert revert.data["closes"] == ["1135599"]
    assert revert.data["section"] == "Salvatore Bonaccorso"  # the [ Name ] block it sits in
    assert "revert" in revert.data["classes"]
    wrapped = [r for r in lines(linux, "6.1.170-1") if r.data["reverts"].startswith("PCI/IOV")]
    assert wrapped[0].data["reverts"] == "PCI/IOV: Add PCI rescan-remove locking when enabling/disabling SR-IOV"


def test_docker_io_cves_regression_wording_and_upstream_release():
    records = parse(DOCKER, Conf(name="d", kind="debian_changelog", url=URL), ("overlay",))
    assert all(r.product == "debian:docker.io" for r in records)
    security = releases(records)["20.10.24+dfsg1-1+deb12u1"].data
    assert security["cves"] == ["CVE-2024-41110"] and security["bugs_closed"] == ["1084993"]
    [fix] = [r for r in lines(records, "20.10.24+dfsg1-1+deb12u1") if r.data["cves"]]
    assert "regression" in fix.data["classes"] and "security" in fix.data["classes"]
    assert releases(records)["20.10.24+dfsg1-1"].data["upstream_updates"] == ["20.10.24"]
    # "Encrypted overlay network" is Docker's swarm networking, not the overlay storage driver ...
    assert not [r for r in lines(records, "20.10.24+dfsg1-1") if "watch:overlay" in r.data["classes"]]
    # ... and a team that watches it says so.
    watched = parse(DOCKER, Conf(name="d", kind="debian_changelog", url=URL), ("overlay network",))
    overlay = [r for r in lines(watched, "20.10.24+dfsg1-1") if "watch:overlay network" in r.data["classes"]]
    assert [r.data["cves"] for r in overlay] == [["CVE-2023-28840"], ["CVE-2023-28841"], ["CVE-2023-28842"]]
    assert all(r.data["upstream"] == "20.10.24" for r in overlay)
    assert len(releases(records)) == 64


def test_runc_revert_with_its_regression_explanation():
    records = parse(RUNC, Conf(name="r", kind="debian_changelog", url=URL))
    [revert] = [r for r in lines(records, "1.1.3+ds1-2") if r.data["reverts"]]
    assert revert.data["reverts"] == "Vendor github.com/urfave/cli v1.22.1"
    assert revert.data["text"].endswith("Regression in github.com/urfave/cli is fixed in v1.22.9")
    assert releases(records)["1.1.5+ds1-1"].data["upstream_updates"] == ["1.1.5+ds1"]


def test_plain_text_changelogs_parse_like_gzip_ones():
    text = gzip.decompress(RUNC)
    assert parse(text, CONF) == parse(RUNC, CONF)


def test_items_split_on_bullets_and_join_continuations():
    items = split_items([
        "", "  [ Ben Hutchings ]", "  * New upstream stable update:",
        "    https://www.kernel.org/pub/linux/kernel/v3.x/ChangeLog-3.16.84",
        "    - aufs: fix a lock", "      inversion (CVE-2020-1234)", "  * Regression update (Closes: #1)",
    ])
    assert items == [
        {"text": "New upstream stable update: 3.16.84", "section": "Ben Hutchings", "upstream": ""},
        {"text": "aufs: fix a lock inversion (CVE-2020-1234)", "section": "New upstream stable update: 3.16.84",
         "upstream": "3.16.84"},
        {"text": "Regression update (Closes: #1)", "section": "Ben Hutchings", "upstream": ""},
    ]
    assert closes("Fix it (Closes: #123, #456) and closes: bug#789") == ["123", "456", "789"]


def test_a_regression_update_upload_is_flagged():
    text = (b"linux (3.16.84-1+deb8u2) jessie-security; urgency=high\n\n"
            b"  * Regression update: revert the broken aufs fix\n\n"
            b" -- Ben Hutchings <ben@decadent.org.uk>  Mon, 01 Jun 2020 10:00:00 +0100\n")
    [release, _] = parse(text, CONF)
    assert release.data["regression_update"] is True


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<!DOCTYPE html><html><body>Not Found</body></html>", "HTML"),
        (LINUX[: len(LINUX) // 2], "does not decompress"),
        (b"", "no entry found"),
        (b"just some words\n", "no entry found"),
        (gzip.compress(b"linux (1.0-1) unstable; urgency=low\n\n  * a\n\nlinux (0.9-1) unstable; urgency=low\n\n"
                       b"  * b\n\n -- A <a@example.org>  Mon, 01 Jun 2020 10:00:00 +0100\n"), "no trailer"),
    ],
)
def test_broken_changelogs_are_errors(body, reason):
    with pytest.raises(SourceError, match=reason):
        parse(body, CONF)


@respx.mock
async def test_collect_fetches_the_url(core_context):
    respx.get(URL).mock(return_value=httpx.Response(200, content=RUNC))
    snapshot = await debian_changelog.collect(CONF, core_context())
    assert snapshot.complete and len(releases(snapshot.records)) == 40


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    failure_rows(html="HTML page instead of a Debian changelog", truncated=RUNC[: len(RUNC) // 2],
                 cut="changelog.Debian.gz does not decompress"),
)
@respx.mock
async def test_collect_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(URL), answer)
    await assert_fails_naming_the_url(
        debian_changelog.collect(CONF, core_context(validators={URL: {"etag": '"old"'}})), error, reason, URL)
