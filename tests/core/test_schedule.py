"""When a source is polled again: `every`, and a backoff ladder after failures (bot.poll.schedule)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import load as configuration
from bot.poll.schedule import is_due, retry_delay
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import MOBY, Clock, Collect, write_config

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("failures", "every", "delay"), [
    (1, DAY, timedelta(minutes=1)),
    (2, DAY, timedelta(minutes=5)),
    (3, DAY, timedelta(minutes=15)),
    (4, DAY, timedelta(hours=1)),
    (5, DAY, timedelta(hours=2)),
    (8, DAY, timedelta(hours=16)),
    (9, DAY, DAY),  # capped at `every`
    (40, DAY, DAY),
    (4, timedelta(minutes=30), timedelta(minutes=30)),
])
def test_failed_sources_are_retried_on_a_ladder_capped_at_every(failures, every, delay):
    assert retry_delay(failures, every) == delay


def test_a_source_failing_once_with_every_1d_is_tried_again_minutes_later_not_tomorrow():
    state = {"last_run_at": T0.isoformat(), "consecutive_failures": 1}
    assert not is_due(DAY, state, T0 + timedelta(seconds=30))
    assert is_due(DAY, state, T0 + timedelta(minutes=1))
    assert not is_due(DAY, {**state, "consecutive_failures": 0}, T0 + timedelta(hours=23))


def test_source_failing_opens_after_failing_for_even_before_failing_after(tmp_path, web):
    """`every: 1h`: the backoff reaches the hour cap, so 6 h of failures come before 10 failures."""
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    path.write_text(path.read_text().replace('CHANGELOG.md"}', 'CHANGELOG.md", every: 1h}')
                    .replace("settings: {retries: 0, timeout: 5}",
                             "settings: {retries: 0, timeout: 5, failing_after: 10, failing_for: 3h}"))
    cfg = configuration.load(path)
    store, clock, sink = Store.open(tmp_path / "t.db"), Clock(), Collect()
    asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))
    web.routes["/CHANGELOG.md"] = Route(b"", status=500)
    clock.advance(hours=1)
    opened_at, tries = None, 0
    for _ in range(4 * 4):  # a run every 15 minutes for 4 hours
        report = asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))
        tries += report.results[0].status == "failed"
        if opened_at is None and any(a.kind == "incident_open" for a in sink.alerts):
            opened_at = clock()
        clock.advance(minutes=15)
    assert tries < 10  # the ladder: 1m, 5m, 15m, then hourly
    assert opened_at is not None and opened_at - (T0 + timedelta(hours=1)) >= timedelta(hours=3)
    status = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "status"], env={"COLUMNS": "160"})
    assert "next try" in status.output and "HTTP 500" in status.output


def test_the_poll_table_says_when_a_skipped_source_is_tried_next(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    path.write_text(path.read_text().replace('CHANGELOG.md"}', 'CHANGELOG.md", every: 1d}'))
    base = ["--config", str(path), "--db", str(tmp_path / "t.db")]
    assert CliRunner().invoke(main, [*base, "poll"]).exit_code == 0
    again = CliRunner().invoke(main, [*base, "poll"])
    assert again.exit_code == 0 and "skipped moby: not due (next try " in again.output and "every 1d" in again.output
