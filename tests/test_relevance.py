"""Watch words (bot.judge.watchwords) and fleet relevance (bot.judge.relevance), on real changelog lines.

The lines are copied from the Debian linux changelog (bookworm 6.1.x uploads) and Docker's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load as configuration
from bot.core.errors import ConfigError
from bot.core.model import Pin, Record
from bot.judge import relevance, watchwords
from bot.judge.relevance import FleetProfile
from bot.judge.rules import rule_events

OVERLAY = watchwords.make("overlay")


@pytest.mark.parametrize("text", [
    "ovl: Fix uninit-value in ovl_fill_real",
    "ovl: fix null pointer dereference in ovl_permission()",
    "ovl: fail on invalid uid/gid mapping at copy up",
    "overlayfs: set ctime when setting mtime and atime",
    "Fix a regression in overlay mounts introduced in 1.10.2",
    "Fix overlay2 whiteout handling on xfs",
    "ima: detect changes to the backing overlay file",
])
def test_the_overlay_storage_word_finds_overlayfs_lines(text):
    assert OVERLAY.matches(text)


@pytest.mark.parametrize("text", [
    "of: overlay: Call of_changeset_init() early",  # device-tree overlays
    "treewide: Fix probing of devices in DT overlays",
    "[armhf] drm/armada: Fix off-by-one error in armada_overlay_get_property()",
    "drm/vmwgfx: Fix overlay when using Screen Targets",
    "[arm64] drm/meson: fix 1px pink line on GXM when scaling video overlay",
    "Fix overlay network connectivity after a daemon restart",  # Docker's swarm networking
    "[arm*] Enable symbols in Raspberry Pi device trees for simplified overlay",
    "overlayed: not a word we watch",
])
def test_the_overlay_storage_word_ignores_other_overlays(text):
    assert not OVERLAY.matches(text)


@pytest.mark.parametrize("raw, text, expected", [
    ("aufs", "Fix an AUFS mount leak", True),
    ("aufs", "aufs-tools: update", True),
    ("aufs", "laufs: nothing", False),
    ("devicemapper", "dm thin: fix devicemapper pool resize", True),
    ("devicemapper", "dm-thin: fix a deadlock", True),
    ("devicemapper", "Fix device-mapper udev sync", True),
    ("hash sum", "apt: Hash Sum mismatch on by-hash indexes", True),
    ("hash sum", "hashsum: rename", False),
    ({"overlay": ["overlayfs"]}, "ovl: fix tmpfile leak", False),  # aliases given: only those
    ({"overlay": ["overlayfs", "ovl:"]}, "ovl: fix tmpfile leak", True),
    ({"dm": ["/dm[- ]thin(-pool)?/"]}, "dm-thin-pool: fix", True),
    ("/seccomp|apparmor/", "Fix the AppArmor profile of the daemon", True),
])
def test_watch_words_are_whole_words_with_aliases_and_regexes(raw, text, expected):
    [word] = watchwords.parse([raw])
    assert word.matches(text) is expected


def test_a_bad_watch_word_is_a_config_error(tmp_path: Path):
    path = tmp_path / "sources.yaml"
    path.write_text('watch_words: [{overlay: ["/ovl(/"]}]\nsources: []\n')
    with pytest.raises(ConfigError, match="watch_words: .*bad regular expression"):
        configuration.load(path)


AMD64_FLEET = FleetProfile(arch=frozenset({"amd64"}),
                           modules=frozenset({"overlay", "xfs", "nf_tables", "mlx5_core", "kvm", "kvm_intel"}))


@pytest.mark.parametrize("text, relevant", [
    ("[arm64] media: rkvdec: fix a leak", False),
    ("[arm64,armhf] usb: dwc3: fix a race", False),
    ("[s390x] s390/dasd: fix error recovery", False),
    ("arm64: dts: rockchip: fix the pmic", False),
    ("[x86] KVM: x86: fix a leak", True),
    ("[amd64] iommu/vt-d: fix a leak", True),
    ("wifi: iwlwifi: mvm: fix a crash", False),
    ("Bluetooth: hci_sync: fix a use-after-free", False),
    ("drm/amd/display: fix a hang", False),
    ("ovl: Fix uninit-value in ovl_fill_real", True),
    ("net/mlx5e: fix the ring size", True),
    ("netfilter: nf_tables: fix a leak", True),
    ("mm: fix a race", True),  # not in the table: always relevant
    ("media: vidtv: fix a leak", False),
    ('Revert "KVM: PPC: e500: Mark struct page dirty in kvmppc_e500_shadow_map()"', False),
    ("KVM: arm64: vgic: fix a leak", False),
    ("[powerpc] powerpc/64s: fix a crash", False),
    # what reverts took back when they paged a linux 6.1 pin on a Docker host without this hardware
    # (benchmarks/replay.py; a revert is judged by what it reverts)
    ("scsi: fcoe: Fix potential deadlock on &fip->ctlr_lock", False),
    ("drivers/card_reader/rtsx_usb: Restore interrupt based detection", False),
    ("rndis_host: Flag RNDIS modems as WWAN devices", False),
    ("dmaengine: idxd: Fix not releasing workqueue on .release()", False),
    ("drm: Fix use-after-free on framebuffers and property blobs when calling drm_dev_unplug", False),
    ("drm/i915: Disable DC states for all commits", False),
])
def test_lines_for_other_architectures_or_unloaded_modules_are_not_relevant(text, relevant):
    assert relevance.is_relevant(text, AMD64_FLEET) is relevant


def test_without_arch_or_modules_every_line_is_relevant():
    assert relevance.is_relevant("[arm64] wifi: iwlwifi: fix", FleetProfile())


def test_modules_come_from_lsmod_output_or_proc_modules(tmp_path: Path):
    lsmod = tmp_path / "lsmod.txt"
    lsmod.write_text("Module                  Size  Used by\noverlay               151552  0\n"
                     "nf_tables             286720  1 nft_compat\n")
    proc = tmp_path / "modules"
    proc.write_text("xfs 2052096 1 - Live 0x0000000000000000\ndm_thin_pool 86016 0 - Live 0x0\n")
    assert relevance.read_modules(lsmod) == {"overlay", "nf_tables"}
    assert relevance.read_modules(proc) == {"xfs", "dm_thin_pool"}


def test_sources_yaml_arch_and_a_modules_file(tmp_path: Path):
    (tmp_path / "hosts").mkdir()
    (tmp_path / "hosts" / "modules.txt").write_text("Module Size Used by\noverlay 1 0\n")
    path = tmp_path / "sources.yaml"
    path.write_text("arch: [amd64]\nmodules: hosts/modules.txt\nwatch_words: [aufs]\nsources: []\n")
    cfg = configuration.load(path)
    assert cfg.profile.arch == {"amd64"} and cfg.profile.modules == {"overlay"}
    assert cfg.watch_words == ("aufs",)
    path.write_text("arch: [amd46]\nsources: []\n")
    with pytest.raises(ConfigError, match="arch: unknown architecture 'amd46'"):
        configuration.load(path)
    path.write_text("modules: hosts/missing.txt\nsources: []\n")
    with pytest.raises(ConfigError, match="modules: cannot read hosts/missing.txt"):
        configuration.load(path)


def _line(version: str, text: str) -> Record:
    return Record("changelog_line", f"line:{version}:{abs(hash(text))}", "debian:linux", version, {"text": text})


def test_rules_drop_other_architectures_and_unloaded_modules_to_info():
    records = [
        _line("6.1.20-1", "ovl: fix tmpfile leak"),
        _line("6.1.20-1", "wifi: iwlwifi: fix a crash"),
        _line("6.1.30-1", 'Revert "ovl: fix tmpfile leak"'),
        _line("6.1.30-1", 'Revert "wifi: iwlwifi: fix a crash"'),
        _line("6.1.30-1", "[arm64] media: rkvdec: fix a leak (CVE-2023-0001)"),
        _line("6.1.30-1", "xfs: fix a leak (CVE-2023-0002)"),
    ]
    pin = [Pin("debian:linux", "6.1.27-1")]
    events = rule_events("dl", records[2:], records, pin, (), profile=AMD64_FLEET)
    got = {e.data["text"]: e.severity for e in events}
    assert got == {
        'Revert "ovl: fix tmpfile leak"': "critical",  # a module the fleet loads: evidence it matters
        'Revert "wifi: iwlwifi: fix a crash"': "info",  # iwlwifi is not loaded
        "[arm64] media: rkvdec: fix a leak (CVE-2023-0001)": "info",
        "xfs: fix a leak (CVE-2023-0002)": "warning",
    }


def test_a_loaded_module_is_evidence_for_an_exact_pin_only():
    """A branch pin does not say which release runs: every revert in the branch would page."""
    records = [
        Record("changelog_line", "a", "linux", "6.1.64", {"text": "net/mlx5e: fix double free of encap_header"}),
        Record("changelog_line", "b", "linux", "6.1.70", {"text": 'Revert "net/mlx5e: fix double free of encap_header"'}),
    ]
    [exact] = rule_events("k", records[1:], records, [Pin("linux", "6.1.64")], (), profile=AMD64_FLEET)
    [branch] = rule_events("k", records[1:], records, [Pin("linux", "6.1")], (), profile=AMD64_FLEET)
    assert (exact.severity, branch.severity) == ("critical", "warning")
