"""Red Hat security advisories (CSAF/VEX), read incrementally, matched to RHEL package pins.

Red Hat publishes every advisory as ``{base}/YYYY/rhsa-YYYY_NNNN.json`` and two indexes:
``{base}/changes.csv`` (``"2024/rhsa-2024_0010.json","2025-02-18T14:28:08+00:00"``: each file
and when it last changed) and ``{base}/deletions.csv`` (same shape). Each poll reads both
indexes and fetches only the advisories changed since the last good poll, oldest change first,
at most `max_per_run` of them (the rest wait for the next poll, whose watermark starts where
this one stopped). The first poll reads those changed in the last `first_days` days.

The snapshot is the last good run's records with the fetched advisories' records replaced
and the deleted ones' dropped, plus one ``csaf_index`` record holding the watermarks. If any
index row or advisory is unreadable the whole poll fails (nothing written, the watermark
does not move), so no advisory is ever raised or withdrawn because a download was partial.

Matching is bot.advisories' (through the facade), after `stream_pins` has said which RHEL
streams each pin's ``distro`` means (see the README, "RHEL stream matching").
"""

from __future__ import annotations

import asyncio
import csv
import io
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
    advisory_events,
    looks_like_html,
)
from bot.sources.rhel_csaf_doc import parse_advisory

NAME = "rhel_csaf"
BASE = "https://security.access.redhat.com/data/csaf/v2/advisories/"
INDEX_KEY = "csaf_index"
ADVISORY = "advisory"
DELETED = "advisory_deleted"
PARALLEL = 8  # advisory downloads in flight at once
_PATH = re.compile(r"(?P<year>\d{4})/(?P<kind>rh[sbe]a)-(?P<y2>\d{4})_(?P<num>\d{4,})\.json")
_SEVERITY_RANK = {"": 0, "info": 1, "warning": 2, "critical": 3}


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = BASE  # the directory holding changes.csv, deletions.csv and YYYY/rhsa-*.json
    max_per_run: int = 200  # advisories fetched per poll at most; the rest wait for the next
    first_days: int = 30  # the first poll reads advisories changed in these last days
    skip: tuple[str, ...] = ()  # advisory ids never fetched (one Red Hat published broken)

    def __post_init__(self) -> None:
        if self.max_per_run < 1:
            raise ValueError("max_per_run must be at least 1")
        if self.first_days < 0:
            raise ValueError("first_days cannot be negative")
        bad = [i for i in self.skip if not re.fullmatch(r"RH[SBE]A-\d{4}:\d{4,}", i)]
        if bad:
            raise ValueError(f"skip: {bad[0]!r} is not an advisory id like RHSA-2024:0010")


@dataclass(frozen=True, order=True)
class Row:
    """One index row: when a file changed, and its path under the base URL."""

    changed: datetime
    path: str

    @property
    def advisory_id(self) -> str:
        match = _PATH.fullmatch(self.path)
        assert match is not None  # parse_index only builds rows of this shape
        return f"{match['kind'].upper()}-{match['y2']}:{match['num']}"

    @property
    def is_security(self) -> bool:
        return self.path.split("/")[-1].startswith("rhsa-")


def base_of(conf: Conf) -> str:
    return conf.url.rstrip("/")


