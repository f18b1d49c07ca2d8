"""A keyring that is not one is a local mistake: said by `check`, at config load and at poll, naming the file,
and never reported as the repository's broken signature (which would page someone about upstream)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import load as config
from bot.core.errors import ConfigError
from bot.sources.api import SourceError
from bot.sources.apt import keyrings
from bot.sources.apt import repo as apt_repo
from bot.sources.registry import KINDS
from tests.sources.apt_support import DEBIAN_KEYRING, SUITE, TestKey, core_collect

HTML = b"<!DOCTYPE html><html><body>404 Not Found</body></html>"
SHADOW = Path("/etc/shadow")


def test_public_keys_are_counted_in_binary_and_armored_keyrings(tmp_path):
    assert keyrings.count_public_keys(DEBIAN_KEYRING.read_bytes()) == 9  # gpg --show-keys lists 9 "pub"
    armored = TestKey(tmp_path / "gnupg").keyring(tmp_path / "k.asc", armor=True).read_bytes()
    assert keyrings.count_public_keys(armored) == 1
    for not_a_keyring in (b"", HTML, b"key", DEBIAN_KEYRING.read_bytes()[:40], b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"):
        assert keyrings.count_public_keys(not_a_keyring) == 0, not_a_keyring[:20]


def _write(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "keys.gpg"
    path.write_bytes(body)
    return path


NO_KEY = "holds no OpenPGP public key (not a keyring: check the path)"


def conf(keyring: str) -> apt_repo.Conf:
    return apt_repo.Conf(name="d", kind="apt_repo", url="https://e.org/d", suites=("s",), keyring=keyring)


@pytest.mark.parametrize(
    ("body", "says"),
    [(None, "does not exist"), (b"", NO_KEY), (HTML, NO_KEY), (b"key", NO_KEY), ("shadow", NO_KEY)],
    ids=["missing", "empty", "html", "text", "etc-shadow"],
)
def test_check_hook_names_the_keyring_that_is_not_one(tmp_path, body, says):
    key = tmp_path / "keys" / "repo.gpg"  # relative to sources.yaml, as the poll reads it
    key.parent.mkdir()
    if body == "shadow":
        if not SHADOW.exists():
            pytest.skip("no /etc/shadow on this host")
        key.symlink_to(SHADOW)
        says = NO_KEY if os.access(SHADOW, os.R_OK) else "cannot be read: Permission denied"
    elif body is not None:
        key.write_bytes(body)
    assert KINDS["apt_repo"].check(conf("keys/repo.gpg"), tmp_path) == [f"keyring {key} {says}"]


def test_etc_shadow_named_as_a_keyring_is_refused_at_load():
    if not SHADOW.exists():
        pytest.skip("no /etc/shadow on this host")
    with pytest.raises(ValueError, match=r"keyring /etc/shadow (holds no OpenPGP public key|cannot be read)"):
        conf(str(SHADOW))


def test_a_real_keyring_and_gpgv_give_no_problem():
    assert KINDS["apt_repo"].check(conf(str(DEBIAN_KEYRING)), Path("/nonexistent")) == []


def test_without_gpgv_check_says_so(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "gpgv" else real(name))
    assert KINDS["apt_repo"].check(conf(str(DEBIAN_KEYRING)), Path(".")) == [
        "gpgv is not installed: apt signatures cannot be verified (Debian package gpgv)"]
    sources = KINDS["apt_sources"]
    assert "gpgv is not installed" in sources.check(sources.conf(name="h", kind="apt_sources",
                                                                 path="/nonexistent"), Path("."))[0]


def test_apt_sources_check_names_a_signed_by_file_that_is_not_a_keyring(tmp_path):
    (tmp_path / "empty.gpg").write_bytes(b"")
    (tmp_path / "a.list").write_text(f"deb [signed-by={tmp_path}/empty.gpg] https://deb.example/debian {SUITE} main\n")
    sources = KINDS["apt_sources"]
    problems = sources.check(sources.conf(name="h", kind="apt_sources", path=str(tmp_path)), tmp_path)
    assert problems == [f"keyring {tmp_path}/empty.gpg holds no OpenPGP public key (not a keyring: check the path)"
                        f" (named in {tmp_path})"]
    missing = sources.check(sources.conf(name="h", kind="apt_sources", path=str(tmp_path / "none")), tmp_path)
    assert missing == [f"no apt sources at {tmp_path / 'none'}"]


def test_a_keyless_absolute_keyring_is_a_one_line_config_error(tmp_path):
    empty = _write(tmp_path, b"")
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - {{name: d, kind: apt_repo, url: 'https://e.org/d', suites: [s], keyring: '{empty}'}}\n")
    with pytest.raises(ConfigError, match=f"keyring {empty} holds no OpenPGP public key") as caught:
        config.load(path)
    assert "\n" not in str(caught.value)


async def test_a_keyless_keyring_fails_the_source_naming_the_file_not_the_signature(mirror, tmp_path):
    """gpgv would say NO_PUBKEY and the poll would page apt_signature_invalid: an upstream outage that is not one."""
    empty = _write(tmp_path, HTML)
    conf = apt_repo.Conf(name="d", kind="apt_repo", url=mirror.url, suites=(SUITE,), keyring="keys.gpg")
    with pytest.raises(SourceError, match=f"keyring {empty} holds no OpenPGP public key"):
        await core_collect(apt_repo.KIND, conf, config_dir=tmp_path)
