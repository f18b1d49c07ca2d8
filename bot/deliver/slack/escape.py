"""Make upstream text inert before it reaches Slack.

Slack's mrkdwn turns ``<!channel>``, ``<!here>``, ``<@U123>``, ``<#C123>`` and
``<https://evil|click here>`` into mentions and disguised links. Every string we did
not write ourselves (release titles, changelog lines, advisory text) goes through
`text()`, which escapes the three control characters Slack defines (``&``, ``<``,
``>``), so those sequences arrive as literal text. Slack's legacy ``@here`` /
``@channel`` words are also broken with a word joiner (U+2060) in case a workspace or
proxy still parses them. Links we build ourselves go through `link()`, which refuses
anything that is not a plain http(s) URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.core.text import printable

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:https?|mailto):[^\s()]*\)")
_LEGACY_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def text(value: object) -> str:
    """Escape any value for a mrkdwn or fallback text field (control characters such as ESC and BEL
    are dropped, as on the console: they mean nothing in Slack and can hide text)."""
    out = printable(value)
    for char, entity in _ENTITIES:
        out = out.replace(char, entity)
    return _LEGACY_MENTION.sub("@" + WORD_JOINER, out)


def labels(value: str) -> str:
    """Markdown links in upstream text (``[#33273](https://github.com/...)``, in 850 of the 2,300
    lines of moby's CHANGELOG.md) as their label alone: Slack shows Markdown link syntax raw, and
    turning it into a Slack link would let upstream text disguise a link's target. The event's own
    `details` link (ours) goes to the changelog."""
    return _MARKDOWN_LINK.sub(r"\1", value)


def clip(escaped: str, limit: int, suffix: str = "…") -> str:
    """Cut already-escaped text to `limit` characters without splitting an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(0, limit - len(suffix))]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + suffix


def link(url: object, label: object) -> str:
    """A mrkdwn link to an http(s) URL, or just the escaped label if the URL is unsafe.

    A URL containing ``|``, ``<``, ``>`` or whitespace could close the link early and
    show a different target than the one clicked, so it is not linked at all.
    """
    shown = text(label)
    raw = str(url or "")
    if not raw or any(c in raw for c in "<>|") or any(c.isspace() for c in raw):
        return shown
    try:
        parts = urlsplit(raw)
    except ValueError:
        return shown
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return shown
    return f"<{raw.replace('&', '&amp;')}|{shown}>"
