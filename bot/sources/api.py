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

    KIND = Kind(name=NAME, conf=Conf, collect=collect)   # one line in bot/sources/registry.py registers it

The core calls only what `Kind` names: `collect` and the optional `events` and `check`
hooks. A pure `parse` is the kinds' own habit (it makes table tests easy), not part of
the contract: its signature is whatever the kind needs, and the core never calls it.

A kind imports only this module: the helpers it may need (versions, products, changelog
lines, branch events, kernel.org's list...) are re-exported here, listed in `__all__`, and
so are the libraries that are slow to import (feedparser, python-debian's parsers...), as
stand-ins imported at their first use (bot/core/lazy.py): the config loader imports every kind.

A Conf checks its own values in `__post_init__` by raising ValueError: the config
loader turns that into a one-line error naming the file, the source and the key.

An empty or partial parse raises SourceError: it never returns [] (that is how a
tool pages everyone with "all releases withdrawn").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence, Set
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.body import check_xml_utf8, json_body, looks_like_html, utf8_text
from bot.core.clock import parse_interval
from bot.core.errors import SourceError, Unchanged, redact_url
from bot.core.lazy import lazy_module
from bot.core.model import Event, Finding, Pin, Record, Snapshot, SourceConf
from bot.core.versions import branch_of, in_branch, is_prerelease, normalize, scheme_for, sort_key
from bot.core.versions import compare as compare_versions  # version order of a scheme (deb, rpm...)
from bot.judge.advisories import advisory_events, advisory_news, fix_events, is_affected, news, with_exposure
from bot.judge.branches import branch_events
from bot.judge.classify import classify
from bot.judge.classify import cves as cve_ids
from bot.judge.cves import CveInfo, cve_record
from bot.judge.fleet import canonical_product, same_product
from bot.judge.rules import REGRESSION_UPDATE_RE, REVERT_RE

if TYPE_CHECKING:
    import asyncio

    import defusedxml.ElementTree as safe_xml
    import feedparser
    import ijson  # type: ignore[import-untyped,unused-ignore]  # no stubs published
    import markdown_it
    from debian import changelog as debian_changelog
    from debian import deb822
else:  # The libraries kinds fetch and parse with, imported when a poll first uses them: loading the
    # config imports every kind for its Conf, and `trackbot status` or `check` must not pay for these (issue 11).
    asyncio, feedparser, ijson, markdown_it, debian_changelog, deb822, safe_xml = map(
        lazy_module, ("asyncio", "feedparser", "ijson", "markdown_it", "debian.changelog", "debian.deb822",
                      "defusedxml.ElementTree"))

__all__ = [
    # libraries, imported at first use (a kind writes `from bot.sources.api import feedparser`)
    "asyncio",
    "feedparser",
    "ijson",
    "markdown_it",
    "debian_changelog",
    "deb822",
    "safe_xml",  # ElementTree that refuses entity declarations and external references (defusedxml)
    "advisory_events",
    "advisory_news",
    "fix_events",
    "is_affected",
    "news",
    "with_exposure",
    # the contract
    "Context",
    "compare_versions",
    "Kind",
    "Response",
    "Snapshot",
    "SourceConf",
    "Record",
    "Finding",
    "Event",
    "Pin",
    "SourceError",
    "Unchanged",
    "check_xml_utf8",
    "redact_url",
    "parse_interval",  # "15m", "14d" -> timedelta (bot.core.clock)
    # bodies (bot.core.body)
    "json_body",
    "utf8_text",
    "check_xml_utf8",
    "looks_like_html",
    # release notes' lines (bot.sources.changelog_lines, bot.judge.classify)
    "classify",
    "cve_ids",
    "REGRESSION_UPDATE_RE",
    "REVERT_RE",
    # advisories' CVE ratings (bot.judge.cves)
    "CveInfo",
    "cve_record",
    # versions and products (bot.core.versions, bot.judge.fleet)
    "branch_of",
    "in_branch",
    "is_prerelease",
    "normalize",
    "scheme_for",
    "sort_key",
    "canonical_product",
    "same_product",
    # branches and their end of life (bot.judge.rules)
    "branch_events",
    # kernel.org's release list, shared by the kernel kinds (bot.sources.kernel_org)
]


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
    previous: Sequence[Record]  # the records of the last good run of this source
    missing: Set[str]  # keys of `previous` the last poll already missed (absent twice: gone)
    cves: Mapping[str, CveInfo]  # what every source's advisory data says of each CVE (bot.judge.cves)

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
