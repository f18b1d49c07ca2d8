"""`trackbot run`: a bad config fails at start; a bad edit while running keeps the last good one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main
from bot.store.history import Store
from tests.conftest import FIXTURES, Route

MOBY = (FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes()


def sources_yaml(url: str, *, second: bool = False, broken: bool = False) -> str:
    lines = ["sources:", f'  - {{name: moby, kind: docker_changelog, url: "{url}/CHANGELOG.md"}}']
    if second:
        lines.append(f'  - {{name: moby-mirror, kind: docker_changelog, url: "{url}/mirror/CHANGELOG.md"}}')
    if broken:
        lines.append("bogus_key: 1")
    lines.append("settings: {retries: 0, timeout: 5}")
    return "\n".join(lines) + "\n"


def test_run_on_a_bad_config_exits_2_at_once_printing_the_error_once(tmp_path, web):
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(web.url, broken=True))
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bot.cli.main", "--config", str(path), "--db", str(tmp_path / "t.db"),
                           "run", "--every", "1s"], capture_output=True, text=True, timeout=20)
    elapsed = time.monotonic() - began
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"trackbot: {path}: unknown key 'bogus_key'"]
    assert elapsed < 6.0  # about 0.4 s idle (mostly imports; 3.6 s seen on a loaded CI box); the old loop never exited
    assert web.requests == [] and not (tmp_path / "t.db").exists()


def test_run_on_a_config_that_names_a_missing_keyring_exits_2_like_check(tmp_path):
    """`check` and `run` share one validation: what check refuses, run refuses at start."""
    path = tmp_path / "sources.yaml"
    path.write_text('sources:\n  - {name: docker-apt, kind: apt_repo, url: "https://download.docker.com/linux/debian",'
                    " suites: [bookworm], components: [stable], keyring: keys/docker.asc}\n")
    args = ["--config", str(path), "--db", str(tmp_path / "t.db")]
    ran = CliRunner().invoke(main, [*args, "run", "--runs", "1"])
    checked = CliRunner().invoke(main, [*args, "check"])
    missing = f"keyring {tmp_path / 'keys' / 'docker.asc'} does not exist"
    assert ran.exit_code == 2 and missing in ran.output
    assert checked.exit_code == 2 and missing in checked.output


def test_a_bad_edit_while_running_keeps_the_last_good_config_with_one_incident(tmp_path, web, monkeypatch):
    """Runs: good config; edited broken (also adding a source); still broken; repaired with the new source."""
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror/CHANGELOG.md"] = Route(MOBY)
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(web.url))
    edits = iter([sources_yaml(web.url, second=True, broken=True), None,
                  sources_yaml(web.url, second=True)])
    polled: list[list[str]] = []

    def sleep(seconds: float) -> None:
        polled.append([p for p, _ in web.requests])
        web.requests.clear()
        text = next(edits)
        if text is not None:
            path.write_text(text)

    monkeypatch.setattr("bot.poll.daemon.time.sleep", sleep)
    db = tmp_path / "t.db"
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(db), "run", "--every", "1m", "--runs", "4"])
    polled.append([p for p, _ in web.requests])

    assert result.exit_code == 0, result.output
    assert polled[1] == polled[2] == ["/CHANGELOG.md"]  # broken: the old sources, polled as before
    assert sorted(polled[3]) == ["/CHANGELOG.md", "/mirror/CHANGELOG.md"]  # repaired: the new source too
    logged = [line for line in result.stderr.splitlines() if "bogus_key" in line]
    assert logged == [f"trackbot: {path}: unknown key 'bogus_key' (still polling with the last good config)"]

    store = Store.open(db)
    incidents = [i for i in store.incidents() if i.kind == "config_invalid"]
    assert len(incidents) == 1 and incidents[0].resolved_at is not None
    said = [(a.kind, a.state) for a in store.alerts() if a.source == "trackbot"]
    assert said == [("incident_open", "sent"), ("incident_resolved", "sent")]
    assert "bogus_key" in next(a.title for a in store.alerts() if a.kind == "incident_open")


def test_run_holds_the_lock_only_while_polling(tmp_path, web, monkeypatch):
    """A manual `poll` during a `run`'s sleep works (it used to say another run holds the lock)."""
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(web.url))
    args = ["--config", str(path), "--db", str(tmp_path / "t.db")]
    manual: list[int] = []

    def sleep(seconds: float) -> None:
        manual.append(CliRunner().invoke(main, [*args, "poll"]).exit_code)

    monkeypatch.setattr("bot.poll.daemon.time.sleep", sleep)
    result = CliRunner().invoke(main, [*args, "run", "--runs", "2"])
    assert result.exit_code == 0 and manual == [0]


def test_the_lock_follows_the_real_path_of_a_symlinked_database(tmp_path, web):
    from bot.store.lock import run_lock

    web.routes["/CHANGELOG.md"] = Route(MOBY)
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(web.url))
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with run_lock(tmp_path / "real" / "t.db"):
        result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "link" / "t.db"), "poll"])
    assert result.exit_code == 75 and "another trackbot poll holds" in result.output
    assert web.requests == []


def test_check_and_poll_refuse_a_source_url_that_is_not_http(tmp_path, web):
    path = tmp_path / "sources.yaml"
    for url in ("file:///etc/passwd", "ftp://example.org/x", "not a url"):
        path.write_text(f'sources:\n  - {{name: a, kind: docker_changelog, url: "{url}"}}\n')
        for command in ("poll", "check"):
            result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), command])
            assert result.exit_code == 2, (url, command, result.output)
            assert f"sources[0] a: 'url' '{url}' is not an http(s) URL" in result.output
    assert not Path(tmp_path / "t.db").exists()


def test_a_keyring_that_holds_no_key_is_a_config_error_not_a_critical_page(tmp_path, web):
    """`keyring:` pointing at the wrong file used to pass check and then page 'NO_PUBKEY' about the repo."""
    (tmp_path / "notes.txt").write_text("not a key\n")
    path = tmp_path / "sources.yaml"
    path.write_text(f'sources:\n  - {{name: docker-apt, kind: apt_repo, url: "{web.url}/debian",'
                    " suites: [bookworm], components: [stable], keyring: notes.txt}\n")
    for command in ("check", "poll"):
        result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), command])
        assert result.exit_code == 2, result.output
        assert f"keyring {tmp_path / 'notes.txt'} holds no OpenPGP public key" in result.output
    assert web.requests == []
