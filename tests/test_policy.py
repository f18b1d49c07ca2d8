"""bot.judge.policy: the severity policy, table by table, and the real cases it must hold on.

Real files: docker-ce-18.09-CHANGELOG.md (docker/docker-ce branch 18.09 @ f1059f19) carries the
runc breakout (CVE-2019-5736) in 18.09.2; docker-ce-17.06-CHANGELOG.md (branch 17.06 @ cec0b72a)
spells its releases 17.06.2-ce.
"""

from __future__ import annotations

import pytest

from bot.core.model import Event, Pin, Record
from bot.judge import policy
from bot.judge.cves import CveInfo
from bot.judge.policy import LineFacts, Severity
from bot.judge.rules import rule_events
from bot.sources import docker_changelog
from tests.sources.kernel_support import FIXTURES

CRIT, WARN, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def line(product: str, version: str, text: str, **data: object) -> Record:
    return Record("changelog_line", f"line:{version}:{abs(hash(text))}", product, version, {"text": text, **data})


@pytest.mark.parametrize("carried, facts, expected", [
    (True, LineFacts('Revert "ubifs: dirty_cow_znode: Fix memleak in error handling path"'), WARN),
    (True, LineFacts('Revert "drm/i915: fix a crash in the hotplug path"'), CRIT),
    (True, LineFacts('Revert "xhci: add quirk"', reported=True), CRIT),  # closes a user's bug report
    (True, LineFacts('Revert "ovl: fix lookup"', watch_hit=True), CRIT),
    (True, LineFacts('Revert "net/mlx5e: fix ring size"', runs_module=True), CRIT),
    (True, LineFacts('Revert "xfs: fix a hang in log recovery"', relevant=False), INFO),
    (None, LineFacts('Revert "x: causes data corruption"'), WARN),  # the pin may not carry it
    (False, LineFacts('Revert "x: panic on boot"'), INFO),  # added after the pin
])
def test_a_revert_pages_only_when_the_pin_carries_it_and_the_text_says_it_matters(carried, facts, expected):
    assert policy.revert(carried, facts) == expected


@pytest.mark.parametrize("text, expected", [
    ("fix a regression in overlay mounts", True), ("fixes a kernel crash on resume", True),
    ("avoid a hang when the disk is full", True), ("kernel panic in nf_tables", True),
    ("data loss on unclean shutdown", True), ("silently corrupts the journal", True),
    ("system fails to boot on some laptops", True), ("add quirk for new device id", False),
    ("dirty_cow_znode: Fix memleak in error handling path", False), ("Update Hangul translation", False),
])
def test_evidence_words(text, expected):
    assert LineFacts(text).matters is expected


@pytest.mark.parametrize("cves, table, text, expected", [
    (["CVE-1"], {"CVE-1": CveInfo("CVE-1", "critical", "high")}, "net: fix x", CRIT),
    (["CVE-1"], {"CVE-1": CveInfo("CVE-1", "warning", "medium")}, "net: fix x", WARN),
    (["CVE-1"], {"CVE-1": CveInfo("CVE-1", "critical", "", kev_date="2024-01-01")}, "fix", CRIT),
    (["CVE-1"], {}, "net: fix x", WARN),  # no rating anywhere: a warning
    (["CVE-1"], {}, "Update runc to address a critical vulnerability that allows containers to gain "
                    "administrative privileges on the host", CRIT),
    (["CVE-1"], {}, "fix a privilege escalation in the daemon", CRIT),
    (["CVE-1"], {}, "prevent a container breakout through /proc", CRIT),
    (["CVE-1"], {}, "fix remote code execution in the builder", CRIT),
    # The advisory sources' rating wins over words: a "critical vulnerability" rated medium is a warning.
    (["CVE-1"], {"CVE-1": CveInfo("CVE-1", "warning", "medium")}, "a critical vulnerability", WARN),
])
def test_a_security_fix_is_critical_only_when_rated_high(cves, table, text, expected):
    severity, why = policy.security(cves, table, LineFacts(text))
    assert severity == expected and why


