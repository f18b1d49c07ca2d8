"""End to end for the kernel and Debian kinds: real polls of a 127.0.0.1 server into SQLite.

releases.json documents follow each other as kernel.org publishes them; the 5.7 branch
ends as its real announcement says ("this is the LAST 5.7.y kernel").
"""

from __future__ import annotations

import asyncio
import gzip
import re
from pathlib import Path

from bot.config import load as configuration
from bot.store.history import Store
from tests.conftest import FIXTURES, Route, poll_and_deliver
from tests.core.test_poll import Clock, Collect
from tests.sources.kernel_support import CHANGELOG_3_16_84, CHANGELOG_3_16_85, entry, releases_json

ANNOUNCE = (FIXTURES / "kernel/stable-announce-5.7.19-EOL.eml").read_text()
LAST_5_7 = re.search(r"^Subject: Linux (\S+)", ANNOUNCE, re.M).group(1)
LINUX_DEB = (FIXTURES / "debian/linux-6.1.changelog.Debian.head3000.gz").read_bytes()


def setup(tmp_path: Path, fleet: str, sources: str, extra: str = ""):
    path = tmp_path / "sources.yaml"
    path.write_text(f"fleet:\n{fleet}\nwatch_words: [aufs, overlay, devicemapper]\nsources:\n{sources}\n"
                    f"settings: {{retries: 0, timeout: 5, confirm_after: 15m}}\n{extra}")
    return configuration.load(path), Store.open(tmp_path / "t.db"), Clock(), Collect()


def poll(cfg, store, clock, sink):
    clock.advance(minutes=15)
    report = asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink))
    assert [r.status for r in report.results if r.status == "failed"] == [], report.results
    return report


def live(store, kinds):
    return [(e.kind, e.severity, e.key) for e in store.events(kinds=kinds) if not e.baseline]


def test_branch_eol_then_disappearance_alerts_once_and_an_unpinned_drop_is_info(tmp_path, web):
    assert LAST_5_7 == "5.7.19" and "LAST 5.7.y kernel" in ANNOUNCE
    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: linux, version: "3.16"}',
        f'  - {{name: kernel, kind: kernel_releases, url: "{web.url}/releases.json"}}')
    documents = [
        (entry("5.8.3", "stable"), entry(LAST_5_7, "stable"), entry("4.4.233"), entry("3.16.85")),
        (entry("5.8.4", "stable"), entry(LAST_5_7, "stable", iseol=True), entry("4.4.233"), entry("3.16.85")),
        (entry("5.8.5", "stable"), entry("4.4.234"), entry("3.16.85", iseol=True)),
        (entry("5.8.5", "stable"), entry("4.4.234")),
        (entry("5.8.5", "stable"),),
        (entry("5.8.5", "stable"),),
    ]
    seen = []
    for doc in documents:
        web.routes["/releases.json"] = Route(releases_json(*doc))
        poll(cfg, store, clock, sink)
        seen.append(live(store, ["branch_eol", "branch_dropped"]))
    assert seen[0] == []  # the baseline
    assert seen[1] == [("branch_eol", "info", "branch_eol:linux:5.7")]  # nobody pins 5.7: digest only
    assert seen[2][1:] == [("branch_eol", "critical", "branch_eol:linux:3.16")]
    assert seen[3] == seen[2]  # 3.16 gone after its EOL: no second alert
    assert seen[4] == seen[3]  # 4.4 missing from one listing: maybe stale, wait
    assert seen[5][2:] == [("branch_dropped", "info", "branch_dropped:linux:4.4")]  # missing twice
    [eol_alert] = [a for a in sink.alerts if "branch_eol:linux:3.16" in a.event_keys]
    assert eol_alert.severity == "critical"
    assert eol_alert.items[0].summary == "linux 3.16 reached end of life; still maintained: 5.8, 4.4"
    assert not store.events(kinds=["release_withdrawn"])  # superseded releases are not withdrawn


