"""Red Hat security advisories (CSAF/VEX), read incrementally, matched to RHEL package pins.

Red Hat publishes every advisory as ``{base}/YYYY/rhsa-YYYY_NNNN.json`` and two indexes,
``{base}/changes.csv`` and ``{base}/deletions.csv`` (bot/sources/rhel_csaf_index.py). Each poll
reads both and fetches only the advisories changed since the last good poll, oldest change
first, at most `max_per_run` of them (the rest wait for the next poll, whose watermark starts
where this one stopped). The first poll reads the `max_per_run` most recently changed
advisories, or, with `first_days`, those changed in that many last days (caught up over polls).
An advisory the index lists but the server does not have (HTTP 404: not synced yet) is asked
for again on every later poll while the index lists it; it does not hold up the others.

The snapshot is the last good run's records with the fetched advisories' records replaced
and the deleted ones' turned into tombstones, plus one ``csaf_index`` record holding the
watermarks. If any index row or advisory is unreadable the whole poll fails (nothing written,
the watermark does not move), so no advisory is ever raised or withdrawn because a download
was partial.

Matching is bot.judge.advisories' (through the facade), after `stream_pins` has said which RHEL
streams each pin's ``distro`` means (see the README, "RHEL stream matching").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

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
    with_exposure,
)
from bot.sources.rhel_csaf_doc import parse_advisory
from bot.sources.rhel_csaf_index import INDEX_KEY, IndexState, Row, after, parse_index

NAME = "rhel_csaf"
BASE = "https://security.access.redhat.com/data/csaf/v2/advisories/"
ADVISORY = "advisory"
DELETED = "advisory_deleted"
PARALLEL = 8  # advisory downloads in flight at once
_SEVERITY_RANK = {"": 0, "info": 1, "warning": 2, "critical": 3}


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = BASE  # the directory holding changes.csv, deletions.csv and YYYY/rhsa-*.json
    max_per_run: int = 200  # advisories fetched per poll at most; the rest wait for the next
    first_days: int = 0  # 0: the first poll reads the max_per_run latest; N: those changed in N days
    skip: tuple[str, ...] = ()  # advisory ids never fetched (one Red Hat published broken)

    def __post_init__(self) -> None:
        if self.max_per_run < 1:
            raise ValueError("max_per_run must be at least 1")
        if self.first_days < 0:
            raise ValueError("first_days cannot be negative")
        bad = [i for i in self.skip if not re.fullmatch(r"RH[SBE]A-\d{4}:\d{4,}", i)]
        if bad:
            raise ValueError(f"skip: {bad[0]!r} is not an advisory id like RHSA-2024:0010")


def base_of(conf: Conf) -> str:
    return conf.url.rstrip("/")


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    # Not conditional: the events hook must see every poll, so that a CVE newly listed by
    # CISA (ctx.cves) or a new pin meets the advisories already stored.
    base, state, now = base_of(conf), IndexState.of(ctx.previous), ctx.now()
    changes = parse_index((await ctx.get(f"{base}/changes.csv", conditional=False)).body, f"{base}/changes.csv")
    deletions = parse_index((await ctx.get(f"{base}/deletions.csv", conditional=False)).body,
                            f"{base}/deletions.csv", allow_empty=True)
    waiting = _waiting(changes, state, conf, now)
    todo = waiting[: conf.max_per_run]
    listed = {r.path: r for r in changes}
    again = [listed[p] for p in state.retry if p in listed and p not in {r.path for r in todo}]
    removed = {r.advisory_id: r.changed for r in deletions}  # a deleted file is not fetched: it 404s
    wanted = [r for r in again + todo if r.is_security and r.advisory_id not in conf.skip
              and (r.advisory_id not in removed or removed[r.advisory_id] < r.changed)]  # republished since
    gate = asyncio.Semaphore(PARALLEL)
    results = await asyncio.gather(*(_fetch(f"{base}/{r.path}", r, ctx, gate) for r in wanted))
    fetched = {row.advisory_id for row, result in zip(wanted, results, strict=True) if result is not None}
    gone = [] if state.first_poll else after(deletions, state.deletions)  # deletions before us are no news
    had = {str(r.data.get("id")) for r in ctx.previous if r.kind == ADVISORY}
    deleted = {r.advisory_id for r in gone} - fetched
    # Which pins each advisory affects (a fleet change then shows as changed records): for the
    # advisories just read, and for all of them when the fleet changed (matching 50,000 stored
    # records takes seconds; a poll with the same fleet does not redo it).
    pins = stream_pins(ctx.fleet)
    fleet_digest = _digest(pins)
    fetched_records = with_exposure([r for batch in results if batch for r in batch], pins)
    # A record this source dropped last poll (a package Red Hat took out of an advisory) is still
    # in ctx.previous until a second poll confirms it gone: it must not be carried forward again.
    carried = [r for r in ctx.previous if r.key not in ctx.missing]
    records = merge(carried, fetched_records, fetched | deleted, deleted & had)
    if _previous_fleet(ctx.previous) != fleet_digest:  # kept records carry the old `affects`: drop it
        records = with_exposure([_fresh(r) for r in records], pins)
    mark = todo[-1] if todo else state.changes or (max(changes) if changes else None)
    new_state = IndexState(mark, max(deletions) if deletions else state.deletions,
                           tuple(sorted(r.path for r, result in zip(wanted, results, strict=True) if result is None)))
    extra = {"deleted": sorted(deleted & had), "pending": len(waiting) - len(todo), "fleet": fleet_digest}
    return Snapshot((new_state.record(extra), *records))


def _digest(pins: Sequence[Pin]) -> str:
    rows = sorted(f"{p.product.lower()} {p.version} {p.distro.lower()}" for p in pins if p.product.lower().startswith("rhel:"))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def _previous_fleet(previous: Sequence[Record]) -> str:
    return next((str(r.data.get("fleet", "")) for r in previous if r.kind == INDEX_KEY), "")


def _fresh(record: Record) -> Record:
    if record.kind != ADVISORY or "affects" not in record.data:
        return record
    return replace(record, data={k: v for k, v in record.data.items() if k != "affects"})


def _waiting(changes: Sequence[Row], state: IndexState, conf: Conf, now: datetime) -> list[Row]:
    """The rows to read, oldest first: changed since the watermark; on the first poll, the
    `max_per_run` latest, or those changed in the last `first_days` days."""
    if not state.first_poll:
        return after(changes, state.changes)
    if conf.first_days:
        return after(changes, Row(now - timedelta(days=conf.first_days), ""))
    return sorted(changes)[-conf.max_per_run:]


async def _fetch(url: str, row: Row, ctx: Context, gate: asyncio.Semaphore) -> list[Record] | None:
    """The advisory's records; None when the server does not have the file (yet)."""
    async with gate:
        try:
            body = (await ctx.get(url, conditional=False, accept="application/json")).body
        except SourceError as exc:
            if exc.reason.startswith(("HTTP 404", "HTTP 410")):
                return None
            raise
    try:
        return parse_advisory(body, url)
    except SourceError as exc:  # say how to go on without it, if Red Hat does not fix it
        raise SourceError(f"{exc.reason} (to go on without it: skip: [{row.advisory_id}])", url) from None


