"""The delivery loop, whatever the sink: threads looked up and silences applied once, here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.alert import Alert, AlertKind, AlertState
from bot.core.model import Event
from bot.deliver.loop import Delivered, Outcome, Outgoing, deliver_pending
from bot.store.history import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Keep:
    """A sink that keeps what delivery handed it."""

    name = "keep"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def prepare(self, store: Store, now: datetime) -> None:
        pass

    def send(self, outgoing: Outgoing) -> Outcome:
        self.sent.append(outgoing)
        return Delivered(channel="kept", ts=f"{len(self.sent)}.0")


def event(product: str, n: int) -> Event:
    return Event("fix_available", "warning", product, "1", f"fix_available:{product}:{n}", f"{product} fix {n}")


def test_a_sink_gets_only_what_no_silence_covers_and_how_many_were_held():
    store = Store.memory()
    store.add_silence(NOW, NOW + timedelta(days=1), product="docker", pattern="", reason="upgrade week")
    store.queue_alert(Alert(AlertKind.EVENTS, "warning", "mixed", "s", (event("docker", 1), event("linux", 2))), NOW)
    store.queue_alert(Alert(AlertKind.EVENTS, "warning", "docker only", "s", (event("docker", 3),)), NOW)
    sink = Keep()
    report = deliver_pending(store, sink, lambda: NOW)
    [out] = sink.sent
    assert [e.key for e in out.alert.items] == ["fix_available:linux:2"] and out.silenced == 1
    assert (report.sent, report.skipped) == (1, 1)
    assert [a.state for a in store.alerts()] == [AlertState.SENT, AlertState.SILENCED]


OPENING = Event("apt_hash_mismatch", "critical", "docker", "", "apt:k", "bad index")


def incident_opened_and_resolved() -> Store:
    """A store whose outbox holds an incident's opening and its resolution (a follow-up in its thread)."""
    store = Store.memory()
    store.queue_alert(Alert(AlertKind.INCIDENT_OPEN, "critical", "bad index", "apt", (OPENING,), incident_key="k"),
                      NOW)
    store.queue_alert(Alert(AlertKind.INCIDENT_RESOLVED, "info", "resolved", "apt", (OPENING,), incident_key="k"),
                      NOW)
    return store


def test_a_follow_up_is_handed_its_thread_and_follows_a_silenced_opening_into_silence():
    store = incident_opened_and_resolved()
    sink = Keep()
    deliver_pending(store, sink, lambda: NOW)
    assert [(o.alert.kind, o.parent.title if o.parent else None) for o in sink.sent] == [
        (AlertKind.INCIDENT_OPEN, None), (AlertKind.INCIDENT_RESOLVED, "bad index")]

    silenced = Store.memory()
    silenced.add_silence(NOW, NOW + timedelta(days=1), product="", pattern="apt:*", reason="mirror work")
    silenced.queue_alert(Alert(AlertKind.INCIDENT_OPEN, "critical", "bad index", "apt", (OPENING,),
                               incident_key="k"), NOW)  # fmt: skip
    silenced.queue_alert(Alert(AlertKind.INCIDENT_UPDATE, "critical", "still bad", "apt",
                               (Event("x", "critical", "linux", "", "other", "still bad"),), incident_key="k"), NOW)
    sink = Keep()
    report = deliver_pending(silenced, sink, lambda: NOW)
    assert sink.sent == [] and report.skipped == 2  # the update names no silenced key: its thread is silenced


class InBulk(Keep):
    """A sink whose alerts are marked sent in bulk, like the console; the `fail_at`-th send raises."""

    marks_in_bulk = True

    def __init__(self, fail_at: int = 0) -> None:
        super().__init__()
        self.fail_at = fail_at

    def send(self, outgoing: Outgoing) -> Outcome:
        if len(self.sent) + 1 == self.fail_at:
            raise OSError("the terminal went away")
        return super().send(outgoing)


def test_alerts_shown_before_a_console_failure_are_not_shown_again():
    store = Store.memory()
    for n in range(5):
        store.queue_alert(Alert(AlertKind.EVENTS, "warning", f"alert {n}", "s", (event("docker", n),)), NOW)
    with pytest.raises(OSError):
        deliver_pending(store, InBulk(fail_at=4), lambda: NOW)
    assert [a.title for a in store.pending_alerts()] == ["alert 3", "alert 4"]
    again = InBulk()
    deliver_pending(store, again, lambda: NOW)
    assert [o.alert.title for o in again.sent] == ["alert 3", "alert 4"] and not store.pending_alerts()


def test_a_follow_up_finds_the_thread_of_an_opening_sent_in_the_same_bulk():
    store = incident_opened_and_resolved()
    sink = InBulk()
    deliver_pending(store, sink, lambda: NOW)
    resolved = sink.sent[1]
    assert resolved.parent is not None and resolved.parent.ts == "1.0"
