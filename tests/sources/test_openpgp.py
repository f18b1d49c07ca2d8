"""The gpgv wrapper: verdicts come from status lines (never the exit code), keyrings binary or armored."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from bot.sources.api import SourceError
from bot.sources.apt import keyrings, openpgp
from tests.sources.apt_support import DEBIAN_KEYRING, DEBIAN_SIGNERS, MIRROR, SUITE, TestKey, release_text

INRELEASE = (MIRROR / f"dists/{SUITE}/InRelease").read_bytes()
BOOKWORM_PRIMARY = "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8"

VALID = ("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 6ED0E7B82643E131 Debian\n"
         f"[GNUPG:] VALIDSIG {DEBIAN_SIGNERS[0]} 2026-11-26 1795659329 0 4 0 1 8 01 {BOOKWORM_PRIMARY}\n")


@pytest.mark.parametrize(
    ("status", "ok", "problems"),
    [
        (VALID, True, ()),
        # Debian signs twice; one key unknown still verifies (gpgv exits 2 here, apt accepts it)
        (VALID + "[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 78DBA3BC47EF2265 1 8 01 1795659341 9 B8E5\n"
         "[GNUPG:] NO_PUBKEY 78DBA3BC47EF2265\n", True, ("NO_PUBKEY 78DBA3BC47EF2265",)),
        # a bad signature poisons the file even next to a good one
        (VALID + "[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 78DBA3BC47EF2265 Debian\n", False, ("BADSIG 78DBA3BC47EF2265",)),
        # VALIDSIG without GOODSIG (an expired key) does not count
        ("[GNUPG:] NEWSIG\n[GNUPG:] KEYEXPIRED 1700000000\n[GNUPG:] EXPKEYSIG 6ED0E7B82643E131 Debian\n"
         f"[GNUPG:] VALIDSIG {DEBIAN_SIGNERS[0]} 2026-11-26 1795659329 0 4 0 1 8 01 {BOOKWORM_PRIMARY}\n",
         False, ("KEYEXPIRED 2023-11-14", "EXPKEYSIG 6ED0E7B82643E131")),
        ("[GNUPG:] NODATA 1\n[GNUPG:] NODATA 2\n", False, ()),
        ("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 1234 1 8 01 1 4\n", False, ("ERRSIG 1234",)),
    ],
)
def test_status_lines_decide_the_verdict(status, ok, problems):
    valid, found, bad = openpgp.parse_status(status)
    assert openpgp.Verdict(valid, found, b"x", bad).ok is ok
    assert found == problems


def test_good_signature_records_signing_and_primary_fingerprints():
    valid, _, _ = openpgp.parse_status(VALID)
    assert valid == ((DEBIAN_SIGNERS[0], BOOKWORM_PRIMARY),)


async def test_real_inrelease_verifies_and_yields_only_the_signed_text():
    verdict = await openpgp.verify(INRELEASE, [DEBIAN_KEYRING])
    assert verdict.ok and verdict.fingerprints == tuple(sorted(DEBIAN_SIGNERS))
    assert verdict.content == release_text()


async def test_empty_keyring_means_no_trusted_signature(tmp_path):
    empty = tmp_path / "empty.gpg"
    empty.write_bytes(b"")
    verdict = await openpgp.verify(INRELEASE, [empty])
    assert not verdict.ok and verdict.content == b""
    assert set(verdict.problems) == {"NO_PUBKEY 6ED0E7B82643E131", "NO_PUBKEY 78DBA3BC47EF2265"}


def test_dearmor_gives_back_the_binary_packets(tmp_path):
    binary = DEBIAN_KEYRING.read_bytes()
    body = base64.b64encode(binary).decode()
    armored = ("-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n"
               + "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
               + "\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n").encode()
    assert keyrings.is_armored(armored) and not keyrings.is_armored(binary)
    assert keyrings.dearmor(armored) == binary
    assert keyrings.dearmor(armored + armored) == binary + binary
    with pytest.raises(SourceError, match="armored"):
        keyrings.dearmor(b"not a key")


async def test_armored_keyring_verifies_like_the_binary_one(tmp_path):
    key = TestKey(tmp_path / "home")
    signed = key.clearsign(release_text())
    armored = key.keyring(tmp_path / "k.asc", armor=True)
    [prepared] = keyrings.prepare_keyrings([armored], [], tmp_path)
    assert prepared != armored.resolve() and prepared.read_bytes()[:1] != b"-"
    verdict = await openpgp.verify(signed, [prepared])
    assert verdict.ok and verdict.fingerprints == (key.fingerprint,)


def test_no_keyring_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="unsigned"):
        keyrings.prepare_keyrings([], [], tmp_path)
    with pytest.raises(SourceError, match="missing.gpg"):
        keyrings.prepare_keyrings([tmp_path / "missing.gpg"], [], tmp_path)


async def test_key_listing_reads_expiry_and_capabilities():
    keys = {k.fingerprint: k for k in await openpgp.list_keys([DEBIAN_KEYRING])}
    signing = keys[DEBIAN_SIGNERS[0]]
    assert signing.primary == BOOKWORM_PRIMARY and signing.can_sign
    assert signing.uid == "Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>"
    assert signing.expires == datetime.fromtimestamp(1926589461, UTC)
    assert len(keys) == 15  # 9 primary keys, 6 signing subkeys
