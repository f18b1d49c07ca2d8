"""The Slack sink the delivery loop hands alerts to: routing, threads, edits, follow-ups.

`bot.deliver.loop.deliver_pending` walks the outbox oldest first, works out each alert's
thread and silences, and marks a row sent only when `send` returns Delivered (Slack
answered ok). Each row makes at most one new Slack post; an incident's resolution also
edits the opening message (chat.update), done *before* the reply because an edit
repeated after a crash is harmless. Rendering is `bot.deliver.slack.blocks`; the wire is
`bot.deliver.slack.client`.

Threads: an incident's opening message ts is stored on its alert row; reminders,
updates and the resolution reply in that thread. A fix reply goes to the thread of the
regression or advisory it answers. With a webhook (no ts, no edits) follow-ups are new
messages that name what they follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.alert import FOLLOW_UPS, Alert, AlertKind, AlertState
from bot.core.clock import parse_interval
from bot.core.errors import ConfigError
from bot.core.settings import SlackConf
from bot.deliver.loop import Delivered, Fatal, Outcome, Outgoing, Skipped
from bot.deliver.slack import blocks, followups, routing
from bot.deliver.slack.blocks import Message
from bot.deliver.slack.client import Transport, from_env
from bot.store.history import Store


class SlackSink:
    name = "slack"

    def __init__(self, client: Transport, conf: SlackConf, repeat: timedelta) -> None:
        self.client = client
        self.conf = conf
        self.repeat = repeat

    def prepare(self, store: Store, now: datetime) -> None:
        """Queue fix replies and due reminders before the backlog is sent."""
        followups.queue_fix_replies(store, now)
        followups.queue_reminders(store, now, self.repeat)

    def send(self, outgoing: Outgoing) -> Outcome:
        alert, parent = outgoing.alert, outgoing.parent
        note = f"{outgoing.silenced} silenced" if outgoing.silenced else ""
        if alert.kind in FOLLOW_UPS:
            return self._follow_up(alert, parent, note)
        channel = self._route(alert, alert.severity)
        if channel is None:
            return Skipped("info never pages: kept for the digest")
        return self._post(channel, blocks.alert_message(alert, note=note))

    def _follow_up(self, alert: Alert, parent: Alert | None, note: str) -> Outcome:
        threaded = bool(parent and parent.state == AlertState.SENT and parent.ts and self.client.supports_threads)
        if not threaded or parent is None:
            severity = parent.severity if parent else alert.severity
            channel = self._route(alert, severity if severity != "info" else "warning")
            message = blocks.alert_message(alert, note=note, follows=parent.title if parent else "")
            return self._post(channel or self.conf.channel, message)
        if alert.kind == AlertKind.INCIDENT_RESOLVED:
            edited = self.client.update(parent.channel, parent.ts, blocks.resolved_opening(parent, alert))
            if not isinstance(edited, (Delivered, Fatal)):
                return edited  # Slack down: nothing posted yet, retry the whole row later
        return self._post(parent.channel, blocks.alert_message(alert, note=note), thread_ts=parent.ts)

    def _post(self, channel: str, message: Message, *, thread_ts: str = "") -> Outcome:
        outcome = self.client.post(channel, message, thread_ts=thread_ts)
        if isinstance(outcome, Fatal) and message.blocks:
            outcome = self.client.post(channel, Message(message.text, ()), thread_ts=thread_ts)  # text only
        if isinstance(outcome, Delivered):
            return Delivered(channel=outcome.channel or channel, ts=outcome.ts, thread_ts=thread_ts)
        return outcome

    def _route(self, alert: Alert, severity: str) -> str | None:
        products = [e.product for e in alert.items if e.product]
        return routing.route(severity, products[0] if products else "", channels=self.conf.channels,
                             default=self.conf.channel, kind=alert.kind)  # fmt: skip


def build(conf: SlackConf, environ: Mapping[str, str] | None = None) -> SlackSink | None:
    """The Slack sink for this config and environment, or None (console)."""
    try:
        repeat = parse_interval(conf.repeat)
    except ValueError as exc:
        raise ConfigError(f"slack: 'repeat' {exc}") from None
    client = from_env(conf, environ)
    if client is None:
        return None
    return SlackSink(client, conf, repeat)
