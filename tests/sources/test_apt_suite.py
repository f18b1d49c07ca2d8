"""The Release's Suite/Codename must be the configured suite's, as apt checks it; frozen snapshots may skip Valid-Until.

Real files: the fixture is bookworm-updates' real InRelease. Served at bookworm's path it is
the case apt-get 2.6 reports as "Conflicting distribution" on a fresh host and refuses
("changed its 'Codename' value from 'bookworm' to 'bookworm-updates'") on every host that
already has bookworm's lists: the fleet. See README, apt.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from bot.config import load as config
from bot.sources.apt import release as apt_release
from bot.sources.apt import repo as apt_repo
from tests.sources.apt_support import (
    DEBIAN_KEYRING,
    SUITE,
    core_collect,
    release_text,
    with_fields,
)

INRELEASE = f"dists/{SUITE}/InRelease"




async def poll(mirror, suite=SUITE, keyring=DEBIAN_KEYRING, previous=(), **extra):
    conf = apt_repo.Conf(name="deb", kind="apt_repo", url=mirror.url, suites=(suite,), keyring=str(keyring), **extra)
    return await core_collect(apt_repo, conf, previous=previous)


async def test_bookworm_updates_inrelease_served_as_bookworm_is_a_suite_mismatch_and_never_last_good(mirror):
    target = mirror.path("dists/bookworm/InRelease")
    target.parent.mkdir()
    shutil.copyfile(mirror.path(INRELEASE), target)  # validly signed by Debian, but another suite's file
    asked = len(mirror.requests)
    snapshot = await poll(mirror, suite="bookworm")
    [finding] = snapshot.findings
    assert (finding.kind, finding.severity, finding.key) == ("apt_suite_mismatch", "critical", "apt:deb:bookworm:suite")
    assert "Suite 'oldstable-updates' / Codename 'bookworm-updates'" in finding.summary
    assert finding.summary.startswith(f"{mirror.url} bookworm: ") and finding.polls_to_open == 1
    assert [r for r in snapshot.records if r.kind == "repo_state"] == []  # nothing to compare the next run with
    assert not snapshot.complete
    assert mirror.requests[asked:] == ["/dists/bookworm/InRelease"]  # no index is judged against it


async def test_restoring_the_right_file_after_a_wrong_suite_raises_no_key_change_and_no_rollback(mirror, key, tmp_path):
    """The bug this prevents: the other suite's file (newer Date, other signer) stored as last good, so the
    right file coming back looked like a signing-key change and a rollback that stayed open."""
    keyring = tmp_path / "both.gpg"  # Debian's keys and the other suite's signer: both verify
    keyring.write_bytes(DEBIAN_KEYRING.read_bytes() + key.keyring(tmp_path / "other.gpg").read_bytes())
    first = await poll(mirror, keyring=keyring)
    assert first.findings == ()
    [good] = [r for r in first.records if r.kind == "repo_state"]
    real = mirror.path(INRELEASE).read_bytes()
    other = with_fields(release_text(), Suite="oldstable", Codename="bookworm", Date="Sat, 28 Nov 2026 09:00:00 UTC")
    mirror.path(INRELEASE).write_bytes(key.clearsign(other))
    wrong = await poll(mirror, keyring=keyring, previous=[good])
    assert [f.kind for f in wrong.findings] == ["apt_suite_mismatch"]
    assert [r for r in wrong.records if r.kind == "repo_state"] == [good]  # the last good state is kept
    mirror.path(INRELEASE).write_bytes(real)
    restored = await poll(mirror, keyring=keyring, previous=wrong.records)
    assert restored.findings == ()  # no apt_key_changed, no apt_rollback


@pytest.mark.parametrize(
    ("suite", "codename", "configured", "matches"),
    [
        ("oldstable-updates", "bookworm-updates", "bookworm-updates", True),
        ("oldstable-updates", "bookworm-updates", "oldstable-updates", True),  # by Suite, as apt allows
        ("oldstable-updates", "bookworm-updates", "bookworm", False),
        ("stable", "bookworm", "bookworm-updates", False),
        ("stable", "bookworm", "bookworm/updates", True),  # the old security layout: part before the slash
        ("experimental", "rc-buggy", "../project/experimental", True),
        ("", "", "anything", True),  # a Release naming neither has nothing to conflict with
    ],
)
def test_suite_matches_like_apt(suite, codename, configured, matches):
    info = apt_release.parse_release(with_fields(release_text(), Suite=suite, Codename=codename))
    assert apt_release.suite_matches(info, configured) is matches


async def test_check_valid_until_false_accepts_an_expired_frozen_snapshot(mirror, key, tmp_path):
    text = with_fields(release_text(), Valid_Until="Thu, 26 Nov 2026 08:00:00 UTC")
    mirror.path(INRELEASE).write_bytes(key.clearsign(text))
    keyring = key.keyring(tmp_path / "k.gpg")
    conf = apt_repo.Conf(name="deb", kind="apt_repo", url=mirror.url, suites=(SUITE,), keyring=str(keyring))
    late = datetime(2026, 11, 27, tzinfo=UTC)
    assert [f.kind for f in (await core_collect(apt_repo, conf, clock=late)).findings] == ["apt_release_expired"]
    frozen = apt_repo.Conf(**{**conf.__dict__, "check_valid_until": False})
    assert (await core_collect(apt_repo, frozen, clock=late)).findings == ()


def test_check_valid_until_is_a_config_key_of_both_apt_kinds(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n"
                    "  - {name: snap, kind: apt_repo, url: 'https://snapshot.example/archive/debian/20240101T000000Z',"
                    " suites: [bookworm], keyring: k.gpg, check_valid_until: false}\n"
                    "  - {name: host, kind: apt_sources, check_valid_until: false}\n")
    assert [c.check_valid_until for c in config.load(path).sources] == [False, False]
