"""Render an alert as Block Kit blocks plus a plain-text fallback, within Slack's limits.

Rendering is separate from delivery: this module is pure, takes an `Alert` (or, for
the digest, a title and events), and never sees a token or a channel. Every upstream string is escaped
(`bot.deliver.slack.escape`) and every mrkdwn object is ``verbatim`` so Slack does not
auto-link bare URLs or channel names found in a changelog.

Slack's limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks a
message, 3000 characters a section text, 40,000 characters of message text (4,000
recommended for the notification fallback). One message lists at most `max_items`
events and ends with "and N more".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.deliver.console import display_items
from bot.deliver.slack import escape

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
CONTEXT_LIMIT = 2000
FALLBACK_LIMIT = 4000
LINE_LIMIT = 600
TITLE_LIMIT = 300
MAX_ITEMS = 20

EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
STATUS_EMOJI = {"resolved": ":white_check_mark:", "reminder": ":hourglass:", "fixed": ":wrench:"}


@dataclass(frozen=True)
class Message:
    """What Slack receives: `text` is the notification fallback, `blocks` the layout."""

    text: str
    blocks: tuple[dict[str, Any], ...]


_STATUS = {AlertKind.INCIDENT_RESOLVED: "resolved", AlertKind.INCIDENT_UPDATE: "reminder", AlertKind.FIX_REPLY: "fixed"}


@dataclass(frozen=True)
class Look:
    """How a message reads beyond its alert: a status emoji ('resolved', 'reminder', 'fixed'
    or ''), a struck-through heading (an incident's opening once resolved), an extra context
    `note` (our own words, escaped anyway), and how many items it lists."""

    status: str = ""
    strike: bool = False
    note: str = ""
    max_items: int = MAX_ITEMS


def alert_message(alert: Alert, *, note: str = "", follows: str = "") -> Message:
    """An alert as Slack shows it; `follows` names the message a follow-up that cannot be
    threaded (a webhook) comes after."""
    title = f"{alert.title} (follows: {follows})" if follows else alert.title
    return render(title, alert.severity, alert.items, source="" if follows else alert.source,
                  look=Look(_STATUS.get(alert.kind, ""), note=note))


def resolved_opening(opening: Alert, resolution: Alert) -> Message:
    """An incident's opening message as it should read once resolved: struck through, with the duration."""
    note = f"resolved after {resolution.duration}" if resolution.duration else "resolved"
    return render(opening.title, opening.severity, opening.items, source=opening.source,
                  look=Look("resolved", strike=True, note=note))


def render(
    title: str, severity: str, events: Sequence[Event] = (), *, source: str = "", look: Look = Look()
) -> Message:
    """Render one message: a heading, one line per event (capped), and a context line."""
    emoji = STATUS_EMOJI.get(look.status) or EMOJI.get(severity, "")
    heading = escape.clip(escape.text(title), TITLE_LIMIT)
    if look.strike:
        heading = f"~{heading}~ resolved"
    blocks: list[dict[str, Any]] = [_section(f"{emoji} *{heading}*".strip())]
    lines = display_items(tuple(events))
    shown = lines[: look.max_items]
    hidden = len(lines) - len(shown)
    for chunk in _pack((_line(e) for e in shown), SECTION_LIMIT):
        blocks.append(_section(chunk))
    # Packing cannot exceed max_items sections, but a caller may raise max_items.
    room = MAX_BLOCKS - 2
    if len(blocks) > room:
        hidden += sum(c["text"]["text"].count("\n") + 1 for c in blocks[room:])
        blocks = blocks[:room]
    if hidden > 0:
        blocks.append(_context(f"…and {hidden} more (see `trackbot events`)"))
    facts = [severity, escape.text(source) if source else "", _count(len(events)), escape.text(look.note)]
    blocks.append(_context(" · ".join(f for f in facts if f)))
    return Message(_fallback(severity, title, events, look.status), tuple(blocks))


def _line(event: Event) -> str:
    """One event as a mrkdwn bullet: kind, product and version, summary, and a safe link."""
    what = " ".join(escape.text(v) for v in (event.product, event.version) if v)
    summary = escape.text(escape.labels(event.summary))
    kind = escape.text(event.kind)
    if kind in ("", AlertKind.BASELINE):
        line = f"• {summary}"
    else:
        line = f"• *{kind}* {what}: {summary}" if what else f"• *{kind}* {summary}"
    url = event.data.get("url")
    if url:
        line += " " + escape.link(url, "details")
    return escape.clip(line, LINE_LIMIT)


def _pack(lines: Iterable[str], limit: int) -> list[str]:
    """Join lines into as few chunks of at most `limit` characters as possible."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:limit])
    return chunks


def _fallback(severity: str, title: str, events: Sequence[Event], status: str) -> str:
    head = f"[{status or severity}] {escape.text(title)}"
    lines = [head] + [f"- {escape.text(escape.labels(e.summary or e.key))}" for e in events[:5]]
    if len(events) > 5:
        lines.append(f"…and {len(events) - 5} more")
    return escape.clip("\n".join(lines), FALLBACK_LIMIT)


def _count(n: int) -> str:
    if n == 0:
        return ""
    return "1 event" if n == 1 else f"{n} events"


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT], "verbatim": True}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": escape.clip(mrkdwn, CONTEXT_LIMIT), "verbatim": True}],
    }
