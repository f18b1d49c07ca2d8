"""`notify:` destinations: a signed JSON webhook and an Apprise URL on 127.0.0.1, through the outbox."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from bot.cli.main import main
from bot.core.alert import Alert, AlertKind, AlertState
from bot.core.model import Event
from bot.core.settings import NotifyConf
from bot.deliver.loop import ConsoleSink, Outcome, Outgoing, Retry, deliver_pending
from bot.deliver.notify import deliver_destinations, destinations, join, report_line
from bot.ops.metrics import backlog
from bot.store.deliveries import DestinationQueue
from bot.store.history import Store
from tests.conftest import FIXTURES, Route

SECRET = "hook-secret-42"
MOBY = (FIXTURES / "docker/moby-CHANGELOG.md").read_bytes()


class Hook:
    """A webhook receiver: records each POST (headers and body); `status` is what it answers."""

    def __init__(self) -> None:
        self.status = 200
        self.retry_after = ""
        self.received: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if hook.status < 300:
                    hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(hook.status)
                if hook.retry_after:
                    self.send_header("Retry-After", hook.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def hook():
    server = Hook()
    yield server
    server.server.shutdown()
    server.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def queue(store: Store, clock: Clock, severity: str, title: str, *more: Event) -> int:
    clock.now += timedelta(minutes=15)
    event = Event("advisory", severity, "openssl", "", title, f"{title} <!channel> @everyone")
    return store.queue_alert(Alert(AlertKind.EVENTS, severity, title, "dsa", (event, *more), (title,)), clock.now)


def console() -> ConsoleSink:
    """The outbox's own sink when Slack is not configured (printing nowhere here)."""
    return ConsoleSink(Console(file=io.StringIO()))


