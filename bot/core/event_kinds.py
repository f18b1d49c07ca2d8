"""Every event kind trackbot stores, with what it means and its default severity.

One table, so `trackbot events --kind` can refuse a typo (instead of answering an empty
list), `trackbot help events` can print the catalogue, and the README can list the same.
The severity is the usual one; rules raise or lower it against the pins (anything about
an unpinned product or branch is info).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    name: str
    severity: str
    meaning: str


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("new_release", "info", "a new release of a followed product (warning when it is newer than a pin in "
              "its branch and brings that pin a fix or revert its source can show)"),
    EventKind("release_withdrawn", "warning", "a release seen before is gone upstream (confirmed over `confirm_after`)"),
    EventKind("release_notes_edited", "info", "lines were added to or removed from the notes of a release already "
              "seen (warning if pinned)"),
    EventKind("fix_available", "warning", "a newer release fixes a CVE, a watch word or a listed bug the pin "
              "carries (critical for a CVE rated high or known exploited)"),
    EventKind("regression", "warning", "a newer release reverts or repairs a change the pin carries (critical with "
              "evidence: crash, data loss, boot, a closed bug, a watch word, a loaded module)"),
    EventKind("advisory", "warning", "a security advisory (DSA, DLA, RHSA) affects a pinned package (critical when "
              "rated high or known exploited)"),
    EventKind("advisory_unavailable", "info", "an advisory the index lists could not be fetched yet"),
    EventKind("advisory_deleted", "info", "Red Hat deleted an advisory; it is matched no more"),
    EventKind("kev_listed", "info", "CISA added a CVE to its known-exploited catalog"),
    EventKind("branch_eol", "critical", "a pinned branch reached its end of life (info when unpinned)"),
    EventKind("branch_eol_scheduled", "warning", "an end-of-life date was set or moved for a pinned branch "
              "(info when unpinned)"),
    EventKind("branch_dropped", "critical", "a pinned branch vanished upstream without being marked EOL "
              "(info when unpinned)"),
    EventKind("branch_abandoned", "critical", "a pinned branch had no release for a long time while newer "
              "branches kept releasing"),
    EventKind("branch_uncovered", "info", "no end-of-life source lists a pinned branch"),
    EventKind("branch_phase", "info", "a RHEL major left Full Support"),
    EventKind("minor_superseded", "warning", "a pinned RHEL minor is older than the major's current one"),
    EventKind("changelog_unavailable", "warning", "a pinned branch's changelog cannot be read (kernel.org no "
              "longer lists it)"),
    EventKind("source_failing", "warning", "a source failed `failing_after` polls in a row or for `failing_for` "
              "(an incident)"),
    EventKind("apt_hash_mismatch", "critical", "an apt index does not match the size or SHA256 its Release gives"),
    EventKind("apt_index_missing", "critical", "an index the Release lists cannot be downloaded (warning when "
              "apt falls back to another path)"),
    EventKind("apt_index_unreadable", "critical", "an apt index matches its Release but cannot be decompressed "
              "or parsed"),
    EventKind("apt_signature_invalid", "critical", "the repository's InRelease does not verify against the keyring"),
    EventKind("apt_repo_unreachable", "critical", "the apt repository did not answer"),
    EventKind("apt_suite_mismatch", "critical", "the Release file names another suite or codename than configured"),
    EventKind("apt_release_expired", "critical", "the Release file's Valid-Until has passed"),
    EventKind("apt_rollback", "critical", "the Release file's Date went backwards (a stale or replayed mirror)"),
    EventKind("apt_key_expiring", "warning", "the repository's signing key expires within 30 days"),
    EventKind("apt_key_changed", "critical", "the repository is now signed by another key (once; not an incident)"),
    EventKind("apt_check_incomplete", "warning", "part of an apt repository could not be checked this poll"),
    EventKind('rpm_signature_invalid', 'critical',
              'repomd.xml.asc is missing, unreadable or not by the configured key (warning for a `.repo` section without `repo_gpgcheck=1`)'),
    EventKind('rpm_repomd_broken', 'critical',
              'repomd.xml answers 404, an HTML page or something that is not repomd.xml'),
    EventKind('rpm_checksum_mismatch', 'critical',
              'a metadata file dnf downloads differs from the checksum or size repomd.xml lists (warning for files dnf does not download)'),
    EventKind('rpm_data_missing', 'critical',
              'a metadata file repomd.xml lists answers 404 (same rule)'),
    EventKind('rpm_metadata_unreadable', 'critical',
              'a metadata file matches its checksum but does not decompress or parse (same rule)'),
    EventKind('rpm_rollback', 'warning',
              "repomd.xml's revision (or newest timestamp) went backwards: dnf takes it"),
    EventKind('rpm_stale', 'warning',
              'the metadata has not changed for `stale_after`'),
    EventKind('rpm_key_changed', 'critical',
              'repomd.xml is now signed by another configured key (once; not an incident)'),
    EventKind("config_invalid", "warning", "`trackbot run`: an edit of sources.yaml does not load (an incident of "
              "source trackbot)"),
    EventKind("storage_failing", "critical", "trackbot cannot write its database (disk full, read-only): an "
              "incident of source trackbot"),
)

RESOLVED_SUFFIX = "_resolved"  # an incident's end is an info event of kind `<kind>_resolved`, with its duration

KIND_NAMES: tuple[str, ...] = tuple(k.name for k in EVENT_KINDS) + tuple(
    k.name + RESOLVED_SUFFIX for k in EVENT_KINDS if k.name.startswith("apt_") or k.name in (
        "source_failing", "config_invalid", "storage_failing"))
