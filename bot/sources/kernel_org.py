"""kernel.org's list of releases, shared by the kernel kinds (kernel_releases, kernel_feed,
kernel_changelog) through the facade: one reading of an entry into release and branch
records, so either source can stand in for the other and the changelog follower sees
the same branches.

A core helper rather than a kind module because kinds never import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.sources.api import Record, SourceError, branch_of, json_body, looks_like_html

RELEASES_URL = "https://www.kernel.org/releases.json"
# Branches (X.Y) come from these monikers only: mainline moves from 5.11 to 5.12-rc1
# before 5.11.1 exists, and would look like a dropped branch for a few days.
BRANCH_MONIKERS = ("stable", "longterm")


@dataclass(frozen=True)
class Entry:
    """One kernel.org entry, whichever format it came from."""

    moniker: str
    version: str
    iseol: bool
    date: str
    changelog: str = ""
    source: str = ""


def releases_json_records(body: bytes, url: str, product: str) -> list[Record]:
    """Records for every release and stable/longterm branch in a releases.json body."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of releases.json", url)
    doc = json_body(body, "releases.json", url)
    items = doc.get("releases") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise SourceError("releases.json has no 'releases' list", url)
    return entry_records([_entry(item, url) for item in items], product, url)


def _entry(item: Any, url: str) -> Entry:
    if not isinstance(item, dict) or not item.get("version") or not item.get("moniker"):
        raise SourceError(f"releases.json entry without version or moniker: {str(item)[:80]}", url)
    released = item.get("released") or {}
    return Entry(
        moniker=str(item["moniker"]),
        version=str(item["version"]),
        iseol=item.get("iseol") is True,
        date=str(released.get("isodate") or "") if isinstance(released, dict) else "",
        changelog=str(item.get("changelog") or ""),
        source=str(item.get("source") or ""),
    )


def entry_records(entries: Iterable[Entry], product: str, url: str = "") -> list[Record]:
    """Release and branch records for kernel.org entries; linux-next is not a version."""
    records: list[Record] = []
    for entry in entries:
        if entry.moniker == "linux-next" or entry.version.startswith("next-"):
            continue
        try:
            branch = branch_of(entry.version, "kernel")
        except ValueError:
            raise SourceError(f"not a kernel version: {entry.version!r}", url) from None
        data = {
            "date": entry.date,
            "title": f"Linux {entry.version} ({entry.moniker}{', EOL' if entry.iseol else ''})",
            "url": entry.changelog or entry.source,
            "prerelease": "-rc" in entry.version,
            "moniker": entry.moniker,
            "branch": branch,
            "changelog": entry.changelog,
        }
        records.append(Record("release", f"release:{entry.version}", product, entry.version, data))
        if entry.moniker in BRANCH_MONIKERS:
            branch_data = {"eol": entry.iseol, "latest": entry.version, "moniker": entry.moniker,
                           "date": entry.date}
            records.append(Record("branch", f"branch:{branch}", product, branch, branch_data))
    if not any(r.kind == "branch" for r in records):
        raise SourceError("no stable or longterm branch listed", url)
    return records


