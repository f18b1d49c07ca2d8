"""Docker's CHANGELOG.md: one `release` per version heading, one `changelog_line` per item.

Reads three layouts with one tolerant parser, because Docker moved its notes twice:
moby's CHANGELOG.md (``## 1.10.3 (2016-03-10)``, ``## [1.13.0](link) (2017-01-18)``),
the docker-ce release-branch CHANGELOG.md (``## 19.03.15 (2021-01-29)``), and the docs
release notes (``## 29.0.3`` with a Hugo ``{{< release-date date="..." >}}`` shortcode).

Items start with a sigil: ``+`` added, ``-`` removed *or fixed* (moby writes bug fixes
with ``-``), ``*`` changed; indented lines continue the item above. Prose paragraphs
under a version (the **IMPORTANT** upgrade notes) become lines with sigil ``""``:
they are where known issues are told. Code blocks are skipped.

A changelog is newest first, so a truncated download loses the *oldest* versions and
would look like mass withdrawal: every sign of truncation raises SourceError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.sources.api import (
    Context,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    is_prerelease,
    line_records,
    looks_like_html,
    normalize,
    redact_url,
    scheme_for,
    sort_key,
)

NAME = "docker_changelog"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    """``url``: the raw CHANGELOG.md (or a docs release-notes page's markdown)."""

    url: str
    product: str = "docker"


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_VERSION = re.compile(r"^v?(\d+\.\d+(?:\.\d+)*(?:-[0-9A-Za-z.\-]+)?)\b(.*)$")
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_SHORTCODE_DATE = re.compile(r"\{\{<\s*release-date\s+date=\"(\d{4}-\d{2}-\d{2})\"\s*>\}\}")
_ITEM = re.compile(r"^(\s*)([-+*]|\d+[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class _Version:
    version: str
    date: str
    title: str
    lines: list[dict] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


@dataclass
class _State:
    """Where the line-by-line walk is: the open version, section and item."""

    found: dict[str, _Version] = field(default_factory=dict)
    current: _Version | None = None
    section: str = ""
    item: dict | None = None
    blank_before: bool = True
    in_fence: bool = False

    def flush(self) -> None:
        if self.item is not None and self.current is not None:
            self.item["text"] = " ".join(self.item["text"].split())
            if self.item["text"]:
                self.current.lines.append(self.item)
        self.item = None

    def open_item(self, text: str, sigil: str) -> None:
        self.flush()
        if self.current is not None:
            self.item = {"text": text, "section": self.section, "sigil": sigil, "date": self.current.date}


def parse(body: bytes, conf: Conf, watch_words: Iterable[str] = ()) -> list[Record]:
    """All releases and lines of a changelog body; raises SourceError if it is not whole."""
    text = _text(body, conf.url)
    state = _State()
    for line in _skip_front_matter(text.split("\n"), conf.url):
        _feed(state, line)
    state.flush()
    if state.in_fence:
        raise SourceError("truncated changelog: a code block is never closed", conf.url)
    if not state.found:
        raise SourceError("no version heading (## X.Y.Z) found in the changelog", conf.url)
    last = list(state.found.values())[-1]
    if not last.lines:
        raise SourceError(f"truncated changelog: the last version ({last.version}) has no items", conf.url)
    return _records(state.found.values(), conf, watch_words)


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


def _feed(state: _State, line: str) -> None:
    """Advance the walk by one line."""
    if _FENCE.match(line):
        state.flush()
        state.in_fence = not state.in_fence
        return
    if state.in_fence:
        return
    if not line.strip():
        state.flush()
        state.blank_before = True
        return
    blank_before, state.blank_before = state.blank_before, False
    heading = _HEADING.match(line)
    if heading:
        _heading(state, len(heading.group(1)), heading.group(2))
        return
    shortcode = _SHORTCODE_DATE.search(line)
    if shortcode:
        if state.current is not None and not state.current.date:
            state.current.date = shortcode.group(1)
        return
    item = _ITEM.match(line)
    if item:
        sigil = item.group(2) if item.group(2) in "+-*" else ""
        state.open_item(item.group(3), sigil)
    elif state.item is not None and not blank_before:
        state.item["text"] += " " + line.strip()  # continuation (indented or lazy)
    elif line.startswith(("    ", "\t")):
        return  # an indented code block: an error message quoted in the notes
    else:
        state.open_item(line.strip(), "")  # a prose paragraph


def _heading(state: _State, level: int, text: str) -> None:
    state.flush()
    if level == 1:
        return
    if level >= 3:
        state.section = _LINK.sub(r"\1", text).strip()
        if state.current is not None and state.section not in state.current.sections:
            state.current.sections.append(state.section)
        return
    state.section = ""
    match = _VERSION.match(_LINK.sub(r"\1", text).strip())
    if match is None:
        state.current = None  # "## Unreleased" and the like: not a version, skip its lines
        return
    date = _DATE.search(match.group(2))
    version = match.group(1)
    state.current = state.found.setdefault(version, _Version(version, date.group(1) if date else "", text))


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
