"""The apt kinds' failure tables: what apt_repo and apt_sources say when InRelease or an index is answered badly.

Every row names its outcome exactly: the source fails with a one-line reason naming the URL
(InRelease unreadable, or an index that cannot be fetched at all), or the poll reports the
finding apt's own verdict calls for (a wrong index is a Hash Sum mismatch; both paths 404 is a
missing index). apt fetches unconditionally, so a 304 is an error too, never "unchanged".
"""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.sources.api import SourceError
from bot.sources.apt import host as apt_sources
from bot.sources.apt import repo as apt_repo
from tests.sources.apt_support import DEBIAN_KEYRING, MIRROR, PACKAGES, SUITE
from tests.sources.conftest import HTML_PAGE, assert_fails_naming_the_url, mock_answer

URL = "http://mirror.example.org/debian"
DISTS = f"{URL}/dists/{SUITE}"
INRELEASE = (MIRROR / f"dists/{SUITE}/InRelease").read_bytes()
INDEX = (MIRROR / PACKAGES).read_bytes()
INDEX_URL = f"{DISTS}/main/binary-amd64/Packages"
BY_HASH = f"{DISTS}/main/binary-amd64/by-hash/"

HTML = dict(status_code=200, content=HTML_PAGE)
S500, S404, S304 = dict(status_code=500), dict(status_code=404), dict(status_code=304)
S429 = dict(status_code=429, headers={"retry-after": "3600"})
TIMEOUT = dict(side_effect=httpx.ReadTimeout("timed out"))


def serve(inrelease: dict, index: dict) -> None:
    """The real suite on respx, with InRelease and the index (by name and by hash) answered as given."""
    mock_answer(respx.get(f"{DISTS}/InRelease"), inrelease)
    respx.get(f"{DISTS}/Release").respond(404)
    respx.get(f"{INDEX_URL}.xz").respond(404)
    mock_answer(respx.get(INDEX_URL), index)
    mock_answer(respx.get(url__startswith=BY_HASH), index)


GOOD_RELEASE = dict(status_code=200, content=INRELEASE)
GOOD_INDEX = dict(status_code=200, content=INDEX)

INRELEASE_ROWS = [
    pytest.param(HTML, "got an HTML page instead of a Release file", f"{DISTS}/InRelease", id="html"),
    pytest.param(S500, "HTTP 500 Internal Server Error", f"{DISTS}/InRelease", id="500"),
    pytest.param(S404, r"neither InRelease nor Release exists \(404\)", f"{DISTS}/Release", id="404"),
    pytest.param(S429, "HTTP 429, retry after 3600s", f"{DISTS}/InRelease", id="429"),
    pytest.param(TIMEOUT, "read timed out", f"{DISTS}/InRelease", id="timeout"),
    pytest.param(S304, "HTTP 304 to an unconditional request", f"{DISTS}/InRelease", id="304"),
]


def conf() -> apt_repo.Conf:
    return apt_repo.Conf(name="deb", kind="apt_repo", url=URL, suites=(SUITE,), keyring=str(DEBIAN_KEYRING))


@pytest.mark.parametrize(("answer", "reason", "url"), INRELEASE_ROWS)
@respx.mock
async def test_apt_repo_inrelease_failure_table(answer, reason, url, core_context):
    serve(answer, GOOD_INDEX)
    await assert_fails_naming_the_url(apt_repo.collect(conf(), core_context()), SourceError, reason, url)


@respx.mock
async def test_apt_repo_truncated_inrelease_is_a_signature_finding_never_last_good(core_context):
    serve(dict(status_code=200, content=INRELEASE[: len(INRELEASE) // 2]), GOOD_INDEX)
    snapshot = await apt_repo.collect(conf(), core_context())
    [finding] = snapshot.findings
    assert (finding.kind, finding.severity) == ("apt_signature_invalid", "critical")
    assert finding.summary == (f"{URL} {SUITE}: signature does not verify: InRelease refused by apt: "
                               "no signature block after the signed text")
    assert finding.data["url"] == f"{DISTS}/InRelease" and snapshot.records == ()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param(S500, "HTTP 500 Internal Server Error", id="500"),
        pytest.param(S429, "HTTP 429 Too Many Requests", id="429"),
        pytest.param(TIMEOUT, "read timed out", id="timeout"),
        pytest.param(S304, "HTTP 304 Not Modified", id="304"),
    ],
)
@respx.mock
async def test_apt_repo_index_that_cannot_be_fetched_fails_the_source(answer, reason, core_context):
    serve(GOOD_RELEASE, answer)
    await assert_fails_naming_the_url(apt_repo.collect(conf(), core_context()), SourceError, reason, INDEX_URL)


@pytest.mark.parametrize(
    ("answer", "kind", "says"),
    [
        pytest.param(HTML, "apt_hash_mismatch", "Hash Sum mismatch on main/binary-amd64/Packages by name and by hash: "
                     f"expected 32757 bytes, received {len(HTML_PAGE)} (by name)", id="html"),
        pytest.param(dict(status_code=200, content=INDEX[:5000]), "apt_hash_mismatch",
                     "by name and by hash: expected 32757 bytes, received 5000 (by name)", id="truncated"),
        pytest.param(S404, "apt_index_missing", "every listed form answers 404", id="404"),
    ],
)
@respx.mock
async def test_apt_repo_index_answered_wrongly_is_one_critical_finding(answer, kind, says, core_context):
    serve(GOOD_RELEASE, answer)
    snapshot = await apt_repo.collect(conf(), core_context())
    [finding] = snapshot.findings
    assert (finding.kind, finding.severity) == (kind, "critical")
    assert finding.summary.startswith(f"{URL} {SUITE}: ") and says in finding.summary
    assert not snapshot.complete  # no versions trusted from it


@pytest.mark.parametrize(("answer", "reason", "url"), INRELEASE_ROWS)
@respx.mock
async def test_apt_sources_failure_table(answer, reason, url, core_context, tmp_path):
    """The host's only repository unreadable: the source fails, naming the first reason and its URL."""
    sources = tmp_path / "sources.list"
    sources.write_text(f"deb [signed-by={DEBIAN_KEYRING}] {URL} {SUITE} main\n")
    serve(answer, GOOD_INDEX)
    cfg = apt_sources.Conf(name="host", kind="apt_sources", path=str(sources))
    text = await assert_fails_naming_the_url(apt_sources.collect(cfg, core_context()), SourceError, reason, url)
    assert text.startswith("no repository could be read; first: ")
