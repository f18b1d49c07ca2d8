"""History queries answer from SQL (issue 11): search matches words of the text (not JSON keys),
`why` finds a version and its branch without reading other versions, `events --limit` keeps the
newest, and `events --json` streams the same JSON a list would print."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlite_utils
from click.testing import CliRunner

from bot.cli.main import main
from bot.core.model import Event, Pin, Record
from bot.read.search import ordered_hits
from bot.read.why import story
from bot.store.history import Store
from bot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)



def texts(store: Store, words: list[str]) -> list[str]:
    """What `trackbot search WORDS` lists, as text."""
    return [hit.text for hit in ordered_hits(store, words)]

def line(version: str, text: str, section: str) -> Record:
    return Record("changelog_line", f"line:{version}:{text}", "docker", version,
                  {"text": text, "section": section, "classes": ["fix"]})


def history(store: Store) -> None:
    run = store.start_run(NOW)
    records = [
        Record("release", "release:1.10.3", "docker", "1.10.3", {"date": "2016-03-10"}),
        Record("release", "release:1.11.0", "docker", "1.11.0", {"date": "2016-04-13"}),
        line("1.10.3", "Fix a crash when a section of the config is empty", "Runtime"),
        line("1.10.3", "Fix aufs mount leak", "Storage"),
        line("1.11.0", "Add sections to the docs", "Docs"),
        Record("release", "release:1.100.0", "docker", "1.100.0", {"date": "2030-01-01"}),
    ]
    store.save_records("moby", run, NOW, seen=records, new_or_changed=records, gone=[])
    store.add_events([Event("branch_eol", "warning", "docker", "1.10", "branch_eol:docker:1.10", "1.10 ended"),
                      Event("new_release", "info", "docker", "1.11.0", "new_release:docker:1.11.0", "1.11.0")],
                     run, NOW)


def test_search_section_finds_only_lines_with_the_word_not_the_section_key():
    store = Store.memory()
    history(store)
    found = texts(store, ["section"])
    assert found == ["Fix a crash when a section of the config is empty"]
    assert texts(store, ["AUFS", "mount"]) == ["Fix aufs mount leak"]
    assert texts(store, ["Storage"]) == []  # a section heading is a field, not the line's words


def test_a_changed_line_is_found_by_its_new_words_only():
    store = Store.memory()
    history(store)
    changed = Record("changelog_line", "line:1.10.3:Fix aufs mount leak", "docker", "1.10.3",
                     {"text": "Fix overlay mount leak", "classes": ["fix"]})
    store.save_records("moby", 2, NOW, seen=[changed], new_or_changed=[changed], gone=[])
    assert texts(store, ["aufs"]) == []
    assert texts(store, ["overlay"]) == ["Fix overlay mount leak"]


def test_why_a_branch_reads_its_versions_and_its_branch_news_but_not_a_longer_number():
    store = Store.memory()
    history(store)
    told = story(store, [], "1.10.3", "docker")
    assert [r["version"] for r in told["releases"]] == ["1.10.3"]
    assert [line["text"] for line in told["releases"][0]["lines"]] == [
        "Fix a crash when a section of the config is empty", "Fix aufs mount leak"]
    assert [e["key"] for e in told["events"]] == ["branch_eol:docker:1.10"]
    assert [r["version"] for r in story(store, [], "1.1")["releases"]] == []  # not 1.10.3, 1.11.0 nor 1.100.0


def test_events_limit_keeps_the_newest_oldest_first_and_json_streams_the_same_list(tmp_path):
    store = Store.open(tmp_path / "t.db")
    for day in range(5):
        store.add_events([Event("new_release", "info", "docker", f"1.{day}.0", f"k{day}", f"docker 1.{day}.0")],
                         day + 1, NOW - timedelta(days=5 - day))
    assert [e.version for e in store.events(limit=2)] == ["1.3.0", "1.4.0"]
    runner = CliRunner()
    args = ["--db", str(tmp_path / "t.db"), "events", "--since", "30000d", "--json"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0
    assert json.loads(out.output) == [e.as_json() for e in store.events()]
    assert out.output == json.dumps([e.as_json() for e in store.events()], indent=2) + "\n"
    limited = runner.invoke(main, [*args, "--limit", "1"])
    assert [e["version"] for e in json.loads(limited.output)] == ["1.4.0"]
    empty = runner.invoke(main, [*args[:-3], "--kind", "branch_eol", "--json"])
    assert empty.output == "[]\n"


def test_a_database_from_before_search_indexing_finds_its_old_lines_after_migration(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before=["m006_history_indexes_and_search"])
    db["records"].insert({"source": "moby", "key": "line:1.10.3:a", "kind": "changelog_line", "product": "docker",
                          "version": "1.10.3", "digest": "d", "data": json.dumps({"text": "Fix aufs mount leak",
                                                                                  "section": "Storage"})})
    db["alerts"].insert({"id": 7, "created_at": "2026-01-01T00:00:00+00:00", "source": "moby", "kind": "events",
                         "severity": "warning", "title": "moby: 1 warning", "payload": "[]", "state": "sent",
                         "event_keys": json.dumps(["fix_available:docker:1.10.3"]), "attempts": 0})
    db.close()
    store = Store.open(tmp_path / "old.db")
    assert texts(store, ["aufs"]) == ["Fix aufs mount leak"]
    assert texts(store, ["Storage"]) == []
    assert [a.id for a in store.alerts(event_keys=["fix_available:docker:1.10.3"])] == [7]


def test_cli_search_section_prints_only_lines_holding_the_word(tmp_path):
    history(Store.open(tmp_path / "t.db"))
    args = ["--db", str(tmp_path / "t.db"), "search"]
    out = CliRunner().invoke(main, [*args, "section", "--json"])
    assert out.exit_code == 0, out.output
    assert [h["text"] for h in json.loads(out.output)] == ["Fix a crash when a section of the config is empty"]
    assert "no match" in CliRunner().invoke(main, [*args, "Storage"]).output  # a section heading, not a word
    moby = CliRunner().invoke(main, [*args, "aufs", "--product", "moby", "--json"])
    assert [(h["product"], h["date"]) for h in json.loads(moby.output)] == [("docker", "2016-03-10")]


def long_history(store: Store) -> None:
    """docker 1.0.0 to 1.19.9 (200 releases, each with a line), a 2.0.0 release candidate on top."""
    run = store.start_run(NOW)
    records = [Record("release", "release:2.0.0-rc1", "docker", "2.0.0-rc1", {"date": "2030-01-01"})]
    for minor in range(20):
        for patch in range(10):
            version = f"1.{minor}.{patch}"
            records += [Record("release", f"release:{version}", "docker", version, {"date": f"2020-{minor % 12 + 1:02d}-01"}),
                        line(version, f"Fix thing {minor} {patch}", "Runtime")]
    with store.transaction():
        store.save_records("moby", run, NOW, seen=records, new_or_changed=records, gone=[])


def test_digest_pin_row_and_changes_on_a_long_history_read_only_what_they_need():
    from bot.core.model import Pin
    from bot.read.changes import changes
    from bot.read.digest.build import build

    store = Store.memory()
    long_history(store)
    [row] = build(store, [Pin("moby", "1.10.0")], NOW - timedelta(days=7), NOW, "7d")["pins"]
    assert (row["newest_in_branch"], row["newest_overall"], row["releases_behind"]) == ("1.10.9", "1.19.9", 9)
    found = changes(store, "1.9.8", "1.10.1", "docker")
    assert sorted(c.version for c in found) == ["1.10.0", "1.10.1", "1.9.9"]
    assert [u["to"] for u in story(store, [Pin("docker", "1.1.3")], "1.1.3")["upgrades"]] == ["1.1.9"]


def test_the_numeric_prefilter_never_rules_out_a_version_in_the_branch():
    from bot.core.release_numbers import maybe_in_branch

    assert maybe_in_branch("3.16.85", "3.16", "kernel") and not maybe_in_branch("3.160.1", "3.16", "kernel")
    assert maybe_in_branch("v3.16.0-rc1", "3.16", "kernel") and maybe_in_branch("1:3.17-1", "3.16", "deb")


def test_dsa_announcements_stored_before_m009_become_searchable(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before=["m009_announcements_searchable"])
    db["records"].insert({"source": "dsa", "key": "DSA-140", "kind": "announcement", "product": "debian:libpng",
                          "version": "", "digest": "d", "data": json.dumps({
                              "id": "DSA-140", "summary": "DSA-140 libpng - buffer overflow",
                              "cves": ["CVE-2002-0660", "CVE-2002-0728"]})})
    db.close()
    store = Store.open(tmp_path / "old.db")
    expected = ["DSA-140 libpng - buffer overflow CVE-2002-0660 CVE-2002-0728"]
    assert texts(store, ["CVE-2002-0728"]) == expected
    assert texts(store, ["libpng", "overflow"]) == expected


def test_why_upgrade_hint_is_the_newest_final_release_of_the_branch_read_down_from_the_top():
    """Read newest first through the version-key index: a release candidate on top of the branch,
    other branches above it and a product alias do not change the answer."""
    store = Store.memory()
    long_history(store)
    run = store.start_run(NOW)
    rc = Record("release", "release:1.1.10-rc1", "docker", "1.1.10-rc1", {"date": "2030-01-01"})
    with store.transaction():
        store.save_records("moby", run, NOW, seen=[rc], new_or_changed=[rc], gone=[])
    hint = story(store, [Pin("moby", "1.1.3")], "1.1.3")["upgrades"]
    assert [(u["to"], u["command"]) for u in hint] == [("1.1.9", "trackbot changes 1.1.3 1.1.9 --product moby")]
    assert story(store, [Pin("docker", "1.19.9")], "1.19.9")["upgrades"] == []  # the newest: nothing to upgrade to
