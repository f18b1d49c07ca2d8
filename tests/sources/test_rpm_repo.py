"""rpm_repo on the prebuilt signed repository (tests/fixtures/rpm) served on 127.0.0.1, every fault."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from bot.sources.api import Pin, SourceError
from bot.sources.rpm import repo as rpm_repo
from bot.sources.rpm.dotrepo import parse_repo_file
from bot.sources.rpm.metadata import DataCheck
from bot.sources.rpm.repomd import parse_repomd
from tests.sources.rpm_support import FAULTS, FINGERPRINT, KEY, OTHER_KEY, RPM, RpmMirror, pages

NOW = datetime(2025, 1, 10, tzinfo=UTC)


@pytest.fixture
def rpm_mirror(tmp_path):
    server = RpmMirror(tmp_path / "srv")
    yield server
    server.close()


def conf(mirror, **extra):
    options = {"name": "lab", "kind": "rpm_repo", "url": mirror.baseurl, "keyring": str(KEY),
               "watch_packages": ("docker-ce",), "distro": "9", **extra}
    return rpm_repo.Conf(**options)


async def poll(mirror, previous=(), clock=NOW, fleet=(), **extra):
    from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client

    policy = FetchPolicy(retries=0, timeout=5)
    async with make_client(policy) as client:
        ctx = SourceContext(Fetcher(client, policy), tuple(fleet), (), RPM, tuple(previous), clock=lambda: clock)
        return await rpm_repo.collect(conf(mirror, **extra), ctx)


def test_repomd_parse_lists_every_entry():
    repomd = parse_repomd((RPM / "repo/repodata/repomd.xml").read_bytes(), "u")
    assert repomd.revision == "1733700000"
    assert {e.type for e in repomd.entries} == {"primary", "filelists", "other", "updateinfo"}
    primary = repomd.entry("primary")
    assert primary is not None and primary.algorithm == "sha256" and primary.size == 849
    for body, reason in [(b"", "empty"), (b"<html><body>x</body></html>", "HTML"), (b"<repomd", "not XML"),
                         (b"<feed/>", "not a repomd.xml")]:
        with pytest.raises(SourceError, match=reason):
            parse_repomd(body, "u")


async def test_healthy_repository_gives_state_versions_and_errata(rpm_mirror):
    fleet = (Pin("rhel:bind", "32:9.16.23-20.el9", "9"),)
    snapshot = await poll(rpm_mirror, fleet=fleet)
    assert snapshot.findings == ()
    state = next(r for r in snapshot.records if r.kind == "repo_state")
    assert state.data["revision"] == "1733700000" and state.data["fingerprint"] == FINGERPRINT
    releases = {(r.product, r.version) for r in snapshot.records if r.kind == "release"}
    # docker-ce is watched; bind is pinned by the fleet (rhel:bind); containerd.io is neither
    assert releases == {("rhel:docker-ce", "0:29.0.4-1.el9"), ("rhel:docker-ce", "0:29.1.0-1.el9"),
                        ("rhel:bind", "0:9.16.23-24.el9_5")}
    advisory = next(r for r in snapshot.records if r.kind == "advisory")
    assert advisory.key == "advisory:RHSA-2025:0001:bind:9"
    assert advisory.version == "32:9.16.23-24.el9_5" and advisory.data["severity"] == "critical"
    assert advisory.data["cves"] == ["CVE-2024-11187"]
    events = rpm_repo.events((), snapshot, conf(rpm_mirror), _Ctx(fleet))
    assert [e.kind for e in events] == ["advisory"] and "32:9.16.23-20.el9" in events[0].summary


class _Ctx:
    def __init__(self, fleet):
        self.fleet, self.cves = fleet, {}


async def test_no_false_incident_on_a_healthy_repository_over_20_polls(rpm_mirror):
    previous: tuple = ()
    for poll_number in range(20):
        snapshot = await poll(rpm_mirror, previous, clock=NOW + timedelta(minutes=15 * poll_number))
        assert snapshot.findings == (), poll_number
        previous = snapshot.records


@pytest.mark.parametrize(("name", "fault", "dnf_fails"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_each_fault_gets_dnfs_verdict(rpm_mirror, name, fault, dnf_fails):
    """dnf's verdicts, measured (README, rpm_repo); the dnf test repeats them against a real dnf."""
    healthy = await poll(rpm_mirror)
    fault(rpm_mirror)
    snapshot = await poll(rpm_mirror, healthy.records)
    assert pages(snapshot) is dnf_fails, [f.summary for f in snapshot.findings]
    assert (name == "healthy") is (not snapshot.findings)
    state = next(r for r in snapshot.records if r.kind == "repo_state")
    if name != "healthy":  # nothing unverified or older becomes last good; versions are never lost
        assert state.data["revision"] == "1733700000"
        assert {r.version for r in snapshot.records if r.kind == "release"} >= {"0:29.1.0-1.el9"}


