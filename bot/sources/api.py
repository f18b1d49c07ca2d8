"""The facade every source kind imports: nothing else of the core is needed.

A kind module looks like::

    NAME = "docker_changelog"

    @dataclass(frozen=True, kw_only=True)
    class Conf(SourceConf):
        url: str
        product: str = "docker"

    def parse(body: bytes, conf: Conf) -> list[Record]: ...        # pure, raises SourceError

    async def collect(conf: Conf, ctx: Context) -> Snapshot:
        response = await ctx.get(conf.url)                         # raises Unchanged on 304
        return Snapshot(tuple(parse(response.body, conf)))

    KIND = Kind(name=NAME, conf=Conf, collect=collect)   # one line in bot/kinds.py registers it

A Conf checks its own values in `__post_init__` by raising ValueError: the config
loader turns that into a one-line error naming the file, the source and the key.

An empty or partial parse raises SourceError: it never returns [] (that is how a
tool pages everyone with "all releases withdrawn").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot import versions  # version schemes, order and normalisation (bot.versions), for kinds
from bot.cves import CveInfo, cve_record
from bot.errors import SourceError, Unchanged, redact_url
from bot.model import Event, Finding, Pin, Record, Snapshot

__all__ = [
    "Context",
    "CveInfo",
    "cve_record",
    "Event",
    "Finding",
    "Kind",
    "Pin",
    "Record",
    "Response",
    "Snapshot",
    "SourceConf",
    "SourceError",
    "Unchanged",
    "redact_url",
    "versions",
]


@dataclass(frozen=True, kw_only=True)
class SourceConf:
    """Settings every source has. Kinds subclass this (kw_only) with their own fields."""

    name: str
    kind: str
    product: str = ""
    every: str = ""  # own poll interval, e.g. "1h"; empty: every run


@dataclass(frozen=True)
class Response:
    """A fetched body. `url` is the final URL after redirects."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Context(Protocol):
    """What the core hands a source while it polls."""

    fleet: tuple[Pin, ...]
    watch_words: tuple[str, ...]
    config_dir: Path  # relative paths in the config (keyrings) are relative to this
    previous: tuple[Record, ...]  # the records of the last good run of this source
    missing: frozenset[str]  # keys of `previous` the last poll already missed (absent twice: gone)
    cves: Mapping[str, CveInfo]  # what every source's advisory data says of each CVE (bot.cves)

    def now(self) -> datetime:
        """The clock (timezone-aware UTC); injectable in tests."""
        ...

    async def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> Response:
        """GET with retries, a timeout and a size cap.

        conditional=True sends the ETag / Last-Modified of this source's last good
        run and raises Unchanged on 304. Any failure raises SourceError with a
        one-line reason.
        """
        ...

    def stream(self, url: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream a large body (apt indexes) chunk by chunk, never holding it whole.

        Raises SourceError for a non-2xx answer (status in the reason, e.g. 404).
        """
        ...


@dataclass(frozen=True)
class Kind:
    """What a source kind is to the core: everything it may call, and nothing else.

    `collect(conf, ctx)` fetches and parses (raises SourceError, or Unchanged on 304).
    `events(previous, snapshot, conf, ctx)`, optional: kind-specific news beyond the
    generic diff (an EOL flag set, a branch gone). `check(conf, config_dir)`, optional:
    local problems `trackbot check` reports (a keyring that does not exist), one line each.
    The callables take the kind's own `Conf`; `Any` here because a registry of many
    kinds cannot name each one's Conf type.
    """

    name: str
    conf: type[SourceConf]
    collect: Callable[[Any, Context], Awaitable[Snapshot]]
    events: Callable[[Sequence[Record], Snapshot, Any, Context], Sequence[Event]] | None = None
    check: Callable[[Any, Path], list[str]] | None = None


def require(records: Sequence[Record], what: str, url: str = "") -> tuple[Record, ...]:
    """Refuse an empty parse: no records from a source is an error, never 'no versions'."""
    if not records:
        raise SourceError(f"no {what} found in the response", url)
    return tuple(records)


def looks_like_html(body: bytes) -> bool:
    """An HTML error page where data was expected (captive portals, CDNs' 200 error pages)."""
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:100]
