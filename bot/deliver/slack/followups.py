"""Outbox rows that follow earlier alerts: incident reminders and fix replies.

Both are queued at the start of delivery, as ordinary outbox rows, so each Slack post
is one outbox row (the at-most-one-duplicate promise holds for them too) and the state
survives restarts. A reminder is due when an incident is still open `repeat` after its
last message. A fix reply is queued when a queued alert carries a fix_available event
that answers an earlier regression or advisory alert: it shares a CVE with it, or (for
a regression) brings back the change the regression reverted (same title) on the same
pins. What is compared is read into `Facts`, from the event fields the rules write
(`cves`, `pins`, `text`), so a key that no event carries cannot be consulted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.alert import Alert, AlertKind, AlertState, duration_text
from bot.core.model import Event
from bot.core.text import title_hash
from bot.store.history import Store

ANSWERED = ("regression", "advisory")
FIX = "fix_available"
EVERY_ID = 2**62


def queue_reminders(store: Store, now: datetime, repeat: timedelta) -> int:
    """Queue an 'incident_update' for each open incident quiet for `repeat`; returns how many."""
    queued = 0
    for incident in store.incidents(open_only=True):
        thread = store.outbox.incident_thread(incident.key, EVERY_ID)
        if not thread or thread[0].state != AlertState.SENT or thread[-1].state == AlertState.QUEUED:
            continue
        last = thread[-1].sent_at or thread[-1].created_at
        if now - datetime.fromisoformat(last) < repeat:
            continue
        since = duration_text(incident.first_seen_at, now)
        event = Event(incident.kind, incident.severity, incident.product, incident.version, incident.key,
                      incident.summary)
        store.outbox.queue(Alert(AlertKind.INCIDENT_UPDATE, incident.severity,
                                 f"Still open after {since}: {incident.summary}", incident.source, (event,),
                                 incident_key=incident.key), now)  # fmt: skip
        queued += 1
    return queued


def queue_fix_replies(store: Store, now: datetime) -> int:
    """Queue a 'fix_reply' in the thread of each earlier alert a pending fix answers."""
    queued = 0
    for alert in store.outbox.pending():
        fixes = [e for e in alert.items if e.kind == FIX]
        if alert.kind != AlertKind.EVENTS or not fixes:
            continue
        for earlier in store.outbox.mentioning(ANSWERED, alert.id):
            targets = [e for e in earlier.items if e.kind in ANSWERED]
            matched = tuple(f for f in fixes if any(answers(f, t) for t in targets))
            if not matched or earlier.state == AlertState.SKIPPED or store.outbox.has_followup(alert.id, earlier.id):
                continue
            store.outbox.queue(Alert(AlertKind.FIX_REPLY, "warning", f"Fix available: {matched[0].summary}",
                                     alert.source, matched, tuple(f.key for f in matched), reply_to=earlier.id,
                                     origin_id=alert.id), now)  # fmt: skip
            queued += 1
    return queued


@dataclass(frozen=True)
class Facts:
    """What a fix, a regression or an advisory event says that a reply can match on."""

    kind: str
    product: str
    key: str
    cves: frozenset[str]
    pins: frozenset[str]
    text: str

    @classmethod
    def of(cls, event: Event) -> Facts:
        data = event.data
        return cls(event.kind, event.product.lower(), event.key, frozenset(map(str, data.get("cves") or ())),
                   frozenset(map(str, data.get("pins") or ())), str(data.get("text") or ""))


def answers(fix_event: Event, target_event: Event) -> bool:
    """Does this fix_available event answer that regression or advisory event?"""
    fix, target = Facts.of(fix_event), Facts.of(target_event)
    if fix.product != target.product:
        return False
    if fix.cves & target.cves:
        return True
    # A regression is answered by the change it took away coming back (same title), on
    # the same pins: any fix for the pin would reply in every regression thread it has.
    return (
        target.kind == "regression"
        and bool(fix.pins & target.pins)
        and bool(fix.text)
        and target.key.rsplit(":", 1)[-1] == title_hash(fix.text)
    )