def test_kernel_changelog_of_a_new_release_brings_regression_and_fix(tmp_path, web):
    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: linux, version: "3.16.83"}',
        f'  - {{name: kernel-changelog, kind: kernel_changelog, releases_url: "{web.url}/releases.json",\n'
        f'     url_template: "{web.url}/v{{major}}.x/ChangeLog-{{version}}"}}')
    web.routes["/v3.x/ChangeLog-3.16.84"] = Route(CHANGELOG_3_16_84)
    web.routes["/v3.x/ChangeLog-3.16.85"] = Route(CHANGELOG_3_16_85)
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.84")))
    poll(cfg, store, clock, sink)
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.85")))
    poll(cfg, store, clock, sink)
    events = {key: (kind, severity) for kind, severity, key in live(store, ["regression", "fix_available"])}
    assert events["fix_available:linux:3.16.83:CVE-2016-5195"] == ("fix_available", "warning")
    reverts = [e for e in store.events(kinds=["regression"]) if "reverts" in e.summary]
    assert [(e.severity, e.data["fixed_in"]) for e in reverts] == [("info", "3.16.85")]  # .84 came after the pin
    fetched = [path for path, _ in web.requests if "ChangeLog" in path]
    assert fetched == ["/v3.x/ChangeLog-3.16.84", "/v3.x/ChangeLog-3.16.85"]  # each read once


def test_debian_kernel_pin_hears_of_later_uploads_that_revert_or_fix(tmp_path, web):
    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: "debian:linux", version: "6.1.162-1"}',
        f'  - {{name: debian-linux, kind: debian_changelog, url: "{web.url}/linux/changelog.Debian.gz"}}',
        'bug_numbers: ["#1135514", 999999]\n')
    text = gzip.decompress(LINUX_DEB)
    older = text[text.index(b"linux (6.1.164-1)"):]  # before the three 6.1.170 uploads
    web.routes["/linux/changelog.Debian.gz"] = Route(gzip.compress(older))
    poll(cfg, store, clock, sink)
    web.routes["/linux/changelog.Debian.gz"] = Route(LINUX_DEB)
    poll(cfg, store, clock, sink)
    regressions = {e.key: e for e in store.events(kinds=["regression"]) if not e.baseline}
    assert not [e for e in regressions.values() if e.severity == "critical"]  # bare reverts do not page
    [critical] = [e for e in regressions.values() if '"hwmon: (ibmpex)' in e.summary]
    assert critical.data["fixed_in"] == "6.1.170-1" and critical.severity == "warning"
    assert critical.summary == ('Regression for debian:linux 6.1.162-1: debian:linux 6.1.170-1 reverts '
                                   '"hwmon: (ibmpex) fix use-after-free in high/low store" '
                                   "(shipped in 6.1.162-1, which the pin carries)")
    fixes = {e.key: e for e in store.events(kinds=["fix_available"]) if not e.baseline}
    assert fixes["fix_available:debian:linux:6.1.162-1:CVE-2026-23231"].data["fixed_in"] == "6.1.170-1"
    assert all(e.data["fixed_in"].startswith("6.1.170-") for e in fixes.values())
    bug = fixes["fix_available:debian:linux:6.1.162-1:bug:1135514"]  # a bug the team listed
    assert bug.data["fixed_in"] == "6.1.170-3" and "net: Fix icmp host relookup" in bug.summary
    warned = len([e for e in store.events() if not e.baseline and e.severity == "warning"])
    # Issue 9: no page for a bare revert; every warning of the run is one message.
    loud = [a for a in sink.alerts if a.kind == "events"]
    assert [(a.severity, len(a.items)) for a in loud] == [("warning", warned)]


def test_a_pinned_branch_gone_from_kernel_org_warns_once_and_never_fails_the_poll(tmp_path, web):
    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: linux, version: "3.16"}',
        f'  - {{name: kernel-changelog, kind: kernel_changelog, releases_url: "{web.url}/releases.json"}}')
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("4.4.233")))
    for _ in range(3):
        poll(cfg, store, clock, sink)  # asserts no source failed
    assert [a.kind for a in sink.alerts] == ["baseline", "incident_open"]
    assert "linux 3.16 is not listed on kernel.org" in sink.alerts[1].title


def test_why_a_kernel_version_tells_when_its_branch_ended(tmp_path, web):
    from bot.read.why import story

    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: linux, version: "3.16.85"}',
        f'  - {{name: kernel, kind: kernel_releases, url: "{web.url}/releases.json"}}')
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.85")))
    poll(cfg, store, clock, sink)
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.85", iseol=True)))
    poll(cfg, store, clock, sink)
    told = story(store, cfg.fleet, "3.16.85", "linux")
    assert [r["version"] for r in told["releases"]] == ["3.16.85"]
    assert [(e["kind"], e["severity"]) for e in told["events"] if not e["baseline"]] == [("branch_eol", "critical")]
    assert told["alerts"] and told["alerts"][-1]["severity"] == "critical"
    assert told["pins"] == [{"product": "linux", "version": "3.16.85", "distro": ""}]


