"""The digest as Slack blocks (`digest --post`): a header, then one section per part of the digest.

Slack caps a section's text at 3000 characters and a message at 50 blocks, so long parts
are cut with a note pointing to the HTML or Markdown file.
"""

from __future__ import annotations

from typing import Any

from bot.core.errors import TrackbotError
from bot.core.settings import SlackConf
from bot.deliver.loop import Delivered
from bot.deliver.slack.blocks import Message
from bot.deliver.slack.client import from_env
from bot.deliver.slack.escape import text as mrkdwn_text
from bot.read.digest.markdown import pin_sentence

SECTION_LIMIT = 2900


def blocks(digest: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[tuple[str, list[str]]] = [
        ("Pins that need action", digest["needs_action"] or ["Nothing."]),
        ("Pins", [pin_sentence(r) for r in digest["pins"]] or ["No pins."]),
        ("Open incidents", [f"{i['kind']} {i['source']}: open for {i['age']}" for i in digest["incidents"]] or ["None."]),
        (f"Events ({digest['event_count']})",
         [f"{g['product']} ({g['count']}): " + "; ".join(f"[{e['severity']}] {e['summary']}" for e in g["events"][:5])
          for g in digest["events"]]
         or ["Nothing new."]),
        ("Silenced", [f"{e['summary']} (silenced: {e['reason']})" for e in digest["silenced"]] or ["None."]),
        ("Source health", [f"{h['source']}: failing since {h['since'][:16]}" for h in digest["sources"]]
         or ["Every source answered."]),
    ]
    out: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": digest["title"][:150]}}]
    for title, lines in parts:
        text = f"*{title}*\n" + "\n".join(f"• {mrkdwn_text(line)}" for line in lines)
        if len(text) > SECTION_LIMIT:
            text = text[:SECTION_LIMIT] + "\n… (cut: see `trackbot digest --out digest.html`)"
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return out


def post(conf: SlackConf, digest: dict[str, Any], channel: str = "") -> str:
    """Post the digest's blocks to `channel`, else the digest channel; returns the channel, raises
    TrackbotError if not posted."""
    client = from_env(conf)
    if client is None:
        raise TrackbotError(f"--post needs Slack: set ${conf.token_env} or ${conf.webhook_env}")
    channel = channel or conf.digest_channel or conf.channel
    outcome = client.post(channel, Message(digest["title"], tuple(blocks(digest))))
    if not isinstance(outcome, Delivered):
        raise TrackbotError(f"digest not posted to {channel}: {outcome.reason}")
    return channel
