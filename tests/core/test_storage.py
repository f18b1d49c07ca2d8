"""trackbot's own storage failing: one line naming the database, no source blamed, no lock deaths."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import poll as cli
from bot.cli.main import main
from bot.config import load as configuration
from bot.store.connect import StorageError
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver
from tests.core.test_poll import MOBY, Clock, Collect, write_config


def args(tmp_path: Path, db: Path, web_url: str) -> list[str]:
    return ["--config", str(write_config(tmp_path, web_url)), "--db", str(db)]


def test_a_file_that_is_not_a_database_is_one_line_naming_it(tmp_path, web):
    db = tmp_path / "t.db"
    db.write_bytes(b"this is a text file, not SQLite\n" * 100)
    for command in ("status", "poll"):
        result = CliRunner().invoke(main, [*args(tmp_path, db, web.url), command])
        assert result.exit_code == 1
        [line] = result.output.strip().splitlines()
        assert f"database {db}" in line and "not a trackbot database: move it aside" in line, line


def test_a_database_whose_parent_is_a_file_is_one_line_naming_both(tmp_path, web):
    (tmp_path / "hostname").write_text("box\n")
    db = tmp_path / "hostname" / "t.db"
    result = CliRunner().invoke(main, [*args(tmp_path, db, web.url), "status"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert f"{tmp_path / 'hostname'} is a file, not a directory" in line and str(db) in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_on_a_read_only_database_read_commands_work_and_poll_says_why_it_cannot(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    folder = tmp_path / "db"
    folder.mkdir()
    db = folder / "t.db"
    base = args(tmp_path, db, web.url)
    assert CliRunner().invoke(main, [*base, "poll"]).exit_code == 0
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        status = CliRunner().invoke(main, [*base, "status"])
        events = CliRunner().invoke(main, [*base, "events", "--json"])
        polled = CliRunner().invoke(main, [*base, "poll"])
    finally:
        folder.chmod(0o755)
    assert status.exit_code == 0 and "moby" in status.output
    assert events.exit_code == 0 and "new_release" in events.output
    assert polled.exit_code == 1
    [line] = polled.output.strip().splitlines()
    assert "polling needs to write beside the database" in line or "cannot write there" in line, line


def test_a_full_disk_mid_poll_blames_no_source_and_names_the_database(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY[: MOBY.index(b"\n## ", 20000) + 1])  # an older, shorter copy
    cfg = configuration.load(write_config(tmp_path, web.url))
    db = tmp_path / "t.db"
    store = Store.open(db)
    asyncio.run(poll_and_deliver(cfg, store, clock=Clock(), deliverer=Collect()))
    web.routes["/CHANGELOG.md"] = Route(MOBY)  # many more records to write than the disk holds
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StorageError) as failure:
        cli._poll_once(cfg, store)
    assert f"database {db}" in str(failure.value) and "full" in str(failure.value)
    assert "\n" not in str(failure.value)
    state = store.source_state("moby")
    assert state["consecutive_failures"] == 0 and not state.get("last_error")
    store.db.execute("PRAGMA max_page_count = 1073741823")  # space again: the next poll completes
    assert cli._poll_once(cfg, store) == 0
    assert [i.kind for i in store.incidents(open_only=True)] == []


def test_notes_and_silences_racing_a_poll_never_die_of_a_locked_database(tmp_path, web):
    """Separate processes, as on a real host: every command waits its turn."""
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    db = tmp_path / "t.db"
    base = [sys.executable, "-m", "bot.cli.main", *args(tmp_path, db, web.url)]
    polls = [subprocess.Popen([*base, "poll", "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    writers = [subprocess.Popen([*base, "note", "1.10.3", f"note {i}", "-p", "docker"] if i % 2 else
                                [*base, "silence", "-p", "docker", "--for", "1h", "--reason", f"r{i}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(8)]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in [*polls, *writers]]
    assert not [err for _, err in outcomes if "locked" in err], outcomes
    assert all(code == 0 for code, _ in outcomes[2:]), outcomes  # every note and silence saved
    assert sorted(code for code, _ in outcomes[:2]) in ([0, 0], [0, 75])  # a second poll may find the lock taken (busy: 75)
    assert len(Store.open(db).notes()) == 4


def test_the_read_only_open_reads_a_wal_database_without_writing_a_byte(tmp_path, web):
    """What read commands fall back to on a read-only file system (also testable as root)."""
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    db = tmp_path / "t.db"
    assert CliRunner().invoke(main, [*args(tmp_path, db, web.url), "poll"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.glob("t.db*")}
    store = Store.open_readonly(db)
    assert store.source_state("moby")["consecutive_failures"] == 0
    assert store.events(kinds=["new_release"])
    with pytest.raises(Exception, match="readonly"):
        store.add_note("docker", "1.10.3", "x", Clock()())
    assert {p.name: p.read_bytes() for p in tmp_path.glob("t.db*")} == before
