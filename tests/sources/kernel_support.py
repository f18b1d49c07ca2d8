"""Builders for kernel tests: ChangeLog-X.Y.Z text in kernel.org's real layout, releases.json.

A stable ChangeLog is ``git log`` output: ``commit <40 hex>``, ``Author:``, ``Date:``,
a blank line, then the message indented by four spaces. The 3.16.84/3.16.85 pair
below carries what users care about: an overlayfs fix in .84 that .85 reverts,
the Dirty COW fix (CVE-2016-5195) with its ``[ Upstream commit ]`` and ``Fixes:``,
and a device-mapper regression fix naming the release that introduced it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.model import Pin

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

OVL_SHA = "5d0a2ad8a2bc1e5d4e7d1f0a7c1a4b2f9e3d6c10"
OVL_UPSTREAM = "9b6faee074702bbbc0a1d8a4ea1c7d4e2e5b3f21"
REVERT_SHA = "c1f6e2d3a4b5968778695a4b3c2d1e0f9a8b7c6d"
COW_SHA = "0b4c1e9a8f7d6e5c4b3a29180716f5e4d3c2b1a0"
COW_UPSTREAM = "19be0eaffa3ac7d8eb6784ad9bdbc7d67ed8e619"
DM_SHA = "7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b"


def commit(sha: str, title: str, body: str = "", *, author: str = "Ben Hutchings <ben@decadent.org.uk>",
           date: str = "Fri Jun 5 17:35:25 2020 +0100") -> str:
    message = title + ("\n\n" + body.strip("\n") if body else "")
    indented = "\n".join(("    " + line) if line else "" for line in message.splitlines())
    return f"commit {sha}\nAuthor: {author}\nDate:   {date}\n\n{indented}\n"


def changelog(*commits: str) -> bytes:
    return "\n".join(commits).encode()


CHANGELOG_3_16_84 = changelog(
    commit("a" * 40, "Linux 3.16.84"),
    commit(OVL_SHA, "ovl: fix lookup of lower dentries on overlay mounts", f"""
commit {OVL_UPSTREAM} upstream.

Lookup of a lower dentry could return a stale inode.

Cc: <stable@vger.kernel.org> # v3.18+
Signed-off-by: Miklos Szeredi <mszeredi@redhat.com>
Signed-off-by: Ben Hutchings <ben@decadent.org.uk>
""", author="Miklos Szeredi <mszeredi@redhat.com>", date="Tue May 12 10:04:11 2020 +0200"),
)

CHANGELOG_3_16_85 = changelog(
    commit("b" * 40, "Linux 3.16.85", date="Thu Oct 29 20:16:51 2020 +0000"),
    commit(REVERT_SHA, 'Revert "ovl: fix lookup of lower dentries on overlay mounts"', f"""
This reverts commit {OVL_SHA}, which was
commit {OVL_UPSTREAM} upstream.
It caused a regression: containers using overlay lose files.

Signed-off-by: Ben Hutchings <ben@decadent.org.uk>
""", date="Thu Oct 29 19:01:00 2020 +0000"),
    commit(COW_SHA, "mm: remove gup_flags FOLL_WRITE games from __get_user_pages()", f"""
[ Upstream commit {COW_UPSTREAM} ]

This is an ancient bug that was actually attempted to be fixed once
(badly) by me eleven years ago (CVE-2016-5195, "Dirty COW").

Fixes: 4ceb5db9757a ("Fix get_user_pages() race for write access")
Cc: stable@vger.kernel.org
Signed-off-by: Linus Torvalds <torvalds@linux-foundation.org>
Signed-off-by: Ben Hutchings <ben@decadent.org.uk>
""", author="Linus Torvalds <torvalds@linux-foundation.org>", date="Thu Oct 13 13:07:36 2016 -0700"),
    commit(DM_SHA, "dm thin: fix devicemapper pool resize", """
commit 3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b upstream.

This fixes a regression introduced in 3.16.82 where a resized pool
was left read-only.

Cc: stable@vger.kernel.org
Signed-off-by: Mike Snitzer <snitzer@redhat.com>
Signed-off-by: Ben Hutchings <ben@decadent.org.uk>
"""),
)


def entry(version: str, moniker: str = "longterm", iseol: bool = False, date: str = "2020-10-29") -> dict:
    major = version.split(".")[0]
    base = f"https://cdn.kernel.org/pub/linux/kernel/v{major}.x"
    return {
        "iseol": iseol,
        "version": version,
        "moniker": moniker,
        "source": f"{base}/linux-{version}.tar.xz",
        "released": {"timestamp": 0, "isodate": date},
        "changelog": f"{base}/ChangeLog-{version}" if moniker != "mainline" else None,
    }


def releases_json(*entries: dict) -> bytes:
    """A releases.json document in kernel.org's shape (latest_stable, releases[])."""
    stable = next((e["version"] for e in entries if e["moniker"] == "stable"), entries[0]["version"])
    return json.dumps({"latest_stable": {"version": stable}, "releases": list(entries)}).encode()


@dataclass
class HookContext:
    """What a kind's pure `events` hook reads from its context: the fleet and the clock."""

    fleet: tuple[Pin, ...] = ()
    clock: datetime = datetime(2020, 11, 1, tzinfo=UTC)
    missing: frozenset[str] = frozenset()  # keys the core says the last poll already missed

    def now(self) -> datetime:
        return self.clock
