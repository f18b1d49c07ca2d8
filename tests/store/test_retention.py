"""Retention (README "Speed and history size"): old run rows and delivered alerts' bodies go,
once a day from `poll` and at once from `vacuum`; the history and undelivered alerts stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from bot.cli.main import main
from bot.core.alert import Alert, AlertKind
from bot.core.model import Event, Record
from bot.store.history import Store

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # fixed: the CLI reads it too (obj=CLOCK), never the machine's date


def CLOCK() -> datetime:  # noqa: N802 - the clock the CLI is handed in these tests
    return NOW


def old_history(path, days_ago: int) -> str:
    """A run `days_ago` with a release, an event, a note, one sent and one still queued alert."""
    store = Store.open(path)
    when = NOW - timedelta(days=days_ago)
    run = store.start_run(when)
    release = Record("release", "release:1.10.3", "docker", "1.10.3", {"date": "2016-03-10"})
    event = Event("fix_available", "warning", "docker", "1.10.0", f"fix:{days_ago}", "docker 1.10.0: fix in 1.10.3")
    with store.transaction():
        store.save_records("moby", run, when, seen=[release], new_or_changed=[release], gone=[])
        store.add_events([event], run, when)
    sent = store.queue_alert(Alert(AlertKind.EVENTS, "warning", "moby: 1 warning", "moby", (event,), (event.key,),
                                   run), when)
    store.outbox.mark_sent(sent, when, channel="#ops")
    store.queue_alert(Alert(AlertKind.EVENTS, "warning", "moby: still queued", "moby", (event,), (event.key,), run),
                      when)
    store.add_note("docker", "1.10.3", "we stay on it", when)
    store.finish_run(run, when, {"moby": "changed"})
    store.db.close()
    return event.key


def config(tmp_path, retention: str = "") -> str:
    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\nfleet: []\n" + retention)
    return str(path)


def test_poll_forgets_old_runs_and_sent_bodies_once_a_day_and_keeps_the_history(tmp_path):
    db = tmp_path / "t.db"
    key = old_history(db, days_ago=40)
    cfg = config(tmp_path, "retention: {runs: 30d, delivered_alerts: 30d}\n")
    assert CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", str(db), "poll"]).exit_code == 0
    store = Store.open(db)
    assert [r["started_at"][:10] for r in store.db.table("runs").rows] == [NOW.date().isoformat()]  # the poll's own
    sent = store.alerts(event_keys=[key])[0]
    assert (sent.title, sent.channel, sent.items) == ("moby: 1 warning", "#ops", ())  # row kept, body gone
    assert [e.key for e in store.events()] == [key]
    assert [r.record.version for r in store.records("moby")] == ["1.10.3"]
    assert [n["text"] for n in store.notes()] == ["we stay on it"]
    store.db.close()
    old_history(db, days_ago=50)  # more old rows the same day: the next poll leaves them for tomorrow
    CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", str(db), "poll"])
    assert Store.open(db).db.table("runs").count == 3


def test_default_retention_keeps_90_days(tmp_path):
    db = tmp_path / "t.db"
    old_history(db, days_ago=40)
    assert CliRunner().invoke(main, obj=CLOCK, args=["--config", config(tmp_path), "--db", str(db), "poll"]).exit_code == 0
    assert Store.open(db).db.table("runs").count == 2


def test_vacuum_applies_the_configured_retention(tmp_path):
    db = tmp_path / "t.db"
    key = old_history(db, days_ago=40)
    cfg = config(tmp_path, "retention: {runs: 30d, delivered_alerts: 60d}\n")
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", str(db), "vacuum"])
    assert out.exit_code == 0, out.output
    assert "forgot 1 runs and 0 delivered alert bodies" in out.output
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", str(db), "vacuum", "--older-than", "30d"])
    assert "forgot 0 runs and 1 delivered alert bodies" in out.output
    sent, queued = Store.open(db).alerts(event_keys=[key])
    assert sent.items == () and [e.key for e in queued.items] == [key]  # never delivered: its body stays


def test_a_bad_retention_value_is_a_config_error_naming_it(tmp_path):
    cfg = config(tmp_path, "retention: {runs: 90days}\n")
    db = str(tmp_path / "t.db")
    for command in (["check"], ["poll"], ["vacuum"]):
        out = CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", db, *command])
        assert out.exit_code == 2, (command, out.output)
        assert "retention: 'runs' '90days' is not an interval" in out.output, command
    unknown = CliRunner().invoke(main, obj=CLOCK, args=["--config", config(tmp_path, "retention: {alerts: 30d}\n"), "--db", db, "poll"])
    assert unknown.exit_code == 2 and "unknown key 'alerts'" in unknown.output


def test_an_alert_sent_late_keeps_its_body_until_it_is_old_as_a_delivery(tmp_path):
    """Slack down for weeks: an alert queued 40 days ago but sent yesterday is a recent delivery."""
    db = tmp_path / "t.db"
    key = old_history(db, days_ago=40)
    store = Store.open(db)
    late = next(a for a in store.alerts(event_keys=[key]) if a.title == "moby: still queued")
    store.outbox.mark_sent(late.id, NOW - timedelta(days=1), channel="#ops")
    store.db.close()
    cfg = config(tmp_path, "retention: {runs: 30d, delivered_alerts: 30d}\n")
    assert CliRunner().invoke(main, obj=CLOCK, args=["--config", cfg, "--db", str(db), "poll"]).exit_code == 0
    bodies = {a.title: len(a.items) for a in Store.open(db).alerts(event_keys=[key])}
    assert bodies == {"moby: 1 warning": 0, "moby: still queued": 1}
