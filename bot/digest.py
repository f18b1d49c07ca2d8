"""The weekly digest: everything detected in a period, grouped by product, loudest first.

Info events (new releases touching no pin, baseline facts excluded) only ever reach the
team here, so the digest is plain text that works in a terminal, a file or Slack. This
module renders only; posting it is delivery's (`bot.slack.sink.post_digest`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.model import Event, severity_rank
from bot.render import printable
from bot.store import StoredEvent

PER_KIND = 15


def digest_text(events: Sequence[StoredEvent], since_label: str) -> str:
    fresh = [e for e in events if not e.baseline]
    if not fresh:
        return f"trackbot digest ({since_label}): nothing new."
    lines = [f"trackbot digest ({since_label}): {len(fresh)} events"]
    by_product: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in fresh:
        by_product[event.product or "(repositories and sources)"].append(event)
    for product in sorted(by_product, key=lambda p: (-_loudest(by_product[p]), p)):
        lines.append("")
        lines.append(f"{product}:")
        by_kind: dict[str, list[StoredEvent]] = defaultdict(list)
        for event in by_product[product]:
            by_kind[event.kind].append(event)
        for kind, items in sorted(by_kind.items(), key=lambda kv: -_loudest(kv[1])):
            lines.append(f"  {kind} ({len(items)})")
            for event in items[:PER_KIND]:
                lines.append(f"    - [{event.severity}] {event.summary}")
            if len(items) > PER_KIND:
                lines.append(f"    ... and {len(items) - PER_KIND} more")
    return printable("\n".join(lines))


def _loudest(events: Sequence[Event]) -> int:
    return max(severity_rank(e.severity) for e in events)


def digest_events(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The period's news, loudest first, baseline facts left out."""
    fresh = [e for e in events if not e.baseline]
    return sorted(fresh, key=lambda e: (-severity_rank(e.severity), e.product, e.detected_at))


def digest_title(news: Sequence[Event], since_label: str) -> str:
    """The heading of the digest message posted to Slack."""
    return f"trackbot digest ({since_label}): " + (f"{len(news)} events" if news else "nothing new")