def test_a_security_fix_for_another_architecture_is_info():
    severity, _ = policy.security(["CVE-1"], {"CVE-1": CveInfo("CVE-1", "critical")},
                                  LineFacts("[arm64] fix", relevant=False))
    assert severity == INFO


@pytest.mark.parametrize("kind, pinned, expected", [
    ("branch_eol", True, CRIT), ("branch_dropped", True, CRIT), ("branch_abandoned", True, CRIT),
    ("branch_eol", False, INFO), ("branch_dropped", False, INFO), ("branch_abandoned", False, INFO),
    ("new_release", False, INFO), ("fix_available", False, INFO), ("release_withdrawn", False, INFO),
])
def test_branches_pinned_and_unpinned(kind, pinned, expected):
    got = policy.pinned_branch(kind) if pinned else policy.unpinned(kind, "warning")
    assert got == expected


def test_repository_incidents_keep_their_severity_without_a_pin():
    assert policy.unpinned("apt_hash_mismatch", "critical") == "critical"
    assert policy.unpinned("source_failing", "warning") == "warning"


def test_the_baseline_summary_is_info():
    assert policy.BASELINE == INFO


# --- the real cases ---------------------------------------------------------------------------


def _docker(path: str) -> list[Record]:
    conf = docker_changelog.Conf(name="docker-ce", kind="docker_changelog", url="https://example.org/CHANGELOG.md")
    return docker_changelog.parse((FIXTURES / "docker" / path).read_bytes(), conf)


def test_the_runc_breakout_in_18_09_2_pages_an_18_09_1_pin():
    records = _docker("docker-ce-18.09-CHANGELOG.md")
    events = {e.key: e for e in rule_events("docker-ce", records, records, [Pin("docker", "18.09.1")], ())}
    runc = events["fix_available:docker:18.09.1:CVE-2019-5736"]
    assert runc.severity == "critical" and runc.data["fixed_in"] == "18.09.2"
    assert "administrative privileges" in runc.summary
    # The other fixes in 18.09.2..18.09.9 are not pages.
    assert [e.key for e in events.values() if e.severity == "critical"] == [runc.key]


def test_the_runc_breakout_is_critical_by_rating_too_and_a_medium_rating_is_a_warning():
    records = _docker("docker-ce-18.09-CHANGELOG.md")
    rated = {"CVE-2019-5736": CveInfo("CVE-2019-5736", "warning", "medium")}
    events = {e.key: e for e in rule_events("d", records, records, [Pin("docker", "18.09.1")], (), cves=rated)}
    assert events["fix_available:docker:18.09.1:CVE-2019-5736"].severity == "warning"


def test_a_pin_already_past_the_fix_hears_nothing_of_it():
    records = _docker("docker-ce-18.09-CHANGELOG.md")
    events = rule_events("docker-ce", records, records, [Pin("docker", "18.09.2")], ())
    assert not [e for e in events if "CVE-2019-5736" in e.key]


def test_the_pins_own_version_is_never_newer_nor_a_fix_available_in_it():
    records = _docker("docker-ce-17.06-CHANGELOG.md")
    for pin in (Pin("docker", "17.06.2"), Pin("docker", "17.06.2-ce")):
        events = rule_events("docker-ce", records, records, [pin], ("overlay", "aufs", "devicemapper"))
        assert [e.data["fixed_in"] for e in events if e.data.get("fixed_in") == "17.06.2-ce"] == []
        assert all("17.06.2-ce" not in e.summary for e in events)


