"""What a fetched body is, before a kind parses it: an HTML error page, JSON, or not.

Core helpers (re-exported by the facade, bot.sources.api) so that every kind and the
shared kernel.org reader refuse a captive portal or a half-sent body the same way.
"""

from __future__ import annotations

import json
from typing import Any

from bot.errors import SourceError


def json_body(body: bytes, what: str, url: str) -> Any:
    """The JSON document in a body, or a SourceError whose one line says why it is not one.

    json.loads raises JSONDecodeError (with .msg and .pos) for bad JSON but a plain
    UnicodeDecodeError for bytes that are not UTF-8: both must become a reason, not a bug.
    """
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{what} is not JSON ({exc.msg} at char {exc.pos})", url) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what} is not UTF-8 text (byte {exc.start})", url) from None


def looks_like_html(body: bytes) -> bool:
    """An HTML error page where data was expected (captive portals, CDNs' 200 error pages)."""
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:100]
