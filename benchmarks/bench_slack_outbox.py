"""Delivery throughput against the fake Slack on 127.0.0.1: render and deliver costs side by side.

Run: python benchmarks/bench_slack_outbox.py   (prints medians of 5 rounds)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event  # noqa: E402
from bot.core.settings import SlackConf
from bot.deliver.loop import deliver_pending  # noqa: E402
from bot.deliver.slack import blocks
from bot.deliver.slack.client import SlackWebApi  # noqa: E402
from bot.deliver.slack.sink import SlackSink  # noqa: E402
from bot.store.history import Store  # noqa: E402
from tests.slack.fakeslack import FakeSlack  # noqa: E402

N = 100
EVENTS = tuple(Event("fix_available", "warning", "docker", f"1.10.{i}", f"k{i}", "<!channel> fixed aufs & overlay " * 4)
               for i in range(50))  # fmt: skip


def main() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    render, deliver = [], []
    fake = FakeSlack()
    try:
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(N):
                blocks.render("docker: 50 changes", "warning", EVENTS, source="moby")
            render.append((time.perf_counter() - start) / N * 1000)
            store = Store.memory()
            for i in range(N):
                store.queue_alert(Alert(AlertKind.EVENTS, "warning", f"a{i}", "moby", EVENTS), now)
            client = SlackWebApi(fake.token, base_url=fake.api_url)
            d = SlackSink(client, SlackConf(), timedelta(hours=24))
            start = time.perf_counter()
            report = deliver_pending(store, d, lambda: now)
            assert report.sent == N
            deliver.append((time.perf_counter() - start) / N * 1000)
    finally:
        fake.close()
    print(f"render one 50-event alert   median {statistics.median(render):6.2f} ms")
    print(
        f"deliver one alert (outbox)  median {statistics.median(deliver):6.2f} ms  (HTTP to 127.0.0.1 + commit)"
    )
    print(f"ratio deliver/render        {statistics.median(deliver) / statistics.median(render):6.1f}x")


if __name__ == "__main__":
    main()
