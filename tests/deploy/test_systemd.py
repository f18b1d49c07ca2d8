"""The systemd units in deploy/systemd: systemd's own verifier accepts them, and the token
wrapper in ExecStart hands the credential to trackbot as SLACK_BOT_TOKEN."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy/systemd"
ANALYZE = shutil.which("systemd-analyze")


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name)
    return parser


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)")
def test_systemd_analyze_verify_accepts_the_units_without_a_warning(tmp_path: Path):
    for path in UNITS.iterdir():
        shutil.copy(path, tmp_path / path.name)  # verify wants the timer's service beside it
    done = subprocess.run([ANALYZE, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values ("..., ignoring"): any line it prints is a finding
    findings = [line for line in (done.stdout + done.stderr).splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and not findings, done.stdout + done.stderr


@pytest.mark.parametrize("name", ["trackbot.service", "trackbot-poll.service"])
def test_both_services_are_confined_and_keep_the_database_in_the_state_directory(name: str):
    service = unit(name)["Service"]
    assert service["DynamicUser"] == "yes" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["StateDirectory"] == "trackbot"
    assert "Environment=TRACKBOT_DB=/var/lib/trackbot/trackbot.db" in (UNITS / name).read_text()
    assert service["Restart"] == "on-failure"
    assert service["LoadCredential"].startswith("slack-token:")


def test_the_timer_starts_the_poll_service_and_catches_up_after_downtime():
    timer = unit("trackbot-poll.timer")["Timer"]
    assert timer["OnCalendar"] and timer["Persistent"] == "true"
    assert "trackbot poll" in (UNITS / "trackbot-poll.service").read_text()


@pytest.mark.parametrize("name", ["trackbot.service", "trackbot-poll.service"])
def test_exec_start_passes_the_credential_as_the_token_and_nothing_else(name: str, tmp_path: Path):
    command = unit(name)["Service"]["ExecStart"]
    assert command.startswith("/bin/sh -c '") and command.endswith("'")
    script = command[len("/bin/sh -c '"):-1].replace("$$", "$")  # what systemd hands the shell
    fake = tmp_path / "trackbot"
    fake.write_text('#!/bin/sh\necho "token=$SLACK_BOT_TOKEN args=$*"\n')
    fake.chmod(0o755)
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds/slack-token").write_text("xoxb-test-123\n")
    done = subprocess.run(["/bin/sh", "-c", script.replace("/opt/trackbot/bin/trackbot", str(fake))],
                          env={**os.environ, "CREDENTIALS_DIRECTORY": str(tmp_path / "creds")},
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("token=xoxb-test-123 args=")  # the trailing newline of the file is dropped
    assert ("run --every" in done.stdout) == (name == "trackbot.service")
