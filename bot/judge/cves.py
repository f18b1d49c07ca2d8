"""What the fleet's sources know about a CVE: its rating and whether it is exploited.

Advisory kinds (the Debian security tracker, Red Hat CSAF, CISA's KEV catalog) emit, beside
their advisories, one record per CVE they rate::

    Record(kind="cve", key="cve:CVE-2019-5736", product="", data={
        "cve": "CVE-2019-5736", "severity": "critical",   # critical | warning | info | "" (unknown)
        "rating": "high",                                  # the upstream's own word (urgency, impact, CVSS)
        "description": "...", "kev_date": "2019-..."})     # kev_date only from the KEV catalog

The core gathers the current `cve` records of every source into one table (`ratings`)
and hands it to every source and to the changelog rules, so that a CVE named in a Docker
or kernel changelog is rated by what the advisory sources say of it, not only by its words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.model import Record, severity_rank

CVE_RECORD = "cve"


@dataclass(frozen=True)
class CveInfo:
    """One CVE as the advisory sources rate it; the loudest rating of all sources wins."""

    cve: str
    severity: str = ""  # critical | warning | info | "" when no source rates it
    rating: str = ""  # the upstream's own word, for the alert text ("urgency high", "Important")
    sources: tuple[str, ...] = ()
    kev_date: str = ""  # the day CISA listed it as exploited in the wild, if it did
    description: str = ""

    @property
    def exploited(self) -> bool:
        return bool(self.kev_date)


def cve_record(cve: str, *, severity: str = "", rating: str = "", description: str = "",
               kev_date: str = "") -> Record:
    """The record an advisory kind emits for a CVE it rates (see the module docstring)."""
    data = {"cve": cve, "severity": severity, "rating": rating, "description": description[:500]}
    if kev_date:
        data["kev_date"] = kev_date
    return Record(CVE_RECORD, f"cve:{cve}", "", "", data)


def ratings(rows: Iterable[tuple[str, Record]]) -> dict[str, CveInfo]:
    """(source, record) pairs of `cve` records -> one CveInfo per CVE, loudest rating first.

    A KEV listing makes a CVE critical whatever the others say: it is being exploited.
    """
    out: dict[str, CveInfo] = {}
    for source, record in rows:
        if record.kind != CVE_RECORD:
            continue
        out[record.data["cve"]] = merge(out.get(record.data["cve"]), source, record.data)
    return out


def merge(old: CveInfo | None, source: str, data: Mapping[str, str]) -> CveInfo:
    kev_date = data.get("kev_date", "") or (old.kev_date if old else "")
    severity = data.get("severity", "")
    rating = data.get("rating", "")
    if old and _rank(old.severity) >= _rank(severity):
        severity, rating = old.severity, old.rating
    if kev_date:
        severity = "critical"
    return CveInfo(
        cve=data["cve"],
        severity=severity,
        rating=rating,
        sources=(*(old.sources if old else ()), source),
        kev_date=kev_date,
        description=(old.description if old and old.description else data.get("description", "")),
    )


def _rank(severity: str) -> int:
    return severity_rank(severity) if severity else -1
