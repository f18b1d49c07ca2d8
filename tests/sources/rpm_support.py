"""Test support for rpm_repo: the prebuilt signed repository on 127.0.0.1, and the faults dnf was shown.

tests/fixtures/rpm/repo was built with rpmbuild, createrepo_c 0.20 and modifyrepo_c (scripts in
tests/fixtures/rpm/lab): four noarch packages, revision 1733700000, an updateinfo.xml.gz with
one security erratum, repomd.xml signed (detached, armored) by repo-key.asc. rev1/ holds the
previous revision's repomd.xml and signature (its data files are still in repodata/, as a
mirror keeps them); repomd.xml.asc.other-key is a signature of repomd.xml by other-key.asc.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.sources.apt_support import Mirror

RPM = Path(__file__).resolve().parent.parent / "fixtures" / "rpm"
KEY = RPM / "repo-key.asc"
OTHER_KEY = RPM / "other-key.asc"
FINGERPRINT = "701EBFBBD857BC6CAF0B19E9F6346185349E9B17"


class RpmMirror(Mirror):
    """A copy of the fixture repository under `root`/repo, served on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        shutil.copytree(RPM / "repo", root / "repo")
        super().__init__(root)
        self.baseurl = f"{self.url}/repo"

    def href(self, kind: str) -> Path:
        """The file of a repomd.xml <data> entry."""
        text = (self.root / "repo/repodata/repomd.xml").read_text()
        found = re.search(rf'<data type="{kind}">.*?href="([^"]+)"', text, re.S)
        assert found, kind
        return self.root / "repo" / found.group(1)

    def repodata(self, name: str) -> Path:
        return self.root / "repo/repodata" / name


def flip(path: Path) -> None:
    """Same size, other bytes: a checksum mismatch."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


# (fault, what real dnf 4.14 did on a host without the metadata cached: True = failed, exit 1)
FAULTS: list[tuple[str, Callable[[RpmMirror], object], bool]] = [
    ("healthy", lambda m: None, False),
    ("primary-corrupt", lambda m: flip(m.href("primary")), True),
    ("primary-truncated", lambda m: m.href("primary").write_bytes(m.href("primary").read_bytes()[:300]), True),
    ("primary-404", lambda m: m.href("primary").unlink(), True),
    ("updateinfo-corrupt", lambda m: flip(m.href("updateinfo")), True),
    ("filelists-corrupt", lambda m: flip(m.href("filelists")), True),
    ("other-corrupt", lambda m: flip(m.href("other")), False),
    ("asc-404", lambda m: m.repodata("repomd.xml.asc").unlink(), True),
    ("asc-other-key", lambda m: shutil.copy(RPM / "repomd.xml.asc.other-key", m.repodata("repomd.xml.asc")), True),
    ("asc-garbage", lambda m: m.repodata("repomd.xml.asc").write_text(
        "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"), True),
    ("repomd-changed-after-signing", lambda m: _replace(m.repodata("repomd.xml"), "<revision>1733700000",
                                                         "<revision>1733700001"), True),
    ("repomd-html", lambda m: m.repodata("repomd.xml").write_text(
        "<!DOCTYPE html><html><body>Mirror maintenance</body></html>"), True),
    ("repomd-404", lambda m: m.repodata("repomd.xml").unlink(), True),
    ("rollback-older-signed-repomd", lambda m: [shutil.copy(RPM / "rev1" / n, m.repodata(n))
                                               for n in ("repomd.xml", "repomd.xml.asc")], False),
]


def pages(snapshot) -> bool:
    """trackbot's verdict: a critical finding that opens an incident (what dnf failing is to the fleet)."""
    return any(f.severity == "critical" and f.incident for f in snapshot.findings)
