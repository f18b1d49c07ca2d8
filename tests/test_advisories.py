"""Matching advisories to package pins: the one rule every advisory source shares."""

from __future__ import annotations

from typing import Any

from bot.core.model import Pin, Record
from bot.judge.advisories import advisory_events, advisory_news, fix_events, news, with_exposure
from bot.judge.cves import CveInfo


def advisory(package: str, distro: str, fixed: str, *, family: str = "debian", adv_id: str = "CVE-2024-0001",
             severity: str = "warning", status: str = "resolved", **extra: Any) -> Record:
    data = {"id": adv_id, "cves": extra.pop("cves", [adv_id] if adv_id.startswith("CVE-") else []),
            "rating": extra.pop("rating", "medium"), "severity": severity, "distro": distro, "status": status,
            "fixed_version": fixed, "published": "", "title": extra.pop("title", ""), "url": ""}
    return Record("advisory", f"advisory:{adv_id}:{package}:{distro}", f"{family}:{package}", fixed, data)


WEB = Pin("debian:openssl", "3.0.11-1~deb12u2", "bookworm", ("hosts/web.dpkg", "hosts/api.dpkg"))


def test_pin_below_fixed_version_gets_one_advisory_naming_fix_rating_and_hosts() -> None:
    [event] = advisory_events("tracker", [advisory("openssl", "bookworm", "3.0.11-1~deb12u3")], [WEB], {})
    assert (event.kind, event.severity, event.product, event.version) == (
        "advisory", "warning", "debian:openssl", "3.0.11-1~deb12u2")
    assert event.data["fixed_version"] == "3.0.11-1~deb12u3"
    assert event.data["rating"] == "medium"
    assert event.data["hosts"] == ["hosts/web.dpkg", "hosts/api.dpkg"]
    assert "fixed in 3.0.11-1~deb12u3" in event.summary and "hosts/web.dpkg" in event.summary


def test_pin_at_or_above_fixed_version_other_distro_or_package_gets_nothing() -> None:
    records = [
        advisory("openssl", "bookworm", "3.0.11-1~deb12u2"),  # the pin is the fix
        advisory("openssl", "bookworm", "3.0.9-1"),  # older fix
        advisory("openssl", "bullseye", "3.0.11-1~deb12u9"),  # another release
        advisory("openssh", "bookworm", "1:9.9-1"),  # another package
    ]
    assert advisory_events("tracker", records, [WEB], {}) == []


def test_dpkg_order_not_text_order() -> None:
    # '~' sorts before everything: 3.0.11-1~deb12u2 is older than 3.0.11-1
    [event] = advisory_events("t", [advisory("openssl", "bookworm", "3.0.11-1")], [WEB], {})
    assert event.data["fixed_version"] == "3.0.11-1"


def test_open_advisory_affects_every_version_resolved_without_fix_none() -> None:
    open_one = advisory("openssl", "bookworm", "", status="open")
    assert "no fixed version yet" in advisory_events("t", [open_one], [WEB], {})[0].summary
    assert advisory_events("t", [advisory("openssl", "bookworm", "", status="resolved")], [WEB], {}) == []


def test_rpm_order_with_epochs_for_rhel() -> None:
    pin = Pin("rhel:bind", "32:9.8.2-0.68.rc1.el6_10.16", "6")
    below = advisory("bind", "6", "32:9.8.2-0.68.rc1.el6_10.17", family="rhel", adv_id="RHSA-2024:0010",
                     severity="critical", rating="Important", cves=["CVE-2023-4408"])
    no_epoch = advisory("bind", "6", "9.9.0-1.el6", family="rhel", adv_id="RHSA-2024:0011")  # epoch 0 < 32
    [event] = advisory_events("csaf", [below, no_epoch], [pin], {})
    assert event.severity == "critical" and event.data["advisory"] == "RHSA-2024:0010"
    assert event.data["cves"] == ["CVE-2023-4408"]


