"""bot.judge.rules: regressions and fixes against the pins, for every changelog kind."""

from __future__ import annotations

import pytest

from bot.core.model import Pin, Record
from bot.core.text import norm_title
from bot.judge.rules import rule_events
from bot.sources import debian_changelog, kernel_changelog
from tests.sources.kernel_support import CHANGELOG_3_16_84, CHANGELOG_3_16_85, FIXTURES

KCONF = kernel_changelog.Conf(name="kernel-changelog", kind="kernel_changelog")
DCONF = debian_changelog.Conf(name="debian-linux", kind="debian_changelog", url="https://example.org/linux")
WORDS = ("aufs", "overlay", "devicemapper")


@pytest.fixture(scope="module")
def kernel():
    old = kernel_changelog.parse(CHANGELOG_3_16_84, "3.16.84", KCONF)
    new = kernel_changelog.parse(CHANGELOG_3_16_85, "3.16.85", KCONF)
    return old, new


@pytest.fixture(scope="module")
def debian_linux():
    return debian_changelog.parse((FIXTURES / "debian/linux-6.1.changelog.Debian.head3000.gz").read_bytes(), DCONF)


def by_key(events):
    return {e.key: e for e in events}


def line(product, version, text, **data):
    return Record("changelog_line", f"line:{version}:{abs(hash(text))}", product, version, {"text": text, **data})


# --- kernel ChangeLogs ------------------------------------------------------------------------


def test_a_revert_of_a_change_the_pinned_branch_shipped_is_a_critical_regression(kernel):
    old, new = kernel
    events = by_key(rule_events("kc", new, old + new, [Pin("linux", "3.16")], WORDS))
    revert = [e for e in events.values() if "reverts" in e.summary]
    assert len(revert) == 1
    assert revert[0].severity == "critical"
    assert revert[0].key.startswith("regression:linux:3.16:")
    assert "linux 3.16.85 reverts \"ovl: fix lookup of lower dentries" in revert[0].summary
    assert "shipped in 3.16.84" in revert[0].summary


def test_an_exact_pin_older_than_the_reverted_change_only_hears_about_it_as_info(kernel):
    old, new = kernel
    events = rule_events("kc", new, old + new, [Pin("linux", "3.16.83")], WORDS)
    [revert] = [e for e in events if "reverts" in e.summary]
    assert revert.severity == "info" and "after the pin" in revert.summary


def test_a_revert_whose_change_was_never_read_is_a_warning(kernel):
    _, new = kernel
    [revert] = [e for e in rule_events("kc", new, new, [Pin("linux", "3.16")], WORDS) if "reverts" in e.summary]
    assert revert.severity == "warning" and "not in the changelogs read" in revert.summary


def test_cve_and_watch_word_fixes_name_the_release_that_brings_them(kernel):
    old, new = kernel
    events = by_key(rule_events("kc", new, old + new, [Pin("linux", "3.16")], WORDS))
    cow = events["fix_available:linux:3.16:CVE-2016-5195"]
    assert cow.severity == "warning" and cow.data["fixed_in"] == "3.16.85"
    assert "in linux 3.16.85: mm: remove gup_flags FOLL_WRITE games" in cow.summary
    [dm] = [e for e in events.values() if e.key.startswith("fix_available:linux:3.16:watch:devicemapper:")]
    assert "dm thin: fix devicemapper pool resize" in dm.summary
    assert not any(":watch:overlay:" in key for key in events)  # a revert is not "a fix is available"


def test_a_regression_introduced_at_or_below_the_pin_is_critical_and_above_it_is_ignored(kernel):
    old, new = kernel
    at = by_key(rule_events("kc", new, old + new, [Pin("linux", "3.16.82")], WORDS))
    [dm] = [e for e in at.values() if e.kind == "regression" and "introduced in 3.16.82" in e.summary]
    assert dm.severity == "critical"
    below = rule_events("kc", new, old + new, [Pin("linux", "3.16.81")], WORDS)
    assert not [e for e in below if "introduced in 3.16.82" in e.summary]


