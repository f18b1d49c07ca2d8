"""trackbot's apt verdict against the real client: apt-get update on the same loopback mirror.

The promise is "apt's verdict, before the fleet meets it", so where apt-get exists (Debian
and Ubuntu hosts, CI) each fault is shown to a real, isolated `apt-get update` (its own
lists, cache and sources; nothing of the host's touched) and to trackbot: trackbot pages
(a critical finding) exactly when apt-get fails, and a fault apt-get rides out is at most a
warning. The mirror is a copy of the real Debian fixture suite with its by-hash copy.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sources.apt import repo as apt_repo
from tests.sources.apt_support import (
    DEBIAN_KEYRING,
    PACKAGES,
    PACKAGES_SHA256,
    SUITE,
    Mirror,
    TestKey,
    core_collect,
    release_text,
    with_fields,
)

APT_GET = shutil.which("apt-get")
pytestmark = pytest.mark.skipif(APT_GET is None, reason="needs apt-get (a Debian or Ubuntu host)")
INRELEASE = f"dists/{SUITE}/InRelease"
BY_HASH = f"dists/{SUITE}/main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}"


class AptGet:
    """An isolated apt-get: its own sources.list, lists and cache under `home`."""

    def __init__(self, home: Path, url: str, keyring: Path) -> None:
        self.home = home
        (home / "lists" / "partial").mkdir(parents=True)
        (home / "cache" / "archives" / "partial").mkdir(parents=True)
        (home / "sources.list").write_text(f"deb [signed-by={keyring}] {url}/ {SUITE} main\n")

    def update(self) -> tuple[int, str]:
        options = {
            "Dir::Etc::sourcelist": self.home / "sources.list", "Dir::Etc::sourceparts": "/nonexistent",
            "Dir::State::Lists": self.home / "lists", "Dir::Cache": self.home / "cache",
            "Dir::State::status": "/dev/null", "APT::Sandbox::User": "root", "Debug::NoLocking": "1",
            "Acquire::Languages": "none", "APT::Architectures::": "amd64",
            "Acquire::http::Proxy::127.0.0.1": "DIRECT",  # a host's apt proxy must not stand in the way
        }
        args = [str(APT_GET), "update", *(f"-o{key}={value}" for key, value in options.items())]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout + done.stderr


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100] ^= 0x20  # same size, other bytes: apt's "Hash Sum mismatch"
    path.write_bytes(bytes(data))


FAULTS: list[tuple[str, Callable[[Mirror], None]]] = [
    ("healthy", lambda m: None),
    ("name-wrong-by-hash-right", lambda m: corrupt(m.path(PACKAGES))),
    ("by-hash-404-name-right", lambda m: m.path(BY_HASH).unlink()),
    ("by-hash-wrong-name-right", lambda m: corrupt(m.path(BY_HASH))),
    ("both-wrong", lambda m: (corrupt(m.path(PACKAGES)), corrupt(m.path(BY_HASH)))),
    ("name-wrong-by-hash-404", lambda m: (corrupt(m.path(PACKAGES)), m.path(BY_HASH).unlink())),
    ("signature-stripped", lambda m: m.path(INRELEASE).write_bytes(release_text())),
]


@pytest.mark.parametrize("fault", [f for _, f in FAULTS], ids=[name for name, _ in FAULTS])
async def test_trackbot_pages_exactly_when_apt_get_fails(mirror, tmp_path, fault):
    fault(mirror)
    status, output = AptGet(tmp_path / "apt", mirror.url, DEBIAN_KEYRING).update()
    conf = apt_repo.Conf(name="deb", kind="apt_repo", url=mirror.url, suites=(SUITE,), keyring=str(DEBIAN_KEYRING))
    findings = (await core_collect(apt_repo, conf)).findings
    pages = [f.kind for f in findings if f.severity == "critical"]
    assert bool(pages) == (status != 0), f"apt-get exit {status}, trackbot {[(f.kind, f.severity) for f in findings]}\n{output}"
    assert all(f.severity in ("critical", "warning") for f in findings)


async def test_another_suites_inrelease_fails_apt_on_hosts_with_lists_and_pages(mirror, tmp_path):
    """apt-get 2.6: "changed its 'Codename' value from 'bookworm-updates' to 'bookworm'", exit 100."""
    key = TestKey(tmp_path / "gnupg")
    keyring = tmp_path / "both.gpg"  # the other suite's file is validly signed: only Suite/Codename differ
    keyring.write_bytes(DEBIAN_KEYRING.read_bytes() + key.keyring(tmp_path / "other.gpg").read_bytes())
    apt = AptGet(tmp_path / "apt", mirror.url, keyring)
    assert apt.update()[0] == 0  # the host now has bookworm-updates' lists, as the fleet's hosts do
    other = with_fields(release_text(), Suite="oldstable", Codename="bookworm", Date="Sat, 28 Nov 2026 09:00:00 UTC")
    mirror.path(INRELEASE).write_bytes(key.clearsign(other))
    status, output = apt.update()
    conf = apt_repo.Conf(name="deb", kind="apt_repo", url=mirror.url, suites=(SUITE,), keyring=str(keyring))
    [finding] = (await core_collect(apt_repo, conf)).findings
    assert status != 0 and "Codename" in output, output
    assert (finding.kind, finding.severity) == ("apt_suite_mismatch", "critical")