def test_a_kernel_org_release_of_a_pinned_branch_is_digest_only_and_why_says_so(tmp_path, web):
    """releases.json cannot show what a release brings: it never posts, yet it stays in view.

    Beside it, the kernel_changelog source reads the same release's ChangeLog: its fixes are
    the warning (policy rule 7), so pairing the two loses nothing.
    """
    from click.testing import CliRunner

    from bot.cli.main import main

    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: linux, version: "3.16"}',
        f'  - {{name: kernel, kind: kernel_releases, url: "{web.url}/releases.json"}}\n'
        f'  - {{name: kernel-changelog, kind: kernel_changelog, releases_url: "{web.url}/releases.json",\n'
        f'     url_template: "{web.url}/v{{major}}.x/ChangeLog-{{version}}"}}')
    web.routes["/v3.x/ChangeLog-3.16.84"] = Route(CHANGELOG_3_16_84)
    web.routes["/v3.x/ChangeLog-3.16.85"] = Route(CHANGELOG_3_16_85)
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.84")))
    poll(cfg, store, clock, sink)  # the baseline
    sent = len(sink.alerts)
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.4", "stable"), entry("3.16.85", date="2020-11-05")))
    poll(cfg, store, clock, sink)

    [release] = [e for e in store.events(kinds=["new_release"]) if e.version == "3.16.85"]
    assert (release.severity, release.data["pins"]) == ("info", ["linux 3.16.x"])
    assert release.summary == ("linux 3.16.85 released (2020-11-05); digest only: "
                               "this source does not show what it brings to linux 3.16.x")
    news = sink.alerts[sent:]
    assert news and {a.source for a in news} == {"kernel-changelog"}  # the fixes speak; the bare release does not
    assert all(i.kind in ("fix_available", "regression") for a in news for i in a.items)
    assert any("3.16.85" in i.summary for a in news for i in a.items)

    args = ["--config", str(cfg.path), "--db", str(tmp_path / "t.db")]
    why = CliRunner().invoke(main, [*args, "why", "3.16.85", "--product", "linux"])
    assert why.exit_code == 0, why.output
    assert "this source does not show what it brings" in " ".join(why.output.split())
    digest = CliRunner().invoke(main, [*args, "digest", "--since", "30d"])
    assert "linux 3.16.85 released" in digest.output


def test_a_docker_release_with_nothing_for_the_pin_is_info_and_one_with_a_cve_fix_warns(tmp_path, web):
    moby = (FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes()
    cfg, store, clock, sink = setup(
        tmp_path, '  - {product: docker, version: "1.10.3"}',
        f'  - {{name: moby, kind: docker_changelog, url: "{web.url}/CHANGELOG.md"}}')
    web.routes["/CHANGELOG.md"] = Route(moby)
    poll(cfg, store, clock, sink)
    steps = [b"## 1.10.4 (2016-04-01)\n\n- Update the French man pages\n\n",
             b"## 1.10.5 (2016-05-01)\n\n- Fix a seccomp bypass (CVE-2016-3697)\n\n"]
    for step in steps:
        sent = len(sink.alerts)
        moby = moby.replace(b"## 1.10.3 (2016-03-10)", step + b"## 1.10.3 (2016-03-10)", 1)
        web.routes["/CHANGELOG.md"] = Route(moby)
        poll(cfg, store, clock, sink)
        if step is steps[0]:
            assert sink.alerts[sent:] == []  # nothing for the pin: no message at all
    quiet, loud = (next(e for e in store.events(kinds=["new_release"]) if e.version == v) for v in ("1.10.4", "1.10.5"))
    assert quiet.severity == "info"
    assert quiet.summary.endswith("digest only: nothing in its notes reaches docker 1.10.3")
    assert (loud.severity, loud.summary) == ("warning", "docker 1.10.5 released (2016-05-01); "
                                                        "1 fix or revert for docker 1.10.3")
    [message] = sink.alerts[sent:]
    assert [(i.kind, i.severity) for i in message.items] == [("fix_available", "warning"), ("new_release", "warning")]
