"""kernel.org ``releases.json``: the current release of every maintained kernel branch.

The file lists one entry per active branch (mainline, stable, longterm, linux-next).
An ended branch shows ``iseol: true`` for a while, then disappears: the EOL flag
is the only warning users get, and a branch that vanishes without it is news too.
Only the latest release of each branch is listed, so the snapshot is partial for
releases (an older 3.16.y missing is not withdrawn) and the branch records carry
the story; `events` turns them into branch_eol / branch_dropped.

kernel_feed (kdist.xml) yields the same records: both read entries with bot.sources.kernel_org.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    branch_events,
)
from bot.sources.kernel_org import RELEASES_URL, releases_json_records

NAME = "kernel_releases"
DEFAULT_URL = RELEASES_URL
@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = DEFAULT_URL
    product: str = "linux"


def parse(body: bytes, conf: Conf) -> list[Record]:
    """Records for every release and stable/longterm branch in a releases.json body."""
    return releases_json_records(body, conf.url, conf.product or "linux")


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url, accept="application/json")
    # Only the latest release of each branch is listed: missing releases are not withdrawn.
    return Snapshot(tuple(parse(response.body, conf)), complete=False)


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """branch_eol when a branch shows iseol, branch_dropped when one vanishes without it."""
    return branch_events(
        conf.name, conf.product or "linux", previous, snapshot.records, ctx.fleet, ctx.now().date(), ctx.missing
    )


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
