"""RHEL support phases: when each major release leaves Full and Maintenance Support and ELS.

Red Hat supports a major release (7, 8, 9) in phases: Full Support, then Maintenance Support
(security and urgent fixes on the main stream), then, for a fee, Extended Life Cycle Support
(ELS: critical fixes for the last minor release only, on the "N els" stream) until its end.
Within a major, only the latest minor release gets main-stream fixes; an older minor is
supported only through an EUS/AUS/E4S subscription.

The data is endoflife.date's RHEL cycles (``/api/rhel.json``: ``cycle``, ``releaseDate``,
``support`` = end of Full Support, ``eol`` = end of Maintenance Support, ``extendedSupport`` =
end of ELS, ``latest`` = the current minor), which endoflife.date derives from Red Hat's Product
Life Cycle data. Dates are checked against the clock on every poll, so a phase that ends
between two polls of an unchanged document is still news, on its day.

Which RHEL releases the fleet runs: ``rhel`` pins (``7.2`` is major 7, minor 7.2) and package
pins ``rhel:<package>`` by their ``distro`` ("7", "9.2 eus" -> 9).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.sources.api import (
    Context,
    Event,
    Kind,
    Pin,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    compare_versions,
    json_body,
    looks_like_html,
)

NAME = "rhel_lifecycle"
URL = "https://endoflife.date/api/rhel.json"
PRODUCT = "rhel"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHASES = (("support", "full_support_end"), ("eol", "maintenance_end"), ("extendedSupport", "els_end"))


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = URL  # endoflife.date's RHEL cycles, or a mirror of that document


def parse(body: bytes, conf: Conf) -> list[Record]:
    """One `branch` record per major release, with the day each support phase ends."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of the RHEL lifecycle JSON", conf.url)
    cycles = json_body(body, "RHEL lifecycle", conf.url)
    if not isinstance(cycles, list) or not cycles:
        raise SourceError("RHEL lifecycle is not a list of release cycles", conf.url)
    records = [_record(item, conf.url) for item in cycles]
    if not any(r.data["maintenance_end"] for r in records):
        raise SourceError("RHEL lifecycle names no end of Maintenance Support for any release", conf.url)
    return records


def _record(item: Any, url: str) -> Record:
    if not isinstance(item, dict) or not re.fullmatch(r"\d+", str(item.get("cycle", ""))):
        raise SourceError(f"RHEL lifecycle entry is not a major release: {str(item)[:80]}", url)
    major = str(item["cycle"])
    data: dict[str, str] = {"release_date": str(item.get("releaseDate") or ""), "latest": str(item.get("latest") or "")}
    for field, name in _PHASES:
        value = item.get(field)
        if value in (None, False, ""):
            data[name] = ""
        elif isinstance(value, str) and _DATE.fullmatch(value):
            data[name] = value
        else:
            raise SourceError(f"RHEL {major}: {field} is not a date: {str(value)[:20]!r}", url)
    return Record("branch", f"branch:{major}", PRODUCT, major, data)


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    # Not conditional: a phase ends on its day whether or not the document changed.
    response = await ctx.get(conf.url, conditional=False, accept="application/json")
    return Snapshot(tuple(parse(response.body, conf)))


def pinned_releases(pins: Sequence[Pin]) -> dict[str, set[str]]:
    """Major release -> the minors pinned in it ('7' -> {'7.2'}; a package pin adds the major only)."""
    found: dict[str, set[str]] = {}
    for pin in pins:
        product = pin.product.strip().lower()
        if product == PRODUCT and re.fullmatch(r"\d+(\.\d+)*", pin.version.strip()):
            version = pin.version.strip()
            minors = found.setdefault(version.split(".")[0], set())
            if "." in version:
                minors.add(".".join(version.split(".")[:2]))
        elif product.startswith(f"{PRODUCT}:") and (major := re.match(r"\d+", pin.distro.strip())):
            found.setdefault(major[0], set())
    return found


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """Phase ends that passed (branch_eol, branch_phase), dates set or moved, superseded minors."""
    today = ctx.now().date()
    pinned = pinned_releases(ctx.fleet)
    before = {r.version: r for r in previous if r.kind == "branch"}
    out: list[Event] = []
    for record in snapshot.records:
        major, data = record.version, record.data
        is_pinned = major in pinned
        named = [*_phase_events(conf.name, major, data, is_pinned, today),
                 *_scheduled(conf.name, major, data, before.get(major), is_pinned)]
        labels = _labels(ctx.fleet, major)  # package pins the core's matching does not see as 'rhel'
        out += [replace(e, data={**e.data, "pins": labels}) if labels else e for e in named]
        for minor in sorted(pinned.get(major, ())):
            out += _superseded(conf.name, minor, data)
    return out


