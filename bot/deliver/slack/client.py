"""Slack's two transports (the Web API with a bot token, an incoming webhook): post an
already rendered `Message` and say plainly what happened.

Each call returns an outcome instead of raising, so the outbox can decide:

    Delivered(channel, ts)  Slack answered ok: mark the alert sent (ts is "" for webhooks)
    Retry(reason, after)    Slack is down, slow, rate limited (429: honour Retry-After),
                            answered 5xx, or refused our credentials or channel: keep the
                            alert queued and stop this run's delivery
    Fatal(reason)           Slack will never accept this message as it is (invalid blocks,
                            too long, unknown thread): the caller may re-render or give up

Unknown errors are Retry: an alert that cannot be sent stays queued and is reported every
poll, it is never dropped silently. Secrets come from environment variables whose NAMES are
in the config; the token and the webhook URL are redacted from every reason string and
every log record slack-sdk emits (slack-sdk logs the webhook URL at DEBUG level).
Every call has a timeout; slack-sdk's own retry handlers are disabled so a run never sleeps
inside a library.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot.core.settings import SlackConf
from bot.deliver.loop import Delivered, Fatal, Outcome, Retry
from bot.deliver.slack.blocks import Message

TIMEOUT = 10

# Answers that mean "this message, as built, will never be accepted".
FATAL_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "invalid_arguments", "invalid_form_data", "invalid_payload", "message_not_found",
    "cant_update_message", "edit_window_closed", "thread_not_found", "invalid_thread_ts",
})  # fmt: skip


@dataclass(frozen=True)
class CheckResult:
    """What `trackbot check` learns of a transport: will it deliver, and one line saying so."""

    works: bool
    line: str


_TOKEN_RE = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")
_HOOK_RE = re.compile(r"https?://[^\s/]*slack[^\s/]*/services/[^\s'\"]+")


class Redactor(logging.Filter):
    """Removes known secrets (and anything shaped like a Slack token or hook URL) from text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        parts = [s for s in secrets if s]
        for secret in list(parts):
            path = secret.split("://", 1)[-1].partition("/")[2]
            if len(path) >= 8:
                parts.append("/" + path)  # a webhook URL's path alone is the secret
        self._secrets = sorted(set(parts), key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = str(text)
        for secret in self._secrets:
            out = out.replace(secret, "[redacted]")
        out = _HOOK_RE.sub("[redacted]", out)
        return _TOKEN_RE.sub("[redacted]", out)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _sdk_logger(redact: Redactor) -> logging.Logger:
    """A private logger for slack-sdk: INFO and up only, every record redacted."""
    logger = logging.Logger("bot.deliver.slack.sdk", logging.INFO)
    parent = logging.getLogger("bot.deliver.slack")
    if not parent.handlers:
        parent.addHandler(logging.NullHandler())  # outcomes carry the errors; no stray stderr lines
    logger.parent = parent
    logger.addFilter(redact)
    return logger


class SlackWebApi:
    """Posts, threads and edits through a bot token (chat.postMessage / chat.update)."""

    supports_threads = True

    def __init__(self, token: str, *, base_url: str = "", env_name: str = "", timeout: int = TIMEOUT) -> None:
        self.redact = Redactor([token])
        self.env_name = env_name
        self._last: dict[str, Any] = {}
        url = base_url or WebClient.BASE_URL
        self._client = WebClient(
            token=token,
            base_url=url if url.endswith("/") else url + "/",
            timeout=timeout,
            logger=_sdk_logger(self.redact),
            retry_handlers=[],
        )

    def post(self, channel: str, message: Message, *, thread_ts: str = "") -> Outcome:
        args: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": list(message.blocks)}
        if thread_ts:
            args["thread_ts"] = thread_ts
        # No link unfurling, no @name parsing: nothing upstream may expand or notify.
        args.update(unfurl_links=False, unfurl_media=False, link_names=False, parse="none")
        return self._call("chat.postMessage", args)

    def update(self, channel: str, ts: str, message: Message) -> Outcome:
        args = {"channel": channel, "ts": ts, "text": message.text, "blocks": list(message.blocks)}
        return self._call("chat.update", {**args, "link_names": False, "parse": "none"})

    def check(self) -> CheckResult:
        """Does auth.test accept the token, and as whom."""
        outcome = self._call("auth.test", {})
        if isinstance(outcome, Delivered):
            who = self._last.get("user") or "?"
            team = self._last.get("team") or "?"
            return CheckResult(True, f"token in ${self.env_name} works: bot @{who} in {team}")
        reason = outcome.reason if isinstance(outcome, (Retry, Fatal)) else "no answer"
        return CheckResult(False, f"token in ${self.env_name} does not work: {reason}")

    def _call(self, method: str, args: Mapping[str, Any]) -> Outcome:
        self._last = {}
        try:
            if method == "auth.test":
                response = self._client.auth_test()
            else:
                response = self._client.api_call(method, json=dict(args))
        except SlackApiError as exc:
            return self._from_error(method, exc)
        except Exception as exc:  # noqa: BLE001 - any failure to reach Slack keeps the alert queued
            return Retry(self.redact(f"{method}: Slack unreachable: {type(exc).__name__}: {exc}")[:300])
        data = response.data if isinstance(response.data, dict) else {}
        self._last = data
        return Delivered(channel=str(data.get("channel") or ""), ts=str(data.get("ts") or ""))

    def _from_error(self, method: str, exc: SlackApiError) -> Outcome:
        resp = exc.response
        status = int(getattr(resp, "status_code", 0) or 0)
        data = resp.data if isinstance(resp.data, dict) else {}
        error = str(data.get("error") or f"HTTP {status}")
        error = self.redact(error.splitlines()[0] if error else "")[:200]
        return classify(method, status, error, _header(resp.headers, "Retry-After"))


class SlackWebhook:
    """Posts through an incoming webhook. Webhooks return no ts: no threads, no edits."""

    supports_threads = False

    def __init__(self, url: str, *, env_name: str = "", timeout: int = TIMEOUT) -> None:
        self.redact = Redactor([url])
        self.env_name = env_name
        self._client = WebhookClient(url, timeout=timeout, logger=_sdk_logger(self.redact), retry_handlers=[])

    def post(self, channel: str, message: Message, *, thread_ts: str = "") -> Outcome:
        try:
            resp = self._client.send(
                text=message.text, blocks=list(message.blocks), unfurl_links=False, unfurl_media=False
            )
        except Exception as exc:  # noqa: BLE001 - any failure to reach Slack keeps the alert queued
            return Retry(self.redact(f"webhook: Slack unreachable: {type(exc).__name__}: {exc}")[:300])
        body = self.redact((resp.body or "").strip().splitlines()[0] if resp.body else "")[:200]
        if resp.status_code == 200 and body == "ok":
            return Delivered(channel="webhook")
        return classify("webhook", resp.status_code, body or f"HTTP {resp.status_code}",
                        _header(resp.headers, "Retry-After"))  # fmt: skip

    def update(self, channel: str, ts: str, message: Message) -> Outcome:
        return Fatal("a webhook cannot edit messages")

    def check(self) -> CheckResult:
        return CheckResult(
            True, f"webhook in ${self.env_name} is set (not tested: a webhook cannot be checked without posting)"
        )


def classify(method: str, status: int, error: str, retry_after: str | None) -> Outcome:
    """Map Slack's answer to an outcome. Pure, so the table is tested without a server."""
    if status == 429 or error == "ratelimited":
        try:
            after = max(0.0, float(retry_after or 1))
        except ValueError:
            after = 1.0
        return Retry(f"{method}: rate limited by Slack (Retry-After {after:g}s)", after)
    if status >= 500:
        return Retry(f"{method}: Slack answered HTTP {status} ({error})")
    if error in FATAL_ERRORS:
        return Fatal(f"{method}: Slack refused the message: {error}")
    return Retry(f"{method}: Slack refused: {error}")


Transport = SlackWebApi | SlackWebhook


def from_env(conf: SlackConf, environ: Mapping[str, str] | None = None) -> Transport | None:
    """Build a transport from the environment variables the config names; None means console.

    A bot token wins over a webhook: only a token can thread replies and edit messages.
    """
    env = os.environ if environ is None else environ
    token = env.get(conf.token_env, "").strip() if conf.token_env else ""
    if token:
        return SlackWebApi(token, base_url=conf.base_url, env_name=conf.token_env)
    hook = env.get(conf.webhook_env, "").strip() if conf.webhook_env else ""
    if hook:
        return SlackWebhook(hook, env_name=conf.webhook_env)
    return None


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else str(value)
    return None
