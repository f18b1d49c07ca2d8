"""`trackbot --help` starts without importing what only polling needs (issue 11): httpx,
the source kinds, slack-sdk, asyncio are loaded on first use, so help is as quick as click."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "slack_sdk", "feedparser", "bot.kinds", "bot.poll", "bot.sources.github_releases", "asyncio",
         "sqlite_utils")

PROBE = """
import sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = [m for m in {heavy!r} if m in sys.modules and type(sys.modules[m]).__name__ != "_LazyModule"]
print("LOADED", loaded)
"""


def loaded_after(*args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True,
                         check=True).stdout
    return eval(out.split("LOADED", 1)[1])  # noqa: S307 - our own probe's repr of a list of names


def test_help_imports_none_of_the_polling_machinery():
    assert loaded_after("--help") == []
    assert loaded_after("events", "--help") == []


def test_a_command_still_loads_what_it_uses(tmp_path):
    assert "sqlite_utils" in loaded_after("--db", str(tmp_path / "t.db"), "events")
