"""The outbox against a fake Slack: nothing lost, nothing doubled, threads kept."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.alert import Alert, AlertKind, AlertState, event_from_dict
from bot.core.model import Finding
from bot.core.settings import SlackConf
from bot.deliver.loop import deliver_pending
from bot.deliver.slack.client import SlackWebApi, SlackWebhook
from bot.deliver.slack.sink import SlackSink
from bot.store.history import Store
from tests.slack.fakeslack import Answer

HOSTILE = "<!channel> see <https://evil.example|docs>"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return Store.memory()


def slack(fake, clock, **conf):
    client = SlackWebApi(fake.token, base_url=fake.api_url, env_name="SLACK_BOT_TOKEN")
    conf = SlackConf(channel="#alerts", **conf)
    return SlackSink(client, conf, timedelta(hours=24))


def event(n, kind="fix_available", severity="warning", product="docker", **data):
    return {
        "kind": kind,
        "severity": severity,
        "product": product,
        "version": f"1.10.{n}",
        "key": f"{kind}:{product}:1.10.{n}",
        "summary": f"event {n}",
        **data,
    }


def queue(store, clock, title, events, kind="events", severity="warning", incident_key=""):
    items = tuple(event_from_dict(e) for e in events)
    alert = Alert(AlertKind(kind), severity, title, "moby", items, tuple(e.key for e in items),
                  incident_key=incident_key)
    return store.queue_alert(alert, clock())


def titles(fake):
    return [m["text"].splitlines()[0] for m in fake.posts()]


def test_slack_down_for_three_polls_then_every_alert_arrives_once_in_order(fake_slack, store, clock):
    d = slack(fake_slack, clock)
    fake_slack.always(Answer.server_error())
    for poll in range(3):
        queue(store, clock, f"alert {poll}", [event(poll)])
        report = deliver_pending(store, d, clock, sleep=pytest.fail)
        assert report.sent == 0 and report.queued == poll + 1
        assert "HTTP 500" in report.errors[-1]
        clock.now += timedelta(minutes=15)
    assert len(fake_slack.calls) == 3  # one try per poll: the head of the queue, not the backlog
    fake_slack.reset()
    queue(store, clock, "alert 3", [event(3)])
    report = deliver_pending(store, d, clock)
    assert report.sent == 4 and report.queued == 0
    assert titles(fake_slack) == [f"[warning] alert {i}" for i in range(4)]
    assert deliver_pending(store, d, clock).sent == 0
    assert len(fake_slack.posts()) == 4
    assert [a.attempts for a in store.alerts()] == [3, 0, 0, 0]  # only the head was tried


@pytest.mark.parametrize("answer", [Answer.invalid_auth(), Answer.error("channel_not_found")])
def test_credentials_or_channel_refused_keeps_alerts_queued(fake_slack, store, clock, answer):
    queue(store, clock, "a", [event(1)])
    fake_slack.always(answer)
    report = deliver_pending(store, slack(fake_slack, clock), clock)
    assert report.queued == 1 and store.pending_alerts()[0].last_error.endswith(answer.body["error"])


def test_short_retry_after_is_waited_out_long_one_is_left_for_the_next_run(fake_slack, store, clock):
    d = slack(fake_slack, clock)
    queue(store, clock, "a", [event(1)])
    queue(store, clock, "b", [event(2)])
    slept = []
    fake_slack.queue(Answer.rate_limited(2))
    assert deliver_pending(store, d, clock, sleep=slept.append).sent == 2
    assert slept == [2.0]
    queue(store, clock, "c", [event(3)])
    fake_slack.queue(Answer.rate_limited(120))
    report = deliver_pending(store, d, clock, sleep=slept.append)
    assert report.queued == 1 and slept == [2.0]
    calls = len(fake_slack.calls)
    clock.now += timedelta(seconds=60)
    report = deliver_pending(store, d, clock)
    assert len(fake_slack.calls) == calls and "wait until" in report.errors[0]  # Retry-After honoured
    clock.now += timedelta(seconds=61)
    assert deliver_pending(store, d, clock).sent == 1


def test_hostile_changelog_line_arrives_with_neither_mention_nor_link(fake_slack, store, clock):
    queue(store, clock, HOSTILE, [event(1, summary=HOSTILE, url="https://evil.example|docs")])
    deliver_pending(store, slack(fake_slack, clock), clock)
    (call,) = fake_slack.calls_to("chat.postMessage")
    raw = json.dumps(call.body)
    assert "<!channel>" not in raw and "<https://evil" not in raw and "<http" not in raw
    assert call.body["parse"] == "none"


def test_info_never_pages(fake_slack, store, clock):
    queue(store, clock, "quiet", [event(1, severity="info")], severity="info")
    report = deliver_pending(store, slack(fake_slack, clock), clock)
    assert report.skipped == 1 and fake_slack.calls == []
    assert store.alerts()[0].state == AlertState.SKIPPED


def test_routing_by_severity_and_product(fake_slack, store, clock):
    queue(store, clock, "crit", [event(1, severity="critical")], severity="critical")
    queue(store, clock, "kernel", [event(2, product="linux")])
    deliver_pending(
        store, slack(fake_slack, clock, channels={"critical": "#pager", "linux": "#kernel"}), clock
    )
    assert [m["channel"] for m in fake_slack.posts()] == ["#pager", "#kernel"]


def open_incident(store, clock, key="docker-apt:bookworm:InRelease"):
    finding = Finding(
        "apt_signature_invalid", key, "docker-apt: InRelease signature invalid", product="docker"
    )
    row = store.incident_seen("docker-apt", finding, clock())
    store.open_incident(row["rowid"], clock())
    ev = {
        "kind": finding.kind,
        "severity": "critical",
        "product": "docker",
        "summary": finding.summary,
        "key": f"{finding.kind}:{key}",
    }
    queue(store, clock, finding.summary, [ev], kind="incident_open", severity="critical", incident_key=key)
    return row


def test_incident_keeps_its_thread_reminds_and_resolves_with_an_edit(fake_slack, store, clock):
    d = slack(fake_slack, clock)
    row = open_incident(store, clock)
    deliver_pending(store, d, clock)
    parent = fake_slack.posts()[0]
    assert store.alerts()[0].ts == parent["ts"]
    clock.now += timedelta(hours=23)
    assert deliver_pending(store, d, clock).sent == 0  # not due yet
    clock.now += timedelta(hours=2)
    assert deliver_pending(store, d, clock).sent == 1
    assert deliver_pending(store, d, clock).sent == 0  # one reminder per `repeat`
    reminder = fake_slack.posts()[1]
    assert reminder["thread_ts"] == parent["ts"] and "Still open after 1d 1h" in reminder["text"]
    clock.now += timedelta(hours=1)
    store.resolve_incident(row["rowid"], clock())
    queue(
        store,
        clock,
        "Resolved after 1d 2h: docker-apt: InRelease signature invalid",
        [{"kind": "apt_signature_invalid", "summary": "x", "duration": "1d 2h"}],
        kind="incident_resolved",
        severity="info",
        incident_key=row["key"],
    )
    assert deliver_pending(store, d, clock).sent == 1
    resolution = fake_slack.posts()[2]
    assert resolution["thread_ts"] == parent["ts"] and resolution["text"].startswith("[resolved]")
    (update,) = fake_slack.calls_to("chat.update")
    assert update.body["ts"] == parent["ts"]
    assert "~docker-apt: InRelease signature invalid~ resolved" in json.dumps(update.body["blocks"])
    assert "resolved after 1d 2h" in json.dumps(update.body["blocks"])
    clock.now += timedelta(days=3)
    assert deliver_pending(store, d, clock).sent == 0  # resolved: no more reminders


def queue_resolution(store, clock, row):
    """The core's resolution of the incident `row`, queued like poll does."""
    queue(store, clock, "resolved", [{"kind": "x", "summary": "x"}], kind="incident_resolved",
          severity="info", incident_key=row["key"])


