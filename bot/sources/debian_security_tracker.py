"""The Debian security tracker's JSON: every CVE of every source package, per release.

``https://security-tracker.debian.org/tracker/data/json`` is one object of about 80 MB::

    {"openssl": {"CVE-2024-0727": {"description": "...", "scope": "local",
                 "releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.13-1~deb12u1",
                                           "urgency": "low", "nodsa": "Minor issue", ...}}}}}

It is never held whole: the body is spooled to a temporary file, then read package by package
with ijson (its C backend reads files faster than ``json.load`` and keeps one package's
entry in memory at a time), keeping only the source packages and releases the fleet pins.
A body cut mid-way fails the source before anything is written.

Records: one ``advisory`` record per (CVE, pinned package, pinned release), in the shape
bot/judge/advisories.py matches (``fixed_version`` empty while open), one ``cve`` record per CVE of
a pinned package (urgency and description, so other sources' CVE mentions are rated), and
one ``tracker`` record counting packages (a sanity anchor: a parse is never empty).

Severity of an advisory from the tracker's urgency: high -> critical, medium -> warning,
low, unimportant, end-of-life and anything Debian marked "no DSA" (minor, postponed,
ignored) -> info, not yet assigned -> warning (unrated: someone should look this week).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Pin,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    advisory_news,
    asyncio,
    cve_record,
    ijson,
    looks_like_html,
    with_exposure,
)

NAME = "debian_security_tracker"
URL = "https://security-tracker.debian.org/tracker/data/json"
PAGE = "https://security-tracker.debian.org/tracker/{id}"
READ_BUFFER = 1 << 20
SEVERITY_OF_URGENCY = {"high": "critical", "medium": "warning", "low": "info", "unimportant": "info",
                       "end-of-life": "info", "not yet assigned": "warning"}
CVE_SEVERITY_OF_URGENCY = {"high": "critical", "medium": "warning", "low": "info", "unimportant": "info"}


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = URL
    max_mb: int = 1024  # refuse a body past this size: the real file is ~80 MB

    def __post_init__(self) -> None:
        if self.max_mb <= 0:
            raise ValueError("'max_mb' must be positive")


@dataclass(frozen=True)
class Wanted:
    """The source packages the fleet pins, with the releases each is pinned on."""

    releases: Mapping[str, frozenset[str]]

    @classmethod
    def from_pins(cls, pins: Iterable[Pin]) -> Wanted:
        found: dict[str, set[str]] = {}
        for pin in pins:
            family, sep, package = pin.product.strip().lower().partition(":")
            if sep and family == "debian" and package and pin.distro:
                found.setdefault(package, set()).add(pin.distro.strip().lower())
        return cls({package: frozenset(releases) for package, releases in found.items()})


def parse(body: IO[bytes], conf: Conf, wanted: Wanted) -> list[Record]:
    """Tracker JSON (a binary file, plain or gzip) -> records for the wanted packages; SourceError if bad."""
    gzipped = body.read(2) == b"\x1f\x8b"
    body.seek(0)
    stream: IO[bytes] = gzip.GzipFile(fileobj=body, mode="rb") if gzipped else body  # type: ignore[assignment]
    try:
        html = looks_like_html(stream.read(512))
        stream.seek(0)
    except (OSError, EOFError):
        raise SourceError("tracker body is not readable gzip", conf.url) from None
    if html:
        raise SourceError("HTML page instead of the security tracker's JSON", conf.url)
    records: list[Record] = []
    ratings: dict[str, dict[str, str]] = {}
    packages = 0
    try:
        for package, cves in ijson.kvitems(stream, "", buf_size=READ_BUFFER):
            packages += 1
            releases = wanted.releases.get(package)
            if releases:
                records += _package_records(package, cves, releases, ratings, conf.url)
    except (ijson.JSONError, ijson.IncompleteJSONError, EOFError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise SourceError(f"tracker JSON is cut or malformed after {packages} packages ({reason})",
                          conf.url) from None
    if not packages:
        raise SourceError("tracker JSON lists no packages", conf.url)
    records += [cve_record(cve, **rating) for cve, rating in sorted(ratings.items())]
    records.append(Record("tracker", "tracker:packages", "", "", {"packages": packages}))
    return records


def _package_records(package: str, cves: Any, releases: frozenset[str], ratings: dict[str, dict[str, str]],
                     url: str) -> Iterator[Record]:
    if not isinstance(cves, dict):
        raise SourceError(f"package {package!r}: expected an object of CVEs", url)
    for cve_id, entry in cves.items():
        per_release = entry.get("releases") if isinstance(entry, dict) else None
        if per_release == []:  # the tracker writes an empty object as []
            continue
        if not isinstance(per_release, dict):
            raise SourceError(f"package {package!r} {cve_id}: no 'releases' object", url)
        for release, state in per_release.items():
            if release.lower() not in releases:
                continue
            if not isinstance(state, dict) or not state.get("status"):
                raise SourceError(f"package {package!r} {cve_id} {release}: no status", url)
            urgency = str(state.get("urgency") or "").rstrip("*").strip()
            _rate(ratings, cve_id, urgency, str(entry.get("description") or ""))
            yield _advisory(package, cve_id, sys.intern(release.lower()), state, urgency)


def _advisory(package: str, cve_id: str, release: str, state: Mapping[str, Any], urgency: str) -> Record:
    # A few words repeat across ~100,000 records: one shared copy each (sys.intern) keeps memory down.
    status = sys.intern(str(state["status"]))
    fixed = str(state.get("fixed_version") or "") if status == "resolved" else ""
    nodsa = sys.intern(str(state.get("nodsa") or ""))
    severity = "info" if nodsa else SEVERITY_OF_URGENCY.get(urgency, "warning")
    rating = sys.intern(f"urgency {urgency}" if urgency else "urgency unknown")
    data = {"id": cve_id, "cves": [cve_id] if cve_id.startswith("CVE-") else [], "rating": rating,
            "severity": severity, "distro": release, "status": status, "fixed_version": fixed,
            "published": "", "title": f"no DSA: {nodsa}" if nodsa else "", "url": PAGE.format(id=cve_id),
            "summary": f"{cve_id} {package} ({release}): {status}" + (f" in {fixed}" if fixed else "")
            + f", {rating}" + (f", no DSA: {nodsa}" if nodsa else "")}
    return Record("advisory", f"advisory:{cve_id}:{package}:{release}", f"debian:{package}", fixed, data)


def _rate(ratings: dict[str, dict[str, str]], cve_id: str, urgency: str, description: str) -> None:
    """One rating per CVE: the loudest urgency any pinned release gives it."""
    if not cve_id.startswith("CVE-"):
        return
    severity = CVE_SEVERITY_OF_URGENCY.get(urgency, "")
    old = ratings.get(cve_id)
    order = ("", "info", "warning", "critical")
    if old is None or order.index(severity) > order.index(old["severity"]):
        ratings[cve_id] = {"severity": severity, "rating": f"urgency {urgency}" if urgency else "",
                           "description": description}


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    wanted = Wanted.from_pins(ctx.fleet)
    if not wanted.releases:
        raise SourceError("the fleet pins no debian:<package> with a distro (add an inventory): nothing to match",
                          conf.url)
    with tempfile.TemporaryFile() as spool:
        size = 0
        async with ctx.stream(conf.url) as chunks:
            async for chunk in chunks:
                size += len(chunk)
                if size > conf.max_mb << 20:
                    raise SourceError(f"body larger than max_mb ({conf.max_mb} MB)", conf.url)
                spool.write(chunk)
        spool.seek(0)
        records = await asyncio.to_thread(parse, spool, conf, wanted)
    return Snapshot(tuple(with_exposure(records, ctx.fleet)))


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """advisory for pins a CVE affects; fix_available when an open CVE gets a fixed version.

    Only records new or changed since the last run are matched (bot.judge.advisories.advisory_news):
    the others' events were raised when they were; a fleet change gives standing facts.
    """
    return advisory_news(conf.name, previous, snapshot.records, ctx.fleet, ctx.cves)


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