def test_kev_listing_makes_it_critical_names_the_date_and_is_a_new_key() -> None:
    record = advisory("openssl", "bookworm", "3.0.11-1~deb12u3", severity="info", rating="unimportant")
    [quiet] = advisory_events("t", [record], [WEB], {})
    kev = {"CVE-2024-0001": CveInfo("CVE-2024-0001", "critical", kev_date="2024-05-02")}
    [loud] = advisory_events("t", [record], [WEB], kev)
    assert quiet.severity == "info" and loud.severity == "critical"
    assert "CISA KEV" in loud.summary and "2024-05-02" in loud.summary
    assert loud.data["kev"] == {"CVE-2024-0001": "2024-05-02"}
    assert loud.key != quiet.key


def test_keys_are_stable_and_each_pinned_version_is_its_own_event() -> None:
    old = Pin("debian:openssl", "3.0.9-1", "bookworm", ("hosts/db.dpkg",))
    record = advisory("openssl", "bookworm", "3.0.11-1~deb12u3")
    first = advisory_events("t", [record, record], [WEB, old], {})
    again = advisory_events("t", [record], [WEB, old], {})
    assert len(first) == 2
    assert sorted(e.key for e in first) == sorted(e.key for e in again)
    assert {e.version for e in first} == {"3.0.11-1~deb12u2", "3.0.9-1"}


def test_fix_available_when_an_open_advisory_gets_a_fixed_version() -> None:
    before = advisory("openssl", "bookworm", "", status="open", severity="critical", rating="high")
    after = advisory("openssl", "bookworm", "3.0.11-1~deb12u3", severity="critical", rating="high")
    [fix] = fix_events("t", [before], [after], [WEB], {})
    assert fix.kind == "fix_available" and fix.severity == "critical"
    assert fix.key == "fix_available:debian:openssl:3.0.11-1~deb12u2:CVE-2024-0001"
    assert fix.data["fixed_in"] == "3.0.11-1~deb12u3"
    # already fixed last time, or fixed below the pin: nothing new
    assert fix_events("t", [after], [after], [WEB], {}) == []
    below = advisory("openssl", "bookworm", "3.0.1-1")
    assert fix_events("t", [before], [below], [WEB], {}) == []


def test_news_skips_what_was_matched_last_run_but_sees_a_fleet_change_and_a_kev_listing() -> None:
    record = advisory("openssl", "bookworm", "3.0.11-1~deb12u3")
    last = with_exposure([record], [WEB])
    assert last[0].data["affects"] == ["3.0.11-1~deb12u2"]
    assert news(last, with_exposure([record], [WEB]), {}) == []  # nothing new: no events to re-derive
    upgraded = Pin("debian:openssl", "3.0.11-1~deb12u1", "bookworm")  # a host now runs another build
    [changed] = news(last, with_exposure([record], [WEB, upgraded]), {})
    assert {e.version for e in advisory_events("t", [changed], [WEB, upgraded], {})} == {
        "3.0.11-1~deb12u2", "3.0.11-1~deb12u1"}
    kev = {"CVE-2024-0001": CveInfo("CVE-2024-0001", "critical", kev_date="2024-05-02")}
    assert news(last, last, kev) == last


def test_a_fleet_change_gives_standing_facts_an_upstream_change_gives_news() -> None:
    record = advisory("openssl", "bookworm", "3.0.11-1~deb12u3")
    last = with_exposure([record], [WEB])
    new_host = Pin("debian:openssl", "3.0.9-1", "bookworm", ("hosts/new.dpkg",))
    standing = advisory_news("t", last, with_exposure([record], [WEB, new_host]), [WEB, new_host], {})
    # WEB's event has the key already stored; the new host's is a standing fact for the one summary
    assert {e.version: e.baseline for e in standing} == {"3.0.11-1~deb12u2": True, "3.0.9-1": True}
    opened = advisory("openssl", "bookworm", "", status="open", adv_id="CVE-2024-0002")
    [news_event] = advisory_news("t", last, with_exposure([record, opened], [WEB]), [WEB], {})
    assert news_event.data["advisory"] == "CVE-2024-0002" and not news_event.baseline
