"""kernel.org ``kdist.xml``: the RSS twin of releases.json, for mirrors that only carry it.

Each item's guid is ``kernel.org,<moniker>,<version>,<date>``; an ended branch shows
``(EOL)`` after the version in the description. The records (and so the events) are
exactly those of kernel_releases, so either source can stand in for the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    branch_events,
    check_xml_utf8,
    feedparser,
    looks_like_html,
)
from bot.sources.kernel_org import Entry as KernelEntry
from bot.sources.kernel_org import entry_records

NAME = "kernel_feed"
DEFAULT_URL = "https://www.kernel.org/feeds/kdist.xml"
_CHANGELOG_RE = re.compile(r'href="([^"]+/ChangeLog-[^"]+)"')
_SOURCE_RE = re.compile(r'href="([^"]+\.tar\.(?:xz|gz))"')


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = DEFAULT_URL
    product: str = "linux"


def parse(body: bytes, conf: Conf) -> list[Record]:
    """Release and branch records from a kdist.xml body."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of kdist.xml", conf.url)
    check_xml_utf8(body, "kdist.xml", conf.url)
    feed = feedparser.parse(body)
    if feed.bozo and not feed.entries:
        raise SourceError(f"kdist.xml does not parse ({feed.get('bozo_exception')})", conf.url)
    if feed.bozo:
        # A truncated feed still yields its first items: refuse it rather than lose branches.
        raise SourceError(f"kdist.xml is malformed or truncated ({feed.get('bozo_exception')})", conf.url)
    entries = [_entry(item, conf.url) for item in feed.entries]
    if not entries:
        raise SourceError("kdist.xml has no items", conf.url)
    return entry_records(entries, conf.product or "linux", conf.url)


def _entry(item: feedparser.FeedParserDict, url: str) -> KernelEntry:
    parts = str(item.get("id") or "").split(",")
    if len(parts) != 4 or parts[0] != "kernel.org":
        raise SourceError(f"kdist.xml item with an unexpected guid: {item.get('id')!r}", url)
    _, moniker, version, date = parts
    description = str(item.get("summary") or "")
    changelog = _CHANGELOG_RE.search(description)
    source = _SOURCE_RE.search(description)
    return KernelEntry(
        moniker=moniker,
        version=version,
        iseol=f"{version} (EOL)" in description,
        date=date,
        changelog=changelog.group(1) if changelog else "",
        source=source.group(1) if source else "",
    )


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url)
    return Snapshot(tuple(parse(response.body, conf)), complete=False)


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """The same branch news as kernel_releases: branch_eol, branch_dropped."""
    return branch_events(
        conf.name, conf.product or "linux", previous, snapshot.records, ctx.fleet, ctx.now().date(), ctx.missing
    )


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
