"""The errors trackbot raises on purpose.

    TrackbotError
     ├── ConfigError     sources.yaml is wrong: exit 2, before any network call
     └── SourceError     one source cannot be read: it is marked failed, the others go on
          └── Unchanged  not an error: the upstream answered 304 (nothing to parse)

Every message is one line a user can act on, and never contains a secret.
"""

from __future__ import annotations

import re

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
    """A source could not be read or made no sense; carries a one-line reason and the URL."""

    def __init__(self, reason: str, url: str = "") -> None:
        self.reason = redact_url(" ".join(str(reason).split()))
        self.url = redact_url(url)  # a proxy's password or a ?token= must not reach the console or the DB
        super().__init__(f"{self.reason} ({self.url})" if url else self.reason)


class Unchanged(SourceError):
    """The upstream says nothing changed since the last good run (HTTP 304)."""

    def __init__(self, url: str = "") -> None:
        super().__init__("not modified", url)
