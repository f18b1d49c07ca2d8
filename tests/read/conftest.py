"""A history as polls leave it: events of several products and kinds, an open and a resolved incident."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.model import Event, Finding, Record
from bot.store.history import Store

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # fixed: the CLI reads it too (obj=CLOCK), never the machine's date


def CLOCK() -> datetime:  # noqa: N802 - the clock the CLI is handed in these tests
    return NOW


@pytest.fixture
def history(tmp_path):
    db = tmp_path / "t.db"
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\nfleet:\n  - {product: docker, version: 1.10.0}\n")
    store = Store.open(db)
    run = store.start_run(NOW - timedelta(days=2))
    store.add_events([
        Event("new_release", "info", "moby", "1.10.1", "new_release:docker:1.10.1", "docker 1.10.1", "moby",
              baseline=True),
        Event("new_release", "warning", "docker", "1.10.3", "new_release:docker:1.10.3", "docker 1.10.3", "moby"),
        Event("fix_available", "warning", "docker", "1.10.0", "fix_available:docker:1.10.0:CVE-2016-3697",
              "docker 1.10.0: CVE-2016-3697 fixed in 1.10.3", "moby"),
        Event("branch_eol", "critical", "linux", "3.16", "branch_eol:linux:3.16", "linux 3.16 reached EOL",
              "kernel"),
    ], run, NOW - timedelta(days=2))
    records = [
        Record("release", "release:1.10.3", "docker", "1.10.3", {"date": "2016-03-10"}),
        Record("release", "release:1.10.1", "docker", "1.10.1", {"date": "2016-02-11"}),
        Record("changelog_line", "line:1.10.3:a", "docker", "1.10.3", {"text": "Fix aufs mount leak", "classes": ["fix"]}),
        Record("changelog_line", "line:0.10.0:a", "docker", "0.10.0", {"text": "aufs mount rework"}),
        Record("changelog_line", "line:0.7.0:a", "docker", "0.7.0", {"text": "aufs mount first"}),
    ]
    with store.transaction():
        store.save_records("moby", run, NOW - timedelta(days=2), seen=records, new_or_changed=records, gone=())
    for key, resolve in (("mirror:Packages.xz", False), ("mirror:old", True)):
        row = store.incident_seen("mirror", Finding("apt_index_missing", key, f"{key} is missing"),
                                  NOW - timedelta(days=1))
        store.open_incident(row["rowid"], NOW - timedelta(days=1))
        if resolve:
            store.resolve_incident(row["rowid"], NOW - timedelta(hours=20))
    store.db.close()
    return cfg, db

