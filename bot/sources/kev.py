"""CISA's Known Exploited Vulnerabilities catalog: CVEs being exploited in the wild.

The catalog is one JSON document (``{"catalogVersion", "count", "vulnerabilities": [{"cveID",
"vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription",
"knownRansomwareCampaignUse", ...}]}``). Each entry becomes a ``cve`` record carrying its
``kev_date`` (bot.judge.cves): the core gathers those into the CVE table every source sees, so an
advisory or a fix for a pinned package whose CVE is listed here is critical and names the
day CISA listed it. The catalog itself says nothing of our packages, so its own news (a CVE
newly listed) is info, for the digest; the page comes from the advisory that matches a pin.

The catalog only grows: an empty list, a count that disagrees with the entries, or an entry
without a CVE id or a date means the download or the format is broken, never "nothing is
exploited any more".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    cve_record,
    json_body,
    looks_like_html,
)

NAME = "kev"
URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = URL  # a mirror or a test server may stand in for CISA


def parse(body: bytes, conf: Conf) -> list[Record]:
    """One `cve` record per catalog entry, with the date CISA added it as `kev_date`."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of the KEV catalog JSON", conf.url)
    catalog = json_body(body, "KEV catalog", conf.url)
    entries = catalog.get("vulnerabilities") if isinstance(catalog, dict) else None
    if not isinstance(entries, list):
        raise SourceError("KEV catalog has no 'vulnerabilities' list (the format moved?)", conf.url)
    if not entries:
        raise SourceError("KEV catalog lists no vulnerabilities (an empty catalog is a broken one)", conf.url)
    count = catalog.get("count")
    if isinstance(count, int) and count != len(entries):
        raise SourceError(f"KEV catalog says count {count} but lists {len(entries)} entries", conf.url)
    return [_record(entry, index, conf.url) for index, entry in enumerate(entries)]


def _record(entry: Any, index: int, url: str) -> Record:
    if not isinstance(entry, dict):
        raise SourceError(f"KEV entry {index} is not an object: {str(entry)[:60]!r}", url)
    cve = str(entry.get("cveID", "")).strip()
    added = str(entry.get("dateAdded", "")).strip()
    if not _CVE_ID.fullmatch(cve):
        raise SourceError(f"KEV entry {index} has no valid cveID: {cve[:40]!r}", url)
    if not _DATE.fullmatch(added):
        raise SourceError(f"KEV entry {index} ({cve}) has no valid dateAdded: {added[:40]!r}", url)
    return cve_record(cve, kev_date=added, description=_describe(entry))


def _describe(entry: dict[str, Any]) -> str:
    """'Apache Log4j2 Remote Code Execution Vulnerability (used in ransomware campaigns)'.

    CISA's vulnerabilityName already names the vendor and product."""
    name = str(entry.get("vulnerabilityName") or entry.get("shortDescription") or "").strip()
    if str(entry.get("knownRansomwareCampaignUse", "")).lower() == "known":
        return f"{name} (used in ransomware campaigns)"
    return name


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url, accept="application/json")
    return Snapshot(tuple(parse(response.body, conf)))


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """`kev_listed` (info) for each CVE newly added to a catalog seen before.

    Nothing on the first poll: 1,400 old listings are history, not news. Whether a listing
    matters to the fleet is decided where the CVE meets a pinned package (the advisory kinds
    read the CVE table), which is where the page comes from.
    """
    if not previous:
        return []
    known = {r.key for r in previous}
    return [
        Event("kev_listed", "info", "", "", f"kev_listed:{r.data['cve']}",
              f"{r.data['cve']} added to CISA's Known Exploited Vulnerabilities on {r.data['kev_date']}: "
              f"{r.data['description']}", conf.name,
              {"cve": r.data["cve"], "kev_date": r.data["kev_date"], "url": conf.url})
        for r in snapshot.records
        if r.key not in known
    ]


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
