"""An installation's database made by the first release opens with this one: the current
schema, every row kept, and the code's writes work on it (no column is added behind the
migrations' back)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from bot.core.model import Event, Finding, Record
from bot.core.version_keys import version_key
from bot.store.history import Store
from bot.store.migrations import MIGRATIONS
from bot.store.reads import product_records_between

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def first_release_db(path) -> sqlite_utils.Database:
    """A database as the first schema left it, with a record, an event and a queued alert."""
    db = sqlite_utils.Database(path)
    [first, *later] = [m.name for m in MIGRATIONS.pending(db)]
    MIGRATIONS.apply(db, stop_before=later)
    assert [m.name for m in MIGRATIONS.applied(db)] == [first]
    db["records"].insert({"source": "moby", "key": "release:1.10.3", "kind": "release", "product": "docker",
                          "version": "1.10.3", "data": '{"date": "2016-03-10"}', "digest": "d1",
                          "first_seen_at": "2026-01-01T00:00:00+00:00"})
    db["events"].insert({"key": "new_release:docker:1.10.3", "kind": "new_release", "severity": "info",
                         "product": "docker", "version": "1.10.3", "source": "moby", "summary": "docker 1.10.3",
                         "data": "{}", "detected_at": "2026-01-01T00:00:00+00:00", "run_id": 1, "baseline": 1})
    db["alerts"].insert({"id": 1, "created_at": "2026-01-01T00:00:00+00:00", "source": "moby", "kind": "baseline",
                         "severity": "info", "title": "moby: first poll", "event_keys": "[]",
                         "payload": '[{"kind": "baseline", "summary": "1 release recorded"}]',
                         "state": "queued", "attempts": 0})
    return db


def test_a_first_release_database_gets_the_current_schema_and_keeps_its_rows(tmp_path):
    first_release_db(tmp_path / "old.db").close()
    old = Store.open(tmp_path / "old.db")
    fresh = Store.memory()

    for table in fresh.db.table_names():
        assert old.db[table].columns_dict == fresh.db[table].columns_dict, table
    assert [m.name for m in MIGRATIONS.pending(old.db)] == []
    [kept] = old.records("moby")
    assert (kept.record.version, kept.record.data, kept.first_seen_at) == (
        "1.10.3", {"date": "2016-03-10"}, "2026-01-01T00:00:00+00:00")
    assert [e.key for e in old.events()] == ["new_release:docker:1.10.3"]
    [queued] = old.pending_alerts()
    assert queued.title == "moby: first poll" and queued.items[0].summary == "1 release recorded"


def test_every_write_works_on_a_migrated_first_release_database(tmp_path):
    first_release_db(tmp_path / "old.db").close()
    store = Store.open(tmp_path / "old.db")
    run = store.start_run(NOW)
    store.save_records("moby", run, NOW, seen=[], new_or_changed=[Record("release", "release:1.11.0", "docker",
                       "1.11.0")], gone=[], missing=["release:1.10.3"])  # fmt: skip
    store.add_events([Event("new_release", "info", "docker", "1.11.0", "new_release:docker:1.11.0", "1.11.0")],
                     run, NOW)  # fmt: skip
    row = store.incident_seen("moby", Finding("source_failing", "source_failing:moby", "down"), NOW)
    store.open_incident(row["rowid"], NOW)
    store.mark_success("moby", "docker_changelog", NOW, changed=True, seconds=0.1, settings_digest="s1")
    store.add_silence(NOW, NOW, product="docker", pattern="", reason="r")
    store.outbox.mark_sent(1, NOW, channel="C1", ts="1.1", thread_ts="")

    assert store.source_state("moby")["settings_digest"] == "s1"
    assert [s.missing_at for s in store.records("moby") if s.record.version == "1.10.3"] == [NOW.isoformat()]
    assert [i.key for i in store.incidents(open_only=True)] == ["source_failing:moby"]
    assert [(a.state, a.ts) for a in store.alerts()] == [("sent", "1.1")]
    store.mark_unchanged([("moby", "docker_changelog", NOW, NOW, 0.1)])  # a 304: what went missing is back
    assert [s.missing_at for s in store.records("moby")] == [None, None]
    keys = version_key("docker", "1.10.0") or "", version_key("docker", "1.11.0") or ""  # m010's and the write's
    assert [r.record.version for r in product_records_between(store, "moby", ["release"], *keys)] == ["1.10.3", "1.11.0"]
