"""apt_sources: the host's own apt configuration, parsed like apt and checked repository by repository."""

from __future__ import annotations

import pytest

from bot.sources.api import Record, SourceError
from bot.sources.apt import host as apt_sources
from bot.sources.apt.host import Conf
from bot.sources.apt.sources_list import parse_sources, read_entries
from tests.sources.apt_support import (
    DEBIAN_KEYRING,
    DEBIAN_SIGNERS,
    INRELEASE_PATH,
    SUITE,
    TestKey,
    build_mirror,
    core_collect,
    release_text,
)

AMD64 = ("amd64",)

DEB822 = """\
# Debian, as the installer writes it
Types: deb deb-src
URIs: http://example.org/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://example.org/debian
Suites: trixie
Components: main

Enabled: no
Types: deb
URIs: http://example.org/disabled
Suites: bookworm
Components: main

Types: deb
URIs: https://example.org/linux/debian
Suites: bookworm
Components: stable
Architectures: amd64 arm64
Signed-By: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88

Types: deb
URIs: http://example.org/flat
Suites: ./
"""

ONE_LINE = """\
deb http://example.org/debian bookworm main  # trailing comment
deb-src http://example.org/debian bookworm main
# deb http://example.org/commented bookworm main
deb [arch=amd64,arm64 signed-by=/etc/apt/keyrings/docker.asc] https://example.org/docker bookworm stable
deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [ trusted=yes ] http://example.org/local ./
"""


def test_deb822_entries_skip_disabled_sources_only_and_flat_repositories():
    entries, notes = parse_sources(DEB822, "debian.sources", AMD64)
    assert [e.repo_id for e in entries] == [
        "http://example.org/debian bookworm",
        "http://example.org/debian bookworm-updates",
        "https://example.org/linux/debian bookworm",
    ]
    first, _, docker = entries
    assert first.components == ("main", "contrib") and first.architectures == AMD64
    assert first.keyrings == ("/usr/share/keyrings/debian-archive-keyring.gpg",) and first.fingerprints == ()
    assert docker.architectures == ("amd64", "arm64")
    assert docker.fingerprints == ("9DC858229FC7DD38854AE2D88D81803C0EBFCD88",) and docker.keyrings == ()
    assert notes == ["debian.sources#5: skipped http://example.org/flat ./: flat repository (no dists/), not checked"]


def test_one_line_entries_with_options_comments_and_skips():
    entries, notes = parse_sources(ONE_LINE, "sources.list", AMD64)
    assert [(e.uri, e.suite, e.components) for e in entries] == [
        ("http://example.org/debian", "bookworm", ("main",)),
        ("https://example.org/docker", "bookworm", ("stable",)),
    ]
    assert entries[1].architectures == ("amd64", "arm64")
    assert entries[1].keyrings == ("/etc/apt/keyrings/docker.asc",)
    assert entries[1].origin == "sources.list:4"
    assert len(notes) == 2 and "only http(s)" in notes[0] and "flat repository" in notes[1]


def test_inline_signed_by_key_block_is_rebuilt_as_armor():
    text = ("Types: deb\nURIs: http://example.org/x\nSuites: s\nComponents: main\nSigned-By:\n"
            " -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n QUJD\n =abcd\n -----END PGP PUBLIC KEY BLOCK-----\n")
    [entry], _ = parse_sources(text, "x.sources", AMD64)
    assert entry.inline_keys == (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nQUJD\n=abcd\n"
                                 b"-----END PGP PUBLIC KEY BLOCK-----\n",)
    assert entry.keyrings == ()


def test_default_keyrings_debian_archive_keyring_or_trusted_parts(tmp_path):
    parts = tmp_path / "trusted.gpg.d"
    parts.mkdir()
    (parts / "vendor.asc").write_text("x")
    (parts / "README").write_text("not a key")
    (tmp_path / "trusted.gpg").write_bytes(b"x")
    conf = Conf(name="h", kind="apt_sources", debian_keyring=str(DEBIAN_KEYRING), trusted_parts=str(parts))
    [debian, vendor], _ = parse_sources("deb http://example.org/debian-security s main\n"
                                        "deb http://example.org/vendor s main\n", "l", AMD64)
    assert apt_sources.default_keyrings(debian, conf) == (DEBIAN_KEYRING,)
    assert apt_sources.default_keyrings(vendor, conf) == (parts / "vendor.asc", tmp_path / "trusted.gpg")


def test_read_entries_from_a_directory_reads_only_list_and_sources_files(tmp_path):
    (tmp_path / "a.sources").write_text(DEB822)
    (tmp_path / "b.list").write_text(ONE_LINE)
    (tmp_path / "c.list.disabled").write_text("deb http://example.org/ignored s main\n")
    entries, _ = read_entries(str(tmp_path), ("amd64",))
    assert len(entries) == 4  # the duplicated debian bookworm entry counts once
    assert not any("ignored" in e.uri for e in entries)
    (tmp_path / "a.sources").unlink()
    (tmp_path / "b.list").write_text("deb-src http://example.org/debian bookworm main\n")
    with pytest.raises(SourceError, match="no enabled"):
        read_entries(str(tmp_path), ("amd64",))
    with pytest.raises(SourceError, match="no apt sources"):
        read_entries(str(tmp_path / "missing"), ("amd64",))