def test_releases_of_other_branches_or_older_than_the_pin_say_nothing(kernel):
    old, new = kernel
    assert rule_events("kc", new, old + new, [Pin("linux", "4.4")], WORDS) == []
    assert rule_events("kc", new, old + new, [Pin("linux", "3.16.85")], WORDS) == []


# --- Debian changelogs ------------------------------------------------------------------------


def test_debian_pin_hears_of_a_later_upload_reverting_what_it_carries(debian_linux):
    events = by_key(rule_events("dl", debian_linux, debian_linux, [Pin("debian:linux", "6.1.162-1")], WORDS))
    [hwmon] = [e for e in events.values() if '"hwmon: (ibmpex) fix use-after-free' in e.summary]
    # A bare revert (no crash, regression, bug report or watch word named) is a warning, not a page.
    assert hwmon.severity == "warning" and hwmon.data["fixed_in"] == "6.1.170-1"
    assert "shipped in 6.1.162-1, which the pin carries" in hwmon.summary
    [mmc] = [e for e in events.values() if '"mmc: rtsx_pci_sdmmc' in e.summary]
    assert mmc.severity == "info" and "added and reverted in 6.1.170-1" in mmc.summary


def test_debian_pin_on_the_broken_upload_gets_one_critical_regression_and_the_bug_fix(debian_linux):
    pin = Pin("debian:linux", "6.1.170-1")
    events = by_key(rule_events("dl", debian_linux, debian_linux, [pin], WORDS, bug_numbers=["#1135514", "1135599"]))
    assert sorted(events) == [
        "fix_available:debian:linux:6.1.170-1:bug:1135514",
        "fix_available:debian:linux:6.1.170-1:bug:1135599",  # closed by the revert itself
        f"regression:debian:linux:6.1.170-1:{_hash('wifi: cfg80211: stop NAN and P2P in cfg80211_leave')}",
    ]
    wifi = events[f"regression:debian:linux:6.1.170-1:{_hash('wifi: cfg80211: stop NAN and P2P in cfg80211_leave')}"]
    assert wifi.severity == "critical" and wifi.data["fixed_in"] == "6.1.170-2"
    assert events["fix_available:debian:linux:6.1.170-1:bug:1135514"].data["fixed_in"] == "6.1.170-3"


def test_debian_cve_fixes_name_the_smallest_debian_version(debian_linux):
    events = by_key(rule_events("dl", debian_linux, debian_linux, [Pin("debian:linux", "6.1.158-1")], WORDS))
    assert events["fix_available:debian:linux:6.1.158-1:CVE-2026-23231"].data["fixed_in"] == "6.1.170-1"
    assert events["fix_available:debian:linux:6.1.158-1:CVE-2025-40135"].data["fixed_in"] == "6.1.170-1"
    fixes = [e for e in events.values() if e.kind == "fix_available"]
    assert all(e.data["fixed_in"] != "6.1.158-1" for e in fixes)
    assert len(fixes) > 300  # every CVE the later uploads fix, once each


def test_the_same_cve_from_kernel_org_and_debian_is_one_event_naming_the_smallest_version():
    kernel = line("linux", "6.1.166", "net: fix it (CVE-2026-23231)", cves=["CVE-2026-23231"])
    debian = line("debian:linux", "6.1.170-1", "net: fix it (CVE-2026-23231)", cves=["CVE-2026-23231"],
                  upstream="6.1.165")
    pins = [Pin("linux", "6.1")]
    [from_kernel] = rule_events("kernel-changelog", [kernel], [kernel], pins, ())
    [from_debian] = rule_events("debian-linux", [debian], [debian], pins, ())
    assert from_kernel.key == from_debian.key == "fix_available:linux:6.1:CVE-2026-23231"
    [both] = rule_events("any", [kernel, debian], [kernel, debian], pins, ())
    assert both.data["fixed_in"] == "6.1.165" and "6.1.165 (debian:linux 6.1.170-1)" in both.summary


