"""Fewer messages (issue 9): real polls delivered to a fake Slack, messages counted.

A critical event is its own message; every warning of one source in one run is one
message, the fixes an upload brings to a pin one line in it; info, and release or branch
news about nothing pinned, never reaches Slack (the digest has it); the baseline summary
is info, posted once, never to the paging channel.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections import Counter
from datetime import timedelta

from bot.core.alert import AlertKind
from bot.core.model import Event
from bot.core.settings import SlackConf
from bot.deliver.slack.client import SlackWebApi
from bot.deliver.slack.sink import SlackSink
from bot.judge.alerts import events_alerts
from tests.conftest import Route, poll_and_deliver
from tests.core.test_kernel_poll import LINUX_DEB, setup
from tests.sources.kernel_support import entry, releases_json

CHANNELS = {"critical": "#pager", "warning": "#alerts", "info": "#fyi"}


def sink(fake):
    client = SlackWebApi(fake.token, base_url=fake.api_url, env_name="SLACK_BOT_TOKEN")
    return SlackSink(client, SlackConf(channel="#alerts", channels=CHANNELS), timedelta(hours=24))


def poll(cfg, store, clock, fake):
    clock.advance(minutes=15)
    report = asyncio.run(poll_and_deliver(cfg, store, clock=clock, deliverer=sink(fake)))
    assert not report.failed, report.results
    return report


def test_a_debian_kernel_upload_with_many_fixes_and_bare_reverts_is_one_warning_message(tmp_path, web, fake_slack):
    cfg, store, clock, _ = setup(
        tmp_path, '  - {product: "debian:linux", version: "6.1.162-1"}',
        f'  - {{name: debian-linux, kind: debian_changelog, url: "{web.url}/linux/changelog.Debian.gz"}}')
    text = gzip.decompress(LINUX_DEB)
    web.routes["/linux/changelog.Debian.gz"] = Route(gzip.compress(text[text.index(b"linux (6.1.164-1)"):]))
    poll(cfg, store, clock, fake_slack)
    [baseline] = fake_slack.posts()
    assert baseline["channel"] == "#fyi" and baseline["text"].startswith("[info] debian-linux: first poll")

    web.routes["/linux/changelog.Debian.gz"] = Route(LINUX_DEB)  # three 6.1.170 uploads arrive at once
    poll(cfg, store, clock, fake_slack)
    warnings = [e for e in store.events() if not e.baseline and e.severity == "warning"]
    assert len(warnings) > 100  # what used to be one item per line
    posts = fake_slack.posts()[1:]
    assert [p["channel"] for p in posts] == ["#alerts"]  # the bare hwmon revert no longer pages (issue 9)
    [grouped] = posts
    counts = Counter(e.kind for e in warnings)
    assert grouped["text"].startswith(  # loudest kinds first
        f"[warning] debian-linux: {len(warnings)} warnings: {counts['regression']} regression, "
        f"{counts['fix_available']} fix_available, {counts['new_release']} new_release")
    lines = [line for b in grouped["blocks"] if b["type"] == "section" for line in b["text"]["text"].split("\n")]
    [per_upload] = [line for line in lines if "fixes for debian:linux 6.1.162-1 in 6.1.170-1" in line]
    count = int(per_upload.split("• *fix_available* ")[1].split()[0])  # one line for the pin: a count and the top items
    assert count > 90 and f"(and {count - 3} more)" in per_upload and "(CVE-" in per_upload
    assert any("regressions for debian:linux 6.1.162-1 in 6.1.170-1" in line for line in lines)
    assert len(lines) < 10
    poll(cfg, store, clock, fake_slack)
    assert len(fake_slack.posts()) == 2  # nothing new, nothing said


def test_branches_and_releases_nobody_pins_never_reach_slack(tmp_path, web, fake_slack):
    cfg, store, clock, _ = setup(
        tmp_path, '  - {product: linux, version: "3.16"}',
        f'  - {{name: kernel, kind: kernel_releases, url: "{web.url}/releases.json"}}')
    documents = [
        (entry("5.8.3", "stable"), entry("5.7.19", "stable"), entry("4.4.233"), entry("3.16.85")),
        (entry("5.8.4", "stable"), entry("5.7.19", "stable", iseol=True), entry("4.4.234"), entry("3.16.85")),
        (entry("5.8.5", "stable"), entry("3.16.85")),
        (entry("5.8.5", "stable"), entry("3.16.85")),
    ]
    for doc in documents:
        web.routes["/releases.json"] = Route(releases_json(*doc))
        poll(cfg, store, clock, fake_slack)
    news = {(e.kind, e.version) for e in store.events() if not e.baseline}
    assert {("branch_eol", "5.7"), ("new_release", "5.8.4"), ("branch_dropped", "4.4")} <= news
    assert [p["text"].splitlines()[0] for p in fake_slack.posts()] == ["[info] kernel: first poll, baseline recorded"]


def event(n, severity, kind="fix_available", **data):
    return Event(kind, severity, "docker", "1.10.3", f"{kind}:{n}", f"event {n}", "moby",
                 {"pins": ["docker 1.10.3"], **data})


def test_one_message_per_critical_event_and_one_for_all_warnings():
    events = [event(1, "warning"), event(2, "critical", "regression"), event(3, "info"), event(4, "warning"),
              event(5, "critical", "advisory"), event(6, "warning", "new_release", pins=[]),
              event(7, "warning", "branch_eol", pins=[]), event(8, "warning", "release_withdrawn", pins=[])]
    made = events_alerts("moby", events, run_id=1)
    assert [(a.kind, a.severity, [e.key for e in a.items]) for a in made] == [
        (AlertKind.EVENTS, "critical", ["regression:2"]),
        (AlertKind.EVENTS, "critical", ["advisory:5"]),
        (AlertKind.EVENTS, "warning", ["fix_available:1", "fix_available:4", "release_withdrawn:8"]),
    ]
    assert made[2].title == "moby: 3 warnings: 2 fix_available, 1 release_withdrawn"
    mixed = events_alerts("moby", [event(9, "warning", "new_release"), event(10, "warning", "regression")], 1)
    assert [e.kind for e in mixed[0].items] == ["regression", "new_release"]  # loudest kinds first


def test_a_baseline_summary_is_info_and_never_pages(tmp_path, web, fake_slack):
    cfg, store, clock, _ = setup(
        tmp_path, '  - {product: linux, version: "3.16"}',
        f'  - {{name: kernel, kind: kernel_releases, url: "{web.url}/releases.json"}}')
    web.routes["/releases.json"] = Route(releases_json(entry("5.8.3", "stable"), entry("3.16.85", iseol=True)))
    poll(cfg, store, clock, fake_slack)
    [summary] = fake_slack.posts()
    assert summary["channel"] == "#fyi" and ":rotating_light:" not in json.dumps(summary["blocks"])
    assert "branch_eol" in json.dumps(summary["blocks"]) or "end of life" in json.dumps(summary["blocks"])
