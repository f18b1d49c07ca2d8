"""What a fetched body is, before a kind parses it: an HTML error page, JSON, or not.

Core helpers (re-exported by the facade, bot.sources.api) so that every kind and the
shared kernel.org reader refuse a captive portal or a half-sent body the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core.errors import SourceError


def json_body(body: bytes, what: str, url: str) -> Any:
    """The JSON document in a body, or a SourceError whose one line says why it is not one.

    json.loads raises JSONDecodeError (with .msg and .pos) for bad JSON but a plain
    UnicodeDecodeError for bytes that are not UTF-8: both must become a reason, not a bug.
    """
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{what} is not JSON (truncated or corrupt: {exc.msg} at char {exc.pos})", url) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what} is not valid UTF-8 (byte {exc.start})", url) from None
    except RecursionError:  # JSON nested 100k deep: an attack or a broken generator, never data
        raise SourceError(f"{what} is nested too deeply to be real data", url) from None


def utf8_text(body: bytes, what: str, url: str) -> str:
    """The body as text; SourceError with the byte offset if it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what} is not valid UTF-8 (byte {exc.start})", url) from None


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def check_xml_utf8(body: bytes, what: str, url: str) -> None:
    """Refuse an XML feed that declares (or defaults to) UTF-8 but holds invalid bytes: feed
    parsers decode it leniently and garbled notes would be stored (and "edited" later)."""
    declared = _XML_ENCODING.match(body[:200])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return  # another declared encoding: the feed parser decodes it
    utf8_text(body, what, url)


def looks_like_html(body: bytes) -> bool:
    """An HTML error page where data was expected (captive portals, CDNs' 200 error pages)."""
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:100]
