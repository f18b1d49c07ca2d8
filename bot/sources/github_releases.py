"""GitHub releases of a repository, read from its public Atom feed (no token needed).

The feed holds only the latest ten releases, so the snapshot is incomplete: a
release that scrolls off the feed is not withdrawn. Each release's notes become
`changelog_line` records, so a "known issue" added after the release is news.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlparse
from xml.sax import SAXException

from bot.sources.api import (
    Context,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    check_xml_utf8,
    feedparser,
    is_prerelease,
    line_records,
    looks_like_html,
    normalize,
    scheme_for,
)

NAME = "github_releases"

_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_TAG_FROM_ID = re.compile(r"^tag:github\.com,\d+:Repository/\d+/(.+)$")
_PRERELEASE = re.compile(r"-(rc|beta|alpha)|pre-?release", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    """``repo``: OWNER/NAME. ``url`` defaults to the repo's releases.atom (set it for a mirror).

    ``product`` defaults to ``docker`` for moby/moby and docker/*, else the repo's name.
    """

    repo: str
    url: str = ""

    def __post_init__(self) -> None:
        if not _REPO.match(self.repo):
            raise ValueError(f"'repo' must be OWNER/NAME, got {self.repo!r}")
        if not self.url:
            object.__setattr__(self, "url", f"https://github.com/{self.repo}/releases.atom")
        if not self.product:
            object.__setattr__(self, "product", default_product(self.repo))


def default_product(repo: str) -> str:
    """moby/moby and docker/* are Docker; anything else is named after its repo."""
    owner, name = repo.lower().split("/", 1)
    return "docker" if repo.lower() == "moby/moby" or owner == "docker" else name


def parse(body: bytes, conf: Conf, watch_words: Iterable[str] = ()) -> list[Record]:
    """The releases (and their notes' lines) in a releases.atom body; raises SourceError."""
    feed = _feed(body, conf.url)
    scheme = scheme_for(conf.product)
    records: list[Record] = []
    seen: set[str] = set()
    for entry in feed.entries:
        tag = _tag(entry)
        if not tag:
            raise SourceError("a feed entry has neither a tag id nor a release link", conf.url)
        version = normalize(tag, scheme)
        if version in seen:  # the same version under two tag spellings: keep the newest
            continue
        seen.add(version)
        records.extend(_release(entry, tag, version, conf, scheme, tuple(watch_words)))
    return records


def _feed(body: bytes, url: str) -> Any:
    if not body.strip():
        raise SourceError("empty feed body", url)
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of the releases Atom feed", url)
    check_xml_utf8(body, "the releases Atom feed", url)  # feedparser would store garbled notes
    feed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)  # notes are parsed by html_lines
    # Not well-formed XML is a cut or mangled download: even with some entries parsed,
    # the last one's notes may be half there and would read as edited notes.
    if feed.get("bozo") and isinstance(feed.get("bozo_exception"), SAXException):
        raise SourceError(f"malformed or truncated feed: {feed.bozo_exception}", url)
    if not feed.entries:
        raise SourceError("the feed has no release entries", url)
    return feed


def _tag(entry: Any) -> str:
    """The tag from the entry id (``tag:github.com,2008:Repository/7691631/v29.0.3``), or its link."""
    match = _TAG_FROM_ID.match(entry.get("id", ""))
    if match:
        return match.group(1)
    path = urlparse(entry.get("link", "")).path
    if "/releases/tag/" in path:
        return unquote(path.split("/releases/tag/", 1)[1])
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])


def _release(
    entry: Any, tag: str, version: str, conf: Conf, scheme: str, words: tuple[str, ...]
) -> list[Record]:
    title = entry.get("title", "")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    date = f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}" if stamp else ""  # UTC
    content = entry.get("content") or [{}]
    notes = html_lines(content[0].get("value", "") or entry.get("summary", ""))
    data = {
        "date": date,
        "title": title,
        "url": entry.get("link", ""),
        "tag": tag,
        "prerelease": _is_prerelease(version, scheme, tag, title),
        "notes": [text for text, _ in notes],
    }
    release = Record("release", f"release:{version}", conf.product, version, data)
    lines = []
    section = ""
    for text, is_heading in notes:
        if is_heading:
            section = text
        else:
            lines.append({"text": text, "section": section, "date": date})
    return [release, *line_records(conf.product, version, lines, words)]


def _is_prerelease(version: str, scheme: str, tag: str, title: str) -> bool:
    """Version order's answer (``29.0.0-rc.1``), or the tag or title saying so."""
    try:
        if is_prerelease(version, scheme):
            return True
    except ValueError:
        pass  # a tag no scheme parses (``nightly``): the words below still count
    return bool(_PRERELEASE.search(tag) or _PRERELEASE.search(title))


_BLOCKS = {"p", "li", "ul", "ol", "div", "br", "pre", "tr", "blockquote", "table", "hr", "dt", "dd"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _TextLines(HTMLParser):
    """Release-notes HTML reduced to text lines: one per paragraph, list item or heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[str, bool]] = []
        self._buffer: list[str] = []
        self._heading = False
        self._pre = 0

    def _break(self) -> None:
        text = " ".join("".join(self._buffer).split())
        if text:
            self.lines.append((text, self._heading))
        self._buffer = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCKS or tag in _HEADINGS:
            self._break()
        self._heading = self._heading or tag in _HEADINGS
        self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS or tag in _HEADINGS:
            self._break()
        if tag in _HEADINGS:
            self._heading = False
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._pre and "\n" in data:  # a code block: each of its lines is a line
            first, *rest = data.split("\n")
            self._buffer.append(first)
            for part in rest:
                self._break()
                self._buffer.append(part)
        else:
            self._buffer.append(data)


def html_lines(html: str) -> list[tuple[str, bool]]:
    """``(text, is_heading)`` for each non-empty line of an HTML fragment."""
    parser = _TextLines()
    parser.feed(html)
    parser.close()
    parser._break()
    return parser.lines


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    """Fetch the feed; the snapshot is incomplete (ten entries), so absence is never withdrawal."""
    response = await ctx.get(conf.url, accept="application/atom+xml, application/xml;q=0.9")
    records = parse(response.body, conf, watch_words=ctx.watch_words)
    return Snapshot(tuple(records), complete=False)


KIND = Kind(name=NAME, conf=Conf, collect=collect)
