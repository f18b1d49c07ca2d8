"""Replay of the 2 June 2016 Docker apt outage through the real core.

The repository published a re-signed InRelease whose checksums did not match
the Packages file it served, and every `apt-get update` failed with "Hash Sum
mismatch" until the index caught up. Real HTTP server, real polls into a real
SQLite store, injected clock: exactly one page when it opens, silence while it
lasts, one resolution with its duration.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load as configuration
from bot.core.alert import Alert
from bot.deliver.loop import Delivered
from bot.store.history import Store
from tests.conftest import poll_and_deliver
from tests.sources.apt_support import INRELEASE_PATH, PACKAGES, SUITE, Mirror, TestKey, build_mirror


class Sink:
    name = "sink"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def prepare(self, store, now):
        pass

    def send(self, outgoing):
        self.alerts.append(outgoing.alert)
        return Delivered(channel="test")


def release_for(packages: bytes, date: str) -> bytes:
    digest = hashlib.sha256(packages).hexdigest()
    return (f"Origin: Docker\nLabel: Docker CE\nSuite: {SUITE}\nCodename: {SUITE}\nDate: {date}\n"
            f"Architectures: amd64\nComponents: stable\nSHA256:\n {digest} {len(packages)} "
            f"stable/binary-amd64/Packages\n").encode()


def docker_apt_config(repo, tmp_path):
    """A sources.yaml watching the test mirror like the Docker repository, keyring beside it."""
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - {{name: docker-apt, kind: apt_repo, url: '{repo.url}', suites: [{SUITE}],\n"
        f"     components: [stable], keyring: docker.gpg}}\nsettings: {{retries: 0, timeout: 5}}\n"
    )
    return configuration.load(path)


@pytest.fixture
def repo(tmp_path):
    root = build_mirror(tmp_path / "mirror", by_hash=False)
    (root / f"dists/{SUITE}/stable/binary-amd64").mkdir(parents=True)
    server = Mirror(root)
    yield server
    server.close()


def test_hash_sum_mismatch_outage_pages_once_and_resolves_with_its_duration(repo, tmp_path):
    key = TestKey(tmp_path / "gnupg", name="Docker Release (CE deb)")
    key.keyring(tmp_path / "docker.gpg")  # sources.yaml names it relative to its folder
    index = repo.path(f"dists/{SUITE}/stable/binary-amd64/Packages")
    old_packages = repo.path(PACKAGES).read_bytes()
    new_packages = old_packages.replace(b"Version: 2025b-0+deb12u1", b"Version: 2026a-0+deb12u1")

    def publish(packages: bytes, release_packages: bytes, date: str) -> None:
        index.write_bytes(packages)
        repo.path(INRELEASE_PATH).write_bytes(key.clearsign(release_for(release_packages, date)))

    cfg = docker_apt_config(repo, tmp_path)
    store = Store.open(tmp_path / "trackbot.db")
    sink = Sink()
    now = datetime(2016, 6, 2, 9, 0, tzinfo=UTC)

    def poll() -> None:
        report = asyncio.run(poll_and_deliver(cfg, store, clock=lambda: now, deliverer=sink))
        assert [r.status for r in report.results] != ["failed"], report.results

    publish(old_packages, old_packages, "Wed, 01 Jun 2016 09:00:00 UTC")
    poll()  # healthy baseline
    assert [a.kind for a in sink.alerts] == ["baseline"]

    # The broken publish: InRelease re-signed for an index the mirror does not serve yet.
    publish(old_packages, new_packages, "Thu, 02 Jun 2016 09:10:00 UTC")
    for _ in range(6):  # broken for an hour and a half of 15-minute polls
        now += timedelta(minutes=15)
        poll()
    opened = [a for a in sink.alerts if a.kind == "incident_open"]
    assert len(opened) == 1 and len(sink.alerts) == 2
    [payload] = opened[0].items
    assert opened[0].severity == "critical" and payload.kind == "apt_hash_mismatch"
    assert "stable/binary-amd64/Packages" in opened[0].title
    assert payload.data["expected"]["sha256"] == hashlib.sha256(new_packages).hexdigest()
    assert payload.data["received"]["sha256"] == hashlib.sha256(old_packages).hexdigest()

    index.write_bytes(new_packages)  # the index catches up: apt-get update works again
    now += timedelta(minutes=15)
    poll()
    now += timedelta(minutes=15)
    poll()
    assert [a.kind for a in sink.alerts] == ["baseline", "incident_open", "incident_resolved"]
    resolved = sink.alerts[-1]
    assert resolved.incident_key == opened[0].incident_key
    # first seen at the 09:15 poll, healthy again at the 10:45 poll
    assert resolved.duration == "1h 30m"
    assert [i.resolved_at is not None for i in store.incidents()] == [True]


def test_a_key_rotation_is_alerted_once_and_never_resolved(repo, tmp_path):
    old_key = TestKey(tmp_path / "gnupg-old", name="Docker Release (CE deb)")
    new_key = TestKey(tmp_path / "gnupg-new", name="Docker Release 2026")
    keyring = tmp_path / "docker.gpg"
    old_key.keyring(keyring)
    packages = repo.path(PACKAGES).read_bytes()
    repo.path(f"dists/{SUITE}/stable/binary-amd64/Packages").write_bytes(packages)
    cfg = docker_apt_config(repo, tmp_path)
    store, sink = Store.open(tmp_path / "trackbot.db"), Sink()
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def poll(key: TestKey) -> None:
        repo.path(INRELEASE_PATH).write_bytes(key.clearsign(release_for(packages, "Fri, 27 Nov 2026 08:00:00 UTC")))
        report = asyncio.run(poll_and_deliver(cfg, store, clock=lambda: now, deliverer=sink))
        assert report.results[0].status != "failed", report.results

    poll(old_key)
    new_key.keyring(keyring)  # the team trusts the vendor's new key; the repository is re-signed
    for _ in range(3):
        now += timedelta(minutes=15)
        poll(new_key)
    assert [a.kind for a in sink.alerts] == ["baseline", "events"]
    [event] = sink.alerts[1].items
    assert event.kind == "apt_key_changed" and sink.alerts[1].severity == "critical"
    assert old_key.fingerprint in event.summary and new_key.fingerprint in event.summary
    assert store.incidents() == []


def test_an_open_mismatch_is_not_resolved_while_the_signature_cannot_be_checked(repo, tmp_path):
    """A repo whose InRelease stops verifying cannot show its indexes are fine: no false 'resolved'."""
    key = TestKey(tmp_path / "gnupg", name="Docker Release (CE deb)")
    stranger = TestKey(tmp_path / "gnupg-x", name="Somebody Else")
    key.keyring(tmp_path / "docker.gpg")
    index = repo.path(f"dists/{SUITE}/stable/binary-amd64/Packages")
    good = repo.path(PACKAGES).read_bytes()
    index.write_bytes(good)
    cfg = docker_apt_config(repo, tmp_path)
    store, sink = Store.open(tmp_path / "trackbot.db"), Sink()
    now = datetime(2016, 6, 2, 9, 0, tzinfo=UTC)
    date = "Thu, 02 Jun 2016 09:00:00 UTC"

    def poll(signer: TestKey, listed: bytes) -> None:
        nonlocal now
        now += timedelta(minutes=15)
        repo.path(INRELEASE_PATH).write_bytes(signer.clearsign(release_for(listed, date)))
        asyncio.run(poll_and_deliver(cfg, store, clock=lambda: now, deliverer=sink))

    poll(key, good)
    broken = good + b"\n"
    for _ in range(2):
        poll(key, broken)  # Hash Sum mismatch: opens after two polls
    for _ in range(2):
        poll(stranger, broken)  # re-signed by an unknown key: the indexes cannot be judged
    kinds = [(a.kind, a.items[0].kind) for a in sink.alerts[1:]]
    assert kinds == [("incident_open", "apt_hash_mismatch"), ("incident_open", "apt_signature_invalid")]
    poll(key, good)  # fixed: both are over
    assert sorted(a.items[0].kind for a in sink.alerts if a.kind == "incident_resolved") == [
        "apt_hash_mismatch", "apt_signature_invalid"]
    assert all(i.resolved_at for i in store.incidents())
