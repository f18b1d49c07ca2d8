"""What real dnf does on each fault of a repository, as measured, and so how loud each finding is.

Measured with dnf 4.14 (`dnf makecache --refresh`, its own cache, config and installroot; nothing
of the host's touched) against a repository built with createrepo_c and signed with a throwaway
key, served on 127.0.0.1, `repo_gpgcheck=1`, one fault at a time (README, "rpm_repo"; the test
tests/sources/test_rpm_vs_dnf.py repeats it wherever dnf is installed). The rule that follows:
a fault on which dnf fails (exit 1) is a critical finding; one dnf rides out is a warning at most.

- a data file dnf downloads (primary, filelists, updateinfo; comps, modules and deltas by libdnf's
  list) with a wrong checksum, a wrong size or a 404: dnf fails on a host without the metadata
  cached ("Cannot download, all mirrors were already tried"); a host whose cache holds the same
  repomd.xml keeps working until repomd.xml changes. Critical.
- a file dnf does not download (other.xml.gz, the sqlite databases): dnf is unaffected. Warning.
- repomd.xml.asc missing, garbage, by a key not configured, or repomd.xml changed after signing:
  dnf fails, cache or not ("GPG signature verification error", "GPG signature is not available"). Critical.
- repomd.xml missing (404) or an HTML page: dnf fails. Critical.
- an older, validly signed repomd.xml (the revision goes backwards): dnf takes it, exit 0. Warning:
  the fleet is served old metadata (a freeze or a stale mirror), but nothing breaks.
"""

from __future__ import annotations

# Metadata types libdnf (dnf 4) downloads by default (primary, filelists and updateinfo measured).
DNF_FETCHES = frozenset({"primary", "filelists", "updateinfo", "group", "group_gz", "modules", "prestodelta"})

CRITICAL, WARNING = "critical", "warning"


def data_severity(kind: str) -> str:
    """A bad or missing data file: critical when dnf downloads it (it then fails), else a warning."""
    return CRITICAL if kind in DNF_FETCHES else WARNING


def signature_severity(gpgcheck: bool) -> str:
    """A bad signature breaks dnf only where it checks one (`repo_gpgcheck=1`)."""
    return CRITICAL if gpgcheck else WARNING


ROLLBACK = WARNING  # dnf accepts an older signed repomd.xml
STALE = WARNING  # dnf has no notion of a repository's age
BROKEN_REPOMD = CRITICAL  # a 404 or an HTML page where repomd.xml should be: dnf fails
