"""apt_repo against a real mirror tree on 127.0.0.1: the real Debian InRelease, Packages and keyring.

Each test tampers with a copy of the tree the way a broken mirror or an attacker
would, and checks the finding an operator would be paged with.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
from datetime import UTC, datetime, timedelta

import pytest
import respx

from bot.sources.api import Record, SourceError
from bot.sources.apt import repo as apt_repo
from tests.sources.apt_support import (
    DEBIAN_KEYRING,
    DEBIAN_SIGNERS,
    MIRROR,
    PACKAGES,
    PACKAGES_SHA256,
    SUITE,
    TestKey,
    core_collect,
    release_text,
    with_fields,
)

INRELEASE = f"dists/{SUITE}/InRelease"
BY_HASH = f"dists/{SUITE}/main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}"
INDEX_KEY = f"apt:deb:{SUITE}:hash:main/binary-amd64/Packages"




def conf(mirror, keyring=DEBIAN_KEYRING, **extra):
    return apt_repo.Conf(name="deb", kind="apt_repo", url=mirror.url, suites=(SUITE,),
                         keyring=str(keyring), **extra)


async def poll(mirror, previous=(), clock=None, **extra):
    return await core_collect(apt_repo, conf(mirror, **extra), previous=previous, clock=clock)


def kinds(snapshot):
    return sorted(f.kind for f in snapshot.findings)


def state(snapshot):
    [record] = [r for r in snapshot.records if r.kind == "repo_state"]
    return record


def signed_release(key, files, **fields):
    """A minimal Release listing `files` (path -> bytes), clearsigned by the test key."""
    head = {"Origin": "Test", "Label": "Test", "Suite": "stable", "Codename": SUITE,
            "Date": "Thu, 26 Nov 2026 02:14:46 UTC", "Architectures": "amd64", "Components": "main"}
    head.update({k.replace("_", "-"): v for k, v in fields.items()})
    lines = [f"{k}: {v}" for k, v in head.items()] + ["SHA256:"]
    lines += [f" {hashlib.sha256(b).hexdigest()} {len(b):8d} {p}" for p, b in files.items()]
    return key.clearsign("\n".join(lines).encode() + b"\n")


async def test_untouched_real_tree_verifies_with_no_finding(mirror):
    snapshot = await poll(mirror)
    assert snapshot.findings == ()
    record = state(snapshot)
    assert record.key == f"repo:{SUITE}"
    assert record.data["fingerprint"].split() == sorted(DEBIAN_SIGNERS)
    assert record.data["origin"] == "Debian" and record.data["codename"] == SUITE
    assert record.data["date"] == "2026-11-26T02:14:46+00:00" and record.data["valid_until"] == ""
    # apt's order: the listed .xz first (absent here), then the plain file, then its by-hash copy
    asked = [p for p in mirror.requests if "binary-amd64" in p]
    assert asked == [f"/{PACKAGES}.xz", f"/{PACKAGES}",
                     f"/dists/{SUITE}/main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}"]


async def test_without_gpg_the_expiry_check_says_it_is_not_running(mirror, monkeypatch):
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "gpg" else real(name))
    snapshot = await poll(mirror)
    [finding] = snapshot.findings
    assert finding.kind == "apt_check_incomplete" and finding.severity == "warning"
    assert "gpg is not installed" in finding.summary
    assert state(snapshot).data["origin"] == "Debian"  # the signature itself was still verified


async def test_one_changed_byte_in_packages_is_a_hash_mismatch_naming_the_file(mirror):
    mirror.path(BY_HASH).unlink()  # nothing right to fall back to: apt fails on the named file
    path = mirror.path(PACKAGES)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x20
    path.write_bytes(bytes(data))
    snapshot = await poll(mirror)
    [finding] = snapshot.findings
    assert finding.kind == "apt_hash_mismatch" and finding.severity == "critical"
    assert finding.key == f"apt:deb:{SUITE}:hash:main/binary-amd64/Packages"
    assert "main/binary-amd64/Packages" in finding.summary
    assert finding.data["expected"] == {"sha256": PACKAGES_SHA256, "size": 32757}
    assert finding.data["received"] == {"sha256": hashlib.sha256(data).hexdigest(), "size": 32757}
    assert "Hash Sum mismatch" in finding.data["apt"] and f"SHA256:{PACKAGES_SHA256}" in finding.data["apt"]
    assert finding.polls_to_open == 2  # mirrors sync InRelease a moment before the indexes


async def test_mismatch_key_ignores_the_received_hash_so_changing_garbage_is_one_incident(mirror):
    keys = set()
    for garbage in (b"junk one\n", b"other junk\n"):
        mirror.path(PACKAGES).write_bytes(garbage)
        keys |= {f.key for f in (await poll(mirror)).findings}
    assert keys == {f"apt:deb:{SUITE}:hash:main/binary-amd64/Packages"}


async def test_broken_by_hash_copy_is_seen_even_when_the_plain_name_is_fine(mirror):
    by_hash = mirror.path(BY_HASH)
    by_hash.write_bytes(b"stale\n")
    [finding] = (await poll(mirror)).findings
    # apt-get 2.6 fetches by hash and fails ("File has unexpected size (6 != 32757)"): it does not fall back
    assert finding.kind == "apt_hash_mismatch" and finding.severity == "critical"
    assert finding.key == INDEX_KEY and "(by-hash)" in finding.summary
    assert finding.data["url"] == f"{mirror.url}/{BY_HASH}"
    by_hash.unlink()
    [finding] = (await poll(mirror)).findings
    assert finding.kind == "apt_index_missing" and finding.key.endswith("Packages@by-hash")
    assert finding.severity == "warning" and "falls back to the name" in finding.summary  # apt still works


async def test_wrong_name_beside_a_right_by_hash_copy_is_a_warning_and_versions_come_from_the_right_copy(mirror):
    """Acquire-By-Hash: yes: apt fetches the by-hash copy and never reads the name (APT-VERDICTS: ok)."""
    first = await poll(mirror, watch_packages=("openssl",))
    mirror.path(PACKAGES).write_bytes(mirror.path(PACKAGES).read_bytes().replace(b"3.0.17-1~deb12u2", b"9.9.99-1~evil999"))
    snapshot = await poll(mirror, previous=first.records, watch_packages=("openssl",))
    [finding] = snapshot.findings
    assert finding.kind == "apt_hash_mismatch" and finding.severity == "warning" and finding.key == INDEX_KEY
    assert "apt (Acquire-By-Hash: yes) fetches that one, so apt still works" in finding.summary
    assert finding.data["broken"] == [f"{mirror.url}/{PACKAGES}"]
    assert [r.version for r in snapshot.records if r.kind == "release"] == ["3.0.17-1~deb12u2"]
    assert snapshot.complete  # the right copy was read


@pytest.mark.parametrize(
    ("name", "by_hash", "severity", "says"),
    [
        (b"wrong\n", b"stale\n", "critical", "by name and by hash: expected 32757 bytes, received 6 (by name) and 6"),
        (b"wrong\n", None, "critical", "the by-hash copy answers 404, so apt falls back to this one"),
        (None, b"stale\n", "critical", "by name every listed form answers 404"),
    ],
    ids=["both-wrong", "name-wrong-by-hash-404", "names-404-by-hash-wrong"],
)
async def test_one_broken_index_is_one_incident_whichever_paths_show_it(mirror, name, by_hash, severity, says):
    for path, body in ((PACKAGES, name), (BY_HASH, by_hash)):
        if body is None:
            mirror.path(path).unlink()
        else:
            mirror.path(path).write_bytes(body)
    [finding] = (await poll(mirror)).findings
    assert (finding.kind, finding.key, finding.severity) == ("apt_hash_mismatch", INDEX_KEY, severity)
    assert says in finding.summary


@pytest.mark.parametrize(
    ("by_name", "by_hash", "severity"),
    [("right", "right", None), ("right", "not checked", None), ("right", "404", None),
     ("right", "wrong", "critical"), ("wrong", "right", "warning"), ("wrong", "wrong", "critical"),
     ("wrong", "404", "critical"), ("wrong", "not checked", "critical"), ("404", "wrong", "critical")],
)
def test_mismatch_severity_follows_apt(by_name, by_hash, severity):
    from bot.sources.apt.release_indexes import mismatch_severity

    assert mismatch_severity(by_name, by_hash) == severity


async def test_packages_404_is_index_missing(mirror):
    mirror.path(PACKAGES).unlink()
    mirror.path(f"dists/{SUITE}/main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}").unlink()
    [finding] = (await poll(mirror)).findings
    assert finding.kind == "apt_index_missing" and finding.severity == "critical"
    assert finding.key == f"apt:deb:{SUITE}:missing:main/binary-amd64/Packages"
    assert "404" in finding.summary and finding.polls_to_open == 2


async def test_plain_names_gone_but_by_hash_served_is_a_warning_apt_still_works(mirror):
    mirror.path(PACKAGES).unlink()
    snapshot = await poll(mirror, watch_packages=("openssl",))
    [finding] = snapshot.findings
    assert finding.kind == "apt_index_missing" and finding.severity == "warning"
    assert "apt fetches by hash and still works" in finding.summary
    assert finding.key.endswith("missing:main/binary-amd64/Packages@by-name")  # distinct from the outage
    assert [r.version for r in snapshot.records if r.kind == "release"] == ["3.0.17-1~deb12u2"]


async def test_unlisted_architecture_is_index_missing(mirror):
    snapshot = await poll(mirror, architectures=("amd64", "riscv64"))
    [finding] = snapshot.findings
    assert finding.kind == "apt_index_missing" and "not listed" in finding.summary
    assert finding.severity == "warning"  # apt skips it with a notice: a config slip, not an outage


async def test_inrelease_resigned_by_an_unknown_key_is_invalid_and_keeps_the_last_good_state(mirror, key):
    good = state(await poll(mirror))
    mirror.path(INRELEASE).write_bytes(key.clearsign(release_text()))
    asked_before = len(mirror.requests)
    snapshot = await poll(mirror, previous=[good])
    [finding] = snapshot.findings
    assert finding.kind == "apt_signature_invalid" and finding.polls_to_open == 1
    assert f"NO_PUBKEY {key.fingerprint[-16:]}" in finding.summary
    assert snapshot.records == (good,)  # unverified content never becomes "last good"
    assert mirror.requests[asked_before:] == [f"/{INRELEASE}"]  # no index is trusted from it


async def test_new_key_that_verifies_is_still_a_key_change(mirror, key, tmp_path):
    good = state(await poll(mirror))
    mirror.path(INRELEASE).write_bytes(key.clearsign(release_text()))
    snapshot = await poll(mirror, previous=[good], keyring=key.keyring(tmp_path / "new.gpg"))
    assert kinds(snapshot) == ["apt_key_changed"]
    assert snapshot.findings[0].incident is False  # a one-off fact: alerted once, nothing to resolve
    [finding] = snapshot.findings
    assert key.fingerprint in finding.summary and DEBIAN_SIGNERS[0] in finding.summary
    assert state(snapshot).data["fingerprint"] == key.fingerprint  # a human was told once
    assert (await poll(mirror, previous=[state(snapshot)], keyring=tmp_path / "new.gpg")).findings == ()


async def test_signature_stripped_is_unsigned(mirror):
    mirror.path(INRELEASE).write_bytes(release_text())
    [finding] = (await poll(mirror)).findings
    assert finding.kind == "apt_signature_invalid" and "unsigned" in finding.summary


async def test_edited_signed_text_is_a_bad_signature(mirror):
    path = mirror.path(INRELEASE)
    path.write_bytes(path.read_bytes().replace(b"Label: Debian", b"Label: DebiaN"))
    [finding] = (await poll(mirror)).findings
    assert finding.kind == "apt_signature_invalid" and "BADSIG" in finding.summary


EVIL = b"Origin: Evil\nSHA256:\n " + b"0" * 64 + b" 1 main/binary-amd64/Packages\n"


@pytest.mark.parametrize(("tamper", "said"), [
    (lambda body: EVIL + b"\n" + body, "before the signed block"),
    (lambda body: body + EVIL, "unsigned text after the signature"),
    (lambda body: body + body, "unsigned text after the signature"),
])
async def test_text_outside_the_signed_block_is_refused_as_apt_does(mirror, tamper, said):
    """gpgv says GOODSIG and ignores it, but apt-get update refuses such an InRelease: so must we."""
    good = state(await poll(mirror))
    path = mirror.path(INRELEASE)
    path.write_bytes(tamper(path.read_bytes()))
    snapshot = await poll(mirror, previous=[good])
    [finding] = snapshot.findings
    assert finding.kind == "apt_signature_invalid" and said in finding.summary
    assert snapshot.records == (good,)  # nothing from the tampered file becomes "last good"


async def test_trailing_blank_lines_after_the_signature_are_fine(mirror):
    path = mirror.path(INRELEASE)
    path.write_bytes(path.read_bytes() + b"\n\n")
    assert (await poll(mirror)).findings == ()


async def test_older_inrelease_after_a_newer_one_is_a_rollback(mirror, key, tmp_path):
    keyring = key.keyring(tmp_path / "k.gpg")
    text = release_text()
    mirror.path(INRELEASE).write_bytes(key.clearsign(with_fields(text, Date="Fri, 27 Nov 2026 02:00:00 UTC")))
    newer = state(await poll(mirror, keyring=keyring))
    mirror.path(INRELEASE).write_bytes(key.clearsign(with_fields(text, Date="Wed, 25 Nov 2026 02:00:00 UTC")))
    snapshot = await poll(mirror, previous=[newer], keyring=keyring)
    assert kinds(snapshot) == ["apt_rollback"]
    assert "2026-11-25" in snapshot.findings[0].summary and "2026-11-27" in snapshot.findings[0].summary
    assert state(snapshot) == newer  # the newer Date stays the one to beat
    assert snapshot.findings[0].polls_to_open == 2  # a stale cache answering once does not page


async def test_valid_until_in_the_past_is_expired(mirror, key, tmp_path):
    text = with_fields(release_text(), Valid_Until="Thu, 26 Nov 2026 08:00:00 UTC")
    mirror.path(INRELEASE).write_bytes(key.clearsign(text))
    keyring = key.keyring(tmp_path / "k.gpg")
    before = await poll(mirror, keyring=keyring, clock=datetime(2026, 11, 26, 7, tzinfo=UTC))
    assert before.findings == ()
    after = await poll(mirror, keyring=keyring, clock=datetime(2026, 11, 26, 9, tzinfo=UTC))
    assert kinds(after) == ["apt_release_expired"]
    assert "2026-11-26T08:00:00+00:00" in after.findings[0].summary


async def test_signing_key_expiring_within_30_days(mirror, tmp_path):
    short = TestKey(tmp_path / "short", expire="10d")
    mirror.path(INRELEASE).write_bytes(short.clearsign(release_text()))
    snapshot = await poll(mirror, keyring=short.keyring(tmp_path / "short.asc", armor=True))
    [finding] = snapshot.findings
    assert finding.kind == "apt_key_expiring" and finding.severity == "warning"
    assert short.fingerprint in finding.summary and "signing key" in finding.summary


async def test_keyring_key_expiring_is_seen_with_an_injected_clock(mirror):
    # The bullseye keys of the real keyring expire on 2029-01-15; 20 days before, they warn.
    snapshot = await poll(mirror, clock=datetime(2028, 12, 26, tzinfo=UTC))
    assert set(kinds(snapshot)) == {"apt_key_expiring"}
    assert any("11/bullseye" in f.summary for f in snapshot.findings)
    assert all(f.summary.startswith("keyring key") for f in snapshot.findings)


async def test_release_and_detached_signature_when_there_is_no_inrelease(mirror, key, tmp_path):
    text = release_text()
    mirror.path(INRELEASE).unlink()
    mirror.path(f"dists/{SUITE}/Release").write_bytes(text)
    mirror.path(f"dists/{SUITE}/Release.gpg").write_bytes(key.detach_sign(text))
    keyring = key.keyring(tmp_path / "k.gpg")
    snapshot = await poll(mirror, keyring=keyring)
    assert snapshot.findings == () and state(snapshot).data["fingerprint"] == key.fingerprint
    mirror.path(f"dists/{SUITE}/Release.gpg").unlink()
    [finding] = (await poll(mirror, keyring=keyring)).findings
    assert finding.kind == "apt_signature_invalid" and "Release.gpg is missing" in finding.summary


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda m: m.path(INRELEASE).write_bytes(b"<!DOCTYPE html><html>captive portal</html>"), "HTML"),
        (lambda m: m.path(INRELEASE).unlink(), "neither InRelease nor Release"),
    ],
)
async def test_unreadable_repository_is_a_source_error(mirror, tamper, message):
    tamper(mirror)
    with pytest.raises(SourceError, match=message):
        await poll(mirror)


async def test_missing_keyring_is_an_error_not_an_unsigned_default(mirror, tmp_path):
    with pytest.raises(SourceError, match="nope.gpg"):
        await poll(mirror, keyring=tmp_path / "nope.gpg")


@pytest.mark.parametrize(
    ("yaml_source", "message"),
    [
        ("{name: d, kind: apt_repo, url: 'https://example.org/debian', suites: [s]}", "missing 'keyring'"),
        ("{name: d, kind: apt_repo, url: 'https://example.org/debian', suites: [s], keyring: ''}", "unsigned"),
        ("{name: d, kind: apt_repo, url: 'https://example.org/debian', suites: [], keyring: k}", "'suites'"),
        ("{name: d, kind: apt_repo, url: 'example.org/debian', suites: [s], keyring: k}", "http"),
        ("{name: d, kind: apt_repo, url: 'https://e.org/d', suites: [s], keyring: k, signature_polls: 0}",
         "signature_polls"),
        ("{name: d, kind: apt_sources, architectures: []}", "architectures"),
    ],
)
def test_config_errors_are_one_line_and_name_the_key(tmp_path, yaml_source, message):
    from bot.config import load as config
    from bot.core.errors import ConfigError

    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - {yaml_source}\n")
    with pytest.raises(ConfigError, match=message):
        config.load(path)


async def test_watched_packages_become_releases_in_debian_order(mirror):
    snapshot = await poll(mirror, watch_packages=("openssh-client", "tzdata", "absent-pkg"),
                          products={"tzdata": "tz"})
    releases = [(r.product, r.version) for r in snapshot.records if r.kind == "release"]
    assert releases == [("debian:openssh-client", "1:9.2p1-2+deb12u7"), ("tz", "2025b-0+deb12u1")]
    record = next(r for r in snapshot.records if r.product == "tz")
    assert record.key == "release:tzdata:2025b-0+deb12u1"  # two packages may share a version string
    assert record.data["indexes"] == [f"{SUITE}/main/binary-amd64"]


@pytest.mark.parametrize("ext", [".xz", ".gz"])
async def test_compressed_index_is_hashed_as_served_and_parsed_streaming(mirror, key, tmp_path, ext):
    plain = mirror.path(PACKAGES).read_bytes()
    packed = lzma.compress(plain) if ext == ".xz" else gzip.compress(plain)
    mirror.path(PACKAGES + ext).write_bytes(packed)
    release = signed_release(key, {f"main/binary-amd64/Packages{ext}": packed})
    mirror.path(INRELEASE).write_bytes(release)
    snapshot = await poll(mirror, keyring=key.keyring(tmp_path / "k.gpg"), watch_packages=("openssl",))
    assert snapshot.findings == ()
    assert [r.version for r in snapshot.records if r.kind == "release"] == ["3.0.17-1~deb12u2"]
    assert f"/{PACKAGES}{ext}" in mirror.requests and f"/{PACKAGES}" not in mirror.requests


async def test_a_signed_index_that_does_not_decompress_is_unreadable(mirror, key, tmp_path):
    broken = b"\xfd7zXZ\x00\x00" + b"not really xz" * 100  # signed as is: the hash matches
    mirror.path(PACKAGES + ".xz").write_bytes(broken)
    mirror.path(INRELEASE).write_bytes(signed_release(key, {"main/binary-amd64/Packages.xz": broken}))
    snapshot = await poll(mirror, keyring=key.keyring(tmp_path / "k.gpg"), watch_packages=("openssl",))
    [finding] = snapshot.findings
    assert finding.kind == "apt_index_unreadable" and finding.severity == "critical"
    assert "matches the Release but does not decompress" in finding.summary
    assert [r for r in snapshot.records if r.kind == "release"] == []


async def test_no_package_records_from_a_mismatching_index_previous_ones_carried_over(mirror):
    first = await poll(mirror, watch_packages=("openssl",))
    mirror.path(BY_HASH).unlink()  # the mismatching named file is the only copy
    text = mirror.path(PACKAGES).read_bytes().replace(b"3.0.17-1~deb12u2", b"9.9.99-1~evil999")
    mirror.path(PACKAGES).write_bytes(text)
    snapshot = await poll(mirror, previous=first.records, watch_packages=("openssl",))
    assert kinds(snapshot) == ["apt_hash_mismatch"]
    assert [r.version for r in snapshot.records if r.kind == "release"] == ["3.0.17-1~deb12u2"]
    assert not snapshot.complete


async def test_parse_gives_the_repo_state_and_refuses_garbage():
    cfg = apt_repo.Conf(name="deb", kind="apt_repo", url="http://127.0.0.1:9", suites=(SUITE,), keyring="k")
    [record] = apt_repo.parse(release_text(), cfg)
    assert record == Record("repo_state", f"repo:{SUITE}", "apt:deb", "", record.data)
    assert record.data["version"] == "12-updates"
    with pytest.raises(SourceError, match="no SHA256"):
        apt_repo.parse(b"Origin: Debian\n", cfg)


def test_clock_window_is_thirty_days():
    from bot.sources.apt.release import expiring_soon

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert expiring_soon(now + timedelta(days=30), now)
    assert not expiring_soon(now + timedelta(days=31), now)
    assert not expiring_soon(now - timedelta(days=1), now)  # already expired: gpgv says EXPKEYSIG
    assert not expiring_soon(None, now)


RESPX_URL = "http://mirror.example.org/debian"


@respx.mock
async def test_truncated_index_is_a_mismatch_not_a_healthy_repository(core_context):
    dists = f"{RESPX_URL}/dists/{SUITE}"
    respx.get(f"{dists}/InRelease").respond(200, content=(MIRROR / INRELEASE).read_bytes())
    respx.get(f"{dists}/main/binary-amd64/Packages.xz").respond(404)
    respx.get(url__startswith=f"{dists}/main/binary-amd64/").respond(200, content=(MIRROR / PACKAGES).read_bytes()[:5000])
    cfg = apt_repo.Conf(name="deb", kind="apt_repo", url=RESPX_URL, suites=(SUITE,), keyring=str(DEBIAN_KEYRING))
    snapshot = await apt_repo.collect(cfg, core_context())
    assert {f.kind for f in snapshot.findings} == {"apt_hash_mismatch"}
    assert {f.data["received"]["size"] for f in snapshot.findings} == {5000}


def test_kinds_are_registered():
    from bot.sources.apt import host as apt_sources
    from bot.sources.registry import KINDS

    assert KINDS["apt_repo"] is apt_repo.KIND and KINDS["apt_sources"] is apt_sources.KIND
