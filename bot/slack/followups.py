"""Outbox rows that follow earlier alerts: incident reminders and fix replies.

Both are queued at the start of delivery, as ordinary outbox rows, so each Slack post
is one outbox row (the at-most-one-duplicate promise holds for them too) and the state
survives restarts. A reminder is due when an incident is still open `repeat` after its
last message. A fix reply is queued when a queued alert carries a fix_available event
that answers an earlier regression or advisory alert: the fix names that event's key in
`data["fixes"]`, shares a CVE with it, or (for a regression) brings back the change the
regression reverted (same title) on the same pins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.alerts import duration_text
from bot.rules import title_hash
from bot.store import Store

ANSWERED = ("regression", "advisory")
EVERY_ID = 2**62


def queue_reminders(store: Store, now: datetime, repeat: timedelta) -> int:
    """Queue an 'incident_update' for each open incident quiet for `repeat`; returns how many."""
    queued = 0
    for incident in store.incidents(open_only=True):
        thread = store.outbox.incident_thread(incident["key"], EVERY_ID)
        if not thread or thread[0]["state"] != "sent" or thread[-1]["state"] == "queued":
            continue
        last = thread[-1].get("sent_at") or thread[-1]["created_at"]
        if now - datetime.fromisoformat(last) < repeat:
            continue
        since = duration_text(incident["first_seen_at"], now)
        event = {k: incident.get(k) for k in ("kind", "severity", "product", "version", "summary")}
        store.outbox.queue(
            {
                "source": incident["source"],
                "kind": "incident_update",
                "severity": incident["severity"],
                "title": f"Still open after {since}: {incident['summary']}",
                "incident_key": incident["key"],
                "event_keys": [],
                "payload": [event],
            },
            now,
        )
        queued += 1
    return queued


def queue_fix_replies(store: Store, now: datetime) -> int:
    """Queue a 'fix_reply' in the thread of each earlier alert a pending fix answers."""
    queued = 0
    for alert in store.outbox.pending():
        fixes = [e for e in alert["payload"] if e.get("kind") == "fix_available"]
        if alert["kind"] != "events" or not fixes:
            continue
        for earlier in store.outbox.mentioning(ANSWERED, alert["id"]):
            targets = [e for e in earlier["payload"] if e.get("kind") in ANSWERED]
            matched = [f for f in fixes if any(answers(f, t) for t in targets)]
            if not matched or earlier["state"] == "skipped" or store.outbox.has_followup(alert["id"], earlier["id"]):
                continue
            store.outbox.queue(
                {
                    "source": alert["source"],
                    "kind": "fix_reply",
                    "severity": "warning",
                    "title": f"Fix available: {matched[0].get('summary', '')}",
                    "event_keys": [f.get("key") for f in matched],
                    "payload": matched,
                    "reply_to": earlier["id"],
                    "origin_id": alert["id"],
                },
                now,
            )
            queued += 1
    return queued


def answers(fix: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    """Does this fix_available event answer that regression or advisory event?"""
    if str(fix.get("product") or "").lower() != str(target.get("product") or "").lower():
        return False
    if target.get("key") and target["key"] in (fix.get("fixes") or []):
        return True
    if set(fix.get("cves") or []) & set(target.get("cves") or []):
        return True
    # A regression is answered by the change it took away coming back (same title), on
    # the same pins: any fix for the pin would reply in every regression thread it has.
    return (
        target.get("kind") == "regression"
        and bool(set(fix.get("pins") or []) & set(target.get("pins") or []))
        and bool(fix.get("text"))
        and str(target.get("key") or "").rsplit(":", 1)[-1] == title_hash(str(fix["text"]))
    )
