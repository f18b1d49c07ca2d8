"""`trackbot backup` and db/: a consistent copy while trackbot writes; what git keeps out."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.store.history import Store

ROOT = Path(__file__).resolve().parents[2]


def test_backup_copies_everything_committed_even_while_a_write_is_open(tmp_path: Path):
    db = tmp_path / "db" / "trackbot.db"
    store = Store.open(db)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    store.add_note("docker", "1.10.3", "pinned: 1.11 breaks devicemapper", now)
    writer = sqlite3.connect(db)
    writer.execute("begin immediate")  # a poll in the middle of its transaction
    writer.execute("insert into notes (product, version, text, created_at) values ('x', '1', 'uncommitted', ?)",
                   [now.isoformat()])
    target = tmp_path / "backups" / "copy.db"
    result = CliRunner().invoke(main, ["--db", str(db), "backup", str(target)])
    writer.rollback()
    assert result.exit_code == 0, result.output
    assert "database copied to" in result.output
    copy = sqlite3.connect(target)
    assert copy.execute("select text from notes").fetchall() == [("pinned: 1.11 breaks devicemapper",)]
    assert copy.execute("pragma journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]
    assert Store.open(target).notes()[0]["version"] == "1.10.3"  # trackbot opens the copy as a database


def test_backup_of_a_missing_database_is_one_line_and_creates_nothing(tmp_path: Path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 1
    assert result.output.strip() == f"trackbot: no database at {tmp_path / 'none.db'}: nothing to back up"
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "none.db").exists()


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_git_ignores_the_database_files_but_keeps_the_readme():
    names = ["db/trackbot.db", "db/trackbot.db-wal", "db/trackbot.db-shm", "db/trackbot.lock", "db/README.md"]
    done = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.split() == names[:4]
    assert "trackbot backup" in (ROOT / "db/README.md").read_text()
