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
    EventKind("release_withdrawn", "warning", "a release vanished from its source on two polls in a row"),
    EventKind("release_notes_edited", "info", "a release's notes changed after publication"),
    EventKind("fix_available", "warning", "a newer release in a pin's branch fixes a CVE, a watch word or a listed bug"),
    EventKind("regression", "warning", "a newer release reverts or repairs a change the pin carries "
              "(critical with evidence that it matters)"),
    EventKind("advisory", "warning", "a security advisory names a pinned package (critical for a KEV or critical CVE)"),
    EventKind("branch_eol", "critical", "a pinned branch reached its end of life (info when unpinned)"),
    EventKind("branch_eol_scheduled", "warning", "an end-of-life date was set or moved for a pinned branch"),
    EventKind("branch_dropped", "critical", "a pinned branch disappeared from the list of supported branches"),
    EventKind("branch_abandoned", "critical", "a pinned branch had no release for a long time while newer ones "
              "released"),
    EventKind("changelog_unavailable", "warning", "a release's changelog could not be read"),
    EventKind("source_failing", "critical", "a source failed on several polls in a row (an incident)"),
    EventKind("apt_hash_mismatch", "critical", "an apt index does not match the hash its Release file gives"),
    EventKind("apt_index_missing", "critical", "an index the Release file lists cannot be downloaded"),
    EventKind("apt_index_unreadable", "critical", "an apt index cannot be decompressed or parsed"),
    EventKind("apt_signature_invalid", "critical", "the repository's Release signature does not verify"),
    EventKind("apt_repo_unreachable", "critical", "the apt repository did not answer"),
    EventKind("apt_suite_mismatch", "critical", "the Release file names another suite or codename than configured"),
    EventKind("apt_release_expired", "critical", "the Release file's Valid-Until has passed"),
    EventKind("apt_rollback", "critical", "the Release file's Date went backwards (a stale or replayed mirror)"),
    EventKind("apt_key_expiring", "warning", "the repository's signing key expires soon"),
    EventKind("apt_key_changed", "critical", "the repository is now signed by another key"),
    EventKind("apt_check_incomplete", "warning", "part of an apt repository could not be checked this poll"),
)

KIND_NAMES: tuple[str, ...] = tuple(k.name for k in EVENT_KINDS)
