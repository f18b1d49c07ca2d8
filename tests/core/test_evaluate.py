"""A source's outcome from a snapshot and the history, with no store and no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.config import load as configuration
from bot.core.model import Finding, Record, Snapshot
from bot.poll.evaluate import Situation, evaluate
from bot.sources.api import Kind, SourceConf

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CONF = SourceConf(name="moby", kind="fake", product="docker")
CONFIG = configuration.parse({"sources": [], "fleet": [{"product": "docker", "version": "1.10.3"}]},
                             Path("sources.yaml"))


def release(version: str) -> Record:
    return Record("release", f"release:{version}", "docker", version, {"date": "2016-03-10", "title": version})


def situation(state: dict, live: dict | None = None) -> Situation:
    async def collect(conf: object, ctx: object) -> Snapshot:
        raise AssertionError("evaluate never collects")

    kind = Kind(name="fake", conf=SourceConf, collect=collect)
    context = SimpleNamespace(missing=frozenset(), fleet=CONFIG.fleet, now=lambda: NOW, cves={})
    return Situation(kind, CONFIG, context, NOW, 1, state, "s1", live=live)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "state, baseline, rebaseline",
    [
        ({}, True, False),  # first good poll: standing facts
        ({"last_success_at": "2026-11-27T11:45:00+00:00", "settings_digest": "s1"}, False, False),
        ({"last_success_at": "2026-11-27T11:45:00+00:00", "settings_digest": "s0"}, False, True),  # new settings
    ],
)
def test_news_is_news_only_after_the_first_poll(state, baseline, rebaseline):
    outcome = evaluate([release("1.10.3")], Snapshot((release("1.10.3"), release("1.11.0"))), CONF, situation(state))
    assert (outcome.baseline, outcome.rebaseline) == (baseline, rebaseline)
    assert [r.key for r in outcome.result.added] == ["release:1.11.0"]
    assert outcome.changed
    news = [e for e in outcome.events if e.kind == "new_release"]
    assert news and all(e.baseline is baseline for e in news)


def test_an_incident_finding_becomes_a_planned_incident_not_an_event():
    problem = Finding("apt_hash_mismatch", "moby:hash", "hash mismatch", severity="critical")
    state = {"last_success_at": "2026-11-27T11:45:00+00:00", "settings_digest": "s1"}
    outcome = evaluate([release("1.10.3")], Snapshot((release("1.10.3"),), (problem,)), CONF, situation(state))
    assert outcome.events == () and not outcome.changed
    assert outcome.incidents.opened == ("moby:hash",)
