"""Pure Release-file logic: parse the fields, pick the indexes, judge them.

Nothing here touches the network or gpgv, so every rule (rollback, expiry,
which index form to fetch, how a mismatch is worded) is tested from tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from bot.sources.api import SourceError, deb822

# The forms apt prefers, most compressed first (apt's CompressionTypes order, less lzma/zst).
INDEX_FORMS = (".xz", ".bz2", ".gz", "")
EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class IndexFile:
    """One file listed in the Release SHA256 field."""

    path: str
    sha256: str
    size: int

    def by_hash_path(self) -> str:
        """Where Acquire-By-Hash repositories keep this exact content."""
        folder = self.path.rsplit("/", 1)[0] if "/" in self.path else ""
        return f"{folder}/by-hash/SHA256/{self.sha256}" if folder else f"by-hash/SHA256/{self.sha256}"


@dataclass(frozen=True)
class ReleaseInfo:
    """The fields of a (verified) Release file that trackbot keeps and compares."""

    origin: str
    label: str
    suite: str
    codename: str
    version: str
    date: datetime | None
    valid_until: datetime | None
    acquire_by_hash: bool
    architectures: tuple[str, ...]
    components: tuple[str, ...]
    files: Mapping[str, IndexFile]

    def state(self, fingerprints: tuple[str, ...]) -> dict[str, Any]:
        """The repo_state data the next run compares with."""
        return {
            "fingerprint": " ".join(fingerprints),
            "date": _iso(self.date),
            "valid_until": _iso(self.valid_until),
            "origin": self.origin,
            "label": self.label,
            "suite": self.suite,
            "codename": self.codename,
            "version": self.version,
            "acquire_by_hash": self.acquire_by_hash,
        }


def parse_release(text: bytes, url: str = "") -> ReleaseInfo:
    """Parse a Release file (the signed text of InRelease) with python-debian.

    Raises SourceError for a body that is not a Release file (no SHA256 list):
    an empty list would read as "no indexes" and hide a broken repository.
    """
    try:
        fields = deb822.Release(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"Release does not parse: {exc}", url) from None
    files: dict[str, IndexFile] = {}
    for entry in fields.get("SHA256") or []:
        try:
            files[entry["name"]] = IndexFile(entry["name"], entry["sha256"].lower(), int(entry["size"]))
        except (KeyError, ValueError):
            raise SourceError(f"Release has a malformed SHA256 line: {entry!r}"[:200], url) from None
    if not files:
        raise SourceError("Release lists no SHA256 checksums (not a Release file, or truncated)", url)
    return ReleaseInfo(
        origin=fields.get("Origin", ""),
        label=fields.get("Label", ""),
        suite=fields.get("Suite", ""),
        codename=fields.get("Codename", ""),
        version=fields.get("Version", ""),
        date=parse_date(fields.get("Date", ""), url),
        valid_until=parse_date(fields.get("Valid-Until", ""), url),
        acquire_by_hash=fields.get("Acquire-By-Hash", "").strip().lower() == "yes",
        architectures=tuple(fields.get("Architectures", "").split()),
        components=tuple(fields.get("Components", "").split()),
        files=files,
    )


def parse_date(value: str, url: str = "") -> datetime | None:
    """RFC 2822 dates as Release files write them ("Thu, 26 Nov 2026 02:14:46 UTC")."""
    value = value.strip()
    if not value:
        return None
    try:
        # apt accepts "UTC" and "-0000" (RFC 2822's "UTC, source unknown") as UTC.
        parsed = parsedate_to_datetime(value.replace(" UTC", " +0000").replace(" -0000", " +0000"))
    except (TypeError, ValueError):
        raise SourceError(f"Release date does not parse: {value!r}", url) from None
    if parsed.tzinfo is None:
        raise SourceError(f"Release date has no time zone: {value!r}", url)
    return parsed


def index_candidates(info: ReleaseInfo, component: str, arch: str) -> list[IndexFile]:
    """The listed forms of one Packages index, in the order apt tries them."""
    base = f"{component}/binary-{arch}/Packages"
    return [info.files[base + ext] for ext in INDEX_FORMS if base + ext in info.files]


def suite_matches(info: ReleaseInfo, configured: str) -> bool:
    """Is this Release the configured suite's, as apt checks it (metaIndex::CheckDist)?

    The configured name may be the Suite (stable) or the Codename (bookworm); a name
    with a slash (bookworm/updates) is compared by its part before the last slash. A
    Release naming neither field has nothing to conflict with.
    """
    if not info.suite and not info.codename:
        return True
    names = {info.suite, info.codename}
    if configured in names:
        return True
    base = "experimental" if configured == "../project/experimental" else configured
    base = base.rsplit("/", 1)[0] if "/" in base else base
    return base in ("", ".") or base in names


def is_expired(info: ReleaseInfo, now: datetime) -> bool:
    return info.valid_until is not None and info.valid_until < now


def is_rollback(info: ReleaseInfo, previous: Mapping[str, Any] | None) -> bool:
    """Date older than the last good run's Date: a replayed (frozen) repository."""
    if info.date is None or not previous or not previous.get("date"):
        return False
    return info.date < datetime.fromisoformat(previous["date"])


def key_changed(fingerprints: tuple[str, ...], previous: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Signing fingerprints not seen in the last good run ((): unchanged or first run)."""
    if not previous or not previous.get("fingerprint"):
        return ()
    before = set(str(previous["fingerprint"]).split())
    return tuple(f for f in fingerprints if f not in before)


def expiring_soon(expires: datetime | None, now: datetime, window: timedelta = EXPIRY_WARNING) -> bool:
    """A key that still works but stops within the window (already-expired keys fail gpgv instead)."""
    return expires is not None and now < expires <= now + window


def mismatch_text(url: str, expected: IndexFile, size: int, sha256: str, release_date: datetime | None) -> str:
    """The mismatch worded the way apt prints it, so it can be matched against apt's logs."""
    lines = [
        f"Failed to fetch {url}  Hash Sum mismatch",
        "   Hashes of expected file:",
        f"    - SHA256:{expected.sha256}",
        f"    - Filesize:{expected.size} [weak]",
        "   Hashes of received file:",
        f"    - SHA256:{sha256}",
        f"    - Filesize:{size} [weak]",
    ]
    if release_date is not None:
        lines.append(f"   Release file created at: {release_date.strftime('%a, %d %b %Y %H:%M:%S %z')}")
    return "\n".join(lines)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