def _labels(pins: Sequence[Pin], major: str) -> list[str]:
    """The package pins on this major, as alerts name pins (the first five: inventories hold hundreds)."""
    found = [f"{p.product} {p.version} ({p.distro})" for p in pins if p.product.lower().startswith(f"{PRODUCT}:")
             and (m := re.match(r"\d+", p.distro.strip())) and m[0] == major]
    return found[:5] + ([f"and {len(found) - 5} more packages"] if len(found) > 5 else [])


def _passed(day: str, today: date) -> bool:
    return bool(day) and date.fromisoformat(day) <= today


def _phase_events(source: str, major: str, data: Any, pinned: bool, today: date) -> list[Event]:
    loud = "critical" if pinned else "info"
    maintenance, els, full = data["maintenance_end"], data["els_end"], data["full_support_end"]
    facts = {"full_support_end": full, "maintenance_end": maintenance, "els_end": els, "latest": data["latest"]}
    out: list[Event] = []
    if _passed(els, today):
        out.append(Event("branch_eol", loud, PRODUCT, major, f"branch_eol:{PRODUCT}:{major}:els",
                         f"RHEL {major} Extended Life Cycle Support ended on {els}: no fixes of any kind any more",
                         source, {**facts, "phase": "unsupported"}))
    elif _passed(maintenance, today):
        els_note = (f"; ELS (a paid add-on) continues until {els}: critical fixes for {data['latest'] or major} "
                    f"only, on the '{major} els' stream") if els else "; no ELS is offered"
        out.append(Event("branch_eol", loud, PRODUCT, major, f"branch_eol:{PRODUCT}:{major}",
                         f"RHEL {major} Maintenance Support ended on {maintenance}: no more main-stream "
                         f"fixes{els_note}", source, {**facts, "phase": "els" if els else "unsupported"}))
    elif _passed(full, today):
        out.append(Event("branch_phase", "info", PRODUCT, major, f"branch_phase:{PRODUCT}:{major}:maintenance",
                         f"RHEL {major} left Full Support on {full}: Maintenance Support (security and urgent "
                         f"fixes) until {maintenance or 'an unknown date'}", source, {**facts, "phase": "maintenance"}))
    return out


def _scheduled(source: str, major: str, data: Any, old: Record | None, pinned: bool) -> list[Event]:
    """branch_eol_scheduled when the end of Maintenance Support is first known or moves."""
    day, was = data["maintenance_end"], old.data.get("maintenance_end", "") if old else ""
    if not day or day == was:
        return []
    verb = f"moved from {was} to" if was else "set to"
    return [Event("branch_eol_scheduled", "warning" if pinned else "info", PRODUCT, major,
                  f"branch_eol_scheduled:{PRODUCT}:{major}:{day}",
                  f"RHEL {major} end of Maintenance Support {verb} {day}"
                  + (f" (ELS until {data['els_end']})" if data["els_end"] else ""), source,
                  {"eol": day, "els_end": data["els_end"], "scheduled": True})]


def _superseded(source: str, minor: str, data: Any) -> list[Event]:
    """A pinned minor older than the major's current one gets main-stream fixes no more."""
    latest = data["latest"]
    try:
        if not latest or compare_versions(minor, latest, "plain") >= 0:
            return []
    except ValueError:
        return []
    return [Event("minor_superseded", "warning", PRODUCT, minor, f"minor_superseded:{PRODUCT}:{minor}:{latest}",
                  f"RHEL {minor} is not the current minor release of RHEL {minor.split('.')[0]} ({latest}): "
                  f"main-stream fixes ship for {latest} only; {minor} gets them only with an EUS/AUS/E4S "
                  f"subscription (pin distro \"{minor} eus\")", source, {"latest": latest})]


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events)
