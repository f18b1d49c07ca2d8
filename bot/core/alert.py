"""An alert: one message to the team, with the events it tells of and its delivery state.

The value every room passes around (judge builds alerts, the store queues them, delivery sends them,
the read side lists them), so it lives at the bottom. The outbox stores items as the JSON of
`Event.as_dict`, and `event_from_dict` reads them back, so an old row and a new one read the same;
delivery state (`id`, `state`, `ts`...) is filled in by the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.model import Event


class AlertKind(StrEnum):
    EVENTS = "events"  # what one source found in one run (critical: one alert each)
    BASELINE = "baseline"  # a source's first poll, or a fleet/settings change: where the pins stand
    INCIDENT_OPEN = "incident_open"
    INCIDENT_UPDATE = "incident_update"  # got worse, or a reminder that it is still open
    INCIDENT_RESOLVED = "incident_resolved"
    FIX_REPLY = "fix_reply"  # a fix that answers an earlier regression or advisory alert


FOLLOW_UPS = (AlertKind.INCIDENT_UPDATE, AlertKind.INCIDENT_RESOLVED, AlertKind.FIX_REPLY)


class AlertState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    SILENCED = "silenced"  # a silence covered every item: kept for the digest
    SKIPPED = "skipped"  # info, never posted


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    severity: str
    title: str
    source: str = ""
    items: tuple[Event, ...] = ()
    event_keys: tuple[str, ...] = ()
    run_id: int | None = None
    incident_key: str = ""
    reply_to: int | None = None  # fix_reply: the alert whose thread it answers
    origin_id: int | None = None  # fix_reply: the alert that carried the fix
    # Set by the store:
    id: int = 0
    state: AlertState = AlertState.QUEUED
    created_at: str = ""
    attempts: int = 0
    last_error: str = ""
    sent_at: str = ""
    channel: str = ""
    ts: str = ""
    thread_ts: str = ""
    retry_at: str = ""
    silenced_by: int | None = None

    @property
    def duration(self) -> str:
        """How long a resolved incident lasted ('' for anything else)."""
        return next((str(e.data["duration"]) for e in self.items if e.data.get("duration")), "")


_EVENT_FIELDS = ("kind", "severity", "product", "version", "key", "summary", "source", "baseline")


def event_from_dict(item: Mapping[str, Any]) -> Event:
    """An `Event` from its `as_dict` form (an outbox item, an events row with its data merged)."""
    data = {k: v for k, v in item.items() if k not in _EVENT_FIELDS}
    return Event(
        kind=str(item.get("kind") or ""),
        severity=str(item.get("severity") or "info"),
        product=str(item.get("product") or ""),
        version=str(item.get("version") or ""),
        key=str(item.get("key") or ""),
        summary=str(item.get("summary") or ""),
        source=str(item.get("source") or ""),
        data=data,
        baseline=bool(item.get("baseline")),
    )


def duration_text(start: str, end: datetime) -> str:
    began = datetime.fromisoformat(start)
    seconds = int((end - began).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)
