"""Incidents about trackbot itself (its config, its storage), beside the sources' own.

They live in the same incidents table under the reserved source name `trackbot`, so
they are alerted once through the normal outbox and resolved the same way: opened the
first time the problem is seen, resolved the first time it is gone. The poll's clean-up
of sources that left the config leaves this name alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from bot.core.alert import duration_text
from bot.core.clock import Clock
from bot.core.model import Event, Finding
from bot.judge import alerts
from bot.store.connect import database_path, describe
from bot.store.history import Store

SELF_SOURCE = "trackbot"
NO_RUN = 0  # not raised by a source's poll: no run row to point at


def track(store: Store, kind: str, problem: str | None, now: datetime, *, severity: str = "warning") -> bool:
    """Say that the problem `kind` is there (`problem` is its one line) or gone (None).

    Returns True when this call opened or resolved the incident (something was queued).
    """
    key = f"{kind}:{SELF_SOURCE}"
    with store.transaction():
        live = store.live_incidents(SELF_SOURCE).get(key)
        if problem is None:
            if live is None:
                return False
            store.resolve_incident(live["rowid"], now)
            duration = duration_text(live["first_seen_at"], now)
            event = _event(kind, live["severity"], key, live["summary"], live["first_seen_at"])
            resolved = replace(event, kind=f"{kind}_resolved", severity="info", key=f"resolved:{event.key}",
                               summary=f"resolved after {duration}: {live['summary']}")
            store.add_events([resolved], NO_RUN, now)
            store.queue_alert(alerts.incident_alert(SELF_SOURCE, event, NO_RUN, opened=False, incident_key=key,
                                                    duration=duration), now)
            return True
        row = store.incident_seen(SELF_SOURCE, Finding(kind, key, problem, severity=severity), now)
        if row["opened_at"] is not None:
            return False
        store.open_incident(row["rowid"], now)
        event = _event(kind, severity, key, problem, row["first_seen_at"])
        store.add_events([event], NO_RUN, now)
        store.queue_alert(alerts.incident_alert(SELF_SOURCE, event, NO_RUN, opened=True, incident_key=key), now)
        return True


def _event(kind: str, severity: str, key: str, summary: str, first_seen: str) -> Event:
    return Event(kind, severity, "trackbot", "", f"{kind}:{key}:{first_seen}", summary, SELF_SOURCE,
                 {"incident": key, "first_seen_at": first_seen})


STORAGE_FAILING = "storage_failing"


@contextmanager
def storage_guard(store: Store, settle: Callable[[], object], clock: Clock) -> Iterator[None]:
    """Run a poll; a database failure (disk full) is trackbot's own incident, not any source's.

    The failure becomes one StorageError line naming the database, and one `storage_failing`
    incident is opened if anything can still be written (`settle` then delivers it); the first
    poll that completes resolves it. No source's failure count moves: none of them failed.
    """
    try:
        yield
    except sqlite3.DatabaseError as exc:
        error = describe(exc, database_path(store))
        try:
            if track(store, STORAGE_FAILING, str(error), clock(), severity="critical"):
                settle()
        except sqlite3.Error:
            pass  # nothing can be written now: the line below is all there is
        raise error from None
    if track(store, STORAGE_FAILING, None, clock()):
        settle()
