"""github_releases on a real GitHub releases.atom capture (hashicorp/consul layout)."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.config import load as configuration
from bot.core.errors import ConfigError
from bot.sources import github_releases
from bot.sources.api import SourceError
from bot.sources.github_releases import Conf, collect, default_product, html_lines, parse
from tests.sources.conftest import FIXTURES, assert_fails_naming_the_url, failure_rows, mock_answer

CONF = Conf(name="consul", kind="github_releases", repo="hashicorp/consul")
SAMPLE = (FIXTURES / "github/releases.atom.sample.xml").read_bytes()


def releases(records):
    return {r.version: r for r in records if r.kind == "release"}


def test_conf_defaults_url_and_product():
    assert CONF.url == "https://github.com/hashicorp/consul/releases.atom"
    assert CONF.product == "consul"
    assert default_product("moby/moby") == "docker"
    assert default_product("docker/cli") == "docker"
    mirror = Conf(name="m", kind="github_releases", repo="moby/moby", url="http://127.0.0.1:9/m.atom", product="engine")
    assert (mirror.url, mirror.product) == ("http://127.0.0.1:9/m.atom", "engine")
    with pytest.raises(ValueError, match="OWNER/NAME"):
        Conf(name="bad", kind="github_releases", repo="https://github.com/moby/moby")


def test_a_bad_repo_in_the_config_is_one_line_naming_file_source_and_key(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: gh, kind: github_releases, repo: 'https://github.com/moby/moby'}\n")
    with pytest.raises(ConfigError) as caught:
        configuration.load(path)
    assert str(caught.value) == (
        f"{path}: sources[0] gh: 'repo' must be OWNER/NAME, got 'https://github.com/moby/moby'"
    )


def test_parses_tags_dates_and_links_of_the_real_feed():
    found = releases(parse(SAMPLE, CONF))
    assert list(found) == ["2.1.1", "2.1.0", "2.0.0", "1.0.19", "1.0.18", "1.0.17", "1.0.16", "1.0.15"]
    latest = found["2.1.1"].data
    assert latest["tag"] == "v2.1.1" and latest["title"] == "v2.1.1"
    assert latest["url"] == "https://github.com/hashicorp/consul/releases/tag/v2.1.1"
    assert latest["date"] == "2023-08-04"
    # dates are UTC days: 2023-07-18T00:46:55+03:00 is still the 17th in UTC
    assert found["2.1.0"].data["date"] == "2023-07-17"
    assert not any(r.data["prerelease"] for r in found.values())
    assert all(r.product == "consul" for r in found.values())


def test_notes_become_classified_lines_with_their_heading_as_section():
    records = parse(SAMPLE, CONF, watch_words=("arm64",))
    notes = releases(records)["2.1.0"].data["notes"]
    assert notes[0] == "Changelog"
    assert "99c3c59 fix: fix code smell" in notes
    lines = {r.data["text"]: r for r in records if r.kind == "changelog_line" and r.version == "2.1.0"}
    smell = lines["99c3c59 fix: fix code smell"]
    assert smell.data["section"] == "Changelog" and "fix" in smell.data["classes"]
    assert smell.key.startswith("line:2.1.0:")
    assert "Changelog" not in lines  # headings name sections, they are not lines
    arm = [r for r in records if r.kind == "changelog_line" and "arm64" in r.data["text"]]
    assert arm and all("watch:arm64" in r.data["classes"] for r in arm)
    assert len({r.key for r in records}) == len(records)


def test_prerelease_from_tag_or_title_and_tag_from_link():
    body = SAMPLE.replace(b"/v2.1.1", b"/v2.2.0-rc.1").replace(
        b"<title>v2.0.0</title>", b"<title>v2.0.0 (pre-release)</title>"
    )
    body = body.replace(b"<id>tag:github.com,2008:Repository/621493965/v1.0.19</id>", b"<id>urn:x</id>")
    found = releases(parse(body, Conf(name="consul", kind="github_releases", repo="hashicorp/consul",
                                      prereleases=True)))
    assert "2.2.0-rc.1" not in releases(parse(body, CONF))  # skipped unless prereleases: true
    assert found["2.2.0-rc.1"].data["prerelease"] is True
    assert found["2.0.0"].data["prerelease"] is True
    assert found["2.1.0"].data["prerelease"] is False
    assert found["1.0.19"].data["tag"] == "v1.0.19"  # from the release link


def test_docker_entry_id_gives_the_tag():
    body = SAMPLE.replace(b"Repository/621493965/v2.1.1", b"Repository/7691631/v29.0.3")
    conf = Conf(name="moby", kind="github_releases", repo="moby/moby")
    found = releases(parse(body, conf))
    assert "29.0.3" in found and found["29.0.3"].product == "docker"


EMPTY_FEED = SAMPLE[: SAMPLE.index(b"  <entry>")] + b"</feed>\n"


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("html", b"<!DOCTYPE html>\n<html><body><h1>Unicorn!</h1></body></html>", "HTML"),
        ("empty", b"", "empty"),
        ("no entries", EMPTY_FEED, "no release entries"),
        ("truncated with entries", SAMPLE[: len(SAMPLE) // 2], "malformed or truncated"),
        ("truncated in the header", SAMPLE[:300], "malformed or truncated"),
        ("json", b'{"message": "API rate limit exceeded"}', "malformed or truncated|no release entries"),
        ("entity declarations", b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
         b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title>&b;</title></entry></feed>',
         "declares XML entities"),
        ("external entity", b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title>&e;</title></entry></feed>',
         "declares XML entities or external references"),
        ("rss", b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>v1.0</title></item></channel></rss>',
         r"not an Atom feed \(its root element is <rss>\)"),
    ],
)
def test_bad_feeds_raise_never_return_empty(name, body, reason):
    with pytest.raises(SourceError, match=reason) as caught:
        parse(body, CONF)
    assert "\n" not in str(caught.value)


def test_notes_in_xhtml_or_text_content_read_as_their_lines():
    xhtml = SAMPLE.replace(SAMPLE[SAMPLE.index(b'<content type="html">'):SAMPLE.index(b"</content>") + 10],
                           b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><h2>Fixes</h2>'
                           b"<ul><li>fix CVE-2023-1234 in the proxy</li></ul></div></content>", 1)
    lines = [r.data for r in parse(xhtml, CONF) if r.kind == "changelog_line" and r.version == "2.1.1"]
    assert [(line["section"], line["text"]) for line in lines] == [("Fixes", "fix CVE-2023-1234 in the proxy")]
    text = xhtml.replace(xhtml[xhtml.index(b'<content type="xhtml">'):xhtml.index(b"</content>") + 10],
                         b'<content type="text">use a &lt;tag&gt; literally</content>', 1)
    assert releases(parse(text, CONF))["2.1.1"].data["notes"] == ["use a <tag> literally"]


def test_html_lines_break_on_blocks_and_keep_code_lines():
    html = "<h3>Security</h3><ul><li>Fix <code>CVE-2024-1</code>\n in runc</li></ul><pre>a\nb</pre>"
    assert html_lines(html) == [("Security", True), ("Fix CVE-2024-1 in runc", False), ("a", False), ("b", False)]


@respx.mock
async def test_collect_is_an_incomplete_snapshot(core_context):
    respx.get(CONF.url).respond(200, content=SAMPLE, headers={"content-type": "application/atom+xml"})
    ctx = core_context(watch_words=("aws-sdk-go",))
    snapshot = await collect(CONF, ctx)
    assert snapshot.complete is False  # ten latest entries only: absence is not withdrawal
    assert len(releases(snapshot.records)) == 8
    assert any("watch:aws-sdk-go" in r.data.get("classes", ()) for r in snapshot.records)
    assert "atom" in respx.calls.last.request.headers["accept"]


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        pytest.param(dict(status_code=200, content=b"<html><body>Whoa there!</body></html>"), SourceError,
                     "got an HTML page instead of the releases Atom feed", id="html-bare"),
        pytest.param(dict(status_code=200, content=b""), SourceError, "feed", id="empty"),
        *failure_rows(html="got an HTML page instead of the releases Atom feed", truncated=SAMPLE[:5000],
                      cut="malformed or truncated feed"),
    ],
)
@respx.mock
async def test_collect_failure_table(answer, error, reason, core_context):
    mock_answer(respx.get(CONF.url), answer)
    await assert_fails_naming_the_url(collect(CONF, core_context(validators={CONF.url: {"etag": '"old"'}})),
                                      error, reason, CONF.url)


def test_kind_is_registered():
    from bot.sources.registry import KINDS

    assert KINDS["github_releases"] is github_releases.KIND


@respx.mock
async def test_collect_through_the_core_context_retries_a_500(core_context):
    route = respx.get(CONF.url)
    route.side_effect = [httpx.Response(500), httpx.Response(200, content=SAMPLE)]
    snapshot = await collect(CONF, core_context())
    assert len(releases(snapshot.records)) == 8 and snapshot.complete is False
    assert route.call_count == 2


MOBY = (FIXTURES / "github/moby-releases.atom.xml").read_bytes()


def test_a_moby_shaped_feed_gives_only_engine_versions():
    """moby/moby's shipped tag_pattern: docker-vX.Y.Z and plain vX.Y.Z, never its Go module tags."""
    moby = Conf(name="moby", kind="github_releases", repo="moby/moby")
    found = releases(parse(MOBY, moby))
    assert list(found) == ["29.1.0", "29.0.4", "28.5.2", "29.0.0"]  # no api/, client/, v2.0.0-beta.N, no -rc
    assert found["29.1.0"].data["tag"] == "docker-v29.1.0" and found["29.1.0"].product == "docker"
    with_rc = releases(parse(MOBY, Conf(name="m", kind="github_releases", repo="moby/moby", prereleases=True)))
    assert "29.1.0-rc.1" in with_rc and "2.0.0-beta.5" not in with_rc and "1.52.0" not in with_rc
    # without the filter (a user's own pattern that takes everything), the module tags read as versions
    loose = releases(parse(MOBY, Conf(name="m", kind="github_releases", repo="moby/moby", tag_pattern=r"(?:.*/)?v?(.+)",
                                      prereleases=True)))
    assert {"1.52.0", "0.2.0", "2.0.0-beta.5"} <= set(loose)


def test_tag_pattern_and_exclude_and_their_config_errors():
    conf = Conf(name="c", kind="github_releases", repo="moby/moby", exclude=(r"^v28\.",))
    assert "28.5.2" not in releases(parse(MOBY, conf))
    with pytest.raises(ValueError, match="needs a group"):
        Conf(name="c", kind="github_releases", repo="o/r", tag_pattern=r"docker-v.+")
    with pytest.raises(ValueError, match="not a regular expression"):
        Conf(name="c", kind="github_releases", repo="o/r", exclude=("(",))
    with pytest.raises(SourceError, match="no tag of the feed matches"):
        parse(MOBY, Conf(name="c", kind="github_releases", repo="o/r", tag_pattern=r"release-(\d+)"))
