"""`trackbot --help` and `trackbot status` start without importing what only polling needs
(issue 11): httpx, slack-sdk, asyncio and the libraries the kinds parse with (feedparser,
python-debian's changelog and deb822 parsers, markdown-it, ijson) are loaded on first use.
The timings themselves are in benchmarks/bench_startup.py, not here."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.table import Table

from bot.cli.main import main
from bot.config import load as configuration
from bot.core.errors import ConfigError
from bot.read import views
from bot.sources import registry as kinds
from bot.store.history import Store

POLLING = ("httpx", "slack_sdk", "asyncio", "bot.poll.cycle", "bot.poll.fetch", "feedparser", "markdown_it", "ijson",
           "debian.changelog", "debian.deb822")
# sqlite-utils imports these when installed (numpy comes with the charts extra): 90 ms of every command
NUMERIC = ("numpy", "pandas")
KIND_MODULES = ("bot.sources.api", *kinds.MODULES.values())  # the kinds and their facade
HELP_ALSO = ("bot.sources.registry", "bot.sources.github_releases", "bot.config.load", "sqlite_utils")  # --help reads nothing

PROBE = """
import json, sys
from bot.cli.main import main
from bot.core.errors import ConfigError
try:
    main(sys.argv[2:])
except SystemExit:
    pass
print("LOADED", json.dumps([m for m in json.loads(sys.argv[1]) if m in sys.modules]))
"""


def run_probe(modules: tuple[str, ...], *args: str) -> tuple[list[str], str]:
    """(which of `modules` a fresh interpreter imported running `trackbot ARGS`, what it printed)."""
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(modules), *args], capture_output=True, text=True,
                         check=True, env={"COLUMNS": "200", "PATH": ""}).stdout
    printed, loaded = out.rsplit("LOADED", 1)
    return json.loads(loaded), printed


def test_help_imports_none_of_the_polling_machinery():
    for args in (["--help"], ["events", "--help"], ["status", "--help"]):
        loaded, printed = run_probe(POLLING + HELP_ALSO + KIND_MODULES, *args)
        assert loaded == [] and "Usage: " in printed


def test_status_imports_none_of_the_polling_machinery(tmp_path: Path):
    config = tmp_path / "sources.yaml"
    config.write_text("""\
fleet: [{product: docker, version: "1.10.3"}]
sources:
  - {name: moby-releases, kind: github_releases, repo: moby/moby}
  - {name: debian-linux, kind: debian_changelog, url: "https://example.org/linux/changelog"}
  - {name: docker-changelog, kind: docker_changelog, url: "https://example.org/CHANGELOG.md"}
  - {name: debian-dsa, kind: debian_dsa}
  - {name: tracker, kind: debian_security_tracker}
  - {name: host-apt, kind: apt_sources}
  - {name: rhel-csaf, kind: rhel_csaf, every: 1d}
""")
    store = Store.open(tmp_path / "t.db")
    store.mark_failure("debian-linux", "debian_changelog", datetime.now(UTC), "HTTP 503 from example.org", 0.1)
    store.db.close()
    assert importlib.util.find_spec("numpy"), "numpy (the test extra's matplotlib brings it) is what is checked"
    loaded, printed = run_probe(POLLING + NUMERIC + KIND_MODULES + ("bot.config.load", "sqlite_utils"), "--config",
                                str(config), "--db", str(tmp_path / "t.db"), "status")
    assert loaded == ["bot.config.load", "sqlite_utils"]  # it read the config and the history, and no kind
    assert "moby-releases" in printed and "HTTP 503 from example.org" in printed and "host-apt" in printed
    assert "rhel_csaf" in printed


def test_status_reads_what_it_shows_and_says_what_is_wrong_there(tmp_path: Path):
    """status reads each source's name, kind and `every` without its kind's module: a problem there or
    anywhere else in the file but a kind's own settings is the one line, exit 2, every command gives."""
    config, db = tmp_path / "sources.yaml", tmp_path / "t.db"
    Store.open(db).db.close()
    status = ["--config", str(config), "--db", str(db), "status"]
    for sources, error in (
            ("[{name: a, kind: github_relases, repo: o/a}]", "sources[0] a: unknown kind 'github_relases' (valid: "),
            ("[{name: a, kind: github_releases, repo: o/a, every: often}]", "sources[0] a: 'every' 'often' is not"),
            ("[{kind: github_releases, repo: o/a}]", "sources[0] #0: missing 'name'"),
            ("[{name: a, kind: kev, every: [1h]}]", "sources[0] a: 'every' must be a string"),
            ("[[a, kev]]", "sources[0]: expected a mapping"),
            ("[{name: a, kind: github_releases, repo: o/a}, {name: a, kind: kev}]", "sources[1] a: duplicate source"),
            ("[]\nsetings: {}", "unknown key 'setings' (did you mean 'settings'?)")):
        config.write_text(f"sources: {sources}\n")
        with pytest.raises(ConfigError) as full:
            configuration.load(config)  # what poll, check and run say
        assert error in str(full.value)
        result = CliRunner().invoke(main, status)
        assert (result.exit_code, result.output) == (2, f"trackbot: {full.value}\n")
    # a kind's own settings are its module's to check: `check` and `poll` say what is wrong, status shows the source
    config.write_text("sources:\n  - {name: a, kind: github_releases, repo: not-a-repo}\n")
    assert "│ a " in CliRunner().invoke(main, status, env={"COLUMNS": "80"}).output
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), "check"])
    assert result.exit_code == 2 and "sources[0] a: 'repo' must be OWNER/NAME" in result.output