def verified(headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(SECRET.encode(), headers["x-trackbot-timestamp"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["x-trackbot-signature"], "sha256=" + expected.hexdigest())


def deliver(store: Store, clock: Clock, hook: Hook, min_severity: str = "critical") -> str:
    """One run's delivery as `trackbot poll` does it: the outbox's own sink, then the destination;
    returns the destination's report line."""
    env = {"OPS_WEBHOOK": f"{hook.url}/hooks/trackbot?token=url-secret", "OPS_HOOK_KEY": SECRET}
    conf = NotifyConf(webhook_env="OPS_WEBHOOK", secret_env="OPS_HOOK_KEY", min_severity=min_severity)
    targets = destinations([conf], env)
    join(store, targets, clock())
    deliver_pending(store, console(), clock)
    [(name, report)] = deliver_destinations(store, targets, clock).items()
    return report_line(name, report)


def test_the_webhook_receives_exactly_the_critical_alerts_signed(hook: Hook):
    store, clock = Store.memory(), Clock()
    for severity, title in [("critical", "DSA-1 openssl"), ("warning", "fix waiting"), ("info", "new release"),
                            ("critical", "DSA-2 bind9")]:
        queue(store, clock, severity, title)
    line = deliver(store, clock, hook)
    assert [b["title"] for b in hook.bodies()] == ["DSA-1 openssl", "DSA-2 bind9"]
    assert all(verified(headers, body) for headers, body in hook.received)
    assert not verified(hook.received[0][0], hook.received[0][1] + b" ")  # the signature covers the body
    first = hook.bodies()[0]
    assert first["severity"] == "critical" and first["source"] == "dsa"
    assert "<!channel>" not in first["lines"][0] and "@everyone" not in first["lines"][0]  # pings no one
    assert line == "notify OPS_WEBHOOK: 2 delivered, 0 queued"
    deliver(store, clock, hook)
    assert len(hook.received) == 2  # sent once: the delivery rows remember


def test_down_for_three_polls_it_receives_every_alert_once_in_order_when_back(hook: Hook):
    store, clock = Store.memory(), Clock()
    hook.status = 503
    for poll in range(3):
        queue(store, clock, "critical", f"page {poll}")
        line = deliver(store, clock, hook)
        assert line == f"notify OPS_WEBHOOK: 0 delivered, {poll + 1} queued (last error: OPS_WEBHOOK: HTTP 503)"
        assert "url-secret" not in line
    assert backlog(store).queued == 3  # the console took them at once: only the webhook's wait
    assert [a.state for a in store.alerts()] == [AlertState.SENT] * 3
    hook.status = 200
    queue(store, clock, "critical", "page 3")
    deliver(store, clock, hook)
    assert [b["title"] for b in hook.bodies()] == ["page 0", "page 1", "page 2", "page 3"]
    assert all(verified(h, b) for h, b in hook.received)
    deliver(store, clock, hook)
    assert len(hook.received) == 4
    assert backlog(store).queued == 0


def test_a_destination_added_later_gets_what_waits_not_the_history(hook: Hook):
    store, clock = Store.memory(), Clock()
    queue(store, clock, "critical", "old, already paged on Slack")
    deliver_pending(store, console(), clock)
    queue(store, clock, "critical", "new")
    deliver(store, clock, hook)
    assert [b["title"] for b in hook.bodies()] == ["new"]


def test_an_apprise_json_url_receives_exactly_the_critical_alerts(hook: Hook):
    pytest.importorskip("apprise")
    store, clock = Store.memory(), Clock()
    for severity, title in [("warning", "fix waiting"), ("critical", "DSA-1 openssl")]:
        queue(store, clock, severity, title)
    host = hook.url.removeprefix("http://")
    conf = NotifyConf(url_env="OPS_APPRISE", min_severity="critical")
    targets = destinations([conf], {"OPS_APPRISE": f"json://{host}/"})
    deliver_destinations(store, targets, clock)
    assert [b["title"] for b in hook.bodies()] == ["[critical] DSA-1 openssl"]
    assert "<!channel>" not in hook.bodies()[0]["message"]
    hook.status = 500
    queue(store, clock, "critical", "DSA-2 bind9")
    report = deliver_destinations(store, targets, clock)["OPS_APPRISE"]
    assert report_line("OPS_APPRISE", report) == "notify OPS_APPRISE: 0 delivered, 1 queued " \
                                                 "(last error: OPS_APPRISE: Apprise could not deliver)"


def test_trackbot_poll_sends_to_the_destination_and_says_so_without_the_url(tmp_path: Path, web, hook: Hook,
                                                                         monkeypatch: pytest.MonkeyPatch):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    (tmp_path / "sources.yaml").write_text(
        f"fleet:\n  - {{product: docker, version: '1.10.3'}}\n"
        f"sources:\n  - {{name: moby, kind: docker_changelog, url: '{web.url}/CHANGELOG.md'}}\n"
        "notify:\n  - {webhook_env: OPS_WEBHOOK, secret_env: OPS_HOOK_KEY, min_severity: info}\n")
    monkeypatch.setenv("OPS_WEBHOOK", f"{hook.url}/hook?token=url-secret")
    monkeypatch.setenv("OPS_HOOK_KEY", SECRET)
    hook.status = 502
    args = ["--config", str(tmp_path / "sources.yaml"), "--db", str(tmp_path / "t.db"), "poll"]
    down = CliRunner().invoke(main, args)
    assert "notify OPS_WEBHOOK: 0 delivered, 1 queued (last error: OPS_WEBHOOK: HTTP 502)" in down.output
    assert "url-secret" not in down.output and SECRET not in down.output
    hook.status = 200
    CliRunner().invoke(main, args)
    assert [b["kind"] for b in hook.bodies()] == ["baseline"]  # the first poll's summary, once it was back
    assert all(verified(h, b) for h, b in hook.received)
    database = (tmp_path / "t.db").read_bytes()
    assert b"url-secret" not in database and SECRET.encode() not in database


def test_a_notify_entry_names_one_kind_of_destination(tmp_path: Path):
    (tmp_path / "sources.yaml").write_text("notify:\n  - {url_env: A, webhook_env: B}\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "sources.yaml"), "check"])
    assert result.exit_code == 2
    assert "notify[0]: name exactly one of 'url_env' (Apprise) or 'webhook_env'" in result.output


def test_a_crash_between_acceptance_and_the_record_repeats_that_one_alert_only(hook: Hook,
                                                                               monkeypatch: pytest.MonkeyPatch):
    store, clock = Store.memory(), Clock()
    for n in range(3):
        queue(store, clock, "critical", f"page {n}")
    real = DestinationQueue.mark_sent

    def dies_after_the_second_send(self: DestinationQueue, alert_id: int, *args: Any, **kwargs: Any) -> None:
        if len(hook.received) == 2:
            raise KeyboardInterrupt  # kill -9 stand-in: the webhook has the alert, the database does not know
        real(self, alert_id, *args, **kwargs)

    monkeypatch.setattr(DestinationQueue, "mark_sent", dies_after_the_second_send)
    with pytest.raises(KeyboardInterrupt):
        deliver(store, clock, hook)
    monkeypatch.setattr(DestinationQueue, "mark_sent", real)
    deliver(store, clock, hook)  # the next run
    assert [b["title"] for b in hook.bodies()] == ["page 0", "page 1", "page 1", "page 2"]


def test_check_names_a_destination_whose_variable_is_unset_and_never_prints_a_url(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("apprise")
    (tmp_path / "sources.yaml").write_text(
        "notify:\n  - {url_env: OPS_PAGER}\n  - {webhook_env: OPS_WEBHOOK, secret_env: OPS_HOOK_KEY}\n"
        "  - {url_env: OPS_BAD}\n")
    monkeypatch.delenv("OPS_PAGER", raising=False)
    monkeypatch.setenv("OPS_WEBHOOK", "https://hooks.example.org/t?token=url-secret")
    monkeypatch.delenv("OPS_HOOK_KEY", raising=False)
    monkeypatch.setenv("OPS_BAD", "nosuchservice://url-secret@x")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "sources.yaml"), "check"])
    assert result.exit_code == 2
    assert "trackbot: notify OPS_PAGER: OPS_PAGER not set (its alerts will wait)" in result.output
    assert "trackbot: notify OPS_WEBHOOK: OPS_HOOK_KEY not set" in result.output
    assert "trackbot: notify OPS_BAD: not a URL Apprise knows" in result.output
    assert "url-secret" not in result.output


def test_a_silence_reaches_the_destination_through_the_delivery_loop(hook: Hook):
    store, clock = Store.memory(), Clock()
    store.add_silence(clock.now, clock.now + timedelta(days=1), product="bind9", pattern="", reason="upgrade week")
    queue(store, clock, "critical", "DSA-1 openssl", Event("advisory", "critical", "bind9", "", "b", "bind9 hole"))
    queue(store, clock, "critical", "DSA-2 bind9 only")
    store.add_silence(clock.now, clock.now + timedelta(days=1), product="", pattern="DSA-2*", reason="known")
    line = deliver(store, clock, hook)
    [body] = hook.bodies()
    assert body["title"] == "DSA-1 openssl" and body["silenced"] == 1
    assert not any("bind9 hole" in text for text in body["lines"])
    assert line == "notify OPS_WEBHOOK: 1 delivered, 0 queued"
    assert backlog(store).queued == 0  # the silenced one is held for the webhook too, not left waiting


class SlackDown:
    """The outbox's own sink while Slack is unreachable."""

    name = "slack"

    def prepare(self, store: Store, now: datetime) -> None:
        pass

    def send(self, outgoing: Outgoing) -> Outcome:
        return Retry("slack: ConnectError")


def test_slack_down_does_not_hold_back_the_destination(hook: Hook):
    store, clock = Store.memory(), Clock()
    env = {"OPS_WEBHOOK": hook.url, "OPS_HOOK_KEY": SECRET}
    targets = destinations([NotifyConf(webhook_env="OPS_WEBHOOK", secret_env="OPS_HOOK_KEY")], env)
    join(store, targets, clock())
    queue(store, clock, "critical", "DSA-1 openssl")
    assert deliver_pending(store, SlackDown(), clock).queued == 1
    deliver_destinations(store, targets, clock)
    assert [b["title"] for b in hook.bodies()] == ["DSA-1 openssl"]
    assert [a.state for a in store.alerts()] == [AlertState.QUEUED]  # still owed to Slack
    assert backlog(store).queued == 1


def test_a_long_retry_after_is_kept_and_no_call_is_made_before_it(hook: Hook):
    store, clock = Store.memory(), Clock()
    env = {"OPS_WEBHOOK": hook.url, "OPS_HOOK_KEY": SECRET}
    targets = destinations([NotifyConf(webhook_env="OPS_WEBHOOK", secret_env="OPS_HOOK_KEY")], env)
    queue(store, clock, "critical", "DSA-1 openssl")
    hook.status, hook.retry_after = 429, "3600"
    first = deliver_destinations(store, targets, clock)["OPS_WEBHOOK"]
    assert first.queued == 1 and first.errors == ["OPS_WEBHOOK: HTTP 429"]
    hook.status, hook.retry_after = 200, ""
    clock.now += timedelta(minutes=30)
    early = deliver_destinations(store, targets, clock)["OPS_WEBHOOK"]
    assert hook.received == [] and early.queued == 1  # it answers 200 now: a call would have landed and "wait until" in early.errors[-1]
    clock.now += timedelta(minutes=31)
    assert deliver_destinations(store, targets, clock)["OPS_WEBHOOK"].sent == 1
    assert [b["title"] for b in hook.bodies()] == ["DSA-1 openssl"]
