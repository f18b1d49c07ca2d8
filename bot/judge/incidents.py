"""The incident lifecycle, decided without touching the store: what to count, open, escalate, resolve.

A finding with `incident=True` (an apt repository serving bad hashes, a source failing
run after run) is an incident: it opens after `polls_to_open` polls in a row (alerted
once), says so at once in its thread when it gets worse (a warning now critical), and
resolves when a poll no longer sees it. Each function here takes the live incident rows
(as the store returns them) and returns a `Plan`: the writer (bot.poll.cycle) applies it in the
source's transaction, in order. Pure, so each rule is a table test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.core.alert import Alert, duration_text
from bot.core.clock import iso
from bot.core.model import Event, Finding, Pin, severity_rank
from bot.judge import alerts
from bot.judge.match import apply_pins

Row = Mapping[str, Any]  # an incidents row: key, kind, severity, streak, first_seen_at, opened_at, rowid...


@dataclass(frozen=True)
class Notice:
    """An event to store and the alert to queue with it (both about one incident)."""

    event: Event
    alert: Alert


@dataclass(frozen=True)
class Plan:
    """Incident changes, in the order they are applied."""

    seen: tuple[tuple[Finding, str | None], ...] = ()  # (finding, backdated first_seen_at) to count
    opened: tuple[str, ...] = ()  # keys whose incident opens now (after being counted)
    resolved: tuple[Row, ...] = ()  # rows to mark resolved
    notices: tuple[Notice, ...] = ()

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.seen + other.seen, self.opened + other.opened, self.resolved + other.resolved,
                    self.notices + other.notices)


@dataclass(frozen=True)
class Moment:
    """Where a decision is made: which source, when, in which run, against which pins."""

    source: str
    now: datetime
    run_id: int
    fleet: Sequence[Pin] = field(default_factory=tuple)


def track(live: Mapping[str, Row], findings: Sequence[Finding], at: Moment, *, resolve_missing: bool,
          since: str | None = None, unchecked: Sequence[str] = ()) -> Plan:
    """Findings -> incidents: open after N polls in a row (alerted once), resolve when gone.

    Keys under an `unchecked` prefix were not judged this poll: they stay as they are.
    `since` backdates a new incident to when the problem really began (a source's first failure).
    """
    unique = list({f.key: f for f in findings}.values())  # one repo problem seen twice is one incident
    plan = Plan(seen=tuple((f, since) for f in unique))
    for finding in unique:
        before = live.get(finding.key)
        streak = before["streak"] + 1 if before else 1
        first_seen = before["first_seen_at"] if before else (since or iso(at.now))
        opened = before["opened_at"] if before else None
        if before and opened and severity_rank(finding.severity) > severity_rank(before["severity"]):
            plan += Plan(notices=(_escalation(finding, first_seen, at),))
        if opened is None and streak >= finding.polls_to_open:
            event = _incident_event(at.source, finding, finding.summary, first_seen)
            [event] = apply_pins([event], at.fleet)
            alert = alerts.incident_alert(at.source, event, at.run_id, opened=True, incident_key=finding.key)
            plan += Plan(opened=(finding.key,), notices=(Notice(event, alert),))
    if resolve_missing:
        current = {f.key for f in unique}
        for key, row in live.items():
            if key not in current and not key.startswith(tuple(unchecked)):
                plan += resolve(row, at)
    return plan


def resolve(row: Row, at: Moment, summary: str = "") -> Plan:
    """Resolve one incident; one that never opened (a blip) is resolved quietly, kept in history only."""
    if row["opened_at"] is None:
        return Plan(resolved=(row,))
    summary = summary or row["summary"]
    duration = duration_text(row["first_seen_at"], at.now)
    event = Event(row["kind"], row["severity"], row["product"] or "", row["version"] or "",
                  f"{row['kind']}:{row['key']}:{row['first_seen_at']}", summary, at.source,
                  {"incident": row["key"], "first_seen_at": row["first_seen_at"]})
    resolved = replace(event, kind=f"{row['kind']}_resolved", severity="info",
                       key=f"resolved:{event.key}", summary=f"resolved after {duration}: {summary}")
    alert = alerts.incident_alert(at.source, event, at.run_id, opened=False, incident_key=row["key"],
                                  duration=duration)
    return Plan(resolved=(row,), notices=(Notice(resolved, alert),))


def resolve_key(live: Mapping[str, Row], key: str, at: Moment) -> Plan:
    """Resolve the incident `key` if it is live (a failing source that answered again)."""
    row = live.get(key)
    return resolve(row, at) if row else Plan()


def close_removed(unresolved: Sequence[Row], configured: set[str], config_name: str, at: Moment) -> Plan:
    """Close the incidents of sources no longer configured: nothing would ever resolve them,
    and an open incident is recalled in Slack every `repeat`."""
    plan = Plan()
    for row in unresolved:
        if row["source"] not in configured:
            summary = f"source {row['source']} is no longer in {config_name}: {row['summary']}"
            plan += resolve(row, replace(at, source=row["source"]), summary)
    return plan


def _escalation(finding: Finding, first_seen: str, at: Moment) -> Notice:
    """An open incident got worse (a warning is now critical): say so in its thread, at once."""
    event = _incident_event(at.source, finding, f"now {finding.severity}: {finding.summary}", first_seen)
    [event] = apply_pins([replace(event, key=f"{event.key}:{finding.severity}")], at.fleet)
    return Notice(event, alerts.incident_update_alert(at.source, event, at.run_id, incident_key=finding.key))


def _incident_event(source: str, finding: Finding, summary: str, first_seen: str) -> Event:
    return Event(finding.kind, finding.severity, finding.product, finding.version,
                 f"{finding.kind}:{finding.key}:{first_seen}", summary, source,
                 {**finding.data, "incident": finding.key, "first_seen_at": first_seen})
