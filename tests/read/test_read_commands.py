"""Read commands as a user types them: no silent empty databases, aliases, refusals, ordering."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main
from bot.core.model import Event, Finding
from bot.store.history import Store
from tests.conftest import FIXTURES, Route
from tests.read.conftest import CLOCK, NOW


def run(cfg, db, *args):
    return CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), *args])


def test_read_commands_refuse_a_database_that_does_not_exist(tmp_path):
    missing = tmp_path / "missing.db"
    for command in (["events"], ["status"], ["incidents"], ["search", "x"], ["silences"], ["why", "1.10"],
                    ["digest"], ["changes", "1.10.0", "1.10.3", "--product", "docker"]):
        out = run(tmp_path / "sources.yaml", missing, *command)
        assert out.exit_code != 0, command
        assert str(missing) in out.output and "trackbot poll" in out.output
        assert not missing.exists()


def test_product_aliases_give_the_same_events(history):
    cfg, db = history
    moby = json.loads(run(cfg, db, "events", "--product", "moby", "--json").output)
    docker = json.loads(run(cfg, db, "events", "--product", "docker", "--json").output)
    assert moby == docker and {e["key"] for e in docker} >= {"new_release:docker:1.10.3", "new_release:docker:1.10.1"}
    assert all(e["product"] in ("docker", "moby") for e in docker)


def test_unknown_product_and_kind_are_usage_errors_with_a_guess(history):
    cfg, db = history
    out = run(cfg, db, "events", "--product", "dockr")
    assert out.exit_code == 2 and "did you mean docker" in out.output
    out = run(cfg, db, "events", "--kind", "new_releases")
    assert out.exit_code == 2 and "did you mean new_release" in out.output
    assert run(cfg, db, "events", "--kind", "branch_eol", "--json").exit_code == 0


def test_no_baseline_and_limit(history):
    cfg, db = history
    rows = json.loads(run(cfg, db, "events", "--no-baseline", "--json").output)
    assert rows and not any(r["baseline"] for r in rows)
    assert len(json.loads(run(cfg, db, "events", "--limit", "2", "--json").output)) == 2


def test_events_read_at_80_columns_a_line_per_event_and_its_summary_under_it(history):
    cfg, db = history
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "events", "--limit", "2"],
                             env={"COLUMNS": "80"})
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "the newest 2 of 4 events since 7d, oldest first"
    assert lines[1].endswith(" warning fix_available  docker 1.10.0")
    assert lines[2] == "    docker 1.10.0: CVE-2016-3697 fixed in 1.10.3"
    assert lines[3].endswith(" critical branch_eol  linux 3.16") and lines[4] == "    linux 3.16 reached EOL"
    every = run(cfg, db, "events").output
    assert "new_release (baseline)  moby 1.10.1" in every


def test_a_reader_closing_the_pipe_ends_the_command_quietly(history):
    cfg, db = history
    cmd = f"{sys.executable} -m bot.cli.main --config {cfg} --db {db} events --json | head -c 10"
    store = Store.open(db)  # 600 KB of JSON: printing outlasts `head`
    store.add_events([Event("new_release", "info", "docker", f"9.{i}.0", f"k{i}", "y" * 2000) for i in range(300)],
                     1, NOW)
    store.db.close()
    done = subprocess.run(["bash", "-c", f"{cmd}; echo rc=${{PIPESTATUS[0]}}"], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "TRACKBOT_NOW": NOW.isoformat()})
    assert done.stdout.endswith("rc=141\n") and done.stderr == ""


def test_search_orders_versions_by_scheme_and_shows_date_and_source(history):
    cfg, db = history
    hits = json.loads(run(cfg, db, "search", "aufs", "mount", "--json").output)
    assert [h["version"] for h in hits] == ["0.7.0", "0.10.0", "1.10.3"]
    assert hits[-1]["date"] == "2016-03-10" and hits[-1]["source"] == "moby"
    text = run(cfg, db, "search", "aufs", "leak").output
    assert "docker 1.10.3 (2016-03-10, moby): Fix aufs mount leak" in text


def test_incidents_open_and_all(history):
    cfg, db = history
    open_now = json.loads(run(cfg, db, "incidents", "--json").output)
    assert [i["key"] for i in open_now] == ["mirror:Packages.xz"] and open_now[0]["age"].startswith("1d")
    every = json.loads(run(cfg, db, "incidents", "--all", "--json").output)
    assert every[-1]["state"] == "resolved" and every[-1]["duration"] == "4h"
    table = run(cfg, db, "incidents").output
    assert "apt_index_missing" in table and "mirror" in table


def test_incidents_read_at_80_columns_with_their_summary_whole(history):
    cfg, db = history
    store = Store.open(db)
    summary = ("http://deb.example.org/debian bookworm-updates: Hash Sum mismatch on main/binary-amd64/Packages: "
               "expected 32757 bytes, received 32770; the by-hash copy answers 404")
    row = store.incident_seen("deb-mirror", Finding("apt_hash_mismatch", "deb-mirror:hash", summary), NOW)
    store.open_incident(row["rowid"], NOW)
    store.db.close()
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "incidents"], env={"COLUMNS": "80"})
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    at = lines.index(next(line for line in lines if line.startswith("OPEN apt_hash_mismatch (critical) deb-mirror: "
                                                                     "open for ")))  # NOW is the suite's start
    assert lines[at + 1].startswith("    since ") and ", last seen " in lines[at + 1]
    assert " ".join(line.strip() for line in lines[at + 2:at + 5]) == summary  # wrapped, not cut


def test_note_and_silence_refuse_nonsense(history):
    cfg, db = history
    assert run(cfg, db, "note", "1.10.3", "  ").exit_code == 2
    out = run(cfg, db, "silence", "--product", "docker", "--for", "0d", "--reason", "x")
    assert out.exit_code == 2 and "longer than 0" in out.output
    out = run(cfg, db, "silence", "--product", "dockr", "--for", "1d", "--reason", "x")
    assert out.exit_code == 2 and "did you mean docker" in out.output
    out = run(cfg, db, "silence", "--product", "docker", "--for", "1d", "--reason", "  ")
    assert out.exit_code == 2 and "say why" in out.output
    assert json.loads(run(cfg, db, "silences", "--json").output) == []  # nothing was saved


def test_status_fits_80_columns_and_counts_open_incidents(history, tmp_path):
    """Long source names stay whole at 80 columns; a failing source's error and next try follow the table."""
    cfg, db = history
    names = ["moby-releases", "docker-engine-notes", "debian-security-tracker", "mirror"]
    cfg.write_text("sources:\n" + "".join(
        f"  - {{name: {n}, kind: debian_security_tracker, url: https://example.org/{n}, every: 1h}}\n"
        for n in names))
    store = Store.open(db)
    store.mark_failure("mirror", "debian_security_tracker", NOW,
                       "https://example.org/" + "very/long/" * 20 + "Release: HTTP 503 Service Unavailable", 1.0)
    store.db.close()
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "status"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in names:  # never cut: a name is what `poll --source` takes
        assert any(f"│ {name} " in line for line in lines), name
    [row] = [line for line in lines if "│ mirror " in line]
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["never", "1", "1"]  # fails, open incidents
    at = lines.index(next(line for line in lines if line.startswith("mirror: failing since")))
    assert re.fullmatch(r"mirror: failing since \S+ \S+Z, next try \d{4}-\d\d-\d\d \d\d:\d\dZ", lines[at])
    assert lines[at + 1].startswith("    https://example.org/") and "…" in lines[at + 1]  # the host kept
    assert lines[at + 1].endswith("HTTP 503 Service Unavailable")
    listed = json.loads(CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "status", "--json"]).output)
    assert [(s["name"], s["open_incidents"], bool(s["next_try"])) for s in listed] == [
        ("moby-releases", 0, False), ("docker-engine-notes", 0, False), ("debian-security-tracker", 0, False),
        ("mirror", 1, True)]


