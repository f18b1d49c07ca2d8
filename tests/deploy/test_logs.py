"""`trackbot run` logs: timestamps, JSON lines for journald/Loki, a bug's traceback in the log only."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main as cli
from bot.ops.logs import log
from bot.poll import job as poll  # the one cycle `poll` and `run` call
from tests.conftest import FIXTURES, Route

MOBY = (FIXTURES / "docker/moby-CHANGELOG.md").read_bytes()
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARNING|ERROR) trackbot: ")


@pytest.fixture(autouse=True)
def logger_left_as_found():
    before = list(log.handlers)
    yield
    assert log.handlers == before  # `run` puts the logger back as it found it


def run_cycles(tmp_path: Path, web_url: str, monkeypatch: pytest.MonkeyPatch, *args: str, cycles: int = 2) -> Result:
    """`trackbot run` for `cycles` runs: the sleep between runs ends it the way Ctrl-C would."""
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: moby, kind: docker_changelog, url: '{web_url}/CHANGELOG.md'}}\n"
        f"  - {{name: mirror, kind: docker_changelog, url: '{web_url}/gone.md'}}\n"
        "settings: {retries: 0, timeout: 5}\n")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) >= cycles:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)  # the daemon looks time.sleep up at each call
    return CliRunner().invoke(cli.main, ["--config", str(tmp_path / "sources.yaml"), "--db", str(tmp_path / "t.db"),
                                         "run", "--every", "1m", *args])


def logged(result: Result) -> list[str]:
    """stderr without the Ctrl-C line (how the test ends the loop: the CLI says what was saved, exit 130)."""
    return [line for line in result.stderr.splitlines()
            if line.strip() and not line.startswith("trackbot: interrupted between runs")]


def test_json_logs_are_one_object_per_line_with_the_run_and_each_source(tmp_path: Path, web, monkeypatch):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    result = run_cycles(tmp_path, web.url, monkeypatch, "--log-format", "json")
    assert "trackbot poll" not in result.stdout  # no table (only alerts, delivered to the console without Slack)
    lines = [json.loads(line) for line in logged(result)]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    failed = [e for e in lines if e.get("source") == "mirror"]
    assert len(failed) == 2 and failed[0]["level"] == "warning" and failed[0]["status"] == "failed"
    assert "HTTP 404" in failed[0]["message"]
    moby = [e["status"] for e in lines if e.get("source") == "moby"]
    assert moby == ["changed", "unchanged"]
    runs = [e for e in lines if e["message"].startswith("run finished")]
    assert len(runs) == 2 and runs[0]["failed"] == 1 and runs[0]["sources"] == 2


def test_text_logs_carry_timestamps_and_the_table_still_prints(tmp_path: Path, web, monkeypatch):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    result = run_cycles(tmp_path, web.url, monkeypatch, cycles=1)
    assert "trackbot poll" in result.stdout  # the table
    logged = [line for line in result.stderr.splitlines() if line.startswith("20")]
    assert logged and all(TIMESTAMP.match(line) for line in logged)
    assert any("source mirror failed" in line and "status=failed" in line for line in logged)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_bug_leaves_its_traceback_in_the_log_and_one_line_on_the_console(tmp_path: Path, web, monkeypatch, fmt):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(poll, "run_poll", broken)  # what `run` calls, imported at its first poll
    result = run_cycles(tmp_path, web.url, monkeypatch, "--log-format", fmt, cycles=2)
    if fmt == "json":
        entries = [json.loads(line) for line in logged(result)]
        assert [e["message"] for e in entries] == ["internal error in trackbot run"] * 2  # bot.core.errors.internal_error
        assert "Traceback (most recent call last)" in entries[0]["traceback"]
        assert entries[0]["traceback"].endswith("RuntimeError: boom")
    else:
        console = [line for line in logged(result) if line.startswith("trackbot:")]
        assert console == ["trackbot: run failed: internal error: RuntimeError: boom"] * 2
        assert result.stderr.count("Traceback (most recent call last)") == 2  # in the timestamped log entries
        assert "raise RuntimeError" in result.stderr
