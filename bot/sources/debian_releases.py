"""Debian releases and their support phases, from distro-info-data's ``debian.csv``.

``version,codename,series,created,release,eol,eol-lts,eol-elts``: a release is supported by
the security team until ``eol``, then by Debian LTS until ``eol-lts``, then by Freexian's
Extended LTS until ``eol-elts``; trailing columns are omitted while unknown. Rows without a
version (sid, experimental) are never released and have no end.

Checked against the clock on every run (the file is fetched unconditionally: a date passes
without the file changing):

- ``branch_eol`` when a phase's end date has passed: key ``branch_eol:debian:<version>`` for the
  security team's end (the key endoflife's debian cycles use, so the two sources agree),
  ``...:lts`` and ``...:elts`` for the others; critical when the release is pinned (a ``debian``
  pin of that version, or package pins on that codename), info otherwise;
- ``branch_eol_scheduled`` when a phase's end date moves (or, on first sight, for the next end
  coming), warning when pinned, info otherwise; its summary says which support phase the release
  is in, so the first poll's summary tells where each pinned release stands.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Pin,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    looks_like_html,
)

NAME = "debian_releases"
URL = "https://salsa.debian.org/debian/distro-info-data/-/raw/main/debian.csv"
COLUMNS = ("version", "codename", "series", "created", "release", "eol", "eol-lts", "eol-elts")
PHASES = (("eol", "", "security support"), ("eol-lts", "lts", "LTS"), ("eol-elts", "elts", "extended LTS"))


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = URL
    product: str = "debian"


def parse(body: bytes, conf: Conf) -> list[Record]:
    """debian.csv -> one branch record per numbered release; SourceError naming the row if bad."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of debian.csv", conf.url)
    try:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"debian.csv is not UTF-8 CSV ({exc})", conf.url) from None
    if not rows or tuple(c.strip() for c in rows[0][:5]) != COLUMNS[:5]:
        raise SourceError(f"debian.csv header is not {','.join(COLUMNS[:5])},...", conf.url)
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=False))
        if len(row) < 4 or not values.get("series"):
            raise SourceError(f"row {number}: expected at least version,codename,series,created", conf.url)
        for column in COLUMNS[3:]:
            _check_date(values.get(column, ""), f"row {number} ({values['series']}) {column}", conf.url)
        if not values["version"]:
            continue  # sid, experimental: never released, never ended
        data = {"codename": values["series"], "name": values["codename"], "release": values.get("release", ""),
                **{column.replace("-", "_"): values.get(column, "") for column in COLUMNS[5:]}}
        records.append(Record("branch", f"branch:{values['version']}", conf.product, values["version"], data))
    if not records:
        raise SourceError("debian.csv lists no releases", conf.url)
    return records


def _check_date(text: str, where: str, url: str) -> None:
    if not text:
        return
    try:
        date.fromisoformat(text)
    except ValueError:
        raise SourceError(f"{where}: bad date {text[:20]!r}", url) from None


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url, conditional=False)
    return Snapshot(tuple(parse(response.body, conf)))


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """branch_eol for every phase end passed; branch_eol_scheduled for a moved or first-seen next end."""
    today = ctx.now().date()
    before = {r.key: r for r in previous if r.kind == "branch"}
    found: list[Event] = []
    for record in snapshot.records:
        pins = pinned_by(record, ctx.fleet)
        old = before.get(record.key)
        upcoming = [phase for phase in PHASES if (day := _date(record, phase[0])) is not None and day > today]
        for phase in PHASES:
            day = _date(record, phase[0])
            if day is None:
                continue
            if day <= today:
                found.append(_ended(conf, record, phase, pins, today))
            elif (old is None and phase == upcoming[0]) or (old is not None and _date(old, phase[0]) != day):
                found.append(_scheduled(conf, record, phase, pins, old, today))
    return found


def pinned_by(record: Record, pins: Sequence[Pin]) -> list[str]:
    """How the fleet pins this release: 'debian 12', or a count of package pins on its codename."""
    major = record.version.split(".")[0]
    labels = [f"{p.product} {p.version}" for p in pins
              if p.product.lower() == record.product and p.version.split(".")[0] == major]
    packages = sum(1 for p in pins if p.distro.lower() == record.data["codename"] and ":" in p.product)
    if packages:
        labels.append(f"{packages} package pin(s) on {record.data['codename']}")
    return labels


def phase_text(record: Record, today: date) -> str:
    """Which support phase a release is in today: 'in LTS until 2028-06-30 (then extended LTS ...)'."""
    released = record.data.get("release", "")
    if not released or date.fromisoformat(released) > today:
        return "not released yet" + (f" (release planned {released})" if released else "")
    for index, (column, _, label) in enumerate(PHASES):
        day = _date(record, column)
        if day is None:  # no end announced yet; past the first phase, a missing one never existed
            return f"in {label}, end not announced" if index == 0 else "no longer supported"
        if day > today:
            later = [f"{lab} until {_date(record, col)}" for col, _, lab in PHASES[index + 1:] if _date(record, col)]
            return f"in {label} until {day}" + (f" (then {', '.join(later)})" if later else "")
    return "no longer supported by anyone"


def _ended(conf: Conf, record: Record, phase: tuple[str, str, str], pins: list[str], today: date) -> Event:
    column, suffix, label = phase
    name = f"Debian {record.version} ({record.data['codename']})"
    key = f"branch_eol:{record.product}:{record.version}" + (f":{suffix}" if suffix else "")
    summary = f"{name}: {label} ended {_date(record, column)}; now {phase_text(record, today)}"
    return Event("branch_eol", "critical" if pins else "info", record.product, record.version, key, summary,
                 conf.name, _data(record, column, pins))


def _scheduled(conf: Conf, record: Record, phase: tuple[str, str, str], pins: list[str], old: Record | None,
               today: date) -> Event:
    column, suffix, label = phase
    day = _date(record, column)
    was = _date(old, column) if old else None
    verb = f"moved from {was} to {day}" if was else f"is {day}"
    name = f"Debian {record.version} ({record.data['codename']})"
    summary = f"{name}: end of {label} {verb}; {phase_text(record, today)}"
    key = f"branch_eol_scheduled:{record.product}:{record.version}:{suffix or 'security'}:{day}"
    return Event("branch_eol_scheduled", "warning" if pins else "info", record.product, record.version, key,
                 summary, conf.name, {**_data(record, column, pins), "scheduled": True})


def _data(record: Record, column: str, pins: list[str]) -> Mapping[str, object]:
    data: dict[str, object] = {"eol": str(_date(record, column)), "phase": column, "codename": record.data["codename"]}
    if pins:
        data["pins"] = pins  # the core adds the `debian N` pins; package pins on the codename are named here
    return data


def _date(record: Record, column: str) -> date | None:
    text = record.data.get(column.replace("-", "_"), "")
    return date.fromisoformat(text) if text else None


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
