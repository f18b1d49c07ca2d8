"""Is anything reaching the team? Slack refusing every post must not look like a quiet week.

A queued alert that was tried (attempts > 0) and is still queued means the destination
refused it. If nothing was delivered since the oldest such alert, delivery has been
failing since then; past `delivery_failing_for`, `poll` exits 3 (cron and systemd see it)
and `status` / `check` say since when.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.alert import AlertState
from bot.store.history import Store


def failing_since(store: Store) -> datetime | None:
    """When the destination started refusing everything (None: it is not)."""
    refused = [a for a in store.outbox.pending() if a.attempts > 0]
    if not refused:
        return None
    oldest = min(datetime.fromisoformat(a.created_at) for a in refused)
    sent = [datetime.fromisoformat(a.sent_at) for a in store.outbox.all() if a.state == AlertState.SENT and a.sent_at]
    if sent and max(sent) > oldest:
        return max(sent)  # something got through after it: count from there
    return oldest


def problem(store: Store, now: datetime, limit: timedelta) -> str | None:
    """One line if delivery has been failing for at least `limit`, else None."""
    since = failing_since(store)
    if since is None or now - since < limit:
        return None
    pending = store.outbox.pending()
    last = next((a.last_error for a in pending if a.last_error), "") or "refused"
    return (f"alerts are not being delivered: every post refused since {since.isoformat()} "
            f"({len(pending)} queued; last error: {' '.join(str(last).split())[:200]})")
