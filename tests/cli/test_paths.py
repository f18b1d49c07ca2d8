"""One history wherever trackbot is run from (issue 23 item 1): the default database lives next to sources.yaml,
like every other relative path in it; --db and TRACKBOT_DB still win; `db` and `status` say which file is used."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def config_in(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text("sources: []\n")
    return path


def runs_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from runs").fetchone()[0])


def test_the_default_database_is_next_to_sources_yaml_not_in_the_current_directory(tmp_path, monkeypatch):
    cfg = config_in(tmp_path / "srv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("TRACKBOT_DB", raising=False)
    result = CliRunner().invoke(main, ["--config", str(cfg), "poll"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "srv" / "db" / "trackbot.db").is_file()
    assert not (elsewhere / "db").exists()


def test_a_cron_line_run_from_the_root_and_from_home_uses_one_database(tmp_path):
    cfg = config_in(tmp_path / "srv" / "trackbot")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKBOT_DB", "TRACKBOT_CONFIG")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    for cwd in ("/", str(home)):
        done = subprocess.run([sys.executable, "-m", "bot.cli.main", "--config", str(cfg), "poll"], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert runs_in(cfg.parent / "db" / "trackbot.db") == 2
    assert not (home / "db").exists() and not Path("/db/trackbot.db").exists()


def test_db_and_env_still_win(tmp_path, monkeypatch):
    cfg = config_in(tmp_path / "srv")
    monkeypatch.chdir(tmp_path)
    chosen = tmp_path / "chosen.db"
    assert CliRunner().invoke(main, ["--config", str(cfg), "--db", str(chosen), "poll"]).exit_code == 0
    from_env = tmp_path / "env.db"
    assert CliRunner().invoke(main, ["--config", str(cfg), "poll"], env={"TRACKBOT_DB": str(from_env)}).exit_code == 0
    assert chosen.is_file() and from_env.is_file() and not (tmp_path / "srv" / "db").exists()


def test_db_and_status_print_the_file_used(tmp_path, monkeypatch):
    cfg = config_in(tmp_path / "srv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKBOT_DB", raising=False)
    expected = (tmp_path / "srv" / "db" / "trackbot.db").resolve()
    assert CliRunner().invoke(main, ["--config", str(cfg), "db"]).output.strip() == str(expected)
    CliRunner().invoke(main, ["--config", str(cfg), "poll"])
    status = CliRunner().invoke(main, ["--config", str(cfg), "status"], env={"COLUMNS": "200"})
    assert f"database: {expected}" in status.output


def test_a_database_used_with_another_config_says_so_once(tmp_path):
    db = tmp_path / "shared.db"
    first, second = config_in(tmp_path / "a"), config_in(tmp_path / "b")
    assert CliRunner().invoke(main, ["--config", str(first), "--db", str(db), "poll"]).exit_code == 0
    again = CliRunner().invoke(main, ["--config", str(first), "--db", str(db), "poll"])
    assert "last used with" not in again.output
    moved = CliRunner().invoke(main, ["--config", str(second), "--db", str(db), "poll"])
    assert moved.exit_code == 0
    said = [line for line in moved.stderr.splitlines() if "last used with" in line]
    assert said == [f"trackbot: database {db} was last used with {first.resolve()}, now with {second.resolve()}"]
    assert "last used with" not in CliRunner().invoke(main, ["--config", str(second), "--db", str(db), "poll"]).output
