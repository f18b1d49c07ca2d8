"""endoflife.date: when each release cycle of a product stops getting fixes.

``/api/<product>.json`` lists cycles (``cycle``, ``releaseDate``, ``eol``, ``latest``,
``lts``, ``support``); ``eol`` and ``support`` are a date or a boolean. A cycle is
ended when ``eol`` is true or its date has passed: that is checked on every run
against the clock, so an EOL date that passes between two polls of an unchanged
document still gives its branch_eol. A newly announced or moved EOL date is news too.
"""

from __future__ import annotations

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
    branch_events,
    canonical_product,
    json_body,
    looks_like_html,
)

NAME = "endoflife"
API = "https://endoflife.date/api/{product}.json"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    endoflife: str  # the product's name on endoflife.date: linux, docker-engine, debian, rhel
    url: str = ""  # default: https://endoflife.date/api/<endoflife>.json


def url_of(conf: Conf) -> str:
    return conf.url or API.format(product=conf.endoflife)


def product_of(conf: Conf) -> str:
    """Our name for the product: docker-engine is 'docker', so keys match the other sources."""
    return conf.product or canonical_product(conf.endoflife)


def parse(body: bytes, conf: Conf) -> list[Record]:
    """A branch record per cycle (releases come from the product's own sources)."""
    url = url_of(conf)
    if looks_like_html(body):
        raise SourceError("HTML page instead of endoflife.date JSON", url)
    cycles = json_body(body, "endoflife.date answer", url)
    if not isinstance(cycles, list) or not cycles:
        raise SourceError("endoflife.date answer is not a list of cycles", url)
    product = product_of(conf)
    records: list[Record] = []
    for item in cycles:
        if not isinstance(item, dict) or not item.get("cycle"):
            raise SourceError(f"endoflife.date cycle without a name: {str(item)[:80]}", url)
        cycle = str(item["cycle"])
        data = {
            "eol": _flag(item.get("eol"), url, cycle),
            "latest": str(item.get("latest") or ""),
            "release_date": str(item.get("releaseDate") or ""),
            "latest_date": str(item.get("latestReleaseDate") or ""),
            "lts": _flag(item.get("lts", False), url, cycle),
            "support": _flag(item.get("support", ""), url, cycle),
        }
        records.append(Record("branch", f"branch:{cycle}", product, cycle, data))
    return records


def _flag(value: Any, url: str, cycle: str) -> bool | str:
    """endoflife.date's 'a date or a boolean' fields; anything else means the format moved."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return value
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return text
    raise SourceError(f"cycle {cycle}: expected a date or a boolean, got {text[:20]!r}", url)


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    # Not conditional: an EOL date passes without the document changing, and a 304
    # would skip the events hook that notices it.
    response = await ctx.get(url_of(conf), conditional=False, accept="application/json")
    return Snapshot(tuple(parse(response.body, conf)))


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """branch_eol when a cycle ends (flag or date), its EOL date is set or moves; branch_dropped."""
    return branch_events(conf.name, product_of(conf), previous, snapshot.records, ctx.fleet,
                               ctx.now().date(), ctx.missing, coverage=True)


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
