"""Strict decoding of fetched bodies, shared by the kinds through the facade.

A body that is not UTF-8, not JSON, or JSON nested deeper than Python can parse is a
broken response: one SourceError naming the URL and where it broke (the byte offset),
never a traceback and never text with replacement characters stored as if upstream
had edited its notes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.errors import SourceError

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def utf8_text(body: bytes, url: str, what: str) -> str:
    """The body as text; SourceError with the byte offset if it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what} is not valid UTF-8 (byte {exc.start})", url) from None


def check_xml_utf8(body: bytes, url: str, what: str) -> None:
    """Refuse an XML feed that declares (or defaults to) UTF-8 but holds invalid bytes."""
    declared = _XML_ENCODING.match(body[:200])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return  # another declared encoding: the feed parser decodes it
    utf8_text(body, url, what)


def json_document(body: bytes, url: str, what: str) -> Any:
    """Parse a JSON body; SourceError for bad UTF-8 (byte offset), bad JSON or absurd nesting."""
    text = utf8_text(body, url, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{what} is not JSON ({exc.msg} at char {exc.pos})", url) from None
    except RecursionError:
        raise SourceError(f"{what} is nested too deeply to be real data", url) from None
