"""Fetching: one httpx.AsyncClient, retries with backoff, a size cap, conditional GET.

`Fetcher` is shared by every source of a run and makes one request for all the
sources that want the same URL with the same validators. `SourceContext` is what a
source sees (`bot.sources.api.Context`): it sends the ETag / Last-Modified of that
source's last good run and keeps the new ones aside, to be committed only if the
source's whole poll succeeds.

Failures become SourceError with one line naming the status or the error and the URL.

Deadlines: each request (connect, headers and the whole body) must finish within
`timeout` seconds, however slowly the bytes drip; a source's fetch of one URL therefore
takes at most (retries + 1) x timeout plus the backoff between tries. A redirect loop,
a redirect to another host or from https to http, a broken connection and a body that
does not decode are one line naming the URL, like any other failure. A body past
SPOOL_BYTES is spooled to a temporary file while it arrives, so concurrent huge bodies
(refused at the `max_bytes` cap) never sit in memory at once. A gzip transfer encoding is
undone here, a step at a time: a gzip stream cut short or a body wrongly marked gzip is refused.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import tempfile
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence, Set
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from bot import __version__
from bot.core.clock import Clock, utcnow
from bot.core.errors import SourceError, Unchanged, redact_url
from bot.core.model import Pin, Record
from bot.judge.cves import CveInfo
from bot.poll.http_pool import make_transport
from bot.sources.api import Response

USER_AGENT = f"trackbot/{__version__} (+release and advisory tracker)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0  # seconds we are willing to wait inside one run
SPOOL_BYTES = 4 * 1024 * 1024  # past this, a body being received goes to a temporary file
FINISHED_ENTRIES = 64  # finished answers a run keeps for sources asking the same URL later...
FINISHED_BYTES = 16 * 1024 * 1024  # ...and the bytes of their bodies (the newest kept first)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    max_bytes: int = 64 * 1024 * 1024


def make_client(policy: FetchPolicy) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(policy.timeout),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
        transport=make_transport(),  # None: httpx's own (a proxy in the environment)
    )


class Fetcher:
    """Shared by all sources of one run: one request for every source that wants the same URL with
    the same headers while it is in flight, and the latest finished answers kept for a source that
    asks after it finished, within FINISHED_ENTRIES and FINISHED_BYTES. Keeping every answer for the
    whole run held every body in memory at once: a poll's memory grew with the number of sources."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, sleep: Sleep = asyncio.sleep,
                 clock: Clock = utcnow) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        self.clock = clock  # a Retry-After date is read against the run's clock
        self._inflight: dict[tuple[str, ...], asyncio.Task[Response]] = {}
        self._finished: OrderedDict[tuple[str, ...], Response | SourceError] = OrderedDict()
        self._kept_bytes = 0  # the bodies' bytes in _finished
        self.requests = 0

    async def get(self, url: str, headers: dict[str, str], max_bytes: int | None = None) -> Response:
        cap = max_bytes or self.policy.max_bytes
        key = (url, *sorted(f"{k}={v}" for k, v in headers.items()), str(cap))
        if key in self._finished:
            self._finished.move_to_end(key)
            answer = self._finished[key]
            if isinstance(answer, SourceError):
                raise copy.copy(answer)  # a copy: each raise would lengthen the kept one's traceback
            return answer
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._get_with_retries(url, headers, cap))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(task)

    def _finish(self, key: tuple[str, ...], task: asyncio.Task[Response]) -> None:
        """Move a finished request's answer (or its one-line failure) to the bounded keep."""
        self._inflight.pop(key, None)
        if task.cancelled():
            return
        failure = task.exception()
        if failure is not None and not isinstance(failure, SourceError):
            return  # not an answer about the URL (a bug, a cancelled run): asked again if wanted
        answer = failure if isinstance(failure, SourceError) else task.result()
        self._finished[key] = answer
        self._kept_bytes += len(answer.body) if isinstance(answer, Response) else 0
        while self._finished and (len(self._finished) > FINISHED_ENTRIES or self._kept_bytes > FINISHED_BYTES):
            _, oldest = self._finished.popitem(last=False)
            self._kept_bytes -= len(oldest.body) if isinstance(oldest, Response) else 0

    async def _get_with_retries(self, url: str, headers: dict[str, str], cap: int) -> Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with asyncio.timeout(self.policy.timeout):
                    response = await self._get_once(url, headers, cap)
            except (httpx.TooManyRedirects, httpx.DecodingError, httpx.UnsupportedProtocol) as exc:
                raise SourceError(_describe(exc), url) from None  # the same again would fail the same way
            except (httpx.TimeoutException, httpx.TransportError, TimeoutError) as exc:
                if attempt > self.policy.retries:
                    raise SourceError(_describe(exc, self.policy.timeout), url) from None
                await self.sleep(self.policy.backoff * 2 ** (attempt - 1))
                continue
            if response.status in RETRY_STATUSES and attempt <= self.policy.retries:
                wait = _retry_after(response.headers.get("retry-after"), self.clock())
                if wait is not None and wait > MAX_RETRY_AFTER:
                    raise SourceError(f"HTTP {response.status}, retry after {wait:.0f}s", url, status=response.status)
                await self.sleep(wait if wait is not None else self.policy.backoff * 2 ** (attempt - 1))
                continue
            return response

    async def _get_once(self, url: str, headers: dict[str, str], cap: int) -> Response:
        self.requests += 1
        async with self.client.stream("GET", url, headers=headers) as reply:
            check_redirects(url, reply)
            if reply.status_code >= 300:
                if reply.status_code == 304:  # no body: read its end so the connection goes back to the pool
                    await reply.aread()
                return Response(str(reply.url), reply.status_code, b"", dict(reply.headers))
            try:
                declared = int(reply.headers.get("content-length") or 0)
            except ValueError:
                declared = 0
            if declared > cap:
                raise SourceError(f"body of {declared} bytes is over the {cap}-byte cap", url)
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
                size = 0
                async for chunk in _decoded(reply, url):
                    size += len(chunk)
                    if size > cap:
                        raise SourceError(f"body is over the {cap}-byte cap", url)
                    spool.write(chunk)
                spool.seek(0)
                body = spool.read()
            return Response(str(reply.url), reply.status_code, body, dict(reply.headers))


