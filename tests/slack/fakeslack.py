"""A fake Slack Web API on 127.0.0.1 for tests.

slack-sdk speaks urllib, which respx cannot see, so tests point a real `WebClient`
(`base_url=fake.api_url`) or `WebhookClient` (`fake.webhook_url`) at this small real
HTTP server. It records every call and answers from a script:

    fake.queue(Answer.server_error(), Answer.rate_limited(2))   # the next two calls
    fake.always(Answer.invalid_auth())                          # every call until reset
    fake.reset()                                                # back to ok

Calls that Slack would accept are kept as messages (with ts, thread_ts and edits), so a
test can assert what a channel would show.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_PATH = "/services/T0FAKE/B0FAKE/"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: dict[str, Any] | str | None = None  # None: the normal ok answer for the method
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait after recording the call, before answering

    @classmethod
    def ok(cls, delay: float = 0.0) -> Answer:
        return cls(delay=delay)

    @classmethod
    def server_error(cls) -> Answer:
        return cls(500, "<html><body>Internal Server Error</body></html>")

    @classmethod
    def rate_limited(cls, after: int = 1) -> Answer:
        return cls(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(after)})

    @classmethod
    def invalid_auth(cls) -> Answer:
        return cls(200, {"ok": False, "error": "invalid_auth"})

    @classmethod
    def error(cls, code: str) -> Answer:
        return cls(200, {"ok": False, "error": code})


@dataclass
class Call:
    method: str  # "chat.postMessage", "chat.update", "auth.test" or "webhook"
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int = 0  # the HTTP status sent back


class FakeSlack:
    def __init__(self, token: str = "xoxb-fake-test-token", hook_secret: str = "s3cr3tW3bh00kPart") -> None:
        self.token = token
        self.hook_secret = hook_secret
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []  # accepted chat.postMessage / webhook posts
        self._script: deque[Answer] = deque()
        self._always: Answer | None = None
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    @property
    def webhook_url(self) -> str:
        return self.base + WEBHOOK_PATH + self.hook_secret

    def queue(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def always(self, answer: Answer) -> None:
        with self._lock:
            self._always = answer

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._always = None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Accepted messages (top level and replies), oldest first."""
        return [m for m in self.messages if channel is None or m.get("channel") == channel]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def _answer(
        self, method: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[Answer, dict | str]:
        with self._lock:
            call = Call(method, headers, body)
            self.calls.append(call)
            answer = self._script.popleft() if self._script else (self._always or Answer.ok())
            if method != "webhook" and method != "auth.test" and answer.body is None:
                auth = headers.get("authorization", "")
                if auth != f"Bearer {self.token}":
                    answer = Answer.invalid_auth()
            call.answered = answer.status
            if answer.body is not None:
                return answer, answer.body
            return answer, self._accept(method, headers, body)

    def _accept(self, method: str, headers: dict[str, str], body: dict[str, Any]) -> dict | str:
        if method == "auth.test":
            if headers.get("authorization", "") != f"Bearer {self.token}":
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "user": "trackbot", "team": "Fleet Ops", "user_id": "U0BOT"}
        if method == "webhook":
            self.messages.append({**body, "channel": "#webhook", "ts": ""})
            return "ok"
        if method == "chat.update":
            for msg in self.messages:
                if msg["ts"] == body.get("ts") and msg["channel"] == body.get("channel"):
                    msg.update(text=body.get("text"), blocks=body.get("blocks"), edited=True)
                    return {"ok": True, "channel": msg["channel"], "ts": msg["ts"]}
            return {"ok": False, "error": "message_not_found"}
        ts = f"{1700000000 + next(self._ts)}.000100"
        self.messages.append({**body, "ts": ts})
        return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"text": body.get("text")}}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.path.startswith("/api/"):
                method = self.path[len("/api/") :].split("?")[0]
            elif self.path == WEBHOOK_PATH + fake.hook_secret:
                method = "webhook"
            else:
                self._send(404, "no_service", {})
                return
            try:
                body = json.loads(raw) if raw.startswith("{") else dict(parse_qsl(raw))
            except ValueError:
                body = {"_raw": raw}
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer, payload = fake._answer(method, headers, body)
            if answer.delay:
                time.sleep(answer.delay)
            self._send(answer.status, payload, answer.headers)

        def _send(self, status: int, payload: dict | str, headers: dict[str, str]) -> None:
            data = (json.dumps(payload) if isinstance(payload, dict) else payload).encode()
            self.send_response(status)
            ctype = "application/json" if isinstance(payload, dict) else "text/plain"
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
            return

    return Handler
