"""Fetching: conditional GET, retries, Retry-After, size caps, one request per URL."""

import httpx
import pytest
import respx

from bot.core.errors import SourceError, Unchanged
from bot.poll import fetch
from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext

URL = "https://example.org/feed"


def context(validators=None, **policy):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fetcher = Fetcher(httpx.AsyncClient(), FetchPolicy(**{"retries": 2, **policy}), sleep)
    ctx = SourceContext(fetcher, (), (), None, (), validators or {})
    return ctx, slept


@respx.mock
async def test_conditional_get_sends_validators_and_304_is_unchanged():
    route = respx.get(URL).mock(return_value=httpx.Response(304))
    ctx, _ = context({URL: {"etag": '"abc"', "last_modified": "Wed, 01 Jan 2025 00:00:00 GMT"}})
    with pytest.raises(Unchanged):
        await ctx.get(URL)
    sent = route.calls.last.request.headers
    assert sent["If-None-Match"] == '"abc"'
    assert sent["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


@respx.mock
async def test_new_validators_are_kept_aside_until_the_source_commits():
    respx.get(URL).mock(return_value=httpx.Response(200, content=b"x", headers={"ETag": '"v2"'}))
    ctx, _ = context()
    response = await ctx.get(URL)
    assert response.body == b"x"
    assert ctx.new_validators == {URL: {"etag": '"v2"', "last_modified": ""}}


@respx.mock
async def test_5xx_then_ok_is_retried_with_backoff():
    respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, content=b"ok")])
    ctx, slept = context()
    assert (await ctx.get(URL)).body == b"ok"
    assert slept == [0.5, 1.0]


@respx.mock
async def test_429_honours_retry_after():
    respx.get(URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    ctx, slept = context()
    await ctx.get(URL)
    assert slept == [7.0]


@respx.mock
async def test_429_asking_for_too_long_fails_the_source_with_the_reason():
    respx.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    ctx, _ = context()
    with pytest.raises(SourceError, match="HTTP 429, retry after 3600s"):
        await ctx.get(URL)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (httpx.Response(500), "HTTP 500 Internal Server Error"),
        (httpx.Response(404), "HTTP 404 Not Found"),
        (httpx.ConnectTimeout("boom"), "connection timed out"),
        (httpx.ReadTimeout("slow"), "read timed out"),
        (httpx.ConnectError("refused"), "cannot connect"),
    ],
)
@respx.mock
async def test_failures_are_one_line_source_errors_naming_the_url(answer, reason):
    respx.get(URL).mock(side_effect=[answer] * 3 if isinstance(answer, Exception) else None,
                        return_value=None if isinstance(answer, Exception) else answer)
    ctx, _ = context()
    with pytest.raises(SourceError) as caught:
        await ctx.get(URL)
    assert reason in str(caught.value) and URL in str(caught.value)
    assert "\n" not in str(caught.value)


@respx.mock
async def test_a_body_over_the_cap_is_refused():
    respx.get(URL).mock(return_value=httpx.Response(200, content=b"x" * 2048))
    ctx, _ = context(max_bytes=1024)
    with pytest.raises(SourceError, match="1024-byte cap"):
        await ctx.get(URL)


@respx.mock
async def test_two_sources_wanting_the_same_url_fetch_it_once():
    route = respx.get(URL).mock(return_value=httpx.Response(200, content=b"same"))
    a, _ = context()
    b = SourceContext(a.fetcher, (), (), None, ())
    first, second = await a.get(URL), await b.get(URL)
    assert first.body == second.body == b"same"
    assert route.call_count == 1


@respx.mock
async def test_a_run_keeps_few_finished_answers_so_memory_does_not_grow_with_the_sources(monkeypatch):
    """A later source asking a recent URL gets the kept answer; one asked long ago is fetched again
    (a run no longer holds every body it fetched until it ends)."""
    monkeypatch.setattr(fetch, "FINISHED_ENTRIES", 3)
    monkeypatch.setattr(fetch, "FINISHED_BYTES", 10)
    routes = [respx.get(f"{URL}/{i}").mock(return_value=httpx.Response(200, content=b"abcd")) for i in range(5)]
    ctx, _ = context()
    for i in range(5):
        await ctx.get(f"{URL}/{i}")
    await ctx.get(f"{URL}/4")  # kept: the newest
    await ctx.get(f"{URL}/0")  # dropped: 5 answers and 20 bytes are over both limits
    assert [r.call_count for r in routes] == [2, 1, 1, 1, 1]


@respx.mock
async def test_a_failed_url_fails_a_later_source_alike_without_asking_again():
    route = respx.get(URL).mock(return_value=httpx.Response(404))
    a, _ = context()
    b = SourceContext(a.fetcher, (), (), None, ())
    for ctx in (a, b):
        with pytest.raises(SourceError, match="HTTP 404"):
            await ctx.get(URL)
    assert route.call_count == 1


async def test_a_truncated_body_is_a_source_error(web):
    from tests.conftest import Route

    web.routes["/cut"] = Route(b"short", headers={"Content-Length": "100"})
    ctx, _ = context(timeout=2)
    with pytest.raises(SourceError, match="truncated|broken|timed out"):
        await ctx.get(web.url + "/cut")


async def test_stream_gives_the_file_as_stored_even_when_a_server_labels_a_gz_as_encoded(web):
    import gzip

    from tests.conftest import Route

    stored = gzip.compress(b"Package: docker.io\nVersion: 20.10.24\n")
    web.routes["/Packages.gz"] = Route(stored, headers={"Content-Encoding": "gzip"})
    ctx, _ = context()
    async with ctx.stream(web.url + "/Packages.gz") as chunks:
        received = b"".join([chunk async for chunk in chunks])
    assert received == stored
    assert web.requests[-1][1]["accept-encoding"] == "identity"


async def test_a_gzip_body_cut_short_is_refused_even_when_its_length_matches_the_cut_copy(web):
    """httpx takes a gzip stream without its end for a whole one: a changelog's prefix would parse."""
    import gzip

    from tests.conftest import Route

    packed = gzip.compress(b"## 1.0.0\n" * 2000)
    web.routes["/cut.gz"] = Route(packed[: len(packed) // 2], headers={"Content-Encoding": "gzip"})
    web.routes["/whole.gz"] = Route(packed + gzip.compress(b"## 0.9.0\n"), headers={"Content-Encoding": "gzip"})
    ctx, _ = context()
    with pytest.raises(SourceError, match=r"gzip body is cut short .*/cut\.gz"):
        await ctx.get(web.url + "/cut.gz")
    assert (await ctx.get(web.url + "/whole.gz")).body == b"## 1.0.0\n" * 2000 + b"## 0.9.0\n"  # two members


async def test_a_body_marked_gzip_that_is_not_is_one_line_naming_the_url(web):
    from tests.conftest import Route

    web.routes["/plain"] = Route(b"## 1.0.0\nnot compressed at all\n", headers={"Content-Encoding": "gzip"})
    ctx, _ = context()
    with pytest.raises(SourceError, match=r"^the body is marked gzip but does not decompress .*/plain\)$"):
        await ctx.get(web.url + "/plain")


async def test_a_gzip_bomb_meets_the_cap_a_step_at_a_time(web):
    import gzip
    import tracemalloc

    from tests.conftest import Route

    web.routes["/bomb"] = Route(gzip.compress(b"\0" * (64 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})
    ctx, _ = context(max_bytes=8 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match="over the 8388608-byte cap"):
            await ctx.get(web.url + "/bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 24 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"  # 64 MiB decoded at once before
