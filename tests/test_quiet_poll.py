"""A poll where nothing happened stays small (issue 11): the table lists only sources that
changed or failed, one line counts the others (`--all` lists them), and the run row keeps
counts instead of every source's status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from bot.cli.main import main
from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.store.history import Store
from tests.conftest import Route
from tests.core.test_poll import MOBY, write_config


def test_an_unchanged_source_is_counted_not_listed_unless_all(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    extra = f'  - {{name: moby2, kind: docker_changelog, url: "{web.url}/OTHER.md"}}'
    web.routes["/OTHER.md"] = Route(MOBY)
    args = ["--config", str(write_config(tmp_path, web.url, extra)), "--db", str(tmp_path / "t.db"), "poll"]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert "moby2" in first.output and "other sources" not in first.output  # both changed: both listed
    web.routes["/OTHER.md"] = Route(b"not a changelog")
    quiet = runner.invoke(main, [*args, "--force"])
    assert "moby2" in quiet.output and "failed" in quiet.output
    assert "│ moby " not in quiet.output and "1 other source: 1 unchanged (--all lists every source)" in quiet.output
    listed = runner.invoke(main, [*args, "--force", "--all"])
    assert "│ moby " in listed.output and "other sources" not in listed.output
    summaries = [json.loads(r["summary"]) for r in Store.open(tmp_path / "t.db").db.table("runs").rows]
    assert summaries[-1] == {"counts": {"failed": 1, "unchanged": 1}, "sources": {"moby2": "failed"}}


def test_vacuum_forgets_old_runs_and_sent_bodies_but_keeps_the_history(tmp_path):
    store = Store.open(tmp_path / "t.db")
    old, recent = datetime.now(UTC) - timedelta(days=200), datetime.now(UTC) - timedelta(days=1)
    event = Event("new_release", "warning", "docker", "1.11.0", "new_release:docker:1.11.0", "docker 1.11.0")
    for when in (old, recent):
        run = store.start_run(when)
        store.add_events([event], run, when)
        alert_id = store.queue_alert(Alert(AlertKind.EVENTS, "warning", "moby: 1 warning", "moby", (event,),
                                           (event.key,), run), when)
        store.outbox.mark_sent(alert_id, when, channel="#ops")
        store.finish_run(run, when, {"moby": "changed"})
    out = CliRunner().invoke(main, ["--db", str(tmp_path / "t.db"), "vacuum", "--older-than", "90d"])
    assert out.exit_code == 0 and "forgot 1 runs and 1 delivered alert bodies" in out.output
    store = Store.open(tmp_path / "t.db")
    assert store.db.table("runs").count == 1
    [kept_old, kept_recent] = store.alerts(event_keys=[event.key])
    assert (kept_old.title, kept_old.channel, kept_old.items) == ("moby: 1 warning", "#ops", ())
    assert kept_recent.items == (event,)
    assert [e.key for e in store.events()] == [event.key]
