"""The Slack deliverer the outbox calls: routing, threads, edits, silences, follow-ups.

`bot.deliver.deliver_pending` walks the outbox oldest first and marks a row sent only
when this returns Delivered (Slack answered ok). Each row makes at most one new Slack
post; an incident's resolution also edits the opening message (chat.update), done
*before* the reply because an edit repeated after a crash is harmless.

Threads: an incident's opening message ts is stored on its alert row; reminders,
updates and the resolution reply in that thread. A fix reply goes to the thread of the
regression or advisory it answers. With a webhook (no ts, no edits) follow-ups are new
messages that name what they follow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot import silence
from bot.clock import parse_interval, utcnow
from bot.config import SlackConf
from bot.deliver import Delivered, Fatal, Outcome, Skipped
from bot.errors import ConfigError
from bot.slack import blocks, followups, routing
from bot.slack.blocks import Message
from bot.slack.client import SlackDeliverer, WebhookDeliverer, from_env
from bot.store import Store

FOLLOW_UPS = ("incident_update", "incident_resolved", "fix_reply")


class SlackAlertDeliverer:
    name = "slack"

    def __init__(
        self,
        client: SlackDeliverer | WebhookDeliverer,
        conf: SlackConf,
        repeat: timedelta,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = client
        self.conf = conf
        self.repeat = repeat
        self.clock = clock or utcnow

    def prepare(self, store: Store, now: datetime) -> None:
        """Queue fix replies and due reminders before the backlog is sent."""
        followups.queue_fix_replies(store, now)
        followups.queue_reminders(store, now, self.repeat)

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome:
        parent = self._parent(alert, store)
        if alert["kind"] in FOLLOW_UPS and parent and parent["state"] == "silenced":
            return Skipped("follows a silenced alert", "silenced", parent.get("silenced_by"))
        kept, hit = silence.split(alert, store.silences(self.clock()))
        if hit is not None and not kept:
            return Skipped(f"silenced: {hit.get('reason') or 'no reason given'}", "silenced", hit["id"])
        note = f"{len(alert['payload']) - len(kept)} silenced" if hit is not None else ""
        message = blocks.render(
            alert["title"], alert["severity"], kept, source=alert.get("source") or "", note=note,
            status=_STATUS.get(alert["kind"], ""),
        )  # fmt: skip
        if alert["kind"] in FOLLOW_UPS:
            return self._follow_up(alert, parent, message)
        channel = self._route(alert, alert["severity"])
        if channel is None:
            return Skipped("info never pages: kept for the digest", "skipped")
        return self._post(channel, message)

    def _follow_up(self, alert: dict[str, Any], parent: dict[str, Any] | None, message: Message) -> Outcome:
        threaded = bool(
            parent and parent["state"] == "sent" and parent.get("ts") and self.client.supports_threads
        )
        if not threaded or parent is None:
            severity = parent["severity"] if parent else alert["severity"]
            channel = self._route(alert, severity if severity != "info" else "warning")
            if parent:
                message = blocks.render(f"{alert['title']} (follows: {parent['title']})", alert["severity"],
                                        alert["payload"], status=_STATUS.get(alert["kind"], ""))  # fmt: skip
            return self._post(channel or self.conf.channel, message)
        if alert["kind"] == "incident_resolved":
            edited = self.client.update(parent["channel"], parent["ts"], _resolved_parent(parent, alert))
            if not isinstance(edited, (Delivered, Fatal)):
                return edited  # Slack down: nothing posted yet, retry the whole row later
        return self._post(parent["channel"], message, thread_ts=parent["ts"])

    def _post(self, channel: str, message: Message, *, thread_ts: str = "") -> Outcome:
        outcome = self.client.post(channel, message, thread_ts=thread_ts)
        if isinstance(outcome, Fatal) and message.blocks:
            outcome = self.client.post(channel, Message(message.text, ()), thread_ts=thread_ts)  # text only
        if isinstance(outcome, Delivered):
            return Delivered(channel=outcome.channel or channel, ts=outcome.ts, thread_ts=thread_ts)
        return outcome

    def _route(self, alert: dict[str, Any], severity: str) -> str | None:
        products = [str(e.get("product") or "") for e in alert["payload"] if e.get("product")]
        return routing.route(severity, products[0] if products else "", channels=self.conf.channels,
                             default=self.conf.channel, kind=alert["kind"])  # fmt: skip

    def _parent(self, alert: dict[str, Any], store: Store) -> dict[str, Any] | None:
        if alert["kind"] == "fix_reply" and alert.get("reply_to"):
            return store.alert(alert["reply_to"])
        if alert["kind"] in ("incident_update", "incident_resolved") and alert.get("incident_key"):
            thread = store.incident_thread(alert["incident_key"], alert["id"])
            return thread[0] if thread else None
        return None


_STATUS = {"incident_resolved": "resolved", "incident_update": "reminder", "fix_reply": "fixed"}


def _resolved_parent(parent: dict[str, Any], resolution: dict[str, Any]) -> Message:
    """The opening message as it should read once resolved: struck through, with the duration."""
    duration = next((e.get("duration") for e in resolution["payload"] if e.get("duration")), "")
    note = f"resolved after {duration}" if duration else "resolved"
    return blocks.render(parent["title"], parent["severity"], parent["payload"], source=parent.get("source") or "",
                         status="resolved", strike=True, note=note)  # fmt: skip


def build(
    conf: SlackConf, environ: Any = None, clock: Callable[[], datetime] | None = None
) -> SlackAlertDeliverer | None:
    """The Slack deliverer for this config and environment, or None (console)."""
    try:
        repeat = parse_interval(conf.repeat)
    except ValueError as exc:
        raise ConfigError(f"slack: 'repeat' {exc}") from None
    client = from_env(conf, environ)
    if client is None:
        return None
    return SlackAlertDeliverer(client, conf, repeat, clock)
