"""End to end: a real web server on 127.0.0.1, real polls into a real SQLite history."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import load as configuration
from bot.core.alert import Alert
from bot.deliver.loop import Delivered
from bot.read.why import story
from bot.store.history import Store
from tests.conftest import FIXTURES, Route, poll_and_deliver

MOBY = (FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes()


class Collect:
    """A sink that keeps what it was given, like a console nobody can lose."""

    name = "collect"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def prepare(self, store, now):
        pass

    def send(self, outgoing):
        self.alerts.append(outgoing.alert)
        return Delivered(channel="test")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def write_config(tmp_path: Path, web_url: str, extra: str = "") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"""
fleet:
  - {{product: docker, version: "1.10.3"}}
watch_words: [aufs, devicemapper]
sources:
  - {{name: moby, kind: docker_changelog, url: "{web_url}/CHANGELOG.md"}}
{extra}
settings: {{retries: 0, timeout: 5}}
"""
    )
    return path


@pytest.fixture
def setup(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    cfg = configuration.load(write_config(tmp_path, web.url))
    store = Store.open(tmp_path / "db" / "trackbot.db")
    return cfg, store, Clock(), Collect()


def poll(cfg, store, clock, sink):
    return asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))


def versions_in(store: Store) -> list[str]:
    return [s.record.version for s in store.records("moby") if s.record.kind == "release"]


def test_first_poll_is_a_baseline_with_one_summary(setup):
    cfg, store, clock, sink = setup
    report = poll(cfg, store, clock, sink)
    assert [r.status for r in report.results] == ["changed"]
    recorded = versions_in(store)
    headings = [h for h in MOBY.decode().splitlines() if h.startswith("## ")]
    assert "0.1.0" in recorded and "17.05.0-ce" in recorded and len(recorded) == len(headings) == 98
    assert all(e.baseline for e in store.events())
    [alert] = sink.alerts
    assert alert.kind == "baseline"
    text = " ".join(item.summary for item in alert.items)
    assert "docker 1.10.3" in text and "17.05.0-ce" in text


def test_second_poll_is_conditional_and_records_nothing_new(setup, web):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    clock.advance(minutes=15)
    report = poll(cfg, store, clock, sink)
    assert [r.status for r in report.results] == ["unchanged"]
    assert "if-none-match" in web.requests[-1][1]
    assert len(sink.alerts) == 1


def test_a_new_release_in_the_pinned_branch_alerts_once(setup, web):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    newer = MOBY.replace(b"## 1.10.3 (2016-03-10)", b"## 1.10.4 (2016-04-01)\n\n- Fix aufs mount leak\n\n## 1.10.3 (2016-03-10)", 1)
    web.routes["/CHANGELOG.md"] = Route(newer)
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)  # unchanged: nothing more
    assert len(sink.alerts) == 2
    alert = sink.alerts[1]
    assert alert.severity == "warning"
    assert [(e.kind, e.version) for e in alert.items] == [  # loudest kinds first
        ("fix_available", "1.10.3"),  # the rules: a watch word (aufs) fixed in the pin's branch
        ("new_release", "1.10.4"),
    ]
    assert alert.items[1].data["pins"] == ["docker 1.10.3"]
    assert "in docker 1.10.4: Fix aufs mount leak" in alert.items[0].summary


def test_why_tells_the_story_of_a_branch_oldest_first(setup):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    told = story(store, cfg.fleet, "1.10", "docker")
    assert [r["version"] for r in told["releases"]] == ["1.10.0", "1.10.1", "1.10.2", "1.10.3"]
    assert told["releases"][0]["date"] == "2016-02-04"
    assert told["releases"][3]["date"] == "2016-03-10"
    assert any("fix" in line["classes"] for line in told["releases"][3]["lines"])
    assert told["pins"] == [{"product": "docker", "version": "1.10.3", "distro": ""}]


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        (MOBY[: len(MOBY) // 3], "truncated"),
        (MOBY[: MOBY.index(b"\n## 1.10.3")] + b"\n", "oldest version"),
    ],
)
def test_a_broken_answer_fails_the_source_and_withdraws_nothing(setup, web, body, reason):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    before = versions_in(store)
    web.routes["/CHANGELOG.md"] = Route(body)
    clock.advance(minutes=15)
    report = poll(cfg, store, clock, sink)
    [result] = report.results
    assert result.status == "failed" and reason.lower() in result.reason.lower()
    assert versions_in(store) == before
    assert not store.events(kinds=["release_withdrawn"])
    assert len(sink.alerts) == 1


def test_a_source_failing_three_runs_opens_one_incident_and_resolves_it(setup, web):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    web.routes["/CHANGELOG.md"] = Route(b"", status=500)
    for _ in range(5):
        clock.advance(minutes=15)
        poll(cfg, store, clock, sink)
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    kinds = [a.kind for a in sink.alerts]
    assert kinds == ["baseline", "incident_open", "incident_resolved"]
    assert "failed 3 runs in a row" in sink.alerts[1].title
    assert sink.alerts[2].title.startswith("Resolved after 1h 15m")


def test_cli_why_json_and_events(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(path), "--db", db, "poll"])
    assert first.exit_code == 0, first.output
    assert "moby" in first.output and "changed" in first.output
    out = runner.invoke(main, ["--config", str(path), "--db", db, "why", "1.10", "--product", "docker", "--json"])
    data = json.loads(out.output)
    assert [r["version"] for r in data["releases"]] == ["1.10.0", "1.10.1", "1.10.2", "1.10.3"]
    events = runner.invoke(main, ["--config", str(path), "--db", db, "events", "--json", "--product", "docker"])
    rows = json.loads(events.output)
    assert {"kind", "severity", "product", "version", "key", "detected_at", "summary"} <= set(rows[0])


def test_cli_poll_exits_1_when_a_source_fails_and_still_polls_the_others(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    extra = f'  - {{name: broken, kind: docker_changelog, url: "{web.url}/missing.md"}}'
    path = write_config(tmp_path, web.url, extra)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "poll"])
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "changed" in result.output


@pytest.mark.parametrize(
    "text, message",
    [
        ("sources:\n  - {name: a, kind: nope, url: x}\n", "sources[0] a: unknown kind 'nope' (valid:"),
        ("sources:\n  - {name: a, kind: docker_changelog, ulr: x}\n", "sources[0] a: unknown key 'ulr' (did you mean 'url'?)"),
        ("sources:\n  - {name: a, kind: docker_changelog}\n", "sources[0] a: missing 'url'"),
        ("fleet:\n  - {product: docker, version: latest}\n", "fleet[0] docker: 'version' 'latest' does not parse"),
        ("sources:\n  - {name: a, kind: docker_changelog, url: x}\n  - {name: a, kind: docker_changelog, url: y}\n",
         "sources[1] a: duplicate source name"),
        ("fleet: [\n", "invalid YAML"),
        ("sources:\n  - {name: a, kind: docker_changelog, url: x, every: 1 hour}\n",
         "sources[0] a: 'every' '1 hour' is not an interval (use e.g. 15m, 1h, 1d)"),
    ],
)
def test_a_bad_config_is_one_line_and_exit_2_before_any_network_call(tmp_path, web, text, message):
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "poll"])
    assert result.exit_code == 2
    assert message in result.output and str(path) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert web.requests == []


def test_cli_search_and_digest(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    args = ["--config", str(path), "--db", str(tmp_path / "t.db")]
    runner = CliRunner()
    runner.invoke(main, [*args, "poll"])
    found = runner.invoke(main, [*args, "search", "aufs", "mount"])
    assert found.exit_code == 0
    hits = re.split(r"\n(?! )", found.output.strip())  # a hit's text wraps under it, indented (80 columns)
    assert hits and all("aufs" in h.lower() and "mount" in h.lower() for h in hits)
    # the baseline is not news: the first digest says so
    assert "nothing new" in runner.invoke(main, [*args, "digest"]).output
    newer = MOBY.replace(b"## 17.05.0-ce", b"## 17.06.0-ce (2017-06-28)\n\n- Fix overlay leak\n\n## 17.05.0-ce", 1)
    web.routes["/CHANGELOG.md"] = Route(newer)
    runner.invoke(main, [*args, "poll"])
    out = tmp_path / "digest.txt"
    runner.invoke(main, [*args, "digest", "--out", str(out)])
    text = out.read_text()
    assert "### docker (1)" in text and "docker 17.06.0-ce released (2017-06-28)" in text


def test_a_second_run_while_one_holds_the_lock_exits_at_once(tmp_path, web):
    from bot.store.lock import run_lock

    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    db = str(tmp_path / "t.db")
    with run_lock(db):
        result = CliRunner().invoke(main, ["--config", str(path), "--db", db, "poll"])
    assert result.exit_code == 75  # busy (EX_TEMPFAIL): a cron wrapper retries, it does not page anyone
    assert "another trackbot poll holds" in result.output
    assert web.requests == []


def test_status_shows_failures_and_last_error(tmp_path, web):
    path = write_config(tmp_path, web.url)  # nothing served: 404
    args = ["--config", str(path), "--db", str(tmp_path / "t.db")]
    runner = CliRunner()
    runner.invoke(main, [*args, "poll"])
    runner.invoke(main, [*args, "poll"])
    out = runner.invoke(main, [*args, "status"]).output
    assert "moby" in out and "never" in out and "2" in out and "HTTP 404" in out


def test_console_alerts_respect_silences_and_keep_the_events(setup, web):
    import io

    from rich.console import Console

    from bot.deliver.loop import ConsoleSink

    cfg, store, clock, _ = setup
    out = io.StringIO()
    console = ConsoleSink(Console(file=out, width=200))
    poll(cfg, store, clock, console)
    store.add_silence(clock(), clock() + timedelta(days=7), product="docker", pattern="", reason="upgrade window")
    newer = MOBY.replace(b"## 1.10.3 (2016-03-10)",
                         b"## 1.10.4 (2016-04-01)\n\n- Fix x (CVE-2016-3697)\n\n## 1.10.3 (2016-03-10)", 1)
    web.routes["/CHANGELOG.md"] = Route(newer)
    clock.advance(minutes=15)
    report = poll(cfg, store, clock, console)
    assert report.delivery.skipped == 1  # the release and its fix: one warning message, silenced
    assert "1.10.4" not in out.getvalue()
    assert store.events(kinds=["new_release"], since=clock.now - timedelta(minutes=1))[0].version == "1.10.4"


def test_upstream_text_cannot_drive_the_operators_terminal(setup, web, tmp_path):
    import io

    from rich.console import Console

    from bot.deliver.loop import ConsoleSink

    cfg, store, clock, _ = setup
    poll(cfg, store, clock, Collect())
    hostile = "Fix \x1b]0;owned\x07 title \x1b[2J clear [bold red]markup[/]"
    newer = MOBY.replace(b"## 1.10.3 (2016-03-10)", f"## 1.10.4 (2016-04-01)\n\n- {hostile}\n\n## 1.10.3 (2016-03-10)".encode(), 1)
    web.routes["/CHANGELOG.md"] = Route(newer)
    clock.advance(minutes=15)
    out = io.StringIO()
    poll(cfg, store, clock, ConsoleSink(Console(file=out, width=300, force_terminal=False)))
    why = CliRunner().invoke(main, ["--config", str(cfg.path), "--db", str(tmp_path / "db" / "trackbot.db"),
                                    "why", "1.10.4", "--product", "docker"])
    digest = CliRunner().invoke(main, ["--config", str(cfg.path), "--db", str(tmp_path / "db" / "trackbot.db"),
                                       "digest"])
    for text in (out.getvalue(), why.output, digest.output):
        assert "\x1b" not in text and "\x07" not in text
    assert "[bold red]markup[/]" in why.output  # shown literally, not interpreted


class SlowClock(Clock):
    """Each reading is a few seconds after the last: a poll takes time, as real ones do."""

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=3)
        return self.now


@pytest.mark.parametrize("late_start", [0, 2])
def test_every_1h_polls_again_an_hour_later_not_a_run_later(tmp_path, web, late_start):
    """`every: 1h` under `run --every 15m` (or cron): due at the 4th run, not the 5th.

    The interval counts from when the source's last poll began; a run that starts a second
    or two early against the last one (cron and timer jitter) still counts as due.
    """
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url).read_text().replace("CHANGELOG.md\"}", "CHANGELOG.md\", every: 1h}")
    (tmp_path / "sources.yaml").write_text(path)
    cfg = configuration.load(tmp_path / "sources.yaml")
    store, clock = Store.open(tmp_path / "t.db"), SlowClock()
    clock.advance(seconds=late_start)
    poll(cfg, store, clock, Collect())
    statuses = []
    for minutes in (15, 30, 45, 60):
        clock.now = datetime(2026, 11, 27, 12, minutes % 60, tzinfo=UTC) + timedelta(hours=minutes // 60)
        statuses.append(poll(cfg, store, clock, Collect()).results[0].status)
    assert statuses == ["skipped", "skipped", "skipped", "unchanged"]


def test_an_incident_of_a_source_removed_from_the_config_is_closed_not_recalled_forever(tmp_path, web):
    """A failing source the team deletes from sources.yaml must not leave an incident open for ever
    (its Slack thread would be recalled every 24h with no way to resolve it)."""
    from bot.deliver.slack.followups import queue_reminders

    extra = f'  - {{name: old, kind: docker_changelog, url: "{web.url}/gone.md"}}'
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    cfg = configuration.load(write_config(tmp_path, web.url, extra))
    store, clock, sink = Store.open(tmp_path / "t.db"), Clock(), Collect()
    for _ in range(3):
        poll(cfg, store, clock, sink)
        clock.advance(minutes=15)
    assert [i.source for i in store.incidents(open_only=True)] == ["old"]
    trimmed = configuration.load(write_config(tmp_path, web.url))  # the team removes the source
    poll(trimmed, store, clock, sink)
    assert store.incidents(open_only=True) == []
    closing = sink.alerts[-1]
    assert closing.kind == "incident_resolved" and closing.source == "old"
    assert "no longer in sources.yaml" in closing.title
    assert queue_reminders(store, clock() + timedelta(days=3), timedelta(hours=24)) == 0


def test_run_keeps_polling_after_an_unexpected_error_in_one_run(tmp_path, web, monkeypatch):
    """`trackbot run` is the team's only watcher: one bad run (a locked or full disk) is
    reported in one line and the next run still happens; the checks never silently stop."""
    import sqlite3

    from bot.cli import poll as cli

    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    calls = []

    def flaky_poll(cfg, store, only=(), force=False, **options):
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return 0

    monkeypatch.setattr(cli, "_poll_once", flaky_poll)
    monkeypatch.setattr("bot.poll.daemon.time.sleep", lambda seconds: None)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "run", "--every", "1m",
                                       "--runs", "2"])
    assert len(calls) == 2
    assert "database is locked" in result.output


def test_credentials_in_a_source_url_never_reach_the_console_or_the_database(tmp_path, web):
    """An internal proxy reached as https://user:password@host/... or ?token=...: a failure names
    the URL (so it can be acted on) without its secrets."""
    url = web.url.replace("http://", "http://ops:s3cret-pw@") + "/missing.md?token=t0ken-value&lang=en"
    path = tmp_path / "sources.yaml"
    path.write_text(f'sources:\n  - {{name: proxied, kind: docker_changelog, url: "{url}"}}\n')
    db = tmp_path / "t.db"
    runner = CliRunner()
    polled = runner.invoke(main, ["--config", str(path), "--db", str(db), "poll"])
    status = runner.invoke(main, ["--config", str(path), "--db", str(db), "status"])
    assert polled.exit_code == 1 and "HTTP 404" in polled.output
    assert "missing.md" in polled.output and "lang=en" in polled.output
    stored = "\n".join(db.parent.joinpath(p).read_bytes().decode("latin-1") for p in ("t.db", "t.db-wal")
                       if db.parent.joinpath(p).exists())
    for text in (polled.output, status.output, stored):
        assert "s3cret-pw" not in text and "t0ken-value" not in text
    # once it answers: the records and the conditional-GET state hold no secret either, and it still works
    web.routes["/missing.md?token=t0ken-value&lang=en"] = Route(MOBY)
    for _ in range(2):
        assert runner.invoke(main, ["--config", str(path), "--db", str(db), "poll"]).exit_code == 0
    assert "if-none-match" in web.requests[-1][1]  # the validators are still found
    store = Store.open(db)
    assert store.db.execute("select count(*) from records where data like '%s3cret%' or data like '%t0ken%'"
                            ).fetchone()[0] == 0
    assert "s3cret" not in str(store.http_state("proxied")) and "t0ken-value" not in str(store.http_state("proxied"))


def test_a_watch_word_added_after_the_baseline_applies_to_lines_already_seen(setup, web, tmp_path):
    """Settings that shape the records (watch words, product, url) changed in sources.yaml must
    not be hidden behind a 304: the next poll of each source asks for the whole body again."""
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)

    def watched(word):
        return [line["text"] for rel in story(store, cfg.fleet, "17.03.0-ce", "docker")["releases"]
                for line in rel["lines"] if f"watch:{word}" in line["classes"]]

    assert watched("overlay") == []
    text = cfg.path.read_text().replace("watch_words: [aufs, devicemapper]", "watch_words: [aufs, devicemapper, overlay]")
    cfg.path.write_text(text)
    cfg = configuration.load(cfg.path)
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    assert any("overlay encryption" in line for line in watched("overlay"))
    # re-reading old lines is not news: one summary of where the pins stand, no events alert
    assert [a.kind for a in sink.alerts] == ["baseline", "baseline"]
    assert "settings or fleet changed" in sink.alerts[1].title
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    assert "if-none-match" in web.requests[-1][1]  # and conditional again afterwards


def test_poll_source_with_a_misspelled_name_is_an_error_not_an_empty_success(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = write_config(tmp_path, web.url)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "poll", "-s", "mobi"])
    assert result.exit_code == 2
    assert "no source named 'mobi'" in result.output and "moby" in result.output
    assert web.requests == []


def test_check_finds_keyrings_where_the_poll_will_look_for_them(tmp_path, monkeypatch):
    """A relative keyring is relative to sources.yaml, as apt_repo reads it; `check` must not pass
    a keyring that only exists relative to where it happens to be run (the poll would then fail)."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "docker.asc").write_text("key")  # beside the cwd, not beside sources.yaml
    path = deploy / "sources.yaml"
    path.write_text('sources:\n  - {name: docker-apt, kind: apt_repo, url: "https://download.docker.com/linux/debian",'
                    " suites: [bookworm], components: [stable], keyring: keys/docker.asc}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "check"])
    assert result.exit_code == 2
    assert f"keyring {deploy / 'keys' / 'docker.asc'} does not exist" in result.output


@pytest.mark.parametrize("order", [("changelog", "feed"), ("feed", "changelog")])
def test_why_says_withdrawn_the_same_way_whatever_order_the_sources_were_stored_in(order):
    """Two sources list docker 1.10.3; one of them drops it. The story must not depend on row order:
    a version still listed by a source is not shown as withdrawn (the event tells who dropped it)."""
    from bot.core.model import Record

    store, now = Store.memory(), datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    release = Record("release", "release:1.10.3", "docker", "1.10.3", {"date": "2016-03-10"})
    for source in order:
        store.save_records(source, 1, now, seen=[release], new_or_changed=[release], gone=[])
    store.save_records("changelog", 2, now + timedelta(hours=1), seen=[], new_or_changed=[], gone=[release.key])
    [told] = story(store, (), "1.10.3", "docker")["releases"]
    assert told["withdrawn_at"] is None and set(told["sources"]) == {"changelog", "feed"}
    store.save_records("feed", 3, now + timedelta(hours=2), seen=[], new_or_changed=[], gone=[release.key])
    [told] = story(store, (), "1.10.3", "docker")["releases"]
    assert told["withdrawn_at"] == (now + timedelta(hours=2)).isoformat()


def test_a_stale_copy_served_once_is_nothing_and_a_real_withdrawal_is_recorded_once(setup, web):
    cfg, store, clock, sink = setup
    newer = MOBY.replace(b"## 17.05.0-ce", b"## 17.06.0-ce (2017-06-28)\n\n- Fix x\n\n## 17.05.0-ce", 1)
    web.routes["/CHANGELOG.md"] = Route(newer)
    poll(cfg, store, clock, sink)
    for body in (MOBY, newer, MOBY, newer):  # a CDN flapping between an old and a new copy
        web.routes["/CHANGELOG.md"] = Route(body)
        clock.advance(minutes=15)
        poll(cfg, store, clock, sink)
    assert [a.kind for a in sink.alerts] == ["baseline"]
    web.routes["/CHANGELOG.md"] = Route(MOBY)  # really withdrawn upstream
    for minutes in (15, 1, 1, 30):  # missing, then polls a minute apart (a retry, a manual poll): wait
        clock.advance(minutes=minutes)
        poll(cfg, store, clock, sink)
        assert not store.events(kinds=["release_withdrawn"]), minutes
    clock.advance(minutes=28)  # missing since 1 h (`confirm_after`): withdrawn, once
    poll(cfg, store, clock, sink)
    poll(cfg, store, clock, sink)
    # Recorded once; nobody pins 17.06, so it is info (the digest), never a message of its own.
    withdrawn = [(e.version, e.severity) for e in store.events(kinds=["release_withdrawn"])]
    assert withdrawn == [("17.06.0-ce", "info")]
    assert [a.kind for a in sink.alerts] == ["baseline"]
    assert "17.06.0-ce" not in versions_in(store)


def test_a_pin_added_later_gets_one_summary_of_where_it_stands(setup, web):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    text = cfg.path.read_text().replace('  - {product: docker, version: "1.10.3"}',
                                        '  - {product: docker, version: "1.10.3"}\n  - {product: docker, version: "1.9.0"}')
    cfg.path.write_text(text)
    cfg = configuration.load(cfg.path)
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    assert [a.kind for a in sink.alerts] == ["baseline", "baseline"]
    lines = [item.summary for item in sink.alerts[1].items]
    assert any(line.startswith("docker 1.9.0: 1 newer in its branch, up to 1.9.1") for line in lines), lines
    fixes = [e for e in store.events(kinds=["fix_available"]) if e.version == "1.9.0"]
    assert fixes and all(e.baseline for e in fixes)  # facts standing in the history, not news
    clock.advance(minutes=15)
    poll(cfg, store, clock, sink)
    assert len(sink.alerts) == 2  # and nothing more once settled


def test_an_open_incident_that_gets_worse_is_said_at_once_in_its_thread(tmp_path):
    from bot.core.model import Finding
    from bot.judge import incidents
    from bot.poll.cycle import apply_plan

    store = Store.open(tmp_path / "t.db")
    clock = Clock()

    def seen(severity):
        finding = Finding("apt_index_missing", "apt:x:missing", f"index missing ({severity})", severity=severity)
        at = incidents.Moment("x", clock(), 1)
        with store.transaction():
            apply_plan(store, incidents.track(store.live_incidents("x"), [finding], at, resolve_missing=True), at)
        clock.advance(minutes=15)

    for severity in ("warning", "warning", "critical", "critical"):
        seen(severity)
    queued = [(a.kind, a.severity) for a in store.pending_alerts()]
    assert queued == [("incident_open", "warning"), ("incident_update", "critical")]
    assert store.pending_alerts()[1].incident_key == "apt:x:missing"  # replies in the same thread


def test_an_unchanged_source_is_not_read_back_and_its_success_is_recorded(setup, monkeypatch):
    cfg, store, clock, sink = setup
    poll(cfg, store, clock, sink)
    clock.advance(minutes=15)

    def read_back(*args, **kwargs):
        raise AssertionError("a 304 read the source's stored records")

    monkeypatch.setattr(Store, "records", read_back)  # a warm poll's memory must not grow with history
    report = poll(cfg, store, clock, sink)
    monkeypatch.undo()
    assert [r.status for r in report.results] == ["unchanged"]
    state = store.source_state("moby")
    assert state["last_success_at"] == clock.now.isoformat(timespec="seconds")
    assert state["consecutive_failures"] == 0 and len(versions_in(store)) == 98
