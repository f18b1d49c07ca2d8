"""Any Debian source package's changelog (linux, docker.io, containerd, runc).

What a Debian upload brings is only written here: which upstream stable update it
carries ("New upstream stable update:" followed by kernel.org ChangeLog URLs, or
"New upstream release [20.10.24]"), which bugs it closes, which CVEs it fixes, which
changes it reverts and whether it is a "regression update" of the previous upload.
Parsing is python-debian's (``debian.changelog.Changelog``); this module only splits
each entry into its items ("* ...") and sub-items ("- ..." / "+ ...").

The body is a URL to ``changelog.Debian.gz`` (gzip, as shipped in .debs and on
metadata.ftp-master.debian.org's ``changelogs/``) or plain text.
"""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from bot.sources.api import (
    REGRESSION_UPDATE_RE,
    REVERT_RE,
    Context,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    debian_changelog,
    looks_like_html,
    redact_url,
    utf8_text,
)
from bot.sources.changelog_lines import line_records

NAME = "debian_changelog"
CLOSES_RE = re.compile(r"closes:\s*((?:bug)?#?\s?\d+(?:,\s*(?:bug)?#?\s?\d+)*)", re.IGNORECASE)
_UPSTREAM_STABLE_RE = re.compile(r"new upstream stable update", re.IGNORECASE)
_UPSTREAM_RELEASE_RE = re.compile(
    r"new upstream (?:release|version)\s*\[?\s*v?(\d[\w.~+:-]*?)\s*\]?\s*(?:\(|$|:)", re.IGNORECASE)
_CHANGELOG_URL_RE = re.compile(r"ChangeLog-(\d+(?:\.\d+)+)")
_SECTION_RE = re.compile(r"^\s*\[\s*(.+?)\s*\]\s*$")


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str
    product: str = ""  # default: debian:<source package>


def decode(body: bytes, url: str = "") -> str:
    """The changelog text of a plain or gzip body; a broken gzip is an error, never a short text."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"changelog.Debian.gz does not decompress ({exc})", url) from None
    if looks_like_html(body):
        raise SourceError("HTML page instead of a Debian changelog", url)
    return utf8_text(body, "the Debian changelog", url)  # Debian Policy: UTF-8; garbled text is never stored


@contextmanager
def _quiet_parser() -> Iterator[None]:
    """python-debian logs a cut last entry as a warning on stderr; the record says it instead."""
    parser_log = logging.getLogger("debian.changelog")
    before = parser_log.disabled
    parser_log.disabled = True
    try:
        yield
    finally:
        parser_log.disabled = before


def parse(body: bytes, conf: Conf, watch_words: Sequence[str] = ()) -> list[Record]:
    """A release record per upload and a changelog_line record per item."""
    text = decode(body, conf.url)
    try:
        with _quiet_parser():
            changelog = debian_changelog.Changelog(text, strict=False)
    except debian_changelog.ChangelogParseError as exc:
        raise SourceError(f"Debian changelog does not parse ({exc})", conf.url) from None
    blocks = [b for b in changelog if b.version is not None]
    if not blocks:
        raise SourceError("no entry found in the Debian changelog", conf.url)
    records: list[Record] = []
    for index, block in enumerate(blocks):
        # Non-strict parsing swallows a heading that follows an entry without trailer.
        swallowed = any(debian_changelog.topline.match(line) for line in block.changes())
        if swallowed or (block.date is None and index != len(blocks) - 1):
            raise SourceError(f"entry {block.version} has no trailer line", conf.url)
        records += _block_records(block, conf, watch_words)
    return records


def _reverted(text: str) -> str:
    match = REVERT_RE.search(text)
    return match.group(1) if match else ""


def _block_records(block: debian_changelog.ChangeBlock, conf: Conf, watch_words: Sequence[str]) -> list[Record]:
    version = str(block.version)
    product = conf.product or f"debian:{block.package}"
    when = _date(block.date)
    items = split_items(block.changes())
    lines = line_records(product, version, (
        {**item, "date": when, "closes": closes(item["text"]), "reverts": _reverted(item["text"])}
        for item in items
    ), watch_words)
    release = {
        "date": when,
        "title": f"{block.package} {version} ({', '.join((block.distributions or '').split())}; urgency={block.urgency})",
        "url": redact_url(conf.url),
        "prerelease": False,
        "distribution": block.distributions,
        "urgency": block.urgency or "",
        "maintainer": block.author or "",
        "upstream_updates": list(dict.fromkeys(i["upstream"] for i in items if i["upstream"])),
        "regression_update": any(REGRESSION_UPDATE_RE.search(i["text"]) for i in items),
        "bugs_closed": sorted({n for line in lines for n in line.data["closes"]}, key=int),
        "cves": list(dict.fromkeys(c for line in lines for c in line.data["cves"])),
        "truncated": block.date is None,  # the last entry of a cut file (a "head" of a changelog)
    }
    return [Record("release", f"release:{version}", product, version, release), *lines]


def split_items(changes: Sequence[str]) -> list[dict[str, Any]]:
    """The items of one entry: '* ' items, '- '/'+ ' sub-items, continuation lines joined.

    Sub-items of "New upstream stable update:" get the kernel version of the ChangeLog
    URL above them; sub-items of "New upstream release [X]" get X.
    """
    items: list[dict[str, Any]] = []
    section = ""
    parent: dict[str, Any] | None = None
    upstream = ""
    for raw in changes:
        line = raw.rstrip()
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip())
        header = _SECTION_RE.match(line)
        if header and indent <= 2:
            section, parent = header.group(1), None
        elif body.startswith("* ") or (indent <= 2 and body[:1] not in "-+"):
            upstream = _upstream_release(body)
            parent = {"text": body.lstrip("* ").strip(), "section": section, "upstream": upstream}
            items.append(parent)
        elif body[:2] in ("- ", "+ ") and parent is not None:
            items.append({"text": body[2:].strip(), "section": parent["text"][:80], "upstream": upstream})
        elif _CHANGELOG_URL_RE.search(body) and parent is not None and _UPSTREAM_STABLE_RE.search(parent["text"]):
            upstream = _CHANGELOG_URL_RE.search(body).group(1)  # type: ignore[union-attr]
            parent["text"] += f" {upstream}"
        elif items:
            items[-1]["text"] += " " + body
    return items


def _upstream_release(text: str) -> str:
    match = _UPSTREAM_RELEASE_RE.search(text)
    return match.group(1) if match else ""


def closes(text: str) -> list[str]:
    """Debian bug numbers a line closes (Debian policy's Closes: syntax)."""
    return [n for match in CLOSES_RE.findall(text) for n in re.findall(r"\d+", match)]


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError):
        return ""


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    response = await ctx.get(conf.url)
    return Snapshot(tuple(parse(response.body, conf, ctx.watch_words)))


KIND = Kind(name=NAME, conf=Conf, collect=collect)
