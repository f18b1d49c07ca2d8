"""Docker's CHANGELOG.md: one `release` per version heading, one `changelog_line` per item.

Reads three layouts with one tolerant parser, because Docker moved its notes twice:
moby's CHANGELOG.md (``## 1.10.3 (2016-03-10)``, ``## [1.13.0](link) (2017-01-18)``),
the docker-ce release-branch CHANGELOG.md (``## 19.03.15 (2021-01-29)``), and the docs
release notes (``## 29.0.3`` with a Hugo ``{{< release-date date="..." >}}`` shortcode).

The Markdown is read by markdown-it-py (CommonMark, as GitHub renders these files) and
the records come from its token stream. Items start with a sigil: ``+`` added, ``-``
removed *or fixed* (moby writes bug fixes with ``-``), ``*`` changed; an item's wrapped
lines are one line, nested items their own. Prose paragraphs under a version (the
**IMPORTANT** upgrade notes) become lines with sigil ``""``: they are where known issues
are told. Code blocks (fenced or indented: quoted error messages) are skipped.

A changelog is newest first, so a truncated download loses the *oldest* versions and
would look like mass withdrawal: every sign of truncation raises SourceError.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.sources.api import (
    Context,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    is_prerelease,
    looks_like_html,
    markdown_it,
    normalize,
    redact_url,
    scheme_for,
    sort_key,
)
from bot.sources.changelog_lines import line_records

if TYPE_CHECKING:
    from markdown_it.token import Token

NAME = "docker_changelog"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    """``url``: the raw CHANGELOG.md (or a docs release-notes page's markdown)."""

    url: str
    product: str = "docker"


_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_VERSION = re.compile(r"^v?(\d+\.\d+(?:\.\d+)*(?:-[0-9A-Za-z.\-]+)?)\b(.*)$")
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_SHORTCODE_DATE = re.compile(r"\{\{<\s*release-date\s+date=\"(\d{4}-\d{2}-\d{2})\"\s*>\}\}")
_BULLETS = ("-", "+", "*")


@dataclass
class _Version:
    version: str
    date: str
    title: str
    lines: list[dict[str, str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def parse(body: bytes, conf: Conf, watch_words: Iterable[str] = ()) -> list[Record]:
    """All releases and lines of a changelog body; raises SourceError if it is not whole."""
    source = _skip_front_matter(_text(body, conf.url).split("\n"), conf.url)
    found = _walk(_markdown().parse("\n".join(source)), source, conf.url)
    if not found:
        raise SourceError("no version heading (## X.Y.Z) found in the changelog", conf.url)
    last = list(found.values())[-1]
    if not last.lines:
        raise SourceError(f"truncated changelog: the last version ({last.version}) has no items", conf.url)
    return _records(found.values(), conf, watch_words)


@functools.cache
def _markdown() -> markdown_it.MarkdownIt:
    """The block parser (block tokens' .content is enough), built at the first parse: not at import."""
    return markdown_it.MarkdownIt("commonmark").disable(["inline", "text_join"])


def _walk(tokens: Sequence[Token], source: list[str], url: str) -> dict[str, _Version]:
    """Versions with their lines, from markdown-it's token stream.

    A level-2 heading opens a version (any other level-2 heading, "Unreleased", closes
    it); deeper headings name sections. The first paragraph of a list item is an item,
    its bullet the sigil; any other paragraph is a prose line.
    """
    found: dict[str, _Version] = {}
    current: _Version | None = None
    section, heading, sigils = "", 0, [""]  # the sigil of each open list item; "" once used
    for token in tokens:
        if token.type == "heading_open":
            heading = int(token.tag[1:])
        elif token.type == "list_item_open":
            sigils.append(token.markup if token.markup in _BULLETS else "")
        elif token.type == "list_item_close":
            sigils.pop()
        elif token.type == "fence" and not _closed(token, source):
            raise SourceError("truncated changelog: a code block is never closed", url)
        elif token.type == "inline" and heading:
            current, section = _heading(found, current, section, heading, token.content)
            heading = 0
        elif token.type == "inline" and current is not None:
            text = _take_shortcode(current, token.content)
            if text:
                current.lines.append({"text": text, "section": section, "sigil": sigils[-1], "date": current.date})
            sigils[-1] = ""
    return found


def _heading(
    found: dict[str, _Version], current: _Version | None, section: str, level: int, text: str
) -> tuple[_Version | None, str]:
    """(the open version, the open section) after a heading."""
    if level == 1:
        return current, section
    if level >= 3:
        section = _LINK.sub(r"\1", text).strip()
        if current is not None and section not in current.sections:
            current.sections.append(section)
        return current, section
    match = _VERSION.match(_LINK.sub(r"\1", text).strip())
    if match is None:
        return None, ""  # "## Unreleased" and the like: not a version, skip its lines
    date = _DATE.search(match.group(2))
    version = match.group(1)
    return found.setdefault(version, _Version(version, date.group(1) if date else "", text)), ""


def _take_shortcode(current: _Version, content: str) -> str:
    """A paragraph's text without Hugo release-date shortcode lines (the first one dates the version)."""
    kept = []
    for line in content.split("\n"):
        shortcode = _SHORTCODE_DATE.search(line)
        if shortcode is None:
            kept.append(line)
        elif not current.date:
            current.date = shortcode.group(1)
    return " ".join(" ".join(kept).split())


def _closed(fence: Token, source: list[str]) -> bool:
    """Does this fenced block end with its closing fence? (markdown-it runs an open one to the end.)"""
    if fence.map is None:
        return True
    start, end = fence.map
    last = source[end - 1].strip() if end - 1 > start and end - 1 < len(source) else ""
    return bool(last) and set(last) == {fence.markup[0]} and len(last) >= len(fence.markup)


def _text(body: bytes, url: str) -> str:
    if not body.strip():
        raise SourceError("empty changelog body", url)
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of the markdown changelog (use the raw URL)", url)
    if not body.endswith(b"\n"):
        raise SourceError("truncated changelog: the body ends mid-line", url)
    try:
        return body.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise SourceError(f"changelog is not UTF-8 text (byte {exc.start})", url) from None


def _skip_front_matter(lines: list[str], url: str) -> list[str]:
    """Drop a docs page's YAML front matter (between the first two ``---`` lines)."""
    if not lines or lines[0].strip() != "---":
        return lines
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return lines[i + 1 :]
    raise SourceError("truncated page: the front matter is never closed", url)


def _records(found: Iterable[_Version], conf: Conf, watch_words: Iterable[str]) -> list[Record]:
    scheme = scheme_for(conf.product)
    words = tuple(watch_words)
    records: list[Record] = []
    for entry in found:
        version = normalize(entry.version, scheme)
        data = {
            "date": entry.date,
            "title": entry.title,
            "url": redact_url(conf.url),
            "prerelease": is_prerelease(version, scheme),
            "sections": len(entry.sections),
            "line_count": len(entry.lines),
        }
        records.append(Record("release", f"release:{version}", conf.product, version, data))
        records.extend(line_records(conf.product, version, entry.lines, words))
    return records


def check_not_truncated(records: Sequence[Record], previous: Sequence[Record], url: str, scheme: str) -> None:
    """Refuse a parse that lost the oldest version of the last good run.

    The file is newest first, so a body cut at a line boundary keeps parsing cleanly
    but drops the oldest versions; without this it would read as mass withdrawal.
    """
    before = {r.version for r in previous if r.kind == "release"}
    if not before:
        return
    now = {r.version for r in records if r.kind == "release"}
    oldest = min(before, key=lambda v: sort_key(v, scheme))
    if oldest not in now:
        raise SourceError(
            f"truncated changelog? the oldest version seen before ({oldest}) is missing "
            f"({len(before - now)} of {len(before)} versions gone; if upstream really dropped them, "
            "rename the source in sources.yaml to record a new baseline)",
            url,
        )


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    """Fetch the changelog and parse it whole; a partial body raises, never shrinks the history."""
    response = await ctx.get(conf.url, accept="text/markdown, text/plain;q=0.9, */*;q=0.1")
    records = parse(response.body, conf, watch_words=ctx.watch_words)
    check_not_truncated(records, ctx.previous, conf.url, scheme_for(conf.product))
    return Snapshot(tuple(records))


KIND = Kind(name=NAME, conf=Conf, collect=collect)