def test_parse_gives_one_record_per_repository():
    records = apt_sources.parse(ONE_LINE.encode(), Conf(name="h", kind="apt_sources", path="sources.list"))
    assert [r.key for r in records] == ["source:http://example.org/debian bookworm",
                                        "source:https://example.org/docker bookworm"]
    assert all(isinstance(r, Record) and r.kind == "apt_source" and r.product == "apt:h" for r in records)


async def test_collect_checks_every_repository_with_its_own_keys(mirror, tmp_path):
    key = TestKey(tmp_path / "gnupg")
    other = build_mirror(tmp_path / "mirror" / "vendor")
    (other / INRELEASE_PATH).write_bytes(key.clearsign(release_text()))
    armored = key.keyring(tmp_path / "vendor.asc", armor=True).read_text()
    inline = "\n".join(" " + (line or ".") for line in armored.strip().splitlines())
    sources = tmp_path / "host.sources"
    sources.write_text(
        f"Types: deb\nURIs: {mirror.url}/\nSuites: {SUITE}\nComponents: main\nSigned-By: {DEBIAN_KEYRING}\n\n"
        f"Types: deb\nURIs: {mirror.url}/vendor\nSuites: {SUITE}\nComponents: main\nSigned-By:\n{inline}\n\n"
        f"Types: deb\nURIs: {mirror.url}/gone\nSuites: {SUITE}\nComponents: main\n"
        f"Signed-By: {DEBIAN_KEYRING} {DEBIAN_SIGNERS[0]}\n"
    )
    conf = Conf(name="host", kind="apt_sources", path=str(sources), watch_packages=("tzdata",))
    snapshot = await core_collect(apt_sources, conf)
    states = {r.key: r.data["fingerprint"] for r in snapshot.records if r.kind == "repo_state"}
    assert states == {f"repo:{mirror.url} {SUITE}": " ".join(sorted(DEBIAN_SIGNERS)),
                      f"repo:{mirror.url}/vendor {SUITE}": key.fingerprint}
    [finding] = snapshot.findings
    assert finding.kind == "apt_repo_unreachable" and finding.key == f"apt:host:{mirror.url}/gone {SUITE}:unreachable"
    assert finding.polls_to_open == 3
    # an open hash incident of the unreadable repository must not read as "resolved"
    assert f"apt:host:{mirror.url}/gone {SUITE}:" in snapshot.unchecked
    assert not any(p.startswith(f"apt:host:{mirror.url} {SUITE}") for p in snapshot.unchecked)
    [release] = [r for r in snapshot.records if r.kind == "release"]
    assert release.product == "debian:tzdata"
    assert release.data["indexes"] == [f"{mirror.url} {SUITE}/main/binary-amd64", f"{mirror.url}/vendor {SUITE}/main/binary-amd64"]
    assert len([r for r in snapshot.records if r.kind == "apt_source"]) == 3


async def test_signed_by_fingerprint_restricts_the_keyring(mirror, tmp_path):
    sources = tmp_path / "one.list"
    wrong = "0" * 40
    sources.write_text(f"deb [signed-by={DEBIAN_KEYRING},{wrong}] {mirror.url} {SUITE} main\n")
    snapshot = await core_collect(apt_sources, Conf(name="h", kind="apt_sources", path=str(sources)))
    [finding] = snapshot.findings
    assert finding.kind == "apt_signature_invalid" and "not by a Signed-By key" in finding.summary
    sources.write_text(f"deb [signed-by={DEBIAN_KEYRING},{DEBIAN_SIGNERS[1]}] {mirror.url} {SUITE} main\n")
    snapshot = await core_collect(apt_sources, Conf(name="h", kind="apt_sources", path=str(sources)))
    assert snapshot.findings == ()
    [state] = [r for r in snapshot.records if r.kind == "repo_state"]
    assert state.data["fingerprint"] == DEBIAN_SIGNERS[1]


async def test_every_repository_unreadable_is_a_source_error(tmp_path):
    sources = tmp_path / "one.list"
    sources.write_text(f"deb [signed-by={DEBIAN_KEYRING}] http://127.0.0.1:9/debian {SUITE} main\n")
    with pytest.raises(SourceError, match="no repository could be read"):
        await core_collect(apt_sources, Conf(name="h", kind="apt_sources", path=str(sources)))


def test_one_repository_split_over_two_lines_keeps_every_component(tmp_path):
    """`deb URL bookworm main` plus, elsewhere, `deb URL bookworm contrib`: apt fetches both indexes."""
    (tmp_path / "a.list").write_text("deb http://example.org/debian bookworm main\n")
    (tmp_path / "b.list").write_text("deb [arch=arm64] http://example.org/debian bookworm contrib non-free\n")
    [entry], _ = read_entries(str(tmp_path), ("amd64",))
    assert entry.components == ("main", "contrib", "non-free")
    assert entry.architectures == ("amd64", "arm64")
