"""One daemon per database (issue 23 item 2): `run` holds a daemon lock for its life, while the poll lock is
taken per poll, so a manual `poll`, `note` or `silence` still gets through while the daemon sleeps."""

import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main
from bot.store.lock import daemon_lock, daemon_lock_path, run_lock

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_run_exits_at_once_naming_the_first_ones_pid_while_manual_commands_get_through(tmp_path):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\nfleet:\n  - {product: docker, version: 1.10.3}\n")
    db = tmp_path / "t.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "--config", str(cfg), "--db", str(db), "run",
                              "--every", "1h"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = daemon_lock_path(db)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip() == str(first.pid)
                                                     and db.exists()):
            time.sleep(0.1)
        time.sleep(1)  # the first poll (of no source) is done: the daemon sleeps
        args = ["--config", str(cfg), "--db", str(db)]
        started = time.monotonic()
        second = CliRunner().invoke(main, [*args, "run", "--every", "1h"])
        assert second.exit_code == 75
        assert f"pid {first.pid}" in second.output and time.monotonic() - started < 10
        assert CliRunner().invoke(main, [*args, "poll"]).exit_code == 0
        assert CliRunner().invoke(main, [*args, "note", "1.10.3", "pinned", "--product", "docker"]).exit_code == 0
        silenced = CliRunner().invoke(main, [*args, "silence", "new_release:*", "--for", "1d", "--reason", "window"])
        assert silenced.exit_code == 0, silenced.output
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_the_daemon_lock_is_free_again_when_run_ends(tmp_path):
    db = tmp_path / "t.db"
    with daemon_lock(db):
        pass
    with daemon_lock(db), run_lock(db):  # the two locks are apart: a run holds both while it polls
        pass


def test_a_poll_that_finds_the_lock_taken_exits_75(tmp_path):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\n")
    db = tmp_path / "t.db"
    with run_lock(db):
        busy = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), "poll"])
    assert busy.exit_code == 75 and "another trackbot poll holds" in busy.output
