"""Pure Release and index logic, from the real fixture files."""

from __future__ import annotations

import gzip
import hashlib
import lzma
from datetime import UTC, datetime

import pytest

from bot.sources.api import SourceError
from bot.sources.apt import packages_index as apt_index
from bot.sources.apt import release as apt_release
from tests.sources.apt_support import MIRROR, PACKAGES, PACKAGES_SHA256, release_text

INFO = apt_release.parse_release(release_text())
PLAIN = (MIRROR / PACKAGES).read_bytes()


def test_release_fields_of_the_real_file():
    assert (INFO.origin, INFO.label, INFO.suite, INFO.codename, INFO.version) == (
        "Debian", "Debian", "oldstable-updates", "bookworm-updates", "12-updates")
    assert INFO.date == datetime(2026, 11, 26, 2, 14, 46, tzinfo=UTC) and INFO.valid_until is None
    assert INFO.acquire_by_hash and "amd64" in INFO.architectures and INFO.components[0] == "main"
    assert len(INFO.files) == 480  # every SHA256 line of the real file


def test_index_forms_in_apt_order_and_by_hash_path():
    forms = apt_release.index_candidates(INFO, "main", "amd64")
    assert [f.path for f in forms] == ["main/binary-amd64/Packages.xz", "main/binary-amd64/Packages"]
    assert forms[1].sha256 == PACKAGES_SHA256 and forms[1].size == 32757
    assert forms[1].by_hash_path() == f"main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}"
    assert apt_release.index_candidates(INFO, "main", "riscv64") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "no SHA256"), (b"<html><body>502</body></html>", "no SHA256"),
     (b"Date: yesterday\nSHA256:\n " + b"a" * 64 + b" 1 x\n", "date does not parse"),
     (b"SHA256:\n " + b"a" * 64 + b" many x\n", "malformed")],
)
def test_broken_release_is_an_error(body, message):
    with pytest.raises(SourceError, match=message):
        apt_release.parse_release(body)


def test_rollback_and_key_change_compare_with_the_last_good_state():
    state = INFO.state(("AAA", "BBB"))
    assert not apt_release.is_rollback(INFO, state)
    assert apt_release.is_rollback(INFO, {**state, "date": "2026-11-27T00:00:00+00:00"})
    assert not apt_release.is_rollback(INFO, None)
    assert apt_release.key_changed(("AAA", "BBB"), state) == ()
    assert apt_release.key_changed(("AAA", "CCC"), state) == ("CCC",)
    assert apt_release.key_changed(("CCC",), None) == ()  # first run: nothing to compare with


def test_mismatch_text_reads_like_apt():
    [entry] = [f for f in apt_release.index_candidates(INFO, "main", "amd64") if f.path.endswith("Packages")]
    text = apt_release.mismatch_text("http://127.0.0.1/x", entry, 9, "ab" * 32, INFO.date)
    assert text.splitlines() == [
        "Failed to fetch http://127.0.0.1/x  Hash Sum mismatch",
        "   Hashes of expected file:",
        f"    - SHA256:{PACKAGES_SHA256}",
        "    - Filesize:32757 [weak]",
        "   Hashes of received file:",
        f"    - SHA256:{'ab' * 32}",
        "    - Filesize:9 [weak]",
        "   Release file created at: Thu, 26 Nov 2026 02:14:46 +0000",
    ]


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
@pytest.mark.parametrize(("suffix", "pack"), [("", bytes), (".xz", lzma.compress), (".gz", gzip.compress)])
def test_stanzas_split_across_chunks_are_read_whole(size, suffix, pack):
    raw = pack(PLAIN)
    check = apt_index.feed_all(apt_index.IndexCheck("Packages" + suffix, frozenset({"tzdata", "openssl"})),
                               (raw[i:i + size] for i in range(0, len(raw), size)))
    assert check.sha256 == hashlib.sha256(raw).hexdigest() and check.size == len(raw)
    assert check.versions == {"tzdata": {"2025b-0+deb12u1"}, "openssl": {"3.0.17-1~deb12u2"}}
    assert check.error == ""


def test_truncated_compressed_index_is_flagged():
    raw = lzma.compress(PLAIN)[:-50]
    check = apt_index.feed_all(apt_index.IndexCheck("Packages.xz", frozenset({"tzdata"})), [raw])
    assert "truncated" in check.error


def test_hash_file_matches_sha256(tmp_path):
    path = tmp_path / "Packages"
    path.write_bytes(PLAIN)
    assert apt_index.hash_file(path) == (32757, PACKAGES_SHA256)


@pytest.mark.parametrize(("suffix", "pack"), [(".gz", gzip.compress), (".xz", lambda b: lzma.compress(b, preset=0))])
def test_decompression_bomb_is_refused_in_bounded_memory(suffix, pack):
    """A 60 KB index that inflates to 64 MiB (no stanza end) must not be held in memory to parse it."""
    import tracemalloc

    bomb = pack(b"Package: tzdata\nDescription: " + b"A" * (64 << 20))
    tracemalloc.start()
    try:
        check = apt_index.feed_all(apt_index.IndexCheck("Packages" + suffix, frozenset({"tzdata"})), [bomb])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert check.error and check.versions == {}
    assert check.sha256 == hashlib.sha256(bomb).hexdigest()  # still hashed as served
    assert peak < 24 << 20, f"peak {peak >> 20} MiB"


def test_release_dates_in_every_zone_apt_accepts():
    for text in ("Thu, 26 Nov 2026 02:14:46 UTC", "Thu, 26 Nov 2026 02:14:46 -0000",
                 "Thu, 26 Nov 2026 02:14:46 +0000", "Thu, 26 Nov 2026 03:14:46 +0100"):
        assert apt_release.parse_date(text) == datetime(2026, 11, 26, 2, 14, 46, tzinfo=UTC), text
