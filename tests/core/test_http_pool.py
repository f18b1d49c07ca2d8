"""The poll's HTTP transport (bot/poll/http_pool.py): cheaper idle checks, same behaviour as httpx's own."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from bot.poll.fetch import FetchPolicy, make_client
from bot.poll.http_pool import CheckedBackend, make_transport


def test_the_poll_uses_the_checked_backend_unless_a_proxy_is_set(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    transport = make_transport()
    # If an httpx or httpcore upgrade moves what make_transport sets, this fails (the poll would
    # silently fall back to httpx's slower transport).
    assert transport is not None and isinstance(transport._pool._network_backend, CheckedBackend)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert make_transport() is None  # httpx keeps its proxy handling


class _ClosingServer:
    """HTTP/1.1 on 127.0.0.1 that answers keep-alive (no `Connection: close`) and then hangs up
    once the answer is read: the next request on that connection would find it dead."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/feed"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")


@pytest.mark.asyncio
async def test_a_connection_the_server_closed_while_idle_is_not_reused(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = _ClosingServer()
    try:
        async with make_client(FetchPolicy(timeout=5)) as client:
            assert isinstance(client._transport._pool._network_backend, CheckedBackend)
            bodies = []
            for _ in range(3):
                response = await client.get(server.url)
                bodies.append(response.text)
                await asyncio.sleep(0.05)  # the server's close reaches the idle connection
        assert bodies == ["ok", "ok", "ok"]
        assert server.connections == 3  # each dead idle connection was noticed and replaced
    finally:
        server.listener.close()