async def test_the_older_revision_is_a_rollback_warning_and_keeps_the_last_good(rpm_mirror):
    healthy = await poll(rpm_mirror)
    dict(FAULTS_BY_NAME)["rollback-older-signed-repomd"](rpm_mirror)
    snapshot = await poll(rpm_mirror, healthy.records)
    (finding,) = snapshot.findings
    assert finding.kind == "rpm_rollback" and finding.severity == "warning" and finding.polls_to_open == 2
    assert "revision 1733600000 is older than the last good 1733700000" in finding.summary


FAULTS_BY_NAME = [(name, fault) for name, fault, _ in FAULTS]


async def test_key_change_and_staleness(rpm_mirror, tmp_path):
    healthy = await poll(rpm_mirror)
    changed = [r if r.kind != "repo_state" else type(r)(r.kind, r.key, r.product, r.version,
                                                        {**r.data, "fingerprint": "0" * 40}) for r in healthy.records]
    snapshot = await poll(rpm_mirror, changed)
    (finding,) = snapshot.findings
    assert finding.kind == "rpm_key_changed" and finding.incident is False
    stale = await poll(rpm_mirror, clock=datetime(2027, 6, 1, tzinfo=UTC), stale_after="30d")
    assert [f.kind for f in stale.findings] == ["rpm_stale"] and stale.findings[0].severity == "warning"
    assert not (await poll(rpm_mirror, stale_after="30d", clock=datetime(2024, 12, 10, tzinfo=UTC))).findings


async def test_a_signature_by_a_key_not_configured_fails(rpm_mirror):
    snapshot = await poll(rpm_mirror, keyring=str(OTHER_KEY))
    (finding,) = snapshot.findings
    assert finding.kind == "rpm_signature_invalid" and finding.severity == "critical"


async def test_a_repo_file_checks_each_enabled_repository(rpm_mirror, tmp_path):
    repo_file = tmp_path / "lab.repo"
    repo_file.write_text(
        f"[lab]\nname=Lab $releasever\nbaseurl={rpm_mirror.url}/repo\nenabled=1\nrepo_gpgcheck=1\n"
        f"gpgkey=file://{KEY}\n\n[off]\nbaseurl=http://127.0.0.1:9/x\nenabled=0\n\n"
        "[mirrors]\nmirrorlist=https://mirrors.example.invalid/?release=$releasever\n")
    opts = {"url": "", "keyring": "", "repo_file": str(repo_file), "releasever": "9"}
    snapshot = await poll(rpm_mirror, **opts)
    assert snapshot.findings == ()
    assert next(r for r in snapshot.records if r.kind == "repo_state").key == "repo:lab"
    repo_file.write_text(repo_file.read_text().replace("repo_gpgcheck=1", "repo_gpgcheck=0"))
    rpm_mirror.repodata("repomd.xml.asc").unlink()  # hosts that do not check it: a warning
    (finding,) = (await poll(rpm_mirror, **opts)).findings
    assert finding.kind == "rpm_signature_invalid" and finding.severity == "warning"


def test_dotrepo_variables_and_skips():
    text = "[a]\nbaseurl=https://r.example.invalid/$releasever/$basearch/\n  https://second.invalid/\n" \
           "gpgkey=https://r.example.invalid/gpg\n       file:///etc/pki/rpm-gpg/KEY\n"
    (entry,), notes = parse_repo_file(text, "a.repo", {"releasever": "9", "basearch": "x86_64"})
    assert entry.baseurl == "https://r.example.invalid/9/x86_64/"
    assert entry.gpgkeys == ("https://r.example.invalid/gpg", "file:///etc/pki/rpm-gpg/KEY")
    assert entry.repo_gpgcheck is False and notes == []


def test_conf_needs_exactly_one_of_url_and_repo_file():
    with pytest.raises(ValueError, match="exactly one"):
        rpm_repo.Conf(name="x", kind="rpm_repo")
    with pytest.raises(ValueError, match="'keyring' is required"):
        rpm_repo.Conf(name="x", kind="rpm_repo", url="https://r.example.invalid/")


def test_a_cut_primary_is_an_error_not_a_short_list():
    repomd = parse_repomd((RPM / "repo/repodata/repomd.xml").read_bytes(), "u")
    entry = repomd.entry("primary")
    body = (RPM / "repo" / entry.href).read_bytes()
    check = DataCheck(entry, lambda name: True)
    check.feed(body[:400])
    check.close()
    assert "truncated" in check.error
    whole = DataCheck(entry, lambda name: True)
    whole.feed(body)
    whole.close()
    assert whole.matches and not whole.error and len(whole.reader.packages) == 4
    assert len(gzip.decompress(body)) == entry_open_size(entry.href)


def entry_open_size(href: str) -> int:
    """The decompressed size repomd.xml lists for the primary file (<open-size>)."""
    text = (RPM / "repo/repodata/repomd.xml").read_text()
    block = text[text.index(href):]
    return int(block[block.index("<open-size>") + 11:block.index("</open-size>")])