GZIP_ENCODINGS = ("gzip", "x-gzip")
DECODE_STEP = 1024 * 1024  # decompressed bytes per step, so a gzip bomb meets the cap a step at a time


async def _decoded(reply: httpx.Response, url: str) -> AsyncIterator[bytes]:
    """The body's bytes with a gzip transfer encoding undone by zlib, not by httpx: httpx takes a
    gzip stream cut short (a CDN dropping the end, a Content-Length that counts the cut copy)
    for a whole one, and a prefix of a changelog or an InRelease parses as something else."""
    if reply.headers.get("content-encoding", "").strip().lower() not in GZIP_ENCODINGS:
        async for chunk in reply.aiter_bytes():
            yield chunk
        return
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        async for chunk in reply.aiter_raw():
            data = chunk
            while data:
                if decoder.eof:  # another gzip member follows (concatenated gzip is valid)
                    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
                yield decoder.decompress(data, DECODE_STEP)
                data = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
    except zlib.error as exc:
        raise SourceError(f"the body is marked gzip but does not decompress ({exc})", url) from None
    if not decoder.eof:
        raise SourceError("the gzip body is cut short (its end is missing)", url)


@dataclass
class SourceContext:
    """The `Context` one source sees while it polls (see bot.sources.api)."""

    fetcher: Fetcher
    fleet: tuple[Pin, ...]
    watch_words: tuple[str, ...]
    config_dir: Path
    previous: Sequence[Record]  # a tuple, or the poll's lazy view (bot.poll.state)
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # from the last good run
    missing: Set[str] = frozenset()  # keys of `previous` the last poll already missed
    cves: Mapping[str, CveInfo] = field(default_factory=dict)  # every source's CVE ratings (bot.judge.cves)
    clock: Clock = utcnow
    new_validators: dict[str, dict[str, str]] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    async def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> Response:
        headers = {"Accept": accept} if accept else {}
        old = self.validators.get(redact_url(url), {})  # stored without credentials
        if conditional and old.get("etag"):
            headers["If-None-Match"] = old["etag"]
        if conditional and old.get("last_modified"):
            headers["If-Modified-Since"] = old["last_modified"]
        response = await self.fetcher.get(url, headers, max_bytes)
        if response.status == 304:
            if not conditional or not old:
                raise SourceError("HTTP 304 to an unconditional request", url, status=304)
            raise Unchanged(url)
        if response.status >= 300:
            raise SourceError(f"HTTP {response.status} {_reason(response.status)}", url, status=response.status)
        fresh = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
        }
        if conditional and (fresh["etag"] or fresh["last_modified"]):
            self.new_validators[redact_url(url)] = fresh
        return response

    @asynccontextmanager
    async def stream(self, url: str) -> AsyncIterator[AsyncIterator[bytes]]:
        # The bytes exactly as stored (apt hashes files, not transfers): ask for no transfer
        # encoding, and do not undo one a misconfigured server adds to a .gz anyway.
        try:
            async with self.fetcher.client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as reply:
                if reply.status_code >= 300:
                    raise SourceError(f"HTTP {reply.status_code} {_reason(reply.status_code)}", url,
                                      status=reply.status_code)
                yield reply.aiter_raw()
        except httpx.HTTPError as exc:  # timeouts, resets, redirect loops: one line naming the URL
            raise SourceError(_describe(exc), url) from None


def check_redirects(url: str, reply: httpx.Response) -> None:
    """Refuse a redirect to another host or from https to http.

    A captive portal, a hijacked name or a moved project all look like this; following it
    would record someone else's data under this source. The fix is the user's: put the new
    URL in sources.yaml if it is right.
    """
    if not reply.history:
        return
    asked, final = httpx.URL(url), reply.url
    if final.host != asked.host or (asked.scheme == "https" and final.scheme != "https"):
        raise SourceError(f"redirected to another host or to plain http ({redact_url(str(final))}); "
                          "if that is the right place, put it in sources.yaml", url)


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _reason(status: int) -> str:
    try:
        return str(httpx.codes(status).phrase)  # type: ignore[attr-defined]  # an IntEnum member's own attribute
    except ValueError:
        return ""


def _describe(exc: BaseException, deadline: float = 0.0) -> str:
    if isinstance(exc, TimeoutError):
        return f"no complete answer within {deadline:g}s (connect, headers and body together)"
    kinds: dict[type[BaseException], str] = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "read timed out",
        httpx.ConnectError: "cannot connect",
        httpx.ReadError: "connection broken while reading (reset by the server?)",
        httpx.WriteError: "connection broken while sending",
        httpx.RemoteProtocolError: "connection broken (truncated or malformed response)",
        httpx.TooManyRedirects: "too many redirects (a redirect loop?)",
        httpx.DecodingError: "the body does not decompress (truncated or corrupt gzip/deflate)",
        httpx.UnsupportedProtocol: "not an http(s) URL",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"{kind}: {detail}" if detail and detail not in kind else kind
