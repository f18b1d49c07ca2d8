"""trackbot's Slack delivery as a user runs it: real processes, a fake Slack, a real database."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from bot.cli.main import main
from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.store.history import Store
from tests.slack.fakeslack import Answer

ROOT = Path(__file__).resolve().parents[2]


def setup(tmp_path, fake, n=5, **slack):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        yaml.safe_dump({"sources": [], "slack": {"channel": "#alerts", "base_url": fake.api_url, **slack}})
    )
    db = tmp_path / "t.db"
    store = Store.open(db)
    for i in range(n):
        item = Event("fix_available", "warning", "docker", "", f"k{i}", f"s{i}")
        store.queue_alert(Alert(AlertKind.EVENTS, "warning", f"alert {i}", "moby", (item,), (f"k{i}",)),
                          datetime(2026, 1, 1, tzinfo=UTC))
    store.db.close()
    return cfg, db


def trackbot(cfg, db, *args, env=None, wait=True):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "bot.cli.main", "--config", str(cfg), "--db", str(db), *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60)


def test_killed_during_delivery_loses_nothing_and_repeats_at_most_one(fake_slack, tmp_path):
    cfg, db = setup(tmp_path, fake_slack)
    env = {"SLACK_BOT_TOKEN": fake_slack.token}
    fake_slack.queue(Answer.ok(), Answer.ok(delay=10))  # Slack accepts the 2nd post, then we die
    proc = trackbot(cfg, db, "poll", env=env, wait=False)
    deadline = time.monotonic() + 20
    while len(fake_slack.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(fake_slack.posts()) == 2
    fake_slack.reset()
    done = trackbot(cfg, db, "poll", env=env)
    assert done.returncode == 0, done.stderr
    texts = [m["text"].splitlines()[0] for m in fake_slack.posts()]
    assert texts == ["[warning] alert 0", "[warning] alert 1", "[warning] alert 1"] + [
        f"[warning] alert {i}" for i in range(2, 5)
    ]
    assert "4 delivered, 0 queued" in done.stdout


def test_webhook_url_appears_nowhere_even_after_errors(fake_slack, tmp_path):
    cfg, db = setup(tmp_path, fake_slack, n=2)
    env = {"SLACK_WEBHOOK_URL": fake_slack.webhook_url}
    outputs = []
    for answer in (Answer.server_error(), Answer(404, "channel_not_found"), Answer.rate_limited(900)):
        fake_slack.always(answer)
        run = trackbot(cfg, db, "poll", env=env)
        outputs += [run.stdout, run.stderr]
        Store.open(db).db.execute("update alerts set retry_at = null")
    fake_slack.close()  # unreachable
    for command in (["poll"], ["check"], ["events"], ["why", "1.10"]):
        run = trackbot(cfg, db, *command, env=env)
        outputs += [run.stdout, run.stderr]
    fake_slack.server = _Stopped()
    seen = "\n".join(outputs)
    assert "queued" in seen and "HTTP 500" in seen and "channel_not_found" in seen
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "2 queued" in seen and "alert 0" in dump
    for text in (seen, dump):
        assert fake_slack.hook_secret not in text and "T0FAKE/B0FAKE" not in text


class _Stopped:
    def shutdown(self):
        pass

    def server_close(self):
        pass


def test_check_says_in_one_line_whether_slack_will_work(fake_slack, tmp_path):
    cfg, db = setup(tmp_path, fake_slack, n=0, channels={"critical": "#pager"})
    good = trackbot(cfg, db, "check", env={"SLACK_BOT_TOKEN": fake_slack.token})
    assert good.returncode == 0, good.stderr
    assert (
        "slack: will deliver: token in $SLACK_BOT_TOKEN works: bot @trackbot in Fleet Ops; "
        "alerts to #alerts, #pager"
    ) in good.stdout
    bad = trackbot(cfg, db, "check", env={"SLACK_BOT_TOKEN": "xoxb-revoked-token"})
    assert bad.returncode != 0 and "will NOT deliver" in bad.stdout and "invalid_auth" in bad.stdout
    assert "xoxb-revoked-token" not in bad.stdout + bad.stderr
    none = trackbot(cfg, db, "check")
    assert "alerts go to the console" in none.stdout


def test_silence_and_silences_commands(tmp_path):
    db = str(tmp_path / "t.db")
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\n")
    runner = CliRunner()
    base = ["--config", str(cfg), "--db", db]
    out = runner.invoke(
        main, [*base, "silence", "--product", "docker", "--for", "7d", "--reason", "upgrade week"]
    )
    assert out.exit_code == 0 and "silence 1: product docker until" in out.output
    assert runner.invoke(main, [*base, "silence", "--reason", "x"]).exit_code == 2
    listed = runner.invoke(main, [*base, "silences", "--json"])
    assert '"reason": "upgrade week"' in listed.output
    assert "silence 1 removed" in runner.invoke(main, [*base, "silences", "--remove", "1"]).output
    assert runner.invoke(main, [*base, "silences", "--json"]).output.strip() == "[]"
    again = runner.invoke(main, [*base, "silences", "--remove", "1"])
    assert again.exit_code == 1 and "no active silence 1" in again.output


def test_digest_post_goes_to_the_digest_channel_escaped(fake_slack, tmp_path):
    cfg, db = setup(tmp_path, fake_slack, n=0, digest_channel="#digest")
    store = Store.open(db)
    now = datetime.now(UTC)
    from bot.core.model import Event

    store.add_events(
        [Event("new_release", "info", "docker", "29.1.0", "new_release:docker:29.1.0", "docker 29.1.0 <!channel>"),
         Event("new_release", "info", "docker", "1.0.0", "new_release:docker:1.0.0", "old", baseline=True)],
        1, now,
    )
    store.db.close()
    done = trackbot(cfg, db, "digest", "--post", env={"SLACK_BOT_TOKEN": fake_slack.token})
    assert done.returncode == 0, done.stderr
    [post] = fake_slack.posts("#digest")
    text = str(post)
    assert "29.1.0" in text and "<!channel>" not in text and "1.0.0" not in text
    missing = trackbot(cfg, db, "digest", "--post")
    assert missing.returncode == 1 and "--post needs Slack" in missing.stderr


def test_slack_refusing_every_post_for_an_hour_makes_poll_exit_3_and_status_say_since_when(fake_slack, tmp_path):
    """Alerts queued for ever with exit 0 were invisible to cron; past delivery_failing_for they are not."""
    cfg, db = setup(tmp_path, fake_slack, n=2)  # queued on 2026-01-01: long before now
    env = {"SLACK_BOT_TOKEN": fake_slack.token}
    fake_slack.always(Answer.error("channel_not_found"))
    polled = trackbot(cfg, db, "poll", env=env)
    assert polled.returncode == 3, polled.stderr
    assert "alerts are not being delivered: every post refused since 2026-01-01T00:00:00+00:00" in polled.stderr
    status = trackbot(cfg, db, "status", env=env)
    assert status.returncode == 0 and "every post refused since 2026-01-01" in status.stdout
    fake_slack.always(Answer.ok())
    assert trackbot(cfg, db, "poll", env=env).returncode == 0  # delivered again: back to normal


def test_a_refusal_younger_than_delivery_failing_for_is_not_yet_exit_3(fake_slack, tmp_path):
    cfg, db = setup(tmp_path, fake_slack, n=1)
    store = Store.open(db)
    store.db.execute("update alerts set created_at = ?", [datetime.now(UTC).isoformat(timespec="seconds")])
    store.db.conn.commit()
    store.db.close()
    fake_slack.always(Answer.error("channel_not_found"))
    polled = trackbot(cfg, db, "poll", env={"SLACK_BOT_TOKEN": fake_slack.token})
    assert polled.returncode == 0 and "not being delivered" not in polled.stderr
