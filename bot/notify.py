"""Destinations beyond Slack: `notify:` in sources.yaml, each with a minimum severity.

Two senders: any Apprise URL (`url_env`: mail, PagerDuty, Opsgenie, Microsoft Teams, Matrix...;
the optional extra `trackbot[notify]`), and a JSON webhook (`webhook_env`) that needs nothing
extra and signs each body like newreleases.io: `X-Trackbot-Signature: sha256=<hex>` where hex is
HMAC-SHA256 with the `secret_env` key over `<X-Trackbot-Timestamp> + "." + <body>`, so the
receiver can check who sent it and refuse a replay (an old timestamp).

They go through the same outbox as Slack: the alerts are already in the database, and each
destination has its own delivery row per alert (store_ops.py), marked sent in its own
transaction right after the destination accepts it. Nothing is lost (a destination that is
down keeps its rows queued and gets them, in order, when it is back), and a crash between the
send and that mark repeats at most that one alert. A destination added later receives what
is still waiting and everything after, not the whole history. Silences apply as for Slack.

A URL is a secret: it is read from the environment at send time and never appears in a
message, a log line or the database; a destination is named by its variable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from bot import silence
from bot.config import SEVERITIES, NotifyConf
from bot.deliver import Delivered, Deliverer, Fatal, Outcome, Retry
from bot.render import alert_lines, printable
from bot.store import Store

try:  # optional: `pip install 'trackbot[notify]'`
    import apprise
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    apprise = None  # type: ignore[assignment]

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


def message(alert: Mapping[str, Any], kept: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What a destination receives: the alert as the console renders it, plus its facts."""
    lines = [defang(line) for line in alert_lines({**alert, "payload": list(kept)})]
    return {"id": alert["id"], "severity": alert["severity"], "kind": alert["kind"], "source": alert.get("source") or "",
            "title": defang(alert["title"]), "lines": lines, "event_keys": alert.get("event_keys") or [],
            "created_at": alert["created_at"]}


class Sender(Protocol):
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
        return Retry(reason)


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


@dataclass(frozen=True)
class Destination:
    name: str
    min_severity: str
    sender: Sender

    @property
    def severities(self) -> tuple[str, ...]:
        return SEVERITIES[SEVERITIES.index(self.min_severity):]


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


@dataclass
class DestinationReport:
    name: str
    sent: int = 0
    queued: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"notify {self.name}: {self.sent} delivered, {self.queued} queued"
        return text + (f" (last error: {self.errors[-1]})" if self.errors else "")


def deliver_destination(store: Store, destination: Destination, now: datetime) -> DestinationReport:
    """Send `destination` its backlog oldest first; a Retry stops it (order kept), a Fatal skips one."""
    store.enqueue_deliveries(destination.name, destination.severities, store.destination_since(destination.name, now))
    report = DestinationReport(destination.name)
    silences = store.silences(now)
    pending = store.pending_deliveries(destination.name)
    for index, alert in enumerate(pending):
        kept, hit = silence.split(alert, silences)
        if hit is not None and not kept:
            store.finish_delivery(alert["id"], destination.name, "silenced", now, hit.get("reason") or "")
            report.skipped += 1
            continue
        outcome = destination.sender.send(message(alert, kept))
        if isinstance(outcome, Delivered):
            store.finish_delivery(alert["id"], destination.name, "sent", now)
            report.sent += 1
            continue
        reason = outcome.reason if isinstance(outcome, (Retry, Fatal)) else "skipped"
        store.delivery_failed(alert["id"], destination.name, reason)
        report.errors.append(reason)
        if isinstance(outcome, Retry):
            report.queued += len(pending) - index
            break
        report.queued += 1
    return report


class NotifyingDeliverer:
    """The outbox's deliverer (Slack or console) plus the `notify:` destinations, which are served
    in `prepare`, the hook `deliver_pending` calls once per run before the Slack backlog."""

    def __init__(self, primary: Deliverer, targets: Sequence[Destination]) -> None:
        self.primary = primary
        self.name = primary.name
        self.targets = list(targets)
        self.reports: list[DestinationReport] = []

    def prepare(self, store: Store, now: datetime) -> None:
        prepare = getattr(self.primary, "prepare", None)
        if prepare is not None:
            prepare(store, now)
        self.reports = [deliver_destination(store, target, now) for target in self.targets]

    def deliver(self, alert: dict[str, Any], store: Store) -> Outcome:
        return self.primary.deliver(alert, store)
