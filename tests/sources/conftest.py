"""A minimal Context for driving a kind's `collect()` through real httpx (mocked by respx).

It implements the `bot.sources.api.Context` protocol the way the core promises to:
304 raises Unchanged, any non-2xx status, timeout or transport error raises
SourceError with a one-line reason. It does *not* sniff HTML bodies, so the
kinds' own HTML checks are what the tests exercise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.sources.api import Pin, Record, Response, SourceError, Unchanged

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class FakeContext:
    fleet: tuple[Pin, ...] = ()
    watch_words: tuple[str, ...] = ()
    config_dir: Path = FIXTURES
    previous: tuple[Record, ...] = ()
    clock: datetime = field(default_factory=lambda: datetime(2025, 12, 1, tzinfo=UTC))
    requests: list[httpx.Request] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock

    async def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> Response:
        headers = {"accept": accept} if accept else {}
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                answer = await client.get(url, headers=headers)
        except httpx.TimeoutException:
            raise SourceError("timed out", url) from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{type(exc).__name__}: {exc}", url) from None
        self.requests.append(answer.request)
        if answer.status_code == 304 and conditional:
            raise Unchanged(url)
        if not 200 <= answer.status_code < 300:
            raise SourceError(f"HTTP {answer.status_code} {answer.reason_phrase}", url)
        return Response(str(answer.url), answer.status_code, answer.content, dict(answer.headers))

    def stream(self, url: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        raise NotImplementedError("no Docker kind streams")


@pytest.fixture
def fixture_bytes():
    """Read a copied real fixture: fixture_bytes('docker/moby-CHANGELOG.md')."""
    return lambda name: (FIXTURES / name).read_bytes()


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def core_context():
    """The core's real SourceContext over respx: build(previous=..., validators=...)."""
    from bot.fetch import Fetcher, FetchPolicy, SourceContext, make_client

    policy = FetchPolicy(retries=1, backoff=0)
    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy, sleep=_no_sleep)

        def build(**kwargs):
            defaults = dict(fleet=(), watch_words=(), config_dir=FIXTURES, previous=())
            return SourceContext(fetcher=fetcher, **{**defaults, **kwargs})

        yield build
