"""Branch ends measured against the pins: branch_eol, branch_dropped, branch_eol_scheduled.

Called from the `events` hook of the kinds that list branches (kernel_releases, kernel_feed,
endoflife), through `bot.judge.rules` (which re-exports `branch_events`). Severities follow
bot.judge.policy: a pinned branch ending is critical, anything about an unpinned one is info.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from bot.core import versions
from bot.core.model import Event, Pin, Record
from bot.judge import abandoned, fleet, policy
from bot.judge.abandoned import eol_reached
from bot.judge.diff import check_newest_kept


def branch_events(
    source: str,
    product: str,
    previous: Sequence[Record],
    records: Sequence[Record],
    pins: Sequence[Pin],
    today: date,
    missing: Collection[str] = (),
    *,
    coverage: bool = False,
) -> list[Event]:
    """branch_eol, branch_dropped (critical for pinned branches) and branch_eol_scheduled.

    `coverage` (EOL sources: endoflife.date): also say which pins the source does not list,
    and treat a pin older than every listed cycle as ended when the oldest has (bot.judge.abandoned).

    A branch is dropped only when the last poll missed it too (`missing`, the keys the core
    says were absent last time): an upstream answering a stale listing once pages nothing.

    branch_eol_scheduled (a future EOL date set or moved) is its own kind so that the
    core's "branch_eol on a pin is critical" does not page for a date years away.

    branch_eol is emitted on every run while true and deduplicated by its key; a branch
    that was EOL in the last good run and then disappears is not "dropped" again.
    """
    # The branch list is whole even where releases are not (kdist.xml, releases.json): one that
    # lost its newest branches while keeping older ones is a cut copy, refused before any event.
    check_newest_kept([r for r in previous if r.kind == "branch"], [r for r in records if r.kind == "branch"],
                      complete=True)
    scheme = versions.scheme_for(product)
    now = {r.version: r for r in records if r.kind == "branch"}
    before = {r.version: r for r in previous if r.kind == "branch"}
    alive = sorted((b for b, r in now.items() if not eol_reached(r.data.get("eol"), today)),
                   key=lambda b: versions.sort_key(b, scheme), reverse=True)
    still = f"still maintained: {', '.join(alive)}" if alive else "no branch is still maintained"
    events = []
    for branch, record in now.items():
        eol = record.data.get("eol")
        pinned = fleet.is_pinned_branch(pins, product, branch)
        if eol_reached(eol, today):
            when = f" on {eol}" if not isinstance(eol, bool) else ""
            events.append(Event("branch_eol", _branch_severity("branch_eol", pinned), product, branch,
                                f"branch_eol:{product}:{branch}",
                                f"{product} {branch} reached end of life{when}; {still}", source,
                                {"eol": eol, "latest": record.data.get("latest", ""), "maintained": alive}))
        elif isinstance(eol, str) and eol:
            old = before.get(branch)
            moved = old is not None and old.data.get("eol") not in (eol, False, None, "")
            verb = f"moved from {old.data.get('eol')} to" if moved and old else "set to"
            events.append(Event("branch_eol_scheduled", _branch_severity("branch_eol_scheduled", pinned),
                                product, branch,
                                f"branch_eol_scheduled:{product}:{branch}:{eol}",
                                f"{product} {branch} end of life {verb} {eol}", source,
                                {"eol": eol, "scheduled": True, "maintained": alive}))
    for branch, record in before.items():
        if branch in now or eol_reached(record.data.get("eol"), today) or record.key not in missing:
            continue
        pinned = fleet.is_pinned_branch(pins, product, branch)
        events.append(Event("branch_dropped", _branch_severity("branch_dropped", pinned), product, branch,
                            f"branch_dropped:{product}:{branch}",
                            f"{product} {branch} vanished upstream without an end-of-life notice "
                            f"(last {record.data.get('latest') or branch}); {still}", source,
                            {"latest": record.data.get("latest", ""), "maintained": alive}))
    if coverage:
        events += abandoned.coverage_events(source, product, records, pins, today)
    return events


def _branch_severity(kind: str, pinned: bool) -> str:
    """policy rules 1 and 3: a pinned branch ending is critical, anything about an unpinned one info."""
    return str(policy.pinned_branch(kind) if pinned else policy.unpinned(kind, "info"))
