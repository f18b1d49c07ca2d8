"""repomd.xml, the index of a yum/dnf repository: its revision and every metadata file it lists (pure).

Each `<data type="primary">` entry names a file (`location href`), its checksum (sha256 in
every current repository, sha1 or sha512 in some) and its size; dnf refuses a file whose
checksum differs. `revision` is usually a Unix time; `timestamp` is per entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from bot.sources.api import SourceError, looks_like_html, safe_xml

_NS = "{http://linux.duke.edu/metadata/repo}"
CHECKSUMS = {"sha": "sha1", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384",
             "sha512": "sha512", "md5": "md5"}


@dataclass(frozen=True)
class DataEntry:
    """One `<data>` entry: what dnf downloads and how it checks it."""

    type: str
    href: str
    algorithm: str  # a hashlib name
    checksum: str
    size: int | None  # createrepo always writes it; old yum repositories may not
    timestamp: int


@dataclass(frozen=True)
class Repomd:
    """What a check needs of repomd.xml."""

    revision: str
    entries: tuple[DataEntry, ...]
    sha256: str  # of repomd.xml itself: two polls that saw the same file compare equal

    @property
    def newest(self) -> int:
        """The newest entry's timestamp: when the metadata last changed, by the repository's word."""
        return max((e.timestamp for e in self.entries), default=0)

    def entry(self, kind: str) -> DataEntry | None:
        return next((e for e in self.entries if e.type == kind), None)

    def state(self, fingerprints: tuple[str, ...]) -> dict[str, object]:
        """The repo_state the next poll compares with (rollback, key change, staleness)."""
        return {"revision": self.revision, "timestamp": self.newest, "fingerprint": " ".join(fingerprints),
                "repomd_sha256": self.sha256, "types": sorted(e.type for e in self.entries)}


def parse_repomd(body: bytes, url: str) -> Repomd:
    """The entries of a repomd.xml body; SourceError for anything that is not one."""
    if not body.strip():
        raise SourceError("empty answer instead of repomd.xml", url)
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of repomd.xml", url)
    try:
        root = safe_xml.fromstring(body)
    except ParseError as exc:
        raise SourceError(f"repomd.xml is not XML (truncated or mangled): {exc}", url) from None
    except ValueError:  # defusedxml refuses entity declarations: no repomd.xml needs them
        raise SourceError("repomd.xml declares XML entities (refused)", url) from None
    if root.tag != _NS + "repomd":
        raise SourceError(f"not a repomd.xml (its root element is <{root.tag.rpartition('}')[2]}>)", url)
    entries = tuple(_entry(data, url) for data in root.iterfind(_NS + "data"))
    if not entries:
        raise SourceError("repomd.xml lists no metadata files", url)
    if not any(e.type == "primary" for e in entries):
        raise SourceError("repomd.xml lists no primary metadata (dnf cannot use this repository)", url)
    return Repomd(_text(root, "revision"), entries, hashlib.sha256(body).hexdigest())


def _text(element: Element, name: str) -> str:
    found = element.find(_NS + name)
    return (found.text or "").strip() if found is not None else ""


def _entry(data: Element, url: str) -> DataEntry:
    kind = data.get("type", "")
    location = data.find(_NS + "location")
    checksum = data.find(_NS + "checksum")
    href = location.get("href", "") if location is not None else ""
    if not kind or not href or checksum is None or not (checksum.text or "").strip():
        raise SourceError(f"a repomd.xml <data> entry ({kind or 'no type'}) lacks a location or checksum", url)
    algorithm = CHECKSUMS.get(checksum.get("type", "sha256").lower())
    if algorithm is None:
        raise SourceError(f"repomd.xml {kind}: unknown checksum type {checksum.get('type')!r}", url)
    size, stamp = _text(data, "size"), _text(data, "timestamp")
    if (size and not size.isdigit()) or (stamp and not stamp.split(".")[0].isdigit()):
        raise SourceError(f"repomd.xml {kind}: size or timestamp is not a number", url)
    return DataEntry(kind, href, algorithm, (checksum.text or "").strip().lower(),
                     int(size) if size else None, int(stamp.split(".")[0]) if stamp else 0)
