"""The errors trackbot raises on purpose.

    TrackbotError
     ├── ConfigError     sources.yaml is wrong: exit 2, before any network call
     ├── SourceError     one source cannot be read: it is marked failed, the others go on
     └── Unchanged       not an error: the upstream answered 304 (nothing to parse)

`Unchanged` is a sibling of SourceError, not a subclass: `except SourceError` (a failure
table, a kind's fallback) must never swallow a 304, and a 304 must never pass for a failure.

Every message is one line a user can act on, and never contains a secret.
"""

from __future__ import annotations

import logging
import re

# Internal errors (bugs) go here with their traceback; the console shows one line.
# A NullHandler keeps logging's last-resort handler from printing tracebacks to stderr:
# `trackbot --debug` (or TRACKBOT_DEBUG=1) attaches a real handler and re-raises.
log = logging.getLogger("trackbot")
log.addHandler(logging.NullHandler())

# userinfo (https://user:password@host) and query values named like secrets (?token=, &sig=)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_SECRET_QUERY = re.compile(r"([?&](?:[\w.-]*(?:token|key|secret|password|passwd|pass|sig|signature|auth)[\w.-]*)=)[^&#\s]*",
                           re.IGNORECASE)


def redact_url(url: str) -> str:
    """A URL fit for a message, a log line or the database: credentials replaced by ***."""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub("***@", url))


class TrackbotError(Exception):
    """Base class: its message is shown to the user as one line."""


class ConfigError(TrackbotError):
    """The configuration cannot be used; names the file, the source and the key."""


class SourceError(TrackbotError):
    """A source could not be read or made no sense; carries a one-line reason and the URL.

    `status` is the HTTP status when the upstream answered one (404, 503...), None for
    anything else (a timeout, a body that does not parse): callers test `exc.status`
    instead of searching the message for "404".
    """

    def __init__(self, reason: str, url: str = "", *, status: int | None = None) -> None:
        self.reason = redact_url(" ".join(str(reason).split()))
        self.url = redact_url(url)  # a proxy's password or a ?token= must not reach the console or the DB
        self.status = status
        super().__init__(f"{self.reason} ({self.url})" if url else self.reason)


class Unchanged(TrackbotError):
    """The upstream says nothing changed since the last good run (HTTP 304)."""

    def __init__(self, url: str = "") -> None:
        self.url = redact_url(url)
        self.status = 304
        super().__init__(f"not modified ({self.url})" if url else "not modified")


def internal_error(exc: BaseException, where: str) -> str:
    """Record a bug with its traceback in the "trackbot" log; return its one-line message.

    Call it inside the `except` block (the traceback is the one being handled).
    """
    log.error("internal error in %s", where, exc_info=exc)
    return f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
