"""Exit codes as the README's table says (issue 23 item 3): 130 after Ctrl-C, saying what was saved; 141 when
the reader closes the pipe, in text mode as in --json; 75 busy is in test_daemon_lock.py."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.model import Event, Record
from bot.store.history import Store
from tests.conftest import Route

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A history whose every listing outlasts `head -1`: 3,000 events, 1,500 releases with a line each."""
    folder = tmp_path_factory.mktemp("big")
    (folder / "sources.yaml").write_text("sources: []\nfleet:\n  - {product: docker, version: 9.1.0}\n")
    store = Store.open(folder / "t.db")
    run = store.start_run(NOW)
    store.add_events([Event("new_release", "info", "docker", f"9.{i}.0", f"k{i}", "y" * 200) for i in range(3000)],
                     run, NOW)
    records = [Record("release", f"release:{i}", "docker", f"9.1.{i}", {"date": "2016-03-10"}) for i in range(1500)]
    records += [Record("changelog_line", f"line:{i}", "docker", f"9.1.{i}", {"text": "Fix yyy thing " * 10,
                                                                              "classes": ["fix"]}) for i in range(1500)]
    with store.transaction():
        store.save_records("moby", run, NOW, seen=records, new_or_changed=records, gone=())
    store.db.close()
    return folder


@pytest.mark.parametrize("command", ["events --since 3000d --all", "search yyy --all", "why 9.1 --product docker",
                                     "changes 9.1.0 9.1.1499 --product docker --all", "events --json --since 3000d"])
def test_a_reader_closing_the_pipe_exits_141_in_every_output_mode(big, command):
    line = (f"{sys.executable} -m bot.cli.main --no-pager --config {big}/sources.yaml --db {big}/t.db {command}"
            " | head -1 >/dev/null; echo rc=${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.stdout == "rc=141\n" and done.stderr == ""


def test_ctrl_c_mid_poll_exits_130_after_saying_what_was_saved(tmp_path, web):
    web.routes["/fast.md"] = Route(b"# Changelog\n\n## 1.0.0 (2016-01-01)\n\n- First\n")
    web.routes["/slow.md"] = Route(b"# Changelog\n\n## 2.0.0 (2016-02-01)\n\n- Late\n", delay=60)
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"sources:\n  - {{name: fast, kind: docker_changelog, url: '{web.url}/fast.md'}}\n"
                   f"  - {{name: slow, kind: docker_changelog, url: '{web.url}/slow.md'}}\n"
                   "settings: {retries: 0, timeout: 120, source_timeout: 120}\n")
    db = tmp_path / "t.db"
    poll = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "--config", str(cfg), "--db", str(db), "poll"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(path == "/slow.md" for path, _ in web.requests):
        time.sleep(0.1)
    time.sleep(1.0)  # the fast source is written
    poll.send_signal(signal.SIGINT)
    out, err = poll.communicate(timeout=60)
    assert poll.returncode == 130, err
    assert "Aborted!" not in err and "Traceback" not in err
    assert "trackbot: interrupted: 1 source of 2 finished this poll and what they found is saved" in err
    store = Store.open(db)
    assert {r.record.version for r in store.records("fast")} == {"1.0.0"} and store.records("slow") == []
