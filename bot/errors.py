"""The errors trackbot raises on purpose.

    TrackbotError
     ├── ConfigError     sources.yaml is wrong: exit 2, before any network call
     └── SourceError     one source cannot be read: it is marked failed, the others go on
          └── Unchanged  not an error: the upstream answered 304 (nothing to parse)

Every message is one line a user can act on, and never contains a secret.
"""

from __future__ import annotations


class TrackbotError(Exception):
    """Base class: its message is shown to the user as one line."""


class ConfigError(TrackbotError):
    """The configuration cannot be used; names the file, the source and the key."""


class SourceError(TrackbotError):
    """A source could not be read or made no sense; carries a one-line reason and the URL."""

    def __init__(self, reason: str, url: str = "") -> None:
        self.reason = " ".join(str(reason).split())
        self.url = url
        super().__init__(f"{self.reason} ({url})" if url else self.reason)


class Unchanged(SourceError):
    """The upstream says nothing changed since the last good run (HTTP 304)."""

    def __init__(self, url: str = "") -> None:
        super().__init__("not modified", url)