def test_help_examples_stay_one_per_line():
    from bot.cli.main import main as group

    out = CliRunner().invoke(group, ["silence", "-h"]).output
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    assert lines[first + 1].strip().startswith("trackbot silence --product docker")
    assert lines[first + 2].strip().startswith("trackbot silence 'source_failing:*'")


def test_every_command_shows_its_examples_one_per_line_at_80_columns():
    from bot.cli.main import main as group

    for name in group.commands:
        out = CliRunner().invoke(group, [name, "-h"], env={"COLUMNS": "80"}).output
        lines = out.splitlines()
        heading = next((i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")), None)
        assert heading is not None, f"{name}: no example"
        example = lines[heading + 1]
        assert example.startswith("    ") and example.split()[0] in ("trackbot", "datasette"), (name, example)


def test_help_events_lists_every_kind_with_its_severity():
    from bot.core.event_kinds import EVENT_KINDS

    out = CliRunner().invoke(main, obj=CLOCK, args=["help", "events"], env={"COLUMNS": "200"}).output
    for kind in EVENT_KINDS:
        assert kind.name in out
    assert "apt_hash_mismatch" in out and "critical" in out


def test_the_readme_lists_the_same_event_kinds_and_severities_as_help_events():
    from bot.core.event_kinds import EVENT_KINDS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for kind in EVENT_KINDS:
        assert f"| `{kind.name}` | {kind.severity} | {kind.meaning} |" in readme, kind.name


def test_events_kind_accepts_a_resolved_incident_kind(history):
    cfg, db = history
    assert run(cfg, db, "events", "--kind", "apt_hash_mismatch_resolved", "--json").output == "[]\n"
    assert run(cfg, db, "events", "--kind", "storage_failing_resolved", "--json").exit_code == 0


def test_db_prints_the_path(tmp_path):
    out = CliRunner().invoke(main, obj=CLOCK, args=["--db", str(tmp_path / "x.db"), "db"])
    assert out.output.strip() == str(tmp_path / "x.db")


def test_a_silence_named_by_an_alias_holds_the_product():
    from bot.core.model import Event
    from bot.core.silence import Silence, covers

    held = Silence(1, "moby", "", "upgrade window", "2026-01-01", "2027-01-01")
    assert covers(held, Event("new_release", "info", "docker", "1.10.4", "k", "docker 1.10.4"))
    assert not covers(held, Event("new_release", "info", "linux", "3.16.85", "k2", "linux"))


def test_why_tells_a_run_oldest_first(history):
    cfg, db = history
    store = Store.open(db)
    run_id = store.start_run(NOW)
    from bot.core.model import Event

    store.add_events([Event("new_release", "info", "docker", v, f"new_release:docker:{v}", f"docker {v}")
                      for v in ("1.10.6", "1.10.5", "1.10.4")], run_id, NOW)
    store.db.close()
    story = json.loads(run(cfg, db, "why", "1.10", "--product", "docker", "--json").output)
    versions = [e["version"] for e in story["events"]]
    assert versions[-3:] == ["1.10.4", "1.10.5", "1.10.6"]
    assert story["events"][0]["detected_at"] <= story["events"][-1]["detected_at"]


def test_poll_table_shows_a_source_with_an_open_incident_as_such():
    import io

    from rich.console import Console

    from bot.core.reports import DeliveryReport, RunReport, SourceResult
    from bot.read.views import PollIncidents, show_poll

    report = RunReport([SourceResult("debian-security-mirror", "apt_repo", "unchanged"),
                        SourceResult("docker-apt", "apt_repo", "unchanged"),
                        SourceResult("moby", "docker_changelog", "unchanged")])
    out = io.StringIO()
    show_poll(Console(file=out, width=80), report, DeliveryReport(),
              PollIncidents({"debian-security-mirror": 2, "docker-apt": 1}, {"debian-security-mirror": 1}),
              show_all=True)
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "│ 1 new incident " in next(line for line in text.splitlines() if "│ debian-security-mirror " in line)
    assert "│ 1 incident open " in next(line for line in text.splitlines() if "│ docker-apt " in line)
    assert "incident" not in next(line for line in text.splitlines() if "│ moby " in line)


def test_search_also_finds_incidents(history):
    cfg, db = history
    hits = json.loads(run(cfg, db, "search", "packages.xz", "--json").output)
    assert [(h["kind"], h["source"]) for h in hits] == [("incident:apt_index_missing", "mirror")]
    assert run(cfg, db, "search", "packages.xz").output.startswith("[incident:apt_index_missing] (")


def test_search_matches_words_ranked_and_finds_dsa_announcements(tmp_path, web):
    """Real polls of the moby CHANGELOG and the DSA list: `section` is a key of every stored line, not a
    word of them; a DSA is found by its text and its CVEs; the best match comes first."""
    web.routes["/CHANGELOG.md"] = Route((FIXTURES / "docker/moby-CHANGELOG.md").read_bytes())
    web.routes["/dsa.txt"] = Route((FIXTURES / "debian-security/DSA-list-excerpt.txt").read_bytes())
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"""sources:
  - {{name: moby, kind: docker_changelog, url: "{web.url}/CHANGELOG.md"}}
  - {{name: dsa, kind: debian_dsa, url: "{web.url}/dsa.txt"}}
""")
    db = tmp_path / "t.db"
    assert run(cfg, db, "poll").exit_code == 0
    section = json.loads(run(cfg, db, "search", "section", "--json").output)
    assert section and all("section" in h["text"].lower() for h in section)
    dsa = json.loads(run(cfg, db, "search", "CVE-2002-0660", "--json").output)
    assert [(h["kind"], h["product"], h["source"], h["date"]) for h in dsa] == [
        ("announcement", "debian:libpng", "dsa", "2002-08-05")]
    assert "debian [announcement] (2018-04-18, dsa): DSA-4205-1 jessie end-of-life" in \
        run(cfg, db, "search", "jessie", "end-of-life").output
    ranked = json.loads(run(cfg, db, "search", "overlay", "--json").output)
    tiers = [round(h["rank"], 1) for h in ranked]  # bm25: best (lowest) first; near-equal ones by version
    assert len(ranked) > 10 and tiers == sorted(tiers)
    assert len(json.loads(run(cfg, db, "search", "overlay", "--limit", "3", "--json").output)) == 3