def merge(previous: Sequence[Record], fresh: Sequence[Record], replaced: set[str],
          deleted: frozenset[str] | set[str] = frozenset()) -> list[Record]:
    """Last run's records, without the advisories fetched again or deleted, plus the fetched ones.

    A deleted advisory's records stay as ``advisory_deleted`` tombstones (matched by nothing):
    dropping them would read, to the core, like a broken download that lost records. CVE records
    are shared by advisories: each CVE keeps its loudest rating.
    """
    kept = [r for r in previous if r.kind in (ADVISORY, DELETED) and str(r.data.get("id")) not in replaced]
    tombstones = [replace(r, kind=DELETED) for r in previous
                  if r.kind == ADVISORY and str(r.data.get("id")) in deleted]
    cves = {r.key: r for r in previous if r.kind == "cve"}
    for record in fresh:
        if record.kind == "cve":
            old = cves.get(record.key)
            if old is None or _SEVERITY_RANK[record.data["severity"]] >= _SEVERITY_RANK[old.data["severity"]]:
                cves[record.key] = record
    return [*kept, *tombstones, *(r for r in fresh if r.kind == ADVISORY), *cves.values()]


def stream_pins(pins: Sequence[Pin]) -> list[Pin]:
    """RHEL package pins as the streams they follow: distro '9' or '9.4' is the main stream of 9
    and, once 9 is past its maintenance phase, its ELS stream ('9 els'); '9.2 eus' (aus, e4s,
    tus) is that minor's stream only. Other pins pass through unchanged."""
    out: list[Pin] = []
    for pin in pins:
        words = pin.distro.lower().split()
        if pin.product.lower().startswith("rhel:") and len(words) == 1 and re.fullmatch(r"\d+(\.\d+)?", words[0]):
            major = words[0].split(".")[0]
            out += [replace(pin, distro=major), replace(pin, distro=f"{major} els")]
        else:
            out.append(pin)
    return out


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """`advisory` for each pin an advisory new or changed since the last poll affects, or whose CVE
    CISA newly lists (bot.judge.advisories.advisory_news: an advisory that concerns the fleet only because
    the fleet changed goes into the core's one fleet-change summary); `advisory_deleted` and
    `advisory_unavailable` (info)."""
    found = advisory_news(conf.name, previous, snapshot.records, stream_pins(ctx.fleet), ctx.cves)
    state = next((r for r in snapshot.records if r.kind == INDEX_KEY), None)
    titles = {str(r.data.get("id")): str(r.data.get("title", "")) for r in previous if r.kind == "advisory"}
    asked = set(IndexState.of(previous).retry)
    for path in (state.data.get("retry", []) if state else []):
        if path not in asked:
            found.append(Event("advisory_unavailable", "info", "rhel", "", f"advisory_unavailable:{path}",
                               f"Red Hat's changes.csv lists {path} but the server does not have it (HTTP 404): "
                               "asked for again every poll", conf.name, {"path": path}))
    for adv_id in (state.data.get("deleted", []) if state else []):
        found.append(Event("advisory_deleted", "info", "rhel", "", f"advisory_deleted:{adv_id}",
                           f"Red Hat deleted advisory {adv_id} ({titles.get(adv_id, '')}): its fixes are no "
                           "longer listed", conf.name, {"advisory": adv_id}))
    return found


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
