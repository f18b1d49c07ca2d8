"""Destinations beyond Slack: `notify:` in sources.yaml, each with a minimum severity.

Two senders: any Apprise URL (`url_env`: mail, PagerDuty, Opsgenie, Microsoft Teams, Matrix...;
the optional extra `trackbot[notify]`), and a JSON webhook (`webhook_env`) that needs nothing
extra and signs each body like newreleases.io: `X-Trackbot-Signature: sha256=<hex>` where hex is
HMAC-SHA256 with the `secret_env` key over `<X-Trackbot-Timestamp> + "." + <body>`, so the
receiver can check who sent it and refuse a replay (an old timestamp).

Each destination is a `Sink` (`Destination`) that `bot.deliver.loop.deliver_pending` serves from
its own queue: the alerts are already in the outbox, and each destination has a delivery row
per alert (`store.deliveries`, bot/store/deliveries.py), marked sent in its own transaction
right after the destination accepts it. Nothing is lost (a destination that is down keeps its
rows queued and gets them, in order, when it is back, without holding back Slack or the
others), and a crash between the send and that mark repeats at most that one alert. A
destination added later receives what is still waiting and everything after, not the whole
history. Threads and silences are worked out by `deliver_pending`, as for Slack: a
destination receives the `Outgoing` it hands over (the silenced items already left out).

A URL is a secret: it is read from the environment at send time and never appears in a
message, a log line or the database; a destination is named by its variable.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from bot.core.lazy import lazy_module
from bot.core.reports import DeliveryReport
from bot.core.settings import NotifyConf
from bot.core.severity import SEVERITIES
from bot.core.text import printable
from bot.deliver.console import alert_lines
from bot.deliver.loop import Delivered, Fatal, Outcome, Outgoing, Retry, deliver_pending
from bot.store.history import Store

if TYPE_CHECKING:
    import apprise
else:  # optional (`pip install 'trackbot[notify]'`), and imported at first use: a poll without
    # `notify:` never pays for it
    apprise = lazy_module("apprise") if importlib.util.find_spec("apprise") else None

logging.getLogger("apprise").addHandler(logging.NullHandler())  # its lines can hold the URL: outcomes say enough
logging.getLogger("apprise").propagate = False

TIMEOUT = 10.0
_MENTION = re.compile(r"([<@])(?=[!@#]|everyone|here|channel|room)", re.IGNORECASE)


def defang(text: str) -> str:
    """Upstream text that cannot ping anyone where it lands (`<!channel>`, `@everyone`, `@room`):
    a zero-width space after the `<` or `@`; control characters removed, as for the console."""
    return _MENTION.sub("\\1\u200b", printable(text))


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-Trackbot-Signature value: HMAC-SHA256 over timestamp + "." + body, hex."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def message(outgoing: Outgoing) -> dict[str, Any]:
    """What a destination receives: the alert as the console renders it (its unsilenced items),
    plus its facts, how many items a silence held back, and the title of what it follows."""
    alert = outgoing.alert
    return {"id": alert.id, "severity": alert.severity, "kind": alert.kind.value, "source": alert.source,
            "title": defang(alert.title), "lines": [defang(line) for line in alert_lines(alert)],
            "event_keys": list(alert.event_keys), "created_at": alert.created_at, "silenced": outgoing.silenced,
            "follows": defang(outgoing.parent.title) if outgoing.parent else ""}


class Sender(Protocol):
    """The wire of one destination: sends a `message` and answers an `Outcome`."""

    def send(self, note: Mapping[str, Any]) -> Outcome: ...


@dataclass(frozen=True)
class Unset:
    """A destination whose variable is missing: its alerts wait (visibly) until it is set."""

    variable: str

    def send(self, note: Mapping[str, Any]) -> Outcome:
        return Retry(f"{self.variable} is not set")


@dataclass(frozen=True)
class WebhookSender:
    name: str
    url: str
    secret: bytes
    clock: Callable[[], float] = time.time

    def send(self, note: Mapping[str, Any]) -> Outcome:
        body = json.dumps(note, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        stamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json", "User-Agent": "trackbot",
                   "X-Trackbot-Timestamp": stamp, "X-Trackbot-Signature": sign(self.secret, stamp, body)}
        try:
            answer = httpx.post(self.url, content=body, headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            return Retry(f"{self.name}: {type(exc).__name__}")  # never str(exc): it can hold the URL
        if answer.is_success:
            return Delivered(channel=self.name)
        reason = f"{self.name}: HTTP {answer.status_code}"
        if answer.status_code in (400, 413, 422):
            return Fatal(f"{reason} (refused this message; the others still go)")
        wait = answer.headers.get("Retry-After", "")
        return Retry(reason, after=float(wait) if wait.isdigit() else None)


@dataclass(frozen=True)
class AppriseSender:
    name: str
    url: str

    def send(self, note: Mapping[str, Any]) -> Outcome:
        if apprise is None:
            return Retry(f"{self.name}: Apprise is not installed (pip install 'trackbot[notify]')")
        service = apprise.Apprise()
        if not service.add(self.url):
            return Fatal(f"{self.name}: not a URL Apprise knows (see its list of services)")
        kind = {"critical": apprise.NotifyType.FAILURE, "warning": apprise.NotifyType.WARNING}
        body = "\n".join(f"- {line}" for line in note["lines"]) or note["title"]
        sent = service.notify(body=body, title=f"[{note['severity']}] {note['title']}",
                              notify_type=kind.get(note["severity"], apprise.NotifyType.INFO),
                              body_format=apprise.NotifyFormat.TEXT)
        return Delivered(channel=self.name) if sent else Retry(f"{self.name}: Apprise could not deliver")


@dataclass
class Destination:
    """A `Sink` for one `notify:` entry: its own queue of the alerts at or above its minimum
    severity (`prepare` adds the new ones), each sent as a `message` by its sender."""

    name: str
    min_severity: str
    sender: Sender

    @property
    def severities(self) -> tuple[str, ...]:
        return SEVERITIES[SEVERITIES.index(self.min_severity):]

    def prepare(self, store: Store, now: datetime) -> None:
        """Queue the alerts new since the last run (those at or above its minimum severity)."""
        store.deliveries.enqueue(self.name, self.severities, now)

    def send(self, outgoing: Outgoing) -> Outcome:
        return self.sender.send(message(outgoing))


def destinations(confs: Sequence[NotifyConf], environ: Mapping[str, str] = os.environ) -> list[Destination]:
    built = []
    for conf in confs:
        url = environ.get(conf.name, "")
        sender: Sender
        if not url:
            sender = Unset(conf.name)
        elif conf.url_env:
            sender = AppriseSender(conf.name, url)
        elif conf.secret_env and not environ.get(conf.secret_env):
            sender = Unset(conf.secret_env)
        else:
            sender = WebhookSender(conf.name, url, environ.get(conf.secret_env, "").encode())
        built.append(Destination(conf.name, conf.min_severity, sender))
    return built


def check(confs: Sequence[NotifyConf], environ: Mapping[str, str] = os.environ) -> list[str]:
    """What `trackbot check` reports about the destinations, without sending anything."""
    problems = []
    for conf in confs:
        missing = [v for v in (conf.name, conf.secret_env) if v and not environ.get(v)]
        if missing:
            problems.append(f"notify {conf.name}: {', '.join(missing)} not set (its alerts will wait)")
        elif conf.url_env and apprise is None:
            problems.append(f"notify {conf.name}: Apprise is not installed (pip install 'trackbot[notify]')")
        elif conf.url_env and not apprise.Apprise().add(environ[conf.url_env]):
            problems.append(f"notify {conf.name}: not a URL Apprise knows")
    return problems


def report_line(name: str, report: DeliveryReport) -> str:
    """What `trackbot poll` says about one destination (named by its variable, never its URL)."""
    text = f"notify {name}: {report.sent} delivered, {report.queued} queued"
    return text + (f" (last error: {report.errors[-1]})" if report.errors else "")


def join(store: Store, targets: Sequence[Destination], now: datetime) -> None:
    """Before a run delivers anything: a destination new in sources.yaml takes part from what
    is still waiting on, so it also gets this run's alerts that the outbox's sink sends first."""
    for target in targets:
        store.deliveries.join(target.name, now)


def deliver_destinations(store: Store, targets: Sequence[Destination],
                         clock: Callable[[], datetime]) -> dict[str, DeliveryReport]:
    """Each destination's backlog through the one delivery loop, from its own queue: a Retry
    stops that destination only (its order kept), a Fatal skips one alert."""
    return {target.name: deliver_pending(store, target, clock, queue=store.deliveries.queue(target.name))
            for target in targets}
