"""Errors: a 304 is never a failure, a failure says its status, a bug keeps its traceback."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import load as configuration
from bot.core.errors import SourceError, TrackbotError, Unchanged
from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext
from bot.read import views
from bot.sources import docker_changelog
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import MOBY, write_config

URL = "https://example.org/feed"


def test_unchanged_is_not_a_source_error_so_except_source_error_cannot_swallow_a_304():
    assert not isinstance(Unchanged(URL), SourceError)
    assert isinstance(Unchanged(URL), TrackbotError)
    with pytest.raises(Unchanged):
        try:
            raise Unchanged(URL)
        except SourceError:  # a kind's fallback or a failure table must not take it
            pytest.fail("a 304 was caught as a failure")


@pytest.mark.parametrize("status", [404, 410, 500, 403])
@respx.mock
async def test_an_http_failure_carries_its_status_and_url(status):
    respx.get(URL).mock(return_value=httpx.Response(status))
    ctx = SourceContext(Fetcher(httpx.AsyncClient(), FetchPolicy(retries=0)), (), (), None, ())  # type: ignore[arg-type]
    with pytest.raises(SourceError) as caught:
        await ctx.get(URL)
    assert (caught.value.status, caught.value.url) == (status, URL)
    assert f"HTTP {status}" in str(caught.value)


@respx.mock
async def test_a_timeout_has_no_status():
    respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    ctx = SourceContext(Fetcher(httpx.AsyncClient(), FetchPolicy(retries=0)), (), (), None, ())  # type: ignore[arg-type]
    with pytest.raises(SourceError) as caught:
        await ctx.get(URL)
    assert caught.value.status is None


async def test_a_bug_in_a_kind_is_one_line_for_the_user_and_a_traceback_in_the_log(tmp_path, web, monkeypatch, caplog):
    web.routes["/CHANGELOG.md"] = Route(MOBY)

    def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(docker_changelog, "parse", broken)
    config = configuration.load(write_config(tmp_path, web.url))
    with caplog.at_level(logging.ERROR, logger="trackbot"):
        report = await poll_and_deliver(config, Store.open(str(tmp_path / "t.db")))
    [result] = report.results
    assert (result.status, result.reason) == ("failed", "internal error: RuntimeError: boom second line")
    [record] = [r for r in caplog.records if r.name == "trackbot"]
    assert "source moby" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError  # the traceback is kept


def _break_status(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "status_table", broken)


def test_a_bug_reaching_the_cli_is_one_line_without_debug(tmp_path, monkeypatch):
    _break_status(monkeypatch)
    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\n")
    Store.open(tmp_path / "t.db").db.close()  # a history to read (read commands refuse a missing one)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "status"])
    assert result.exit_code == 1
    assert result.output.strip() == "trackbot: internal error: RuntimeError: a bug"


@pytest.mark.parametrize("how", [["--debug"], "env"])
def test_debug_re_raises_a_bug_with_its_traceback(tmp_path, monkeypatch, how):
    _break_status(monkeypatch)
    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\n")
    Store.open(tmp_path / "t.db").db.close()
    flags = how if isinstance(how, list) else []
    env = {"TRACKBOT_DEBUG": "1"} if how == "env" else {}
    result = CliRunner().invoke(main, [*flags, "--config", str(path), "--db", str(tmp_path / "t.db"), "status"],
                                env=env)
    assert isinstance(result.exception, RuntimeError)
    assert result.exc_info is not None and result.exc_info[2] is not None
