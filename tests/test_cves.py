"""The CVE ratings table: the loudest rating of all advisory sources wins; KEV makes it critical."""

from bot.judge.cves import cve_record, ratings


def test_loudest_rating_wins_and_sources_are_listed():
    table = ratings([
        ("debian-tracker", cve_record("CVE-2019-5736", severity="warning", rating="medium")),
        ("rhel-csaf", cve_record("CVE-2019-5736", severity="critical", rating="Important")),
        ("debian-tracker", cve_record("CVE-2020-0001", severity="info", rating="unimportant")),
    ])
    assert table["CVE-2019-5736"].severity == "critical"
    assert table["CVE-2019-5736"].rating == "Important"
    assert table["CVE-2019-5736"].sources == ("debian-tracker", "rhel-csaf")
    assert table["CVE-2020-0001"].severity == "info"


def test_a_kev_listing_makes_a_low_rated_cve_critical_and_keeps_its_date():
    table = ratings([
        ("debian-tracker", cve_record("CVE-2023-4863", severity="info", rating="low")),
        ("kev", cve_record("CVE-2023-4863", kev_date="2023-09-13")),
    ])
    info = table["CVE-2023-4863"]
    assert (info.severity, info.kev_date, info.exploited) == ("critical", "2023-09-13", True)
