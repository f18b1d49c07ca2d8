"""The weekly digest: everything detected in a period, grouped by product, loudest first.

Info events (new releases touching no pin, baseline facts excluded) only ever reach the
team here, so the digest is plain text that works in a terminal, a file or Slack.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bot.deliver import Delivered
from bot.errors import TrackbotError
from bot.model import severity_rank
from bot.render import printable
from bot.slack import blocks
from bot.slack.client import from_env

PER_KIND = 15


def digest_text(events: Sequence[dict[str, Any]], since_label: str) -> str:
    fresh = [e for e in events if not e["baseline"]]
    if not fresh:
        return f"trackbot digest ({since_label}): nothing new."
    lines = [f"trackbot digest ({since_label}): {len(fresh)} events"]
    by_product: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in fresh:
        by_product[event["product"] or "(repositories and sources)"].append(event)
    for product in sorted(by_product, key=lambda p: (-_loudest(by_product[p]), p)):
        lines.append("")
        lines.append(f"{product}:")
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in by_product[product]:
            by_kind[event["kind"]].append(event)
        for kind, items in sorted(by_kind.items(), key=lambda kv: -_loudest(kv[1])):
            lines.append(f"  {kind} ({len(items)})")
            for event in items[:PER_KIND]:
                lines.append(f"    - [{event['severity']}] {event['summary']}")
            if len(items) > PER_KIND:
                lines.append(f"    ... and {len(items) - PER_KIND} more")
    return printable("\n".join(lines))


def _loudest(events: Sequence[dict[str, Any]]) -> int:
    return max(severity_rank(e["severity"]) for e in events)


def digest_events(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The period's news, loudest first, baseline facts left out."""
    fresh = [e for e in events if not e["baseline"]]
    return sorted(fresh, key=lambda e: (-severity_rank(e["severity"]), e["product"], e["detected_at"]))


def post_digest(slack: Any, events: Sequence[dict[str, Any]], since_label: str) -> str:
    """Post the digest to the digest channel; returns where it went, raises TrackbotError if it did not."""
    client = from_env(slack)
    if client is None:
        raise TrackbotError(f"--post needs Slack: set ${slack.token_env} or ${slack.webhook_env}")
    news = digest_events(events)
    title = f"trackbot digest ({since_label}): " + (f"{len(news)} events" if news else "nothing new")
    message = blocks.render(title, "info", news, source="digest", max_items=40)
    channel = slack.digest_channel or slack.channel
    outcome = client.post(channel, message)
    if not isinstance(outcome, Delivered):
        raise TrackbotError(f"digest not posted to {channel}: {outcome.reason}")
    return channel
