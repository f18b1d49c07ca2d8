"""Turn what one source's poll produced into alerts: few messages, each worth reading.

An `Alert` is one message: what it is (`AlertKind`), its severity and title, and its
`items`, the `Event`s it tells of (a baseline summary's lines are items of kind
``baseline``). The outbox stores items as the JSON of `Event.as_dict`, and
`event_from_dict` reads them back, so an old row and a new one read the same; delivery
state (`id`, `state`, `ts`...) is filled in by the store.

Pure: the alerts are written by `Store.queue_alert` in the same transaction as the
events behind them. The grouping rules (README, "Slack"):

- each critical event is its own message (it pages);
- all warnings of one source in one run are ONE message, loudest kinds first (what
  reaches the pin's code before news of releases: `LOUDEST_FIRST`); the renderers list
  the first lines and count the rest, and many fixes for one pin in one release are one
  line (`bot.deliver.console.display_items`);
- info never goes to Slack (the digest has it), nor does anything about a release or a
  branch no pin names (`DIGEST_ONLY_UNPINNED`), whatever severity its source gave it;
- a source's baseline summary is info: posted once, to the non-paging channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core import versions
from bot.core.alert import Alert, AlertKind
from bot.core.model import Event, Pin, Record, severity_rank
from bot.judge import fleet, policy


def line(summary: str) -> Event:
    """A plain line of a summary message (a baseline's), carried as an item like an event."""
    return Event(AlertKind.BASELINE.value, "info", "", "", "", summary)


BASELINE_WORTH_SAYING = (
    "fix_available", "regression", "advisory", "branch_eol", "branch_eol_scheduled", "branch_dropped",
    "branch_abandoned", "branch_uncovered",
)


# News about releases and branches that reaches Slack only when a pin is named in it.
DIGEST_ONLY_UNPINNED = frozenset({
    "new_release", "branch_eol", "branch_eol_scheduled", "branch_dropped", "branch_abandoned",
})  # fmt: skip
# Among warnings, what is read first: a change that reaches the pin, then its branch, then releases.
LOUDEST_FIRST = ("regression", "advisory", "fix_available", "branch_abandoned", "branch_eol", "branch_dropped",
                 "release_withdrawn", "release_notes_edited", "new_release")


def worth_a_message(event: Event) -> bool:
    """Fresh, warning or louder, and (for release and branch news) about a pin."""
    if event.baseline or severity_rank(event.severity) < 1:
        return False
    return event.kind not in DIGEST_ONLY_UNPINNED or bool(event.data.get("pins"))


def events_alerts(source: str, events: Sequence[Event], run_id: int) -> list[Alert]:
    """The messages for what a source produced in one run: one per critical event, one for all warnings."""
    news = [e for e in events if worth_a_message(e)]
    out = [Alert(AlertKind.EVENTS, e.severity, e.summary, source, (e,), (e.key,), run_id)
           for e in news if e.severity == "critical"]
    warnings = sorted((e for e in news if e.severity != "critical"), key=_loudness)  # stable: else as told
    if warnings:
        title = warnings[0].summary if len(warnings) == 1 else f"{source}: {_counted(warnings)}"
        out.append(Alert(AlertKind.EVENTS, "warning", title, source, tuple(warnings),
                         tuple(e.key for e in warnings), run_id))
    return out


def _loudness(event: Event) -> int:
    return LOUDEST_FIRST.index(event.kind) if event.kind in LOUDEST_FIRST else len(LOUDEST_FIRST)


def _counted(events: Sequence[Event]) -> str:
    """'3 warnings: 1 regression, 2 fix_available' (kinds loudest first)."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return f"{len(events)} warnings: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())


def incident_alert(
    source: str, event: Event, run_id: int, *, opened: bool, incident_key: str, duration: str = ""
) -> Alert:
    """An incident's opening or its resolution (a reply in the same Slack thread)."""
    title = event.summary if opened else f"Resolved after {duration}: {event.summary}"
    item = replace(event, data={**event.data, "duration": duration}) if duration else event
    kind = AlertKind.INCIDENT_OPEN if opened else AlertKind.INCIDENT_RESOLVED
    return Alert(kind, event.severity if opened else "info", title, source, (item,), (event.key,), run_id,
                 incident_key=incident_key)


def incident_update_alert(source: str, event: Event, run_id: int, *, incident_key: str) -> Alert:
    """An open incident got worse: said in its thread, at once."""
    return Alert(AlertKind.INCIDENT_UPDATE, event.severity, event.summary, source, (event,), (event.key,), run_id,
                 incident_key=incident_key)


def baseline_alert(
    source: str, records: Sequence[Record], events: Sequence[Event], pins: Sequence[Pin], run_id: int,
    *, rebaseline: bool = False,
) -> Alert:
    """The one message of a source's first poll: where the pins stand, not every release ever made.

    `rebaseline`: the fleet, watch words or the source's settings changed since its last poll,
    so the history was read again against them: the same summary, for the new settings.
    """
    releases = [r for r in records if r.kind == "release"]
    lines = [] if rebaseline else [
        f"{len(releases)} releases and {len(records) - len(releases)} other records recorded as history."
    ]
    lines += pin_standing(releases, pins)
    worth = [e for e in events if e.kind in BASELINE_WORTH_SAYING and e.data.get("pins")]
    lines += [f"[{e.severity}] {e.summary}" for e in worth]
    title = (f"{source}: settings or fleet changed, where the pins stand now" if rebaseline
             else f"{source}: first poll, baseline recorded")
    # Info whatever it lists: a summary of standing facts, posted once, never paging.
    return Alert(AlertKind.BASELINE, str(policy.BASELINE), title, source,
                 tuple(line(text) for text in lines), tuple(e.key for e in worth), run_id)


def pin_standing(releases: Sequence[Record], pins: Sequence[Pin]) -> list[str]:
    """For each pin these releases are about: where its branch stands, and the newest overall."""
    lines = []
    for pin in pins:
        mine = {r.version: r for r in releases if fleet.same_product(pin.product, r.product)}
        if not mine:
            continue
        scheme = versions.scheme_for(pin.product)
        ordered = sorted(mine, key=lambda v: versions.sort_key(v, scheme))
        newer = fleet.newer_in_branch(pin, ordered)
        newest = ordered[-1]
        overall = f"newest overall {newest} ({mine[newest].data.get('date') or 'date unknown'})"
        if newer:
            branch = f"{len(newer)} newer in its branch, up to {newer[-1]}"
        else:
            last = mine.get(pin.version)
            dated = f", released {last.data.get('date')}" if last and last.data.get("date") else ""
            branch = f"no newer release in its branch{dated}"
        lines.append(f"{fleet.pin_label(pin)}: {branch}; {overall}")
    return lines
