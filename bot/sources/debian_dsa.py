"""Debian Security Advisories (DSA) and LTS Advisories (DLA): the security tracker's lists, or RSS.

The tracker's ``data/DSA/list`` and ``data/DLA/list`` (``format: list``, the default) say
which release got which fixed version::

    [22 Apr 2014] DSA-2808-2 openjpeg - regression update
            {CVE-2013-6045}
            [wheezy] - openjpeg 1.3+dfsg-4.8
    [18 Apr 2018] DSA-4205-1 jessie end-of-life

Debian's RSS feeds (``format: rss``, https://www.debian.org/security/dsa) give id, title and
date only, read through feedparser: enough for regression and end-of-life notices.

Records: an ``announcement`` per id, and (list format) an ``advisory`` per fixed package and
release that the fleet pins, matched by bot/judge/advisories.py. Its severity is the loudest rating
the advisory sources give its CVEs (ctx.cves), warning when none rates them.

Events, beyond ``advisory``: an id with a revision (``DSA-2808-2``) titled "regression update" is
a ``regression`` (warning) for pins of the package that carry the previous revision's fix (or,
without it, are older than the new fix; from RSS, which names no versions, every pin of it); "<release> end-of-life" is a ``branch_eol`` for that
Debian release, critical when pinned (a ``debian`` pin or package pins on that release).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.sources.api import (
    Context,
    CveInfo,
    Event,
    Kind,
    Pin,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    advisory_events,
    advisory_news,
    feedparser,
    is_affected,
    looks_like_html,
    with_exposure,
)

NAME = "debian_dsa"
URL = "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list"
PAGE = "https://security-tracker.debian.org/tracker/{id}"
# Codenames the EOL notices use -> the release numbers pins and endoflife sources use (debian.csv).
RELEASES = {"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1", "potato": "2.2",
            "woody": "3.0", "sarge": "3.1", "etch": "4.0", "lenny": "5.0", "squeeze": "6.0", "wheezy": "7",
            "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
            "forky": "14", "duke": "15"}
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_HEADER = re.compile(r"^\[(\d{1,2}) (\w{3}) (\d{4})\] (D[SL]A-\d+(?:-\d+)?) ?(.*)$")
_FIX = re.compile(r"^\[(\w+)\] - (\S+) (\S+)")
_CVES = re.compile(r"\bCVE-\d{4}-\d{4,}\b")
_ID = re.compile(r"\b(D[SL]A-\d+(?:-\d+)?)\b")
_EOL = re.compile(r"^(\w+) end[- ]of[- ]life\b|end of (?:security|LTS) support for (\w+)", re.IGNORECASE)
_REGRESSION = re.compile(r"\bregression update\b", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = URL
    format: str = "list"  # list (the tracker's DSA/DLA list) or rss (debian.org's feed)

    def __post_init__(self) -> None:
        if self.format not in ("list", "rss"):
            raise ValueError(f"'format' must be list or rss, not {self.format!r}")


@dataclass(frozen=True)
class Announcement:
    id: str
    published: str
    package: str  # "" for notices that are not about a package (end-of-life, key changes)
    title: str
    cves: tuple[str, ...] = ()
    fixes: tuple[tuple[str, str, str], ...] = ()  # (release, package, fixed version)


def parse(body: bytes, conf: Conf) -> list[Announcement]:
    """The list or feed -> announcements, newest last as listed; SourceError for a bad body."""
    if looks_like_html(body) and conf.format == "list":
        raise SourceError("HTML page instead of a DSA/DLA list", conf.url)
    found = list(_parse_rss(body, conf) if conf.format == "rss" else _parse_list(body, conf))
    if not found:
        raise SourceError("no DSA or DLA found", conf.url)
    return found


def _parse_list(body: bytes, conf: Conf) -> Iterator[Announcement]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text at byte {exc.start}", conf.url) from None
    current: dict[str, Any] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not line[0].isspace():
            if current:
                yield _announcement(current)
            current = _header(line, number, conf.url)
        elif current is not None:
            body_line = line.strip()
            current["cves"] += _CVES.findall(body_line) if body_line.startswith("{") else []
            fix = _FIX.match(body_line)
            if fix and not fix.group(3).startswith("<"):  # <not-affected>, <unfixed>: nothing to install
                current["fixes"].append((fix.group(1).lower(), fix.group(2), fix.group(3)))
            elif body_line.startswith("NOTE:") and _EOL.search(body_line):
                current["notes"].append(body_line)
        else:
            raise SourceError(f"line {number}: indented line before any DSA/DLA header", conf.url)
    if current:
        yield _announcement(current)


def _header(line: str, number: int, url: str) -> dict[str, Any]:
    match = _HEADER.match(line)
    if not match:
        raise SourceError(f"line {number}: not a '[DD Mon YYYY] DSA-NNNN-N package - title' header: {line[:60]!r}",
                          url)
    day, month, year, adv_id, rest = match.groups()
    try:
        published = date(int(year), _MONTHS[month.lower()], int(day)).isoformat()
    except (KeyError, ValueError):
        raise SourceError(f"line {number}: bad date [{day} {month} {year}] for {adv_id}", url) from None
    package, sep, title = rest.partition(" - ")
    if not sep:
        package, title = "", rest
    return {"id": adv_id, "published": published, "package": package.strip(), "title": title.strip(),
            "cves": [], "fixes": [], "notes": []}


def _announcement(raw: Mapping[str, Any]) -> Announcement:
    title = raw["title"] + "".join(f"; {note}" for note in raw["notes"])
    return Announcement(raw["id"], raw["published"], raw["package"], title, tuple(dict.fromkeys(raw["cves"])),
                        tuple(raw["fixes"]))


def _parse_rss(body: bytes, conf: Conf) -> Iterator[Announcement]:
    feed = feedparser.parse(body)
    if feed.bozo and not feed.entries:
        raise SourceError(f"not an RSS feed ({type(feed.bozo_exception).__name__})", conf.url)
    for entry in feed.entries:
        title = str(entry.get("title", ""))
        found = _ID.search(title)
        if not found:
            raise SourceError(f"feed item without a DSA/DLA id: {title[:60]!r}", conf.url)
        rest = title[found.end():].strip()
        package, sep, what = rest.partition(" - ")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday).isoformat() if stamp else ""
        summary = str(entry.get("summary", ""))
        yield Announcement(found.group(1), published, package.strip() if sep else "", what.strip() if sep else rest,
                           tuple(dict.fromkeys(_CVES.findall(summary))))


def records_of(announcements: Iterable[Announcement], pins: Sequence[Pin],
               cves: Mapping[str, CveInfo]) -> list[Record]:
    """Announcement records, and advisory records for the fixes of pinned packages and releases."""
    pinned = {(p.product.lower(), p.distro.lower()) for p in pins if p.distro}
    records: list[Record] = []
    for item in announcements:
        data = {"id": item.id, "published": item.published, "title": item.title, "cves": list(item.cves),
                "fixes": [list(f) for f in item.fixes], "url": PAGE.format(id=item.id),
                "summary": f"{item.id} {item.package + ' - ' if item.package else ''}{item.title}"}
        product = f"debian:{item.package}" if item.package else "debian"
        records.append(Record("announcement", f"announcement:{item.id}", product, "", data))
        for release, package, fixed in item.fixes:
            if (f"debian:{package}".lower(), release) in pinned:
                records.append(_advisory(item, release, package, fixed, cves))
    return records


def _advisory(item: Announcement, release: str, package: str, fixed: str, cves: Mapping[str, CveInfo]) -> Record:
    ratings = [cves[c] for c in item.cves if c in cves and cves[c].severity]
    order = ("info", "warning", "critical")
    loudest = max(ratings, key=lambda info: order.index(info.severity), default=None)
    data = {"id": item.id, "cves": list(item.cves), "rating": loudest.rating if loudest else "",
            "severity": loudest.severity if loudest else "warning", "distro": release, "status": "resolved",
            "fixed_version": fixed, "published": item.published, "title": f"{item.package} - {item.title}",
            "url": PAGE.format(id=item.id),
            "summary": f"{item.id} {package} ({release}) fixed in {fixed}: {item.title}"}
    return Record("advisory", f"advisory:{item.id}:{package}:{release}", f"debian:{package}", fixed, data)


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url)
    records = records_of(parse(response.body, conf), ctx.fleet, ctx.cves)
    return Snapshot(tuple(with_exposure(records, ctx.fleet)))


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """advisory for pins below a fix; regression for regression updates; branch_eol for EOL notices.

    Regressions are read from announcements new this run (the list holds thousands, the
    first poll reads them all as its baseline); end-of-life notices every run (a few, cheap).
    """
    notices = [r for r in snapshot.records if r.kind == "announcement"]
    by_id = {r.data["id"]: r for r in notices}
    known = {r.key for r in previous}
    found = advisory_news(conf.name, previous, snapshot.records, ctx.fleet, ctx.cves)
    for record in notices:
        found += _eol_events(conf.name, record, ctx.fleet)
        regression = _REGRESSION.search(record.data["title"]) and record.data["id"].count("-") == 2
        if regression and record.key not in known:
            found += _regression_events(conf.name, record, by_id, ctx.fleet)
    return found


def _eol_events(source: str, record: Record, pins: Sequence[Pin]) -> list[Event]:
    match = _EOL.search(record.data["title"]) if record.product == "debian" else None
    if not match:
        return []
    codename = (match.group(1) or match.group(2)).lower()
    if codename not in RELEASES:
        return []
    number = RELEASES[codename]
    pinned = any((p.product.lower() == "debian" and p.version.split(".")[0] == number.split(".")[0])
                 or p.distro.lower() == codename for p in pins)
    summary = f"Debian {number} ({codename}) reached end of security support on {record.data['published']} " \
              f"({record.data['id']})"
    return [Event("branch_eol", "critical" if pinned else "info", "debian", number, f"branch_eol:debian:{number}",
                  summary, source, {"eol": record.data["published"], "codename": codename,
                                    "advisory": record.data["id"], "url": record.data["url"]})]


def _regression_events(source: str, record: Record, by_id: Mapping[str, Record], pins: Sequence[Pin]) -> list[Event]:
    adv_id = record.data["id"]
    base, _, revision = adv_id.rpartition("-")
    earlier = by_id.get(f"{base}-{int(revision) - 1}")
    earlier_fix = {(f[0], f[1]): f[2] for f in earlier.data["fixes"]} if earlier else {}
    events = []
    for release, package, fixed in (tuple(f) for f in record.data["fixes"]):
        probe = Record("advisory", "", f"debian:{package}", fixed, {"distro": release, "fixed_version": fixed})
        bad_since = earlier_fix.get((release, package))
        for event in advisory_events(source, [probe], pins, {}):
            if bad_since and not _at_least(event.version, bad_since, probe):
                continue  # older than the update that regressed: it never carried the regression
            label = f"{event.product} {event.version} ({release})"
            events.append(Event(
                "regression", "warning", event.product, event.version,
                f"regression:{event.product}:{event.version}:{adv_id}",
                f"Regression for {label}: {adv_id} {record.data['title']}: {fixed} fixes a regression of "
                f"{earlier.data['id'] if earlier else 'the previous update'}", source,
                {"advisory": adv_id, "fixed_in": fixed, "regressed_in": bad_since or "", "distro": release,
                 "hosts": event.data.get("hosts", []), "url": record.data["url"]}))
    if not record.data["fixes"] and record.product != "debian":  # RSS: no releases or versions given
        events += [Event("regression", "warning", pin.product, pin.version,
                         f"regression:{pin.product}:{pin.version}:{adv_id}",
                         f"Possible regression for {pin.product} {pin.version} ({pin.distro}): {adv_id} "
                         f"{record.data['title']} (the feed names no versions: check the advisory)", source,
                         {"advisory": adv_id, "distro": pin.distro, "hosts": list(pin.hosts),
                          "url": record.data["url"]})
                   for pin in pins if pin.product.lower() == record.product.lower() and pin.distro]
    return events


def _at_least(version: str, floor: str, probe: Record) -> bool:
    """version >= floor in the package's order (not affected by an advisory fixed at `floor`)."""
    return not is_affected(Record("advisory", "", probe.product, floor, {"fixed_version": floor}), version)


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