def test_a_config_loads_only_the_kinds_it_uses(tmp_path: Path):
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - {name: moby, kind: github_releases, repo: moby/moby}\n  - {name: eol, kind: kev}\n")
    probe = ("import json, sys; from bot.config import load as config; config.load(sys.argv[1]); "
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('bot.sources.'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe, str(config)], capture_output=True, text=True,
                                       check=True).stdout)
    kit = ["bot.sources.api", "bot.sources.changelog_lines", "bot.sources.registry"]  # the facade and the kinds' kit
    assert loaded == sorted([*kit, "bot.sources.github_releases", "bot.sources.kev"])
    assert all(kinds.KINDS[name].name == name for name in kinds.KINDS)  # each registry line names its module


def test_a_command_still_loads_what_it_uses(tmp_path: Path):
    loaded, _ = run_probe(("sqlite_utils",), "--db", str(tmp_path / "t.db"), "events")
    assert loaded == ["sqlite_utils"]


def test_the_status_table_streams_with_the_layout_rich_would_measure(monkeypatch):
    """The status table's columns are measured from a few of their cells (bot.read.fast_table) and print_streamed
    writes it in blocks as rich renders it: the text must be what a plain rich Table, measuring every cell,
    prints in one go, at any width (names that do not fit included), on a terminal or not."""
    sources = [SimpleNamespace(name=name, kind=kind, every="") for name, kind in (
        ("moby-releases", "github_releases"), ("日本語-mirror-with-a-long-name", "apt_repo"),
        ("a:smile:b", "kev"), ("x" * 40, "debian_security_tracker"), ("[bold]x[/bold] y  z", "kernel_feed"),
        ("", "endoflife"), ("tab\there", "kev"), (" ".join("abcdefghijklmnopqrstuvwxyz0123456789"), "kev"),
        (":thumbs_up:" * 9, "kev"))]  # the longest line of words that are short; a long text rendered short
    states = {"a:smile:b": {"last_error": "https://例え.jp/[bold]x[/bold] HTTP 503 " + "y" * 200,
                            "consecutive_failures": 2, "last_run_at": "2026-11-30T10:00:00+00:00"},
              "moby-releases": {"last_success_at": "2026-11-30T10:00:00+00:00"}}
    for width in (30, 60, 80, 119, 120, 200):
        for terminal in (False, True):
            measured, streamed = (Console(file=io.StringIO(), width=width, force_terminal=terminal) for _ in "ab")
            views.print_streamed(streamed, views.status_table(sources * 30, states, {"kev": 1}, width=width),
                                 first=3, lines=7)
            with monkeypatch.context() as plain:
                plain.setattr(views, "MeasuredTable", Table)  # rich measures every cell
                measured.print(views.status_table(sources * 30, states, {"kev": 1}, width=width))
            assert streamed.file.getvalue() == measured.file.getvalue(), width  # type: ignore[attr-defined]
            assert streamed.file.getvalue().count("moby-releases") == 30  # type: ignore[attr-defined]