def test_thread_state_survives_a_restart(fake_slack, tmp_path, clock):
    db = tmp_path / "t.db"
    store = Store.open(db)
    row = open_incident(store, clock)
    deliver_pending(store, slack(fake_slack, clock), clock)
    store = Store.open(db)  # a new process
    queue_resolution(store, clock, row)
    deliver_pending(store, slack(fake_slack, clock), clock)
    assert fake_slack.posts()[1]["thread_ts"] == fake_slack.posts()[0]["ts"]


def test_resolution_waits_if_the_edit_cannot_be_made(fake_slack, store, clock):
    d = slack(fake_slack, clock)
    row = open_incident(store, clock)
    deliver_pending(store, d, clock)
    queue_resolution(store, clock, row)
    fake_slack.queue(Answer.server_error())
    assert deliver_pending(store, d, clock).queued == 1
    assert len(fake_slack.posts()) == 1  # no reply posted while Slack was failing
    assert deliver_pending(store, d, clock).sent == 1
    assert len(fake_slack.posts()) == 2


def test_a_fix_replies_in_the_thread_of_the_regression_it_answers(fake_slack, store, clock):
    d = slack(fake_slack, clock)
    queue(
        store,
        clock,
        "regression in 1.10.3",
        [event(3, kind="regression", severity="critical", pins=["docker 1.10"], cves=["CVE-2016-3697"])],
        severity="critical",
    )
    queue(store, clock, "unrelated", [event(9, kind="advisory", cves=["CVE-2016-1"], product="linux")])
    deliver_pending(store, d, clock)
    regression_ts = fake_slack.posts()[0]["ts"]
    queue(store, clock, "docker 1.10.4 fixes it",
          [event(4, pins=["docker 1.10"], cves=["CVE-2016-3697"])])
    assert deliver_pending(store, d, clock).sent == 2
    top, reply = fake_slack.posts()[2:]
    assert "thread_ts" not in top and reply["thread_ts"] == regression_ts
    assert reply["text"].startswith("[fixed] Fix available: event 4")
    assert deliver_pending(store, d, clock).sent == 0  # replied once


