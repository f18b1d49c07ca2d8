"""The incident lifecycle as a table: live rows and findings in, planned changes out (no store)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.model import Finding, Pin
from bot.judge import incidents

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
AT = incidents.Moment("docker-apt", NOW, 7, (Pin("docker", "1.10.3"),))
KEY = "docker-apt:bookworm:hash"


def finding(severity: str = "warning", polls: int = 2) -> Finding:
    return Finding("apt_hash_mismatch", KEY, f"hash mismatch ({severity})", severity=severity, product="docker",
                   polls_to_open=polls)


def row(streak: int, opened: bool, severity: str = "warning") -> dict:
    return {"rowid": 3, "key": KEY, "source": "docker-apt", "kind": "apt_hash_mismatch", "severity": severity,
            "product": "docker", "version": "", "summary": "hash mismatch", "streak": streak,
            "first_seen_at": "2026-11-27T11:30:00+00:00", "opened_at": "2026-11-27T11:45:00+00:00" if opened else None}


@pytest.mark.parametrize(
    "live, seen, opens, alert_kinds",
    [
        ({}, finding(polls=2), False, []),  # first sighting of a 2-poll problem: counted, not told
        ({KEY: row(1, False)}, finding(polls=2), True, ["incident_open"]),  # second in a row: it opens
        ({}, finding(polls=1), True, ["incident_open"]),
        ({KEY: row(3, True)}, finding(), False, []),  # already open, no worse: nothing to say
        ({KEY: row(3, True)}, finding("critical"), False, ["incident_update"]),  # worse: said at once
        ({KEY: row(1, False)}, finding("critical", polls=3), False, []),  # worse but not open yet: quiet
    ],
)
def test_a_finding_is_counted_and_opens_or_escalates_at_the_right_poll(live, seen, opens, alert_kinds):
    plan = incidents.track(live, [seen, seen], AT, resolve_missing=True)
    assert [f.key for f, _ in plan.seen] == [KEY]  # the same problem twice in a poll is one incident
    assert plan.opened == ((KEY,) if opens else ())
    assert [n.alert.kind for n in plan.notices] == alert_kinds
    assert plan.resolved == ()


def test_the_opening_event_is_matched_to_the_pins_and_names_its_incident():
    [notice] = incidents.track({}, [finding(polls=1)], AT, resolve_missing=True).notices
    assert notice.event.data["incident"] == KEY
    assert notice.event.key == f"apt_hash_mismatch:{KEY}:{NOW.isoformat()}"
    assert notice.alert.incident_key == KEY


@pytest.mark.parametrize(
    "live_row, unchecked, told",
    [
        (row(3, True), (), True),  # an open incident no longer seen: resolved, and said in its thread
        (row(1, False), (), False),  # a blip that never opened: resolved quietly
        (row(3, True), ("docker-apt:bookworm",), None),  # not judged this poll: left as it is
    ],
)
def test_an_incident_no_longer_seen_is_resolved(live_row, unchecked, told):
    plan = incidents.track({KEY: live_row}, [], AT, resolve_missing=True, unchecked=unchecked)
    if told is None:
        assert plan == incidents.Plan()
        return
    assert [r["rowid"] for r in plan.resolved] == [3]
    assert bool(plan.notices) is told
    if told:
        [notice] = plan.notices
        assert notice.event.kind == "apt_hash_mismatch_resolved" and notice.event.severity == "info"
        assert notice.event.summary.startswith("resolved after 30m")


def test_a_failing_source_does_not_resolve_its_other_incidents():
    plan = incidents.track({KEY: row(3, True)}, [], AT, resolve_missing=False)
    assert plan == incidents.Plan()


def test_incidents_of_a_removed_source_are_closed_naming_the_config():
    other = {**row(3, True), "source": "gone-apt", "rowid": 9}
    plan = incidents.close_removed([row(3, True), other], {"docker-apt"}, "sources.yaml", AT)
    assert [r["rowid"] for r in plan.resolved] == [9]
    [notice] = plan.notices
    assert "source gone-apt is no longer in sources.yaml" in notice.event.summary
    assert notice.event.source == "gone-apt"