def parse_index(body: bytes, url: str, *, allow_empty: bool = False) -> list[Row]:
    """changes.csv / deletions.csv -> rows; a malformed row fails with its number and URL."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of the CSAF index CSV", url)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("CSAF index is not UTF-8 text", url) from None
    rows: list[Row] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields:
            continue
        if len(fields) != 2 or not _PATH.fullmatch(fields[0].strip()):
            raise SourceError(f"row {number}: expected \"YYYY/rhsa-YYYY_NNNN.json\",\"date\", got {','.join(fields)[:80]!r}",
                              url)
        try:
            changed = datetime.fromisoformat(fields[1].strip())
        except ValueError:
            raise SourceError(f"row {number} ({fields[0].strip()}): bad date {fields[1][:40]!r}", url) from None
        if changed.tzinfo is None:
            raise SourceError(f"row {number} ({fields[0].strip()}): date without a time zone {fields[1][:40]!r}", url)
        rows.append(Row(changed, fields[0].strip()))
    if not rows and not allow_empty:
        raise SourceError("CSAF index lists no advisories (an empty index is a broken one)", url)
    return rows


@dataclass(frozen=True)
class Marks:
    """How far the last good poll read each index: (changed, path) of the last row taken."""

    changes: tuple[str, str] | None
    deletions: tuple[str, str] | None

    @staticmethod
    def of(previous: Sequence[Record]) -> Marks:
        for record in previous:
            if record.kind == INDEX_KEY:
                return Marks(_mark(record.data.get("changes")), _mark(record.data.get("deletions")))
        return Marks(None, None)


def _mark(value: object) -> tuple[str, str] | None:
    return (str(value[0]), str(value[1])) if isinstance(value, list | tuple) and len(value) == 2 else None


def _after(rows: Sequence[Row], mark: tuple[str, str] | None, floor: datetime) -> list[Row]:
    if mark is None:
        return sorted(r for r in rows if r.changed >= floor)
    since = Row(datetime.fromisoformat(mark[0]), mark[1])
    return sorted(r for r in rows if r > since)


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    # Not conditional: the events hook must see every poll, so that a CVE newly listed by
    # CISA (ctx.cves) or a new pin meets the advisories already stored.
    base, marks = base_of(conf), Marks.of(ctx.previous)
    changes = parse_index((await ctx.get(f"{base}/changes.csv", conditional=False)).body, f"{base}/changes.csv")
    deleted_rows = parse_index((await ctx.get(f"{base}/deletions.csv", conditional=False)).body,
                               f"{base}/deletions.csv", allow_empty=True)
    now = ctx.now()
    waiting = _after(changes, marks.changes, now - timedelta(days=conf.first_days))
    todo = waiting[: conf.max_per_run]
    first_poll = marks == Marks(None, None)  # deletions before we started are not news
    gone = [] if first_poll else _after(deleted_rows, marks.deletions, datetime.min.replace(tzinfo=now.tzinfo))
    gate = asyncio.Semaphore(PARALLEL)

    async def fetch(row: Row) -> list[Record]:
        url = f"{base}/{row.path}"
        async with gate:
            body = (await ctx.get(url, conditional=False, accept="application/json")).body
        try:
            return parse_advisory(body, url)
        except SourceError as exc:  # say how to go on without it, if Red Hat does not fix it
            raise SourceError(f"{exc.reason} (to go on without it: skip: [{row.advisory_id}])", url) from None

    removed = {r.advisory_id: r.changed for r in deleted_rows}  # a deleted file is not fetched: it 404s
    wanted = [r for r in todo if r.is_security and r.advisory_id not in conf.skip
              and (r.advisory_id not in removed or removed[r.advisory_id] < r.changed)]  # republished since
    fetched = await asyncio.gather(*(fetch(r) for r in wanted))
    deleted = {r.advisory_id for r in gone} - {r.advisory_id for r in wanted}
    replaced = {r.advisory_id for r in todo} | deleted
    had = {str(r.data.get("id")) for r in ctx.previous if r.kind == ADVISORY}
    records = merge(ctx.previous, [r for batch in fetched for r in batch], replaced, deleted & had)
    state = Record(INDEX_KEY, INDEX_KEY, "", "", {
        "changes": _row_mark(todo[-1]) if todo else marks.changes or [now.isoformat(), ""],
        "deletions": _row_mark(max(deleted_rows)) if deleted_rows else marks.deletions,
        "deleted": sorted(deleted & had),
        "pending": len(waiting) - len(todo),  # changed advisories left for the next polls
    })
    return Snapshot((state, *records))


def _row_mark(row: Row) -> list[str]:
    return [row.changed.isoformat(), row.path]


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
    """`advisory` for each pin an advisory affects (bot.advisories), `advisory_deleted` (info)."""
    found = advisory_events(conf.name, snapshot.records, stream_pins(ctx.fleet), ctx.cves)
    state = next((r for r in snapshot.records if r.kind == INDEX_KEY), None)
    titles = {str(r.data.get("id")): str(r.data.get("title", "")) for r in previous if r.kind == "advisory"}
    for adv_id in (state.data.get("deleted", []) if state else []):
        found.append(Event("advisory_deleted", "info", "rhel", "", f"advisory_deleted:{adv_id}",
                           f"Red Hat deleted advisory {adv_id} ({titles.get(adv_id, '')}): its fixes are no "
                           "longer listed", conf.name, {"advisory": adv_id}))
    return found


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
