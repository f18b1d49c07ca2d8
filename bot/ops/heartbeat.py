"""The heartbeat: a GET to `heartbeat_url` after every successful run.

healthchecks.io, Uptime Kuma (push monitors) and the like page when the pings stop, so a
trackbot that died, hangs, or keeps failing pages through another system. A run counts as
successful when no source failed and no alert was left queued by a delivery error (a
trackbot that cannot tell anyone is not healthy either). A ping that fails is reported on
one line and does not fail the run: the missing ping is itself the signal.
"""

from __future__ import annotations

import httpx

from bot.core.errors import redact_url

TIMEOUT = 10.0  # seconds: a slow monitoring service must not hold up the next run


def ping(url: str, *, timeout: float = TIMEOUT) -> str | None:
    """GET the URL; None when it answered 2xx, else a one-line reason (credentials redacted)."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        return f"heartbeat {redact_url(url)} failed: {type(exc).__name__}"
    if not response.is_success:
        return f"heartbeat {redact_url(url)} answered HTTP {response.status_code}"
    return None
