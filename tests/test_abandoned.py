"""bot.judge.abandoned: a pinned branch upstream stopped releasing (Docker 1.10), and EOL-source coverage."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.config import load as configuration
from bot.core.model import Pin
from bot.judge.abandoned import abandoned_events, coverage_events
from bot.judge.rules import rule_events
from bot.sources import docker_changelog, endoflife
from bot.store.history import Store
from tests.conftest import FIXTURES, Route, poll_and_deliver
from tests.core.test_poll import Clock, Collect

MOBY_CONF = docker_changelog.Conf(name="moby", kind="docker_changelog", url="https://example.org/CHANGELOG.md")
MOBY = docker_changelog.parse((FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes(), MOBY_CONF)
EOL_CONF = endoflife.Conf(name="eol-docker", kind="endoflife", endoflife="docker-engine", product="docker")
EOL = endoflife.parse((FIXTURES / "endoflife" / "derived-api-v0-docker-engine.json").read_bytes(), EOL_CONF)


def test_docker_1_10_is_abandoned_with_its_evidence():
    [event] = abandoned_events("moby", MOBY, [Pin("docker", "1.10.3")], date(2016, 12, 1))
    assert (event.kind, event.severity, event.key) == ("branch_abandoned", "critical", "branch_abandoned:docker:1.10")
    assert event.summary == ("docker 1.10 looks abandoned: no release for 266 days since 1.10.3 (2016-03-10), "
                             "while 2 newer branches released since: 1.11 (2016-04-13), 1.12 (2016-07-28)")
    assert event.data["newer_branches"][0] == {"branch": "1.11", "first_date": "2016-04-13"}


def test_not_abandoned_before_the_threshold_or_with_one_newer_branch():
    assert abandoned_events("moby", MOBY, [Pin("docker", "1.10.3")], date(2016, 9, 5)) == []  # 179 days
    assert abandoned_events("moby", MOBY, [Pin("docker", "1.10.3")], date(2016, 9, 6), abandoned_after=365) == []
    # 1.12's last release 1.12.6 (2017-01-10): 1.13 and 17.03 came after, but within 180 days it is alive.
    assert abandoned_events("moby", MOBY, [Pin("docker", "1.12")], date(2017, 5, 1)) == []
    [late] = abandoned_events("moby", MOBY, [Pin("docker", "1.12")], date(2017, 7, 10))
    assert "1.12 looks abandoned" in late.summary


def test_security_fixes_only_in_newer_branches_are_named_not_backported():
    events = {e.key: e for e in rule_events("moby", MOBY, MOBY, [Pin("docker", "1.10.3")], ())}
    runc = events["fix_available:docker:1.10.3:CVE-2016-9962:not_backported"]
    assert runc.severity == "critical"  # "privilege escalation"
    assert runc.summary.startswith("Fix for CVE-2016-9962 (upstream says 'privilege escalation'), "
                                   "not backported to 1.10: only in docker 1.12.6")
    assert events["fix_available:docker:1.10.3:CVE-2016-8867:not_backported"].severity == "warning"
    # A pin on a branch that got it hears of it as a plain fix in its branch, not as "not backported".
    keys = {e.key for e in rule_events("moby", MOBY, MOBY, [Pin("docker", "1.12.5")], ())}
    assert "fix_available:docker:1.12.5:CVE-2016-9962" in keys
    assert "fix_available:docker:1.12.5:CVE-2016-9962:not_backported" not in keys


def test_a_pin_older_than_every_ended_cycle_is_treated_as_ended():
    [event] = coverage_events("eol-docker", "docker", EOL, [Pin("docker", "1.10.3")], date(2026, 11, 1))
    assert (event.kind, event.severity, event.key) == ("branch_eol", "critical", "branch_eol:docker:1.10")
    assert "older than every cycle eol-docker lists, and even the oldest (17.03) ended on 2017-05-05" in event.summary


def test_a_pin_the_eol_source_does_not_list_is_said_once_as_info():
    listed = [r for r in EOL if r.version in ("29", "28")]  # only live cycles: nothing to infer
    [event] = coverage_events("eol-docker", "docker", listed, [Pin("docker", "1.10.3")], date(2025, 12, 1))
    assert (event.kind, event.severity) == ("branch_uncovered", "info")
    assert event.summary.startswith("eol-docker does not list docker 1.10")
    assert coverage_events("eol-docker", "docker", EOL, [Pin("docker", "20.10.24")], date(2026, 11, 1)) == []


def test_a_docker_1_10_3_pin_is_told_in_the_baseline_that_1_10_is_abandoned(tmp_path, web):
    web.routes["/CHANGELOG.md"] = Route((FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes())
    path = tmp_path / "sources.yaml"
    path.write_text('fleet:\n  - {product: docker, version: "1.10.3"}\n'
                    f'sources:\n  - {{name: moby, kind: docker_changelog, url: "{web.url}/CHANGELOG.md"}}\n'
                    "settings: {retries: 0, timeout: 5}\n")
    cfg, store, clock, sink = configuration.load(path), Store.open(tmp_path / "t.db"), Clock(), Collect()
    asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))
    [baseline] = sink.alerts
    assert baseline.kind == "baseline" and baseline.severity == "info"
    lines = [item.summary for item in baseline.items]
    assert any(line.startswith("[critical] docker 1.10 looks abandoned: no release for") for line in lines), lines
    [event] = store.events(kinds=["branch_abandoned"])
    assert event.baseline and event.data["pins"] == ["docker 1.10.3"]
