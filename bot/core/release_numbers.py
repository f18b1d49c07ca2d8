"""Cheap necessary tests on a version's leading numbers, run before the exact (slow) ones.

Parsing a version in its scheme costs ~15 µs, so testing each of a product's 6,000 versions
exactly takes ~100 ms. In the numbered schemes (docker, kernel, plain) a version's branch
follows its leading numeric release (`v5.60.1-rc1` -> 5.60.1), so a version whose numbers
are not the branch's cannot be in it; only the rest are tested exactly. (`changes` reads a
range of versions through the version-key index instead: bot/core/version_keys.py.)
Package versions (deb, rpm: epochs, tildes) always go to the exact test.
"""

from __future__ import annotations

import re

_RELEASE = re.compile(r"\D{0,12}?(\d+(?:\.\d+)*)")
_EXACT_ONLY = ("deb", "rpm")


def numbers(version: str) -> tuple[int, ...] | None:
    """The leading numeric release of a version, or None when it has none."""
    match = _RELEASE.match(version)
    return tuple(map(int, match.group(1).split("."))) if match else None


def maybe_in_branch(version: str, branch: str, scheme: str) -> bool:
    """False only when `version` cannot be a release of `branch` (a numeric prefix, as versions.in_branch)."""
    if scheme in _EXACT_ONLY:
        return True
    mine, wanted = numbers(version), numbers(branch)
    if mine is None or wanted is None:
        return True
    return pad(mine, len(wanted))[: len(wanted)] == wanted


def pad(parts: tuple[int, ...], width: int) -> tuple[int, ...]:
    return parts + (0,) * (width - len(parts))
