"""`trackbot changes FROM TO`: what an upgrade brings, read before doing it.

Every line the history holds for a version after FROM up to TO, from every source that
has one (upstream changelog, Debian changelog, kernel ChangeLog, advisories), each with its
version and release date, ordered by what a team must read first: security and
regressions (CVE fixes, then regressions and reverts, then other security lines), then
fixes, then the rest. The same line published by two sources is listed
once, naming both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core import versions
from bot.core.version_keys import version_key
from bot.store.history import Store, StoredRecord
from bot.store.reads import product_records, product_records_between

GROUPS = ("security and regressions", "fixes", "other changes")


@dataclass
class Change:
    group: str
    product: str
    version: str
    date: str
    text: str
    classes: list[str]
    cves: list[str]
    sources: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group, "product": self.product, "version": self.version, "date": self.date,
                "text": self.text, "classes": self.classes, "cves": self.cves, "sources": self.sources}


def products_with(store: Store, version: str) -> list[str]:
    """Products having a release `version`: what `changes` reads when no --product is given."""
    rows = store.db.execute("select distinct product from records where version = ? and +kind = 'release'", [version])
    return sorted({str(row[0]) for row in rows})


def changes(store: Store, start: str, end: str, product: str) -> list[Change]:
    """Lines of versions in (start, end] of `product` (aliases included), most important first.

    Only the versions in the range are read: their lines and releases are one range of the
    version-key index (bot/core/version_keys.py, migration m010), the product's advisories are read
    whole, and the scheme's own order then decides each version exactly.
    Raises ValueError when START or END is not a version of the product's scheme, or START >= END.
    """
    scheme = versions.scheme_for(product)
    low, high = versions.normalize(start, scheme), versions.normalize(end, scheme)
    if versions.compare(low, high, scheme) >= 0:
        raise ValueError(f"{start} is not older than {end}")
    low_key, high_key = version_key(product, low), version_key(product, high)
    if low_key is None or high_key is None:
        raise ValueError(f"{start} or {end} has a number of 100 digits or more")
    rows = product_records_between(store, product, ["changelog_line", "release"], low_key, high_key)
    rows += product_records(store, product, ["advisory"])
    dates = {r.record.version: str(r.record.data.get("date") or "") for r in rows if r.record.kind == "release"}
    found: dict[tuple[str, str], Change] = {}
    for row in rows:
        version = _version_of(row)
        if not version or not _between(version, low, high, scheme):
            continue
        change = _change(row, version, dates.get(version, ""))
        if change is None:
            continue
        kept = found.setdefault((change.version, change.text), change)
        if row.source not in kept.sources:
            kept.sources.append(row.source)
    return sorted(found.values(), key=lambda c: (GROUPS.index(c.group), _weight(c), versions.sort_key(c.version, scheme)))


def _weight(change: Change) -> int:
    """Within a group: CVE fixes first, then regressions and reverts, then the rest (a deprecated
    `--security-opt` separator is "security" too, but no one must read it before a CVE)."""
    if change.cves:
        return 0
    return 1 if {"regression", "revert"} & set(change.classes) else 2


def _version_of(row: StoredRecord) -> str:
    if row.record.kind == "advisory":
        return str(row.record.data.get("fixed_version") or row.record.version or "")
    return row.record.version if row.record.kind == "changelog_line" else ""


def _between(version: str, low: str, high: str, scheme: str) -> bool:
    try:
        return versions.compare(version, low, scheme) > 0 and versions.compare(version, high, scheme) <= 0
    except ValueError:
        return False


def _change(row: StoredRecord, version: str, date: str) -> Change | None:
    data = row.record.data
    if row.record.kind == "advisory":
        text = f"{data.get('id', '')}: {data.get('title') or ', '.join(data.get('cves', []))}".strip(": ")
        return Change(GROUPS[0], row.record.product, version, str(data.get("published") or date)[:10], text,
                      ["security", "advisory"], list(data.get("cves", [])))
    text = str(data.get("text") or "")
    if not text:
        return None
    classes = list(data.get("classes", []))
    return Change(_group(classes, str(data.get("section", ""))), row.record.product, version, date[:10], text,
                  classes, list(data.get("cves", [])))


def _group(classes: Sequence[str], section: str) -> str:
    if {"security", "regression", "revert"} & set(classes) or section.strip().lower() == "security":
        return GROUPS[0]
    return GROUPS[1] if "fix" in classes else GROUPS[2]
