"""docker_changelog on Docker's real changelogs: moby (0.1.0 to 17.05), docker-ce 19.03, docs v29."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.sources import docker_changelog
from bot.sources.api import SourceError, Unchanged
from bot.sources.docker_changelog import Conf, check_not_truncated, collect, parse
from tests.sources.conftest import FIXTURES, assert_fails_naming_the_url, failure_rows, mock_answer

URL = "https://raw.example.org/moby/CHANGELOG.md"
CONF = Conf(name="moby-changelog", kind="docker_changelog", url=URL)


@pytest.fixture(scope="module")
def moby_body() -> bytes:
    from tests.sources.conftest import FIXTURES

    return (FIXTURES / "docker/moby-CHANGELOG.md").read_bytes()


@pytest.fixture(scope="module")
def moby(moby_body):
    return parse(moby_body, CONF, watch_words=("overlay",))


def releases(records):
    return {r.version: r for r in records if r.kind == "release"}


def lines(records, version=None):
    return [r for r in records if r.kind == "changelog_line" and version in (None, r.version)]


def line_with(records, fragment, version=None):
    found = [r for r in lines(records, version) if fragment in r.data["text"]]
    assert len(found) == 1, [r.data["text"] for r in found]
    return found[0]


def test_every_moby_version_from_0_1_0_to_17_05_is_recorded(moby):
    found = [r.version for r in moby if r.kind == "release"]
    assert len(found) == 98 == len(set(found))
    assert found[0] == "17.03.2-ce"  # the file is newest first, with 17.03.2 written above 17.05.0
    assert found[-1] == "0.1.0"
    assert "17.05.0-ce" in found
    dates = {v: releases(moby)[v].data["date"] for v in ("1.10.0", "1.10.1", "1.10.2", "1.10.3")}
    assert dates == {
        "1.10.0": "2016-02-04",
        "1.10.1": "2016-02-11",
        "1.10.2": "2016-02-22",
        "1.10.3": "2016-03-10",
    }
    assert all(r.product == "docker" and r.key == f"release:{r.version}" for r in releases(moby).values())


def test_release_counts_its_sections_and_lines(moby):
    release = releases(moby)["1.10.3"].data
    assert release["line_count"] == len(lines(moby, "1.10.3")) == 11
    assert release["sections"] == 4


def test_continuation_lines_are_joined_into_their_item(moby):
    line = line_with(moby, 'Add support for "grace periods" on healthchecks')
    assert line.version == "17.05.0-ce"
    assert line.data["text"].endswith(
        "and `docker run` to support containers with an initial startup "
        "time [#28938](https://github.com/docker/docker/pull/28938)"
    )
    assert (line.data["section"], line.data["sigil"], line.data["date"]) == ("Swarm Mode", "+", "2017-05-04")


def test_nested_items_stay_separate_lines(moby):
    runc = line_with(moby, "Update runc to 54296cf40ad8")
    nested = line_with(moby, "Ignore cgroup2 mountpoints")
    assert "cgroup2" not in runc.data["text"]
    assert nested.version == runc.version == "17.03.1-ce"


def test_fix_regression_and_watch_word_classes(moby):
    selinux = line_with(moby, "Fix SELinux regression")
    assert selinux.version == "1.13.1"
    assert {"fix", "regression"} <= set(selinux.data["classes"])
    assert selinux.data["sigil"] == "*" and selinux.data["section"] == "Runtime"
    warning = line_with(moby, "Add a warning in `docker info` when the `overlay`")
    assert "watch:overlay" in warning.data["classes"]


def test_cve_lines_in_moby_and_the_19_03_branch(moby, fixture_bytes):
    proc = line_with(moby, "Fix read/write /proc paths")
    assert proc.version == "1.6.1" and proc.data["cves"] == ["CVE-2015-3630"]
    assert proc.data["section"] == "Security" and proc.data["sigil"] == "-"

    branch = parse(fixture_bytes("docker/docker-ce-19.03-CHANGELOG.md"), CONF)
    assert len(releases(branch)) == 16
    assert releases(branch)["19.03.15"].data["date"] == "2021-01-29"
    containerd = line_with(branch, "Update bundled static binaries of containerd to v1.3.9")
    assert containerd.version == "19.03.14"
    assert containerd.data["cves"] == ["CVE-2020-15257"]
    assert "security" in containerd.data["classes"]


def test_upgrade_notes_are_lines_and_quoted_errors_are_not(moby):
    note = line_with(moby, "**IMPORTANT**: On Linux distributions where `devicemapper`", "1.13.1")
    assert note.data["sigil"] == "" and note.data["date"] == "2017-02-08"
    assert note.data["text"].endswith("or by setting \"storage-driver\" in the `daemon.json` configuration file.")
    assert not [r for r in lines(moby) if r.data["text"].startswith("Error starting daemon")]


def test_keys_are_stable_and_unique(moby, moby_body):
    again = parse(moby_body, CONF, watch_words=("overlay",))
    assert [r.key for r in again] == [r.key for r in moby]
    assert len({r.key for r in moby}) == len(moby)
    # 0.6.6 really lists "Fix regression in /etc/hosts" twice: the second gets ":2"
    twice = [r.key for r in lines(moby, "0.6.6") if r.data["text"] == "Fix regression in /etc/hosts"]
    assert len(twice) == 2 and twice[1] == twice[0] + ":2"


def test_docs_release_notes_with_hugo_dates(fixture_bytes):
    records = parse(fixture_bytes("docker/docs-engine-release-notes-29.md.excerpt"), CONF)
    assert {v: r.data["date"] for v, r in releases(records).items()} == {
        "29.0.3": "2025-11-24",
        "29.0.2": "2025-11-17",
        "29.0.1": "2025-11-14",
    }
    crash = line_with(records, "daemon crash when using a remote network driver plugin")
    assert crash.version == "29.0.3" and crash.data["section"] == "Networking"
    assert not [r for r in lines(records) if "title:" in r.data["text"]]  # front matter skipped


def test_heading_with_a_link(moby_body):
    linked = moby_body.replace(
        b"## 1.13.0 (2017-01-18)",
        b"## [1.13.0](https://github.com/docker/docker/releases/tag/v1.13.0) (2017-01-18)",
    )
    assert linked != moby_body
    assert releases(parse(linked, CONF))["1.13.0"].data["date"] == "2017-01-18"


def cut_after(body: bytes, marker: bytes) -> bytes:
    return body[: body.index(marker) + len(marker)]


@pytest.mark.parametrize(
    ("name", "mangle", "reason"),
    [
        ("html", lambda b: b"<!DOCTYPE html><html><body>Rate limit</body></html>\n", "HTML"),
        ("empty", lambda b: b"", "empty"),
        ("blank", lambda b: b"\n\n  \n", "empty"),
        ("no heading", lambda b: b"# Docker\n\nSee the docs.\n", "no version heading"),
        ("cut mid-line", lambda b: b[: len(b) // 2], "mid-line"),
        ("cut after a heading", lambda b: cut_after(b, b"## 1.10.0 (2016-02-04)\n"), "has no items"),
        ("cut in a code block", lambda b: cut_after(b, b"```none\n"), "never closed"),
        ("not utf-8", lambda b: b"## 1.0.0 (2014-06-09)\n\n- caf\xe9\n", "UTF-8"),
    ],
)
def test_bad_bodies_raise_never_return_empty(moby_body, name, mangle, reason):
    with pytest.raises(SourceError, match=reason) as caught:
        parse(mangle(moby_body), CONF)
    assert "\n" not in str(caught.value)


def test_front_matter_never_closed_is_truncation(fixture_bytes):
    body = fixture_bytes("docker/docs-engine-release-notes-29.md.excerpt")
    with pytest.raises(SourceError, match="front matter"):
        parse(cut_after(body, b"toc_min: 1\n"), CONF)


def test_clean_cut_at_a_line_boundary_is_caught_against_the_last_good_run(moby, moby_body):
    cut = cut_after(moby_body, b"* Fix regression in /etc/hosts\n")  # parses cleanly, loses 0.6.5..0.1.0
    shorter = parse(cut, CONF)
    assert "0.1.0" not in releases(shorter)
    with pytest.raises(SourceError, match=r"oldest version seen before \(0.1.0\) is missing"):
        check_not_truncated(shorter, moby, URL, "docker")
    with pytest.raises(SourceError, match=r"rename the source in sources.yaml to record a new baseline"):
        check_not_truncated(shorter, moby, URL, "docker")  # what to do if upstream really dropped them
    check_not_truncated(moby, shorter, URL, "docker")  # growing is fine
    check_not_truncated(moby, (), URL, "docker")  # first run: nothing to compare


@respx.mock
async def test_collect_fetches_and_parses_with_the_watch_words(moby_body, core_context):
    respx.get(URL).respond(200, content=moby_body, headers={"content-type": "text/plain"})
    ctx = core_context(watch_words=("devicemapper",))
    snapshot = await collect(CONF, ctx)
    assert snapshot.complete is True
    assert len(releases(snapshot.records)) == 98
    assert any("watch:devicemapper" in r.data["classes"] for r in lines(snapshot.records))
    assert "text/markdown" in respx.calls.last.request.headers["accept"]


@respx.mock
async def test_collect_refuses_a_body_that_lost_old_versions(moby, moby_body, core_context):
    respx.get(URL).respond(200, content=cut_after(moby_body, b"* Fix regression in /etc/hosts\n"))
    with pytest.raises(SourceError, match="truncated"):
        await collect(CONF, core_context(previous=tuple(moby)))


MOBY = (FIXTURES / "docker/moby-CHANGELOG.md").read_bytes()


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        pytest.param(dict(status_code=200, content=b"<html><head></head><body>Sign in</body></html>"), SourceError,
                     "got an HTML page instead of the markdown changelog", id="html-bare"),
        pytest.param(dict(status_code=200, content=b""), SourceError, "empty changelog body", id="empty"),
        pytest.param(dict(status_code=200, content=b"## 1.10.3 (2016-03-10)\n\n- Fix a cras"), SourceError,
                     "truncated changelog: the body ends mid-line", id="truncated-short"),
        *failure_rows(html="got an HTML page instead of the markdown changelog", truncated=MOBY[: len(MOBY) // 2],
                      cut="truncated changelog: the body ends mid-line"),
    ],
)
@respx.mock
async def test_collect_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(URL), answer)
    await assert_fails_naming_the_url(collect(CONF, core_context(validators={URL: {"etag": '"old"'}})),
                                      error, reason, URL)


def test_kind_is_registered():
    from bot.sources.registry import KINDS

    assert KINDS["docker_changelog"] is docker_changelog.KIND


def test_rc_versions_are_prereleases(moby_body):
    body = moby_body.replace(b"## 17.05.0-ce (2017-05-04)", b"## 17.05.0-ce-rc1 (2017-04-20)")
    found = releases(parse(body, CONF))
    assert found["17.05.0-ce-rc1"].data["prerelease"] is True
    assert found["17.03.2-ce"].data["prerelease"] is False


@respx.mock
async def test_collect_through_the_core_context_remembers_the_etag(moby_body, core_context):
    route = respx.get(URL)
    route.side_effect = [
        httpx.Response(200, content=moby_body, headers={"etag": '"abc"'}),
        httpx.Response(304),
    ]
    first = core_context()
    snapshot = await collect(CONF, first)
    assert len(releases(snapshot.records)) == 98
    second = core_context(previous=snapshot.records, validators=first.new_validators)
    with pytest.raises(Unchanged):
        await collect(CONF, second)
    assert route.calls[1].request.headers["if-none-match"] == '"abc"'
