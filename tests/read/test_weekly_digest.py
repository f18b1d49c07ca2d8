"""`trackbot run` posts the weekly digest once per week (`digest:` in sources.yaml): a fake clock, a fake Slack."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import digest as schedule
from bot.config import load as configuration
from bot.config.digest import DigestConf
from bot.core.errors import TrackbotError
from bot.core.model import Event
from bot.deliver.digest_post import post_if_due
from bot.store.history import Store
from tests.slack.fakeslack import Answer, FakeSlack

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday of ISO week 2026-W49


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def write_config(tmp_path, digest, slack=None):
    path = tmp_path / "sources.yaml"
    raw = {"sources": [], "fleet": [{"product": "docker", "version": "1.10.0"}], "digest": digest}
    if slack:
        raw["slack"] = slack
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(("now", "slot", "week"), [
    (MONDAY_9, MONDAY_9, "2026-W49"),                                       # on the hour
    (MONDAY_9 - timedelta(seconds=1), MONDAY_9 - timedelta(days=7), "2026-W48"),  # a second early: last week's
    (MONDAY_9 + timedelta(days=6, hours=14), MONDAY_9, "2026-W49"),         # Sunday night: still this week's
])
def test_the_slot_is_the_last_monday_at_nine_utc(now, slot, week):
    conf = DigestConf(day="monday", hour=9)
    assert schedule.last_slot(conf, now) == slot
    assert schedule.week_name(conf, slot) == week


def test_a_timezone_moves_the_slot_to_its_local_hour():
    conf = DigestConf(day="friday", hour=17, timezone="Europe/Paris")  # CET in December: UTC+1
    slot = schedule.last_slot(conf, datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # Saturday
    assert slot == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def test_posts_once_per_week_across_a_restart_and_catches_up_once_after_downtime(tmp_path, fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    cfg = configuration.load(write_config(tmp_path, {"day": "monday", "hour": 9, "channel": "#weekly"},
                                          {"channel": "#alerts", "digest_channel": "#digest",
                                           "base_url": fake_slack.api_url}))
    store = Store.open(tmp_path / "t.db")
    store.add_events([Event("new_release", "warning", "docker", "1.10.3", "n:1.10.3", "docker 1.10.3 released")],
                     store.start_run(MONDAY_9 - timedelta(days=2)), MONDAY_9 - timedelta(days=2))
    shown: list[str] = []
    # first run ever, Monday 08:00: the previous week's slot was never posted, so it is caught up
    assert post_if_due(cfg, store, MONDAY_9 - timedelta(hours=1), shown.append) == \
        "weekly digest for 2026-W48 posted to #weekly, 6d 23h after its slot (catching up)"
    assert post_if_due(cfg, store, MONDAY_9 - timedelta(minutes=45), shown.append) is None
    line = post_if_due(cfg, store, MONDAY_9 + timedelta(minutes=10), shown.append)
    assert line == "weekly digest for 2026-W49 posted to #weekly"
    store.db.close()
    store = Store.open(tmp_path / "t.db")  # the daemon restarts on Tuesday
    assert post_if_due(cfg, store, MONDAY_9 + timedelta(days=1), shown.append) is None
    # down from Sunday to Wednesday: the Monday slot is caught up once, on Wednesday
    assert "2026-W50 posted to #weekly, 2d 1h after its slot (catching up)" in post_if_due(cfg, store, MONDAY_9 + timedelta(days=9, hours=1),
                                                               shown.append)
    assert post_if_due(cfg, store, MONDAY_9 + timedelta(days=9, hours=2), shown.append) is None
    posts = fake_slack.posts("#weekly")
    assert len(posts) == 3 and not fake_slack.posts("#digest") and shown == []
    assert "week 2026-W49" in str(posts[1]) and "docker 1.10.3 released" in str(posts[1])
    assert "docker 1.10.0: behind: " in str(posts[1])  # the pin table as labelled lines: Slack has no tables


def test_a_failed_post_is_not_recorded_and_the_next_cycle_posts_it(tmp_path, fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    cfg = configuration.load(write_config(tmp_path, {"day": "monday", "hour": 9},
                                          {"digest_channel": "#digest", "base_url": fake_slack.api_url}))
    store = Store.open(tmp_path / "t.db")
    fake_slack.always(Answer.server_error())
    with pytest.raises(TrackbotError, match="digest not posted to #digest"):
        post_if_due(cfg, store, MONDAY_9, print)
    fake_slack.reset()
    assert post_if_due(cfg, store, MONDAY_9 + timedelta(minutes=15), print) == \
        "weekly digest for 2026-W49 posted to #digest"
    assert len(fake_slack.posts("#digest")) == 1


def test_without_slack_the_digest_goes_to_the_console(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    cfg = configuration.load(write_config(tmp_path, {}))
    store = Store.open(tmp_path / "t.db")
    shown: list[str] = []
    assert post_if_due(cfg, store, MONDAY_9, shown.append) == "weekly digest for 2026-W49 posted to the console"
    [text] = shown
    assert text.startswith("# trackbot digest (week 2026-W49)") and "| docker 1.10.0 |" in text


def test_trackbot_run_posts_the_digest_once_even_across_restarts(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    cfg = write_config(tmp_path, {"day": "monday", "hour": 9})
    args = ["--config", str(cfg), "--db", str(tmp_path / "t.db"), "run", "--runs", "1"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output.count("# trackbot digest (week ") == 1
    assert "weekly digest for " in first.output and "posted to the console" in first.output  # the log line
    second = CliRunner().invoke(main, args)  # a restart in the same week
    assert second.exit_code == 0 and "trackbot digest" not in second.output


@pytest.mark.parametrize(("digest", "message"), [
    ({"day": "mondy"}, "digest: 'day' 'mondy' is not a day of the week"),
    ({"hour": 24}, "digest: 'hour' 24 is not an hour of the day (0 to 23)"),
    ({"hour": "nine"}, "digest: 'hour' must be a whole number"),
    ({"timezone": "Mars/Olympus"}, "digest: 'timezone' 'Mars/Olympus' is not a known time zone"),
    ({"chanel": "#x"}, "digest: unknown key 'chanel' (did you mean 'channel'?)"),
])
def test_a_bad_digest_setting_is_a_config_error_for_check_and_run(tmp_path, digest, message):
    cfg = write_config(tmp_path, digest)
    for command in (["check"], ["run", "--runs", "1"]):
        done = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(tmp_path / "t.db"), *command])
        assert done.exit_code == 2 and message in done.output, done.output


def test_check_says_when_and_where_the_weekly_digest_goes(tmp_path):
    cfg = write_config(tmp_path, {"day": "friday", "hour": 17, "timezone": "Europe/Paris"},
                       {"digest_channel": "#fleet-digest"})
    out = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(tmp_path / "t.db"), "check"])
    assert "weekly digest: friday 17:00 Europe/Paris, posted by `trackbot run` to #fleet-digest" in out.output


def test_digest_post_by_hand_goes_to_the_weekly_digest_channel(tmp_path, fake_slack, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    cfg = write_config(tmp_path, {"channel": "#weekly"}, {"digest_channel": "#digest", "base_url": fake_slack.api_url})
    Store.open(tmp_path / "t.db").db.close()
    out = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(tmp_path / "t.db"), "digest", "--post"])
    assert out.exit_code == 0 and "digest posted to #weekly" in out.output
    assert len(fake_slack.posts("#weekly")) == 1 and not fake_slack.posts("#digest")
