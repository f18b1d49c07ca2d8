"""kernel.org ``releases.json``: the current release of every maintained kernel branch.

The file lists one entry per active branch (mainline, stable, longterm, linux-next).
An ended branch shows ``iseol: true`` for a while, then disappears: the EOL flag
is the only warning users get, and a branch that vanishes without it is news too.
Only the latest release of each branch is listed, so the snapshot is partial for
releases (an older 3.16.y missing is not withdrawn) and the branch records carry
the story; `events` turns them into branch_eol / branch_dropped.

kernel_feed (kdist.xml) yields the same records through `entry_records`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot import rules, versions
from bot.sources.api import (
    Context,
    Event,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    json_document,
    looks_like_html,
)

NAME = "kernel_releases"
DEFAULT_URL = "https://www.kernel.org/releases.json"
# Branches (X.Y) come from these monikers only: mainline moves from 5.11 to 5.12-rc1
# before 5.11.1 exists, and would look like a dropped branch for a few days.
BRANCH_MONIKERS = ("stable", "longterm")


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = DEFAULT_URL
    product: str = "linux"


@dataclass(frozen=True)
class Entry:
    """One kernel.org entry, whichever format it came from."""

    moniker: str
    version: str
    iseol: bool
    date: str
    changelog: str = ""
    source: str = ""


def parse(body: bytes, conf: Conf) -> list[Record]:
    """Records for every release and stable/longterm branch in a releases.json body."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of releases.json", conf.url)
    doc = json_document(body, conf.url, "releases.json")
    items = doc.get("releases") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise SourceError("releases.json has no 'releases' list", conf.url)
    return entry_records([_entry(item, conf.url) for item in items], conf.product or "linux", conf.url)


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
            branch = versions.branch_of(entry.version, "kernel")
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


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url, accept="application/json")
    # Only the latest release of each branch is listed: missing releases are not withdrawn.
    return Snapshot(tuple(parse(response.body, conf)), complete=False)


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """branch_eol when a branch shows iseol, branch_dropped when one vanishes without it."""
    return rules.branch_events(
        conf.name, conf.product or "linux", previous, snapshot.records, ctx.fleet, ctx.now().date(), ctx.missing
    )


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
