"""trackbot's rpm_repo verdict against the real client: `dnf makecache` on the same loopback repository.

Where dnf is installed (Debian ships it), each fault of tests.sources.rpm_support is shown to a
real, isolated dnf (its own config, cache, installroot and repos.d; nothing of the host's touched;
`repo_gpgcheck=1` with the fixture key) with no metadata cached, and to trackbot: trackbot pages
(a critical finding) exactly when dnf fails, and a fault dnf rides out is at most a warning.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sources.rpm_support import FAULTS, KEY, RpmMirror, pages
from tests.sources.test_rpm_repo import poll

DNF = shutil.which("dnf")
pytestmark = pytest.mark.skipif(DNF is None, reason="needs dnf (Debian package dnf)")


def makecache(home: Path, baseurl: str) -> tuple[int, str]:
    """`dnf makecache --refresh` against `baseurl` alone, in a throwaway root."""
    (home / "repos.d").mkdir(parents=True)
    (home / "dnf.conf").write_text(f"[main]\ncachedir={home}/cache\nlogdir={home}/log\npersistdir={home}/persist\n"
                                   "gpgcheck=0\n")
    (home / "repos.d/lab.repo").write_text(
        f"[lab]\nname=lab\nbaseurl={baseurl}\nenabled=1\ngpgcheck=0\nrepo_gpgcheck=1\ngpgkey=file://{KEY}\n"
        "skip_if_unavailable=False\nmetadata_expire=0\n")
    args = [str(DNF), "-c", str(home / "dnf.conf"), "--installroot", str(home / "root"), "--releasever", "9",
            f"--setopt=reposdir={home / 'repos.d'}", "--setopt=proxy=", "-y", "--refresh", "makecache"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=180)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(("name", "fault", "measured"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_trackbot_pages_exactly_when_dnf_fails(tmp_path, name, fault, measured):
    mirror = RpmMirror(tmp_path / "srv")
    try:
        healthy = await poll(mirror)
        fault(mirror)
        status, output = makecache(tmp_path / "dnf", mirror.baseurl)
        snapshot = await poll(mirror, healthy.records)
    finally:
        mirror.close()
    dnf_fails = status != 0
    assert dnf_fails is measured, output[-600:]  # the README's table still holds for this dnf
    assert pages(snapshot) is dnf_fails, ([f.summary for f in snapshot.findings], output[-600:])
    if not dnf_fails:
        assert all(f.severity != "critical" for f in snapshot.findings)
