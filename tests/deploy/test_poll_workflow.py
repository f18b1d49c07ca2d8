"""The scheduled workflow, run here: its `run:` steps in order, as GitHub would, on a loopback source.

The test plays the runner: a fresh clone of a local "origin" per run, GITHUB_* and RUNNER_TEMP
set, `uses:` steps done by the test itself (the clone is the checkout, this interpreter's
environment is the Python set-up), the install step replaced by that same environment, and a
step after a failure run only when its `if:` says always(). So a broken restore, a database
that is not kept, or a poll failure that does not fail the job shows up here, not in production.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, Route

WORKFLOW = Path(__file__).resolve().parents[2] / ".github/workflows/poll.yml"
RELEASES = (FIXTURES / "kernel/releases.json.excerpt-2020-12-14.json").read_bytes()


@dataclass
class Step:
    name: str
    code: int | None  # None: not run (an earlier step failed and this one is not `if: always()`)
    output: str


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def runner_env(workflow: dict, step: dict, workspace: Path, temp: Path, run_id: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKBOT_", "SLACK_", "GITHUB_"))}
    for scope in (workflow.get("env") or {}, step.get("env") or {}):
        for key, value in scope.items():
            env[key] = "" if "${{ secrets." in str(value) else str(value)  # no secret here: alerts go to the console
    env.update(GITHUB_WORKSPACE=str(workspace), GITHUB_RUN_ID=str(run_id), GITHUB_SHA=git("rev-parse", "HEAD", cwd=workspace),
               GITHUB_REPOSITORY="team/trackbot", GITHUB_ACTIONS="true", CI="true", RUNNER_TEMP=str(temp),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GIT_CONFIG_GLOBAL=os.devnull)
    return env


def run_workflow(origin: Path, tmp: Path, run_id: int) -> list[Step]:
    workflow = load()
    workspace, temp = tmp / f"checkout{run_id}", tmp / f"runner{run_id}"
    temp.mkdir()
    git("clone", "-q", str(origin), str(workspace), cwd=tmp)  # actions/checkout
    shell = workflow["defaults"]["run"]["shell"]
    assert shell == "bash"
    steps, failed = [], False
    for step in workflow["jobs"]["poll"]["steps"]:
        if "uses" in step:
            continue  # checkout and setup-python: done above and by this interpreter
        if failed and "always()" not in str(step.get("if", "")):
            steps.append(Step(step["name"], None, ""))
            continue
        script = "true" if step.get("id") == "install" else step["run"]  # installed: this test's environment
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                              env=runner_env(workflow, step, workspace, temp, run_id), capture_output=True, text=True,
                              timeout=120)
        steps.append(Step(step["name"], done.returncode, done.stdout + done.stderr))
        failed = failed or done.returncode != 0
    return steps


def saved_database(origin: Path, tmp: Path) -> sqlite3.Connection:
    """The database as the next run would restore it: the file on the data branch of origin."""
    target = tmp / "saved.db"
    target.write_bytes(subprocess.run(["git", "show", "trackbot-data:trackbot.db"], cwd=origin, check=True,
                                      capture_output=True).stdout)
    return sqlite3.connect(target)


@pytest.fixture
def origin(tmp_path: Path, web) -> Path:
    """A repository like the team's: sources.yaml watching a kernel.org stand-in on 127.0.0.1."""
    web.routes["/releases.json"] = Route(RELEASES)
    bare, work = tmp_path / "origin.git", tmp_path / "seed"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
    (work / "sources.yaml").write_text(
        "fleet:\n  - {product: linux, version: '5.4'}\n"
        f"sources:\n  - {{name: kernel, kind: kernel_releases, url: '{web.url}/releases.json'}}\n"
        "settings: {retries: 0, timeout: 5}\n")
    git("add", "sources.yaml", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "config", cwd=work)
    git("push", "-q", str(bare), "main", cwd=work)
    return bare


def test_run_steps_use_only_environment_variables_so_this_test_runs_them_verbatim():
    for step in load()["jobs"]["poll"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_the_workflow_runs_on_a_schedule_and_by_hand_one_at_a_time():
    workflow = load()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"] == {"contents": "write"}
    poll = next(s for s in workflow["jobs"]["poll"]["steps"] if s.get("name") == "Poll")
    assert poll["env"]["SLACK_BOT_TOKEN"] == "${{ secrets.SLACK_BOT_TOKEN }}"


def test_a_run_keeps_the_database_and_the_next_restores_it_and_fails_visibly_on_a_failed_source(
        origin: Path, tmp_path: Path, web):
    first = run_workflow(origin, tmp_path, 1)
    assert [s.code for s in first] == [0, 0, 0, 0, 0], "\n".join(s.output for s in first)
    assert "first run records a baseline" in first[1].output
    db = saved_database(origin, tmp_path)
    assert db.execute("select count(*) from runs").fetchone()[0] == 1
    assert db.execute("select count(*) from events where source = 'kernel' and baseline = 1").fetchone()[0] > 0

    web.routes["/releases.json"] = Route(b"<html>maintenance</html>", status=503)
    second = run_workflow(origin, tmp_path, 2)
    codes = {s.name: s.code for s in second}
    assert codes["Restore the database from the last run"] == 0
    assert "restored" in second[1].output
    assert codes["Poll"] == 1, "a failed source must fail the job"
    assert "kernel" in second[2].output and "503" in second[2].output
    assert codes["Fail when alerts stay undelivered"] is None
    assert codes["Keep the database for the next run"] == 0, second[-1].output
    db = saved_database(origin, tmp_path)
    runs = [json.loads(s) for (s,) in db.execute("select summary from runs order by id")]
    assert [r["sources"] for r in runs] == [{"kernel": "changed"}, {"kernel": "failed"}]  # the second run continued the first's history
    assert db.execute("select consecutive_failures from sources where name = 'kernel'").fetchone()[0] == 1
    assert git("rev-list", "--count", "trackbot-data", cwd=origin) == "1"  # the branch does not grow per run


def test_a_restore_that_cannot_reach_origin_fails_instead_of_starting_a_fresh_history(origin: Path, tmp_path: Path):
    run_workflow(origin, tmp_path, 1)
    before = git("rev-parse", "trackbot-data", cwd=origin)
    # origin still holds the data branch, but this clone's remote is unreachable (a network or auth error)
    workspace = tmp_path / "checkout1"
    git("remote", "set-url", "origin", str(tmp_path / "gone.git"), cwd=workspace)
    workflow = load()
    restore = next(s for s in workflow["jobs"]["poll"]["steps"] if s.get("id") == "restore")
    temp = tmp_path / "runner-broken"
    temp.mkdir()
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", restore["run"]], cwd=workspace,
                          env=runner_env(workflow, restore, workspace, temp, 9), capture_output=True, text=True)
    assert done.returncode != 0
    assert "cannot read the trackbot-data branch" in done.stdout
    save = workflow["jobs"]["poll"]["steps"][-1]
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", save["run"]], cwd=workspace,
                          env=runner_env(workflow, save, workspace, temp, 9), capture_output=True, text=True)
    assert done.returncode == 1 and "database not saved" in done.stdout
    assert git("rev-parse", "trackbot-data", cwd=origin) == before
