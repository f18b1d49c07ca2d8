"""Dead branches: a pinned branch upstream stopped releasing without ever saying so.

Docker never announced an end for 1.10: it just stopped (1.10.3 on 2016-03-10) while 1.11,
1.12 and 1.13 shipped, and teams were stranded on it. No EOL source lists cycles that old.
So trackbot reads the releases it already has:

- `abandoned_events`: ``branch_abandoned:{product}:{branch}`` (critical for a pin, policy rule 3)
  when the pinned branch has had no release for `abandoned_after` days while at least two
  newer branches released since its last one; the summary gives the evidence (its last release
  and date, the newer branches and their first release after it).
- `coverage_events`: an EOL source that does not list a pinned branch says so once
  (``branch_uncovered``, info, part of the baseline summary); a pin older than every listed
  cycle, when the oldest listed cycle has ended, is treated as ended (``branch_eol``): if upstream
  ended even its oldest cycle, everything before it ended too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core import versions
from bot.core.model import Event, Pin, Record
from bot.judge import fleet, policy

ABANDONED_AFTER_DAYS = 180
MIN_NEWER_BRANCHES = 2


def pinned_branch(pin: Pin) -> tuple[str, str]:
    """(scheme, branch) of a pin: '1.10.3' -> '1.10'; raises ValueError for a bad pin."""
    spec = versions.parse_pin(pin.product, pin.version)
    return spec.scheme, spec.version if spec.is_branch else versions.branch_of(spec.version, spec.scheme)


def release_dates(records: Sequence[Record], product: str, scheme: str) -> dict[str, list[tuple[date, str]]]:
    """branch -> [(date, version)] of the dated, final releases of `product`, oldest first."""
    out: dict[str, list[tuple[date, str]]] = {}
    for record in records:
        if record.kind != "release" or not fleet.same_product(record.product, product):
            continue
        try:
            when = date.fromisoformat(str(record.data.get("date") or "")[:10])
            if versions.is_prerelease(record.version, scheme):
                continue
            branch = versions.branch_of(record.version, scheme)
        except ValueError:
            continue
        out.setdefault(branch, []).append((when, record.version))
    return {b: sorted(v) for b, v in out.items()}


def abandoned_events(source: str, records: Sequence[Record], pins: Sequence[Pin], today: date,
                     abandoned_after: int = ABANDONED_AFTER_DAYS) -> list[Event]:
    """branch_abandoned for each pinned branch that stopped while newer ones went on (see module doc)."""
    events: list[Event] = []
    for pin in pins:
        if versions.scheme_for(pin.product) in ("deb", "rpm"):
            continue  # a package pin follows its distribution's lifecycle, not upstream branches
        try:
            scheme, branch = pinned_branch(pin)
        except ValueError:
            continue
        dated = {b: kept for b, rel in release_dates(records, pin.product, scheme).items()
                 if (kept := [(d, v) for d, v in rel if d <= today])}  # a date ahead of the clock is a typo
        if branch not in dated:
            continue
        last_day, last = dated[branch][-1]
        silent = (today - last_day).days
        newer = sorted(
            ((b, next(d for d, _ in rel if d > last_day)) for b, rel in dated.items()
             if versions.sort_key(b, scheme) > versions.sort_key(branch, scheme) and rel[-1][0] > last_day),
            key=lambda item: item[1],
        )
        if silent < abandoned_after or len(newer) < MIN_NEWER_BRANCHES:
            continue
        shown = ", ".join(f"{b} ({d.isoformat()})" for b, d in newer[:4])
        more = f" and {len(newer) - 4} more" if len(newer) > 4 else ""
        summary = (f"{pin.product} {branch} looks abandoned: no release for {silent} days since {last} "
                   f"({last_day.isoformat()}), while {len(newer)} newer branches released since: {shown}{more}")
        data = {"last_release": last, "last_date": last_day.isoformat(), "days_silent": silent,
                "newer_branches": [{"branch": b, "first_date": d.isoformat()} for b, d in newer],
                "abandoned_after": abandoned_after}
        events.append(Event("branch_abandoned", str(policy.pinned_branch("branch_abandoned")), pin.product,
                            branch, f"branch_abandoned:{pin.product}:{branch}", summary, source, data))
    return events


def coverage_events(source: str, product: str, records: Sequence[Record], pins: Sequence[Pin],
                    today: date) -> list[Event]:
    """What an EOL source's cycles (`branch` records) say of pins it does not list (see module doc)."""
    scheme = versions.scheme_for(product)
    cycles = sorted((r for r in records if r.kind == "branch"), key=lambda r: versions.sort_key(r.version, scheme))
    if not cycles:
        return []
    events: list[Event] = []
    for pin in pins:
        if not fleet.same_product(pin.product, product):
            continue
        if any(versions.in_branch(pin.version, c.version, scheme) or versions.in_branch(c.version, pin.version, scheme)
               for c in cycles):
            continue
        try:
            _, branch = pinned_branch(pin)
        except ValueError:
            continue
        oldest = cycles[0]
        ended = eol_reached(oldest.data.get("eol"), today)
        if versions.sort_key(branch, scheme) < versions.sort_key(oldest.version, scheme) and ended:
            when = oldest.data.get("eol")
            on = f" on {when}" if isinstance(when, str) else ""
            events.append(Event(
                "branch_eol", str(policy.pinned_branch("branch_eol")), product, branch,
                f"branch_eol:{product}:{branch}",
                f"{product} {branch} is older than every cycle {source} lists, and even the oldest "
                f"({oldest.version}) ended{on}: treated as ended", source,
                {"eol": True, "inferred": True, "oldest_listed": oldest.version}))
        else:
            events.append(Event(
                "branch_uncovered", "info", product, branch, f"branch_uncovered:{source}:{product}:{branch}",
                f"{source} does not list {product} {branch}: no end-of-life date known for this pin "
                f"(it lists {cycles[0].version} to {cycles[-1].version})", source, {"listed": len(cycles)}))
    return events


def eol_reached(eol: object, today: date) -> bool:
    """An EOL flag or date (endoflife.date gives either) that has come."""
    if isinstance(eol, bool):
        return eol
    try:
        return date.fromisoformat(str(eol)) <= today
    except ValueError:
        return False