def test_a_regression_update_is_critical_for_a_pin_on_the_upload_it_repairs():
    records = [
        Record("release", "release:1.6.2-1", "debian:docker.io", "1.6.2-1", {}),
        Record("release", "release:1.6.2-1+deb8u1", "debian:docker.io", "1.6.2-1+deb8u1", {}),
        Record("release", "release:1.6.2-1+deb8u2", "debian:docker.io", "1.6.2-1+deb8u2",
               {"regression_update": True}),
    ]
    on_broken = rule_events("d", records[2:], records, [Pin("debian:docker.io", "1.6.2-1+deb8u1")], ())
    assert [(e.kind, e.severity) for e in on_broken] == [("regression", "critical")]
    assert "regression update repairing 1.6.2-1+deb8u1" in on_broken[0].summary
    before = rule_events("d", records[2:], records, [Pin("debian:docker.io", "1.6.2-1")], ())
    assert [e.severity for e in before] == ["warning"]


# --- other kinds' lines (docker_changelog, github_releases) -----------------------------------


def test_docker_changelog_lines_follow_the_same_rules():
    records = [
        line("docker", "1.10.4", "Fix a regression in overlay mounts introduced in 1.10.2"),
        line("docker", "1.10.4", "Fix an aufs mount leak"),
        line("docker", "1.10.5", "Fix an aufs mount leak"),
        line("docker", "1.11.0", "Fix CVE-2016-3697 in user namespaces", cves=["CVE-2016-3697"]),
        line("docker", "1.10.4", "Add regression tests for overlay", classes=["regression", "watch:overlay"]),
        line("docker", "1.10.5", "Regression in the cli vendoring is fixed in 1.22.9 upstream"),
    ]
    events = by_key(rule_events("moby", records, records, [Pin("docker", "1.10.3")], WORDS))
    regressions = [e for e in events.values() if e.kind == "regression"]
    assert [e.severity for e in regressions] == ["critical", "warning"]
    assert "introduced in 1.10.2" in regressions[0].summary
    assert "where it came from is not said" in regressions[1].summary  # "fixed in" is not "introduced in"
    [aufs] = [e for e in events.values() if ":watch:aufs:" in e.key]
    assert aufs.data["fixed_in"] == "1.10.4" and aufs.data["versions"] == ["1.10.4", "1.10.5"]
    assert not any("CVE-2016-3697" in k for k in events)  # 1.11 is another branch
    overlay = [e.data["text"] for e in events.values() if ":watch:overlay:" in e.key]
    assert overlay == ["Fix a regression in overlay mounts introduced in 1.10.2"]  # not "Add regression tests"


def test_titles_match_across_changelog_spellings():
    assert norm_title("[x86] Revert \"x\"  (CVE-2026-1234) (Closes: #1)") == norm_title('Revert "x"')
    assert norm_title("[arm64] dts: fix a\n  thing.") == "dts: fix a thing"


def _hash(title: str) -> str:
    from bot.core.text import title_hash

    return title_hash(title)


def test_lines_that_only_mention_a_regression_are_not_a_critical_fix_of_one():
    """A known issue, a regression test or a clause-distant 'fixes' is not 'fixes a regression'."""
    records = [
        line("docker", "1.10.4", "Add a regression test for the overlay fix introduced in 1.10.2"),
        line("docker", "1.10.4", "Known issue: a regression in 1.10.3 breaks --net=host"),
        line("docker", "1.10.4", "Document the regression in 1.9.0 networking; fixes are planned for 1.11"),
        line("docker", "1.10.5", "Fix a regression in overlay mounts introduced in 1.10.2; add a regression test"),
    ]
    regressions = [e for e in rule_events("moby", records, records, [Pin("docker", "1.10.3")], WORDS)
                   if e.kind == "regression"]
    assert [(e.severity, e.data["text"]) for e in regressions] == [
        ("critical", "Fix a regression in overlay mounts introduced in 1.10.2; add a regression test"),
    ]


def test_the_noun_address_does_not_make_a_watch_word_line_a_fix():
    records = [
        line("docker", "1.10.4", "overlay: print the IPv6 address of the bridge"),
        line("docker", "1.10.4", "Address an overlay whiteout leak"),
    ]
    fixes = [e.data["text"] for e in rule_events("moby", records, records, [Pin("docker", "1.10.3")], WORDS)]
    assert fixes == ["Address an overlay whiteout leak"]
