"""Driving a kind's `collect()` through the core's real SourceContext, over respx.

The context does not sniff HTML bodies, so the kinds' own HTML checks are what the
tests exercise. `failure_rows` is a kind's whole failure table (an HTML page, a truncated body, error
statuses, a timeout, a 304), each row with the reason the source must give, and
`assert_fails_naming_the_url` checks a row: the exact exception (an error status that
came out as Unchanged would read as "nothing new" and fail the row), the one-line
reason and the URL it names.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bot.sources.api import SourceError, Unchanged
from tests.sources.apt_support import Mirror, TestKey, build_mirror

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


# What a captive portal, a CDN's challenge or a "moved" page serves with status 200.
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>"
             b"<body>Checking your browser before accessing the site.</body></html>\n")


def failure_rows(*, html: str, truncated: bytes, cut: str, conditional: bool = True) -> list[Any]:
    """A kind's failure table: (answer, the exception it must raise, the reason it must give).

    `html` and `cut` are the reasons (regular expressions) the kind gives for an HTML page and
    for `truncated`, a real body cut short. A kind that fetches unconditionally (no ETag
    sent) must refuse a 304 instead of reading it as "unchanged".
    """
    return [
        pytest.param(dict(status_code=200, content=HTML_PAGE), SourceError, html, id="html"),
        pytest.param(dict(status_code=200, content=truncated), SourceError, cut, id="truncated"),
        pytest.param(dict(status_code=500), SourceError, r"HTTP 500 Internal Server Error", id="500"),
        pytest.param(dict(status_code=404), SourceError, r"HTTP 404 Not Found", id="404"),
        pytest.param(dict(status_code=429, headers={"retry-after": "3600"}), SourceError,
                     r"HTTP 429, retry after 3600s", id="429"),
        pytest.param(dict(side_effect=httpx.ReadTimeout("timed out")), SourceError, r"read timed out", id="timeout"),
        pytest.param(dict(status_code=304), Unchanged, "", id="304") if conditional else
        pytest.param(dict(status_code=304), SourceError, r"HTTP 304 to an unconditional request", id="304"),
    ]


async def assert_fails_naming_the_url(call: Awaitable[Any], error: type[Exception], reason: str, url: str) -> str:
    """Run one failure-table row; returns the message (one line, naming `url`, matching `reason`)."""
    try:
        await call
    except Exception as exc:  # noqa: BLE001 - the row checks the exact type below
        caught: Exception = exc
    else:
        raise AssertionError(f"no error: the source took a failure ({reason!r}) for data")
    assert type(caught) is error, f"{type(caught).__name__} ({caught}) where {error.__name__} was due"
    text = str(caught)
    assert "\n" not in text, text
    if error is not Unchanged:
        assert re.search(reason, text), f"{text!r} does not say {reason!r}"
        assert url in text, f"{text!r} does not name {url}"
    return text


def mock_answer(route: respx.Route, answer: dict) -> None:
    """Program a respx route with one row of a failure table."""
    if "side_effect" in answer:
        route.mock(side_effect=answer["side_effect"])
    else:
        route.mock(return_value=httpx.Response(**answer))


@pytest.fixture
def fixture_bytes():
    """Read a copied real fixture: fixture_bytes('docker/moby-CHANGELOG.md')."""
    return lambda name: (FIXTURES / name).read_bytes()


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def core_context():
    """The core's real SourceContext over respx: build(previous=..., validators=...)."""
    from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client

    policy = FetchPolicy(retries=1, backoff=0)
    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy, sleep=_no_sleep)

        def build(**kwargs):
            defaults = dict(fleet=(), watch_words=(), config_dir=FIXTURES, previous=(), validators={})
            return SourceContext(fetcher=fetcher, **{**defaults, **kwargs})

        yield build


@pytest.fixture
def mirror(tmp_path):
    """A loopback apt mirror built from the real bookworm-updates files (tests.sources.apt_support)."""
    server = Mirror(build_mirror(tmp_path / "mirror"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def key(tmp_path_factory):
    """A throwaway OpenPGP key that signs tampered test repositories."""
    return TestKey(tmp_path_factory.mktemp("gnupg"))
