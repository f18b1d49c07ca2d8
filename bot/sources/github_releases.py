"""GitHub releases of a repository, read from its public Atom feed (no token needed).

The feed holds only the latest ten releases, so the snapshot is incomplete: a
release that scrolls off the feed is not withdrawn. Each release's notes become
`changelog_line` records, so a "known issue" added after the release is news.

Tag filters: a repository's feed also carries tags that are not its product's releases
(moby/moby tags its Go modules `api/v1.52.0`, `client/v0.2.0` and `v2.0.0-beta.N` beside the
engine's `docker-v29.1.0`). `tag_pattern` (a regular expression matched against the whole tag,
whose first group is the version) takes only the tags it matches, `exclude` drops the tags any of
its expressions finds, and pre-releases are skipped unless `prereleases: true`. moby/moby
ships with DEFAULT_PATTERNS: `docker-vX.Y.Z`, and plain `vX.Y.Z` only for the majors Docker
released under that spelling (1.x, then 17 and up; never 2 to 16, the Go module's v2 line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlparse
from xml.etree.ElementTree import Element, ParseError, tostring

from bot.sources.api import (
    Context,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    check_xml_utf8,
    is_prerelease,
    looks_like_html,
    normalize,
    safe_xml,
    scheme_for,
)
from bot.sources.changelog_lines import line_records

NAME = "github_releases"

_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_TAG_FROM_ID = re.compile(r"^tag:github\.com,\d+:Repository/\d+/(.+)$")
_PRERELEASE = re.compile(r"-(rc|beta|alpha)|pre-?release", re.IGNORECASE)
# Shipped tag patterns of repositories whose feeds mix other tags with the releases.
DEFAULT_PATTERNS = {
    "moby/moby": r"(?:docker-v|v(?=(?:1|1[7-9]|[2-9]\d)\.))(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)",
    # containerd also tags its api/ module (api/v1.9.0); runc tags only releases, but alike
    "containerd/containerd": r"v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)",
    "opencontainers/runc": r"v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)",
}


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    """``repo``: OWNER/NAME. ``url`` defaults to the repo's releases.atom (set it for a mirror).

    ``product`` defaults to ``docker`` for moby/moby and docker/*, else the repo's name.
    """

    repo: str
    url: str = ""
    tag_pattern: str = ""  # a regex over the whole tag; group 1 is the version (default: DEFAULT_PATTERNS)
    exclude: tuple[str, ...] = ()  # regexes: a tag any of them finds is not a release
    prereleases: bool = False  # -rc, -beta, "pre-release" titles: skipped unless true

    def __post_init__(self) -> None:
        if not _REPO.match(self.repo):
            raise ValueError(f"'repo' must be OWNER/NAME, got {self.repo!r}")
        if not self.tag_pattern and self.repo.lower() in DEFAULT_PATTERNS:
            object.__setattr__(self, "tag_pattern", DEFAULT_PATTERNS[self.repo.lower()])
        for key, pattern in (("tag_pattern", self.tag_pattern), *(("exclude", p) for p in self.exclude)):
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{key}' is not a regular expression: {pattern!r} ({exc})") from None
            if key == "tag_pattern" and pattern and compiled.groups < 1:
                raise ValueError(f"'tag_pattern' needs a group for the version, e.g. 'docker-v(.+)': {pattern!r}")
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
    taken = 0
    for entry in feed:
        tag = _tag(entry)
        if not tag:
            raise SourceError("a feed entry has neither a tag id nor a release link", conf.url)
        version = tag_version(tag, conf, scheme)
        if version is None:
            continue
        taken += 1
        if version in seen:  # the same version under two tag spellings: keep the newest
            continue
        if not conf.prereleases and _is_prerelease(version, scheme, tag, entry.title):
            continue
        seen.add(version)
        records.extend(_release(entry, tag, version, conf, scheme, tuple(watch_words)))
    if not taken:  # every tag filtered out: the pattern is wrong, or the feed is another repository's
        raise SourceError(f"no tag of the feed matches tag_pattern {conf.tag_pattern!r} (and exclude)", conf.url)
    return records


def tag_version(tag: str, conf: Conf, scheme: str) -> str | None:
    """The version a tag names, or None when the filters leave it out (a module tag, an excluded one)."""
    if any(re.search(pattern, tag) for pattern in conf.exclude):
        return None
    if conf.tag_pattern:
        match = re.fullmatch(conf.tag_pattern, tag)
        if match is None or not match.group(1):
            return None
        tag = match.group(1)
    return normalize(tag, scheme)


_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Entry:
    """What a release needs of one Atom <entry>."""

    id: str
    link: str
    title: str
    updated: str  # <published> or <updated>, as written
    notes_html: str  # <content>, else <summary>, as HTML


def _feed(body: bytes, url: str) -> list[Entry]:
    """The entries of a releases.atom body, read with ElementTree (C expat) rather than feedparser:
    one pass, no sanitizing or relative-URI work whose result html_lines would redo (issue 11).
    Entity declarations are refused (defusedxml), so an entity bomb is a failed source, not memory."""
    if not body.strip():
        raise SourceError("empty feed body", url)
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of the releases Atom feed", url)
    check_xml_utf8(body, "the releases Atom feed", url)  # else garbled notes would be stored
    try:
        root = safe_xml.fromstring(body)
    except ParseError as exc:  # a cut or mangled download: the last entry's notes may be half there
        raise SourceError(f"malformed or truncated feed: {exc}", url) from None
    except ValueError:  # defusedxml's refusals (EntitiesForbidden, ExternalReferenceForbidden) are ValueErrors
        raise SourceError("the feed declares XML entities or external references (refused: no Atom feed "
                          "needs them, and an entity bomb would exhaust memory)", url) from None
    if root.tag != _ATOM + "feed":
        raise SourceError(f"not an Atom feed (its root element is <{_local(root.tag)}>)", url)
    entries = [_entry(e) for e in root.iterfind(_ATOM + "entry")]
    if not entries:
        raise SourceError("the feed has no release entries", url)
    return entries


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _entry(element: Element) -> Entry:
    def text(name: str) -> str:
        found = element.find(_ATOM + name)
        return (found.text or "").strip() if found is not None else ""

    links = [link for link in element.iterfind(_ATOM + "link") if link.get("rel", "alternate") == "alternate"]
    return Entry(id=text("id"), link=links[0].get("href", "") if links else "", title=text("title"),
                 updated=text("published") or text("updated"),
                 notes_html=_as_html(element.find(_ATOM + "content")) or _as_html(element.find(_ATOM + "summary")))


def _as_html(element: Element | None) -> str:
    """An Atom text construct as HTML: type="html" is escaped HTML, "xhtml" a <div> of markup, "text" text."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "xhtml":  # markup in the XHTML namespace: serialized with plain tag names for html_lines
        for node in element.iter():
            node.tag = _local(node.tag)
        return "".join(tostring(child, encoding="unicode") for child in element)
    return element.text or "" if kind == "html" else escape(element.text or "")


def _day(stamp: str) -> str:
    """The UTC day of an RFC 3339 timestamp (``2023-08-04T01:21:41+03:00`` is 2023-08-03); "" if unreadable."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return ""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d")


def _tag(entry: Entry) -> str:
    """The tag from the entry id (``tag:github.com,2008:Repository/7691631/v29.0.3``), or its link."""
    match = _TAG_FROM_ID.match(entry.id)
    if match:
        return match.group(1)
    path = urlparse(entry.link).path
    if "/releases/tag/" in path:
        return unquote(path.split("/releases/tag/", 1)[1])
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])


def _release(
    entry: Entry, tag: str, version: str, conf: Conf, scheme: str, words: tuple[str, ...]
) -> list[Record]:
    title = entry.title
    date = _day(entry.updated)
    notes = html_lines(entry.notes_html)
    data = {
        "date": date,
        "title": title,
        "url": entry.link,
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
