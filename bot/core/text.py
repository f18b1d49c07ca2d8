"""Text as trackbot shows and keys it: upstream text made inert for a terminal, and a change's title
normalised so the same fix reads as one fact in every changelog (its hash is part of event keys).
"""

from __future__ import annotations

import hashlib
import re

from rich.markup import escape as _markup_escape

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ARCH_RE = re.compile(r"^(\[[^\]]+\]\s*)+")
_TRAILER_RE = re.compile(r"\s*\((?:CVE-[^)]*|Closes:[^)]*|LP:[^)]*)\)\s*$", re.IGNORECASE)


def norm_title(text: str) -> str:
    """A change's title as it appears in any changelog: no [arch] tag, CVE or Closes suffix."""
    value = " ".join(text.split())
    value = _ARCH_RE.sub("", value)
    while True:
        stripped = _TRAILER_RE.sub("", value)
        if stripped == value:
            break
        value = stripped
    return value.strip().rstrip(".").lower()


def title_hash(text: str) -> str:
    return hashlib.sha1(norm_title(text).encode()).hexdigest()[:12]


def printable(text: object) -> str:
    """Upstream text with terminal control characters (ESC sequences, bells) removed."""
    return _CONTROL.sub("", str(text))


def safe(text: object) -> str:
    """Upstream text ready for rich: no control characters, no markup."""
    return _markup_escape(printable(text))
