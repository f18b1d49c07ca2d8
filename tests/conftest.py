"""Shared fixtures: a real HTTP server on 127.0.0.1 whose answers each test programs."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import utcnow
from bot.deliver.loop import ConsoleSink, deliver_pending
from bot.poll.cycle import run_poll

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304 when the body is unchanged
    delay: float = 0.0  # seconds to wait before answering (a slow upstream)


class Web:
    """A programmable web server: `web.routes[path] = Route(...)`; `web.requests` logs each call."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                web.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = web.routes.get(self.path)
                if route is not None and route.delay:
                    time.sleep(route.delay)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                tag = '"' + hashlib.sha1(route.body).hexdigest() + '"'
                if route.etag and route.status == 200 and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                if route.etag:
                    self.send_header("ETag", tag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web():
    server = Web()
    yield server
    server.close()


@dataclass
class Polled:
    """What one `trackbot poll` did: each source's result, then the delivery of the outbox."""

    results: list[Any]
    failed: list[Any]
    delivery: Any


async def poll_and_deliver(config: Any, store: Any, *, deliverer: Any = None, **options: Any) -> Polled:
    """One `trackbot poll` as the CLI does it: the poll's writes, then delivery of the outbox."""
    report = await run_poll(config, store, **options)
    clock = options.get("clock", utcnow)
    delivery = deliver_pending(store, deliverer or ConsoleSink(), clock)
    return Polled(report.results, report.failed, delivery)
