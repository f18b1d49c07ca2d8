"""A poll killed mid-run leaves a sound database, and the next poll completes."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FIXTURES, Route

MOBY = (FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes()


def test_kill_during_poll_then_poll_again(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/slow.md"] = Route(MOBY, delay=30)
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""
sources:
  - {{name: fast, kind: docker_changelog, url: "{web.url}/CHANGELOG.md"}}
  - {{name: slow, kind: docker_changelog, url: "{web.url}/slow.md"}}
settings: {{retries: 0, timeout: 60}}
"""
    )
    db = tmp_path / "trackbot.db"
    env = {**os.environ, "TRACKBOT_CONFIG": str(config), "TRACKBOT_DB": str(db)}
    command = [sys.executable, "-m", "bot.cli.main", "poll"]
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(path == "/slow.md" for path, _ in web.requests):
        time.sleep(0.05)
    time.sleep(0.5)  # the fast source commits meanwhile
    child.send_signal(signal.SIGKILL)
    child.wait()

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("select count(*) from records where source = 'slow'").fetchone()[0] == 0

    web.routes["/slow.md"] = Route(MOBY)
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("select source, count(*) from records group by source").fetchall())
    assert counts["slow"] == counts["fast"] > 1000
