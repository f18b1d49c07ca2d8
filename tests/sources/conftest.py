"""Driving a kind's `collect()` through the core's real SourceContext, over respx.

The context does not sniff HTML bodies, so the kinds' own HTML checks are what the
tests exercise. `FAILURE_TABLE` holds the transport failures every kind must survive.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from bot.sources.api import SourceError, Unchanged

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


FAILURE_TABLE = [
    ("500", dict(status_code=500), SourceError),
    ("429", dict(status_code=429, headers={"retry-after": "3600"}), SourceError),
    ("304", dict(status_code=304), Unchanged),
    ("timeout", dict(side_effect=httpx.ReadTimeout("timed out")), SourceError),
]


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
    from bot.fetch import Fetcher, FetchPolicy, SourceContext, make_client

    policy = FetchPolicy(retries=1, backoff=0)
    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy, sleep=_no_sleep)

        def build(**kwargs):
            defaults = dict(fleet=(), watch_words=(), config_dir=FIXTURES, previous=(), validators={})
            return SourceContext(fetcher=fetcher, **{**defaults, **kwargs})

        yield build
