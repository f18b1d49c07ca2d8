"""A finished source's alerts reach Slack while a slow source still drips (the real CLI, a fake Slack).

Before, the outbox was delivered after the last source: one upstream sending a byte at a
time held every other source's page back until it timed out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.server import FaultServer
from tests.slack.fakeslack import FakeSlack
from tests.sources.kernel_support import entry, releases_json

ROOT = Path(__file__).resolve().parents[2]
OLD = releases_json(entry("5.10.13", "stable"), entry("5.4.90", "longterm"))
NEW = releases_json(entry("5.10.13", "stable"), entry("5.4.91", "longterm", iseol=True))


@pytest.fixture
def faults():
    server = FaultServer()
    yield server
    server.close()


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def trackbot(tmp_path: Path, fake: FakeSlack, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {"SLACK_BOT_TOKEN": fake.token}
    cmd = [sys.executable, "-m", "bot.cli.main", "--config", str(tmp_path / "sources.yaml"), "--db",
           str(tmp_path / "t.db"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("command", [["poll"], ["run", "--runs", "1"]])
def test_a_finished_sources_alert_reaches_slack_before_a_dripping_source_ends(tmp_path, faults, fake_slack, command):
    (tmp_path / "sources.yaml").write_text(
        "fleet:\n  - {product: linux, version: '5.4.90'}\n"
        f"sources:\n  - {{name: kernel, kind: kernel_releases, url: '{faults.url}/fast/releases.json'}}\n"
        f"  - {{name: slow, kind: kernel_releases, url: '{faults.url}/slow/releases.json'}}\n"
        f"slack: {{channel: '#alerts', base_url: '{fake_slack.api_url}'}}\n"
        "settings: {retries: 0, timeout: 4}\n")
    faults.serve("/fast/releases.json", "ok", OLD)
    faults.serve("/slow/releases.json", "ok", OLD)
    first = trackbot(tmp_path, fake_slack, "poll")
    assert first.wait(60) == 0, first.communicate()
    baseline_posts = len(fake_slack.posts())

    faults.serve("/fast/releases.json", "ok", NEW)  # the pinned branch reaches its end of life: a page
    faults.serve("/slow/releases.json", "slow_drip", OLD)  # 20 bytes a second: fails at the 4 s deadline
    started = time.monotonic()
    second = trackbot(tmp_path, fake_slack, *command)
    seen_at = None
    while second.poll() is None and time.monotonic() - started < 30:
        if seen_at is None and len(fake_slack.posts()) > baseline_posts:
            seen_at = time.monotonic() - started
        time.sleep(0.02)
    out, err = second.communicate(timeout=30)
    ended_at = time.monotonic() - started
    assert "slow/releases.json" in out and "no complete answer within 4s" in out, out  # the slow one failed ...
    posted = [m["text"] for m in fake_slack.posts()[baseline_posts:]]
    assert len(posted) == 1 and "5.4" in posted[0] and "end of life" in posted[0].lower(), posted  # ... sent once, not again at the end
    assert seen_at is not None and seen_at < ended_at - 2, (seen_at, ended_at)  # while the slow one still ran
    assert "1 delivered, 0 queued" in out, out  # the table counts what went early
    assert fake_slack.token not in out + err


def test_a_rate_limited_slack_is_tried_a_few_times_a_run_not_once_per_finished_source(tmp_path, faults, fake_slack):
    """The worker never waits out a Retry-After and stops at the first one: the end-of-run
    delivery keeps its budget of three waits, so `Retry-After: 1` for ever stays a few calls."""
    from tests.slack.fakeslack import Answer

    (tmp_path / "sources.yaml").write_text(
        "fleet:\n  - {product: linux, version: '5.4.90'}\n"
        + "sources:\n" + "".join(
            f"  - {{name: kernel{i}, kind: kernel_releases, url: '{faults.url}/k{i}/releases.json'}}\n" for i in range(4))
        + f"slack: {{channel: '#alerts', base_url: '{fake_slack.api_url}'}}\n"
        "settings: {retries: 0, timeout: 4}\n")
    for i in range(4):
        faults.serve(f"/k{i}/releases.json", "ok", OLD)
    assert trackbot(tmp_path, fake_slack, "poll").wait(60) == 0
    for i in range(4):
        faults.serve(f"/k{i}/releases.json", "ok", NEW)
    fake_slack.always(Answer.rate_limited(1))
    calls_before = len(fake_slack.calls)
    out, err = trackbot(tmp_path, fake_slack, "poll").communicate(timeout=120)
    assert len(fake_slack.calls) - calls_before <= 5, len(fake_slack.calls) - calls_before
    assert "0 delivered" in out and "queued" in out, out