def test_a_new_release_equal_to_the_pin_in_another_spelling_is_not_news():
    from bot.judge.match import apply_pins

    event = Event("new_release", "info", "docker", "17.06.2-ce", "release:17.06.2-ce", "docker 17.06.2-ce")
    [matched] = apply_pins([event], [Pin("docker", "17.06.2")])
    assert matched.severity == "info" and matched.data["pins"] == ["docker 17.06.2"]
    newer = Event("new_release", "info", "docker", "17.06.3-ce", "release:17.06.3-ce", "docker 17.06.3-ce")
    fix = Event("fix_available", "warning", "docker", "17.06.2", "fix_available:docker:17.06.2:CVE-1", "fix",
                data={"brought_by": ["docker 17.06.3-ce"]})
    assert apply_pins([newer, fix], [Pin("docker", "17.06.2")])[0].severity == "warning"


# --- rule 7: a new release of a pinned branch is a warning only when it carries fixes for the pin ---


@pytest.mark.parametrize("newer, brings, lines_read, expected, why", [
    (True, 1, 12, WARN, "1 fix or revert for docker 18.09.1"),
    (True, 3, 12, WARN, "3 fixes or reverts for docker 18.09.1"),
    (True, 0, 12, INFO, "digest only: nothing in its notes reaches docker 18.09.1"),
    (True, 0, 0, INFO, "digest only: this source does not show what it brings to docker 18.09.1"),  # cannot tell
    (False, 2, 12, INFO, ""),  # an older build, or the pin's own version: never news
])
def test_pinned_release_rule(newer, brings, lines_read, expected, why):
    assert policy.pinned_release(newer, brings, lines_read, "docker 18.09.1") == (expected, why)


def _release(version: str, product: str = "docker", lines: int = 5, key: str = "") -> Event:
    return Event("new_release", "info", product, version, key or f"new_release:{product}:{version}",
                 f"{product} {version} released", "src", {"lines_read": lines})


def _found(kind: str, severity: str, pin: Pin, *releases: str) -> Event:
    return Event(kind, severity, pin.product, pin.version, f"{kind}:{pin.product}:{pin.version}:{releases}", "x",
                 "src", {"brought_by": list(releases)})


DOCKER_PIN, KERNEL_PIN = Pin("docker", "18.09.1"), Pin("linux", "4.19")


@pytest.mark.parametrize("release, found, expected, said", [
    # a CVE fix (warning) or a revert of a carried change in the same release: a warning
    (_release("18.09.3"), [_found("fix_available", "warning", DOCKER_PIN, "docker 18.09.3")], WARN,
     "; 1 fix or revert for docker 18.09.1"),
    (_release("18.09.3"), [_found("regression", "warning", DOCKER_PIN, "docker 18.09.3")], WARN, "1 fix or revert"),
    # something critical in it: the release itself stays a warning (the fix pages, once)
    (_release("18.09.2"), [_found("fix_available", "critical", DOCKER_PIN, "docker 18.09.2")], WARN, "1 fix"),
    # one fix found in two releases of the same poll counts for each
    (_release("18.09.3"), [_found("fix_available", "warning", DOCKER_PIN, "docker 18.09.2", "docker 18.09.3")],
     WARN, "1 fix"),
    # fixes of other releases, of other pins, or for another architecture do not count
    (_release("18.09.3"), [_found("fix_available", "warning", DOCKER_PIN, "docker 18.09.4")], INFO,
     "nothing in its notes reaches docker 18.09.1"),
    (_release("18.09.3"), [_found("fix_available", "warning", Pin("docker", "18.09.0"), "docker 18.09.3")], INFO,
     "nothing in its notes"),
    (_release("18.09.3"), [_found("regression", "info", DOCKER_PIN, "docker 18.09.3")], INFO, "nothing in its notes"),
    # kernel.org's releases.json, an apt index, empty GitHub notes: nothing read, so it cannot page
    (_release("4.19.100", "linux", lines=0), [], INFO,
     "; digest only: this source does not show what it brings to linux 4.19.x"),
    # the pin's own version and older builds are not news; unpinned releases are info (rule 1)
    (_release("18.09.1"), [_found("fix_available", "warning", DOCKER_PIN, "docker 18.09.1")], INFO, "released"),
    (_release("19.03.0"), [], INFO, "released"),
    # a release listed again after a withdrawal answers that warning: it stays a warning
    (_release("18.09.3", key="new_release:docker:18.09.3:returned:2019-03-01"), [], WARN, "released"),
])
def test_a_new_release_of_a_pinned_branch_warns_only_when_it_brings_the_pin_a_fix(release, found, expected, said):
    from bot.judge.match import apply_pins

    [matched, *_] = apply_pins([release, *found], [DOCKER_PIN, KERNEL_PIN])
    assert matched.severity == expected
    assert said in matched.summary and matched.summary.startswith(release.summary)


