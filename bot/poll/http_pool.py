"""httpx's transport with a cheaper idle-connection check: a fifth of a poll's CPU was spent there.

Before every request and after every response, httpcore's connection pool asks each idle
connection whether its socket has become readable (the server closed it). Through anyio, each
ask rebuilds the stream's attribute table, a `getpeername` system call included, to find the
socket: at concurrency 20 that is 40 asks per request, 20% of a poll whose sources all answer
304 (issue 11). `CheckedStream` wraps anyio's stream and answers that one question from the
socket it looked up once; everything else is anyio's.

httpx offers no public way to hand its pool a network backend, so `make_transport` sets it on
the pool httpx built, and only where that pool is the kind expected (an httpx or httpcore
upgrade that changes it gets httpx's own transport: slower, never wrong; a test pins that
this one is in use). With a proxy in the environment it returns None and the client keeps
httpx's proxy handling, which a custom transport would switch off.
"""

from __future__ import annotations

import select
import socket
import ssl
import urllib.request
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class CheckedStream(httpcore.AsyncNetworkStream):
    """An anyio stream whose "is_readable" answer costs one poll(2), not an attribute table."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return CheckedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return readable(self._socket)
        return self._stream.get_extra_info(info)


def readable(sock: socket.socket) -> bool:
    """Whether a read would return at once (data, or the b"" of a closed peer); a closed socket is."""
    if sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """anyio's backend (what httpcore picks under asyncio), its streams wrapped in CheckedStream."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return CheckedStream(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return CheckedStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def make_transport() -> httpx.AsyncHTTPTransport | None:
    """httpx's default transport on the cheaper backend; None (httpx's own) when a proxy is set or
    the pool is not the kind this module knows."""
    if urllib.request.getproxies() or not hasattr(select, "poll"):
        return None
    transport = httpx.AsyncHTTPTransport()  # the settings AsyncClient gives its default transport
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or not hasattr(pool, "_network_backend"):
        return None
    pool._network_backend = CheckedBackend()
    return transport