def test_silenced_product_is_held_back_and_kept_for_the_digest(fake_slack, store, clock):
    store.add_silence(
        clock(), clock() + timedelta(days=7), product="docker", pattern="", reason="upgrade week"
    )
    queue(store, clock, "docker news", [event(1)])
    queue(store, clock, "mixed", [event(2), event(3, product="linux")])
    report = deliver_pending(store, slack(fake_slack, clock), clock)
    assert report.skipped == 1 and report.sent == 1
    (post,) = fake_slack.posts()
    assert "event 3" in post["text"] and "1.10.2" not in json.dumps(post["blocks"])
    assert "1 silenced" in json.dumps(post["blocks"])
    (held,) = store.outbox.silenced(clock() - timedelta(days=1))
    assert held.title == "docker news" and "upgrade week" in held.last_error


def test_silence_by_key_pattern_expires(fake_slack, store, clock):
    store.add_silence(
        clock(), clock() + timedelta(hours=1), product="", pattern="fix_available:*", reason="r"
    )
    queue(store, clock, "a", [event(1)])
    deliver_pending(store, slack(fake_slack, clock), clock)
    clock.now += timedelta(hours=2)
    queue(store, clock, "b", [event(2)])
    deliver_pending(store, slack(fake_slack, clock), clock)
    assert titles(fake_slack) == ["[warning] b"]


def test_webhook_follow_ups_are_new_messages_naming_what_they_follow(fake_slack, store, clock):
    client = SlackWebhook(fake_slack.webhook_url)
    d = SlackSink(client, SlackConf(channel="#alerts"), timedelta(hours=24))
    row = open_incident(store, clock)
    queue(
        store,
        clock,
        "Resolved after 5m: it",
        [{"kind": "x", "summary": "x"}],
        kind="incident_resolved",
        severity="info",
        incident_key=row["key"],
    )
    assert deliver_pending(store, d, clock).sent == 2
    assert "(follows: docker-apt: InRelease signature invalid)" in fake_slack.posts()[1]["text"]
    assert fake_slack.calls_to("chat.update") == []


def test_a_fix_replies_only_in_the_thread_of_the_regression_it_is_about(fake_slack, store, clock):
    """Real rule events: an unrelated CVE fix on the same pin must not answer a revert's thread."""
    from bot.core.model import Pin, Record
    from bot.judge.match import apply_pins
    from bot.judge.rules import rule_events

    pins = [Pin("docker", "1.10")]

    def rule_alert(version, text, **data):
        record = Record("changelog_line", f"line:{version}:{abs(hash(text))}", "docker", version,
                        {"text": text, **data})
        events = apply_pins(rule_events("moby", [record], [record], pins, ["aufs"]), pins)
        queue(store, clock, events[0].summary, [e.as_dict() for e in events], severity=events[0].severity)

    d = slack(fake_slack, clock)
    rule_alert("1.10.4", 'Revert "Fix an aufs mount leak"')
    deliver_pending(store, d, clock)
    regression_ts = fake_slack.posts()[0]["ts"]
    rule_alert("1.10.5", "Fix a seccomp bypass (CVE-2016-9962)", cves=["CVE-2016-9962"])
    deliver_pending(store, d, clock)
    assert [p.get("thread_ts") for p in fake_slack.posts()] == [None, None]  # no reply: unrelated
    rule_alert("1.10.6", "Fix an aufs mount leak")  # the reverted change, done right
    deliver_pending(store, d, clock)
    reply = fake_slack.posts()[-1]
    assert reply["thread_ts"] == regression_ts and "Fix an aufs mount leak" in reply["text"]


def test_slack_rate_limiting_for_ever_costs_a_few_calls_a_run_not_thirty(fake_slack, store, clock):
    """`Retry-After: 1` on every call used to mean 31 calls in one poll; now a few, then the next run."""
    queue(store, clock, "a", [event(1)])
    fake_slack.always(Answer.rate_limited(1))
    slept: list[float] = []
    report = deliver_pending(store, slack(fake_slack, clock), clock, sleep=slept.append)
    assert report.queued == 1 and report.sent == 0
    assert len(slept) == 3 and 1 <= len(fake_slack.calls) <= 4