def test_the_real_docker_ce_18_09_releases_warn_for_the_pin_only_where_they_carry_a_fix():
    """docker-ce 18.09 with the pin 18.09.1: 18.09.2 (runc), .7 and .8 (CVEs) warn; .3 to .6 and .9 are digest only."""
    from bot.judge.match import apply_pins

    body = (FIXTURES / "docker" / "docker-ce-18.09-CHANGELOG.md").read_bytes()
    records = docker_changelog.parse(body, docker_changelog.Conf(name="ce", kind="docker_changelog", url="http://x/"))
    pin = Pin("docker", "18.09.1")
    found = rule_events("ce", records, records, [pin], ("overlay", "aufs", "devicemapper"))
    releases = [_release(r.version, lines=sum(1 for x in records if x.kind == "changelog_line" and x.version == r.version))
                for r in records if r.kind == "release"]
    matched = {e.version: e.severity for e in apply_pins([*releases, *found], [pin]) if e.kind == "new_release"}
    assert sorted(v for v, s in matched.items() if s == "warning") == ["18.09.2", "18.09.7", "18.09.8"]
    assert {matched[v] for v in ("18.09.3", "18.09.4", "18.09.5", "18.09.6", "18.09.9")} == {"info"}


# --- version identity: the pin's own version, in every scheme ---------------------------------


@pytest.mark.parametrize("product, pin, same", [
    ("docker", "17.06.2", "17.06.2-ce"),
    ("docker", "17.06.2-ce", "17.06.2"),
    ("docker", "17.03.1", "17.03.1-ee"),
    ("docker", "1.10.3", "v1.10.3"),
    ("docker", "29.0.3", "docker-v29.0.3"),
    ("linux", "6.1.27", "v6.1.27"),
    ("debian:linux", "6.1.27-1", "0:6.1.27-1"),
    ("rhel:bind", "9.8.2-0.68.el6", "0:9.8.2-0.68.el6"),
    ("debian", "12", "12.0"),
])
def test_the_pins_own_version_in_another_spelling_is_not_newer(product, pin, same):
    from bot.core import versions
    from bot.judge import fleet

    scheme = versions.scheme_for(product)
    assert versions.compare(same, pin, scheme) == 0
    assert fleet.newer_in_branch(Pin(product, pin), [same]) == []
    event = Event("new_release", "info", product, same, f"release:{same}", f"{product} {same}")
    from bot.judge.match import apply_pins

    [matched] = apply_pins([event], [Pin(product, pin)])
    assert matched.severity == "info"


def test_a_line_in_the_pins_own_version_is_not_a_fix_available_in_it():
    records = [line("docker", "17.06.2-ce", "Fix an aufs mount leak (CVE-2017-0001)", cves=["CVE-2017-0001"]),
               line("debian:linux", "0:6.1.27-1", 'Revert "ovl: fix x"'),
               line("linux", "v6.1.27", "ovl: fix a crash (CVE-2023-0001)", cves=["CVE-2023-0001"])]
    pins = [Pin("docker", "17.06.2"), Pin("debian:linux", "6.1.27-1"), Pin("linux", "6.1.27")]
    assert rule_events("any", records, records, pins, ("aufs", "overlay")) == []
