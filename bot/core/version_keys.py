"""Version sort keys: text that sorts in SQL (byte order) the way `versions.compare` orders.

`records.version_key` (migration m010) holds one per record, so `trackbot changes A B` reads
the versions in (A, B] as one index range instead of walking every version of the product.
A key is built from what the scheme's own library parsed (`versions.parse`), component by
component, so it follows that library's rules rather than a second opinion of them:

- PEP 440 (docker, kernel, most of plain): packaging's comparison key (epoch, release with
  trailing zeros dropped, pre/post/dev ranks, local segments), each part encoded below.
- Debian (deb, the rest of plain): dpkg's algorithm as python-debian implements it: epoch,
  then upstream and revision as alternating non-digit / digit runs, ``~`` before the end.
- RPM: the epoch, then rpmvercmp's segments (``~`` < end < letters < numbers) of version
  and release.

Invariant (tested against the libraries on random versions): for two versions a, b of one
scheme, ``compare(a, b)`` has the sign of ``key(a)`` vs ``key(b)``, and equal versions
(``1.0`` and ``1.0.0``, ``17.06.2-ce`` and ``17.06.2``) have equal keys, so a range
``key > key(A) and key <= key(B)`` is exactly (A, B]. Keys are ASCII, so SQLite's byte
order is Python's string order. A version that does not parse, or that has a number of 100
digits or more, has no key (None): readers must treat it as "unknown" and test it exactly.
Changing a product's scheme (versions.PRODUCTS) changes its keys: that needs a migration
that fills the column again, as m010 does.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from debian.debian_support import Version as DebVersion
from packaging.version import Version as PepVersion

from bot.core import versions

_PRE_RANK = {"a": "1", "b": "2", "rc": "3"}  # dev-only releases rank "0", final ones "4"
_DEB_RUNS = re.compile(r"(\D*)(\d*)")
_RPM_TOKENS = re.compile(r"~|[a-zA-Z]+|[0-9]+")


class _TooLong(ValueError):
    """A number of 100 digits or more: the two-digit length prefix cannot hold it."""


@functools.lru_cache(maxsize=65536)
def version_key(product: str, version: str) -> str | None:
    """The sort key of `version` in `product`'s scheme, None when it is not a version there."""
    try:
        return key_in(versions.parse(version, versions.scheme_for(product)))
    except ValueError:
        return None


def key_in(parsed: Any) -> str:
    """The key of what `versions.parse` returned (one type per scheme, see versions._PARSERS)."""
    if isinstance(parsed, PepVersion):  # kernel
        return _pep(parsed)
    if isinstance(parsed, DebVersion):  # deb
        return _deb(parsed)
    if isinstance(parsed, tuple) and len(parsed) == 1:  # docker: (PepVersion,)
        return _pep(parsed[0])
    if isinstance(parsed, tuple):  # plain: (2, PepVersion) or (1, DebVersion); tier 1 sorts first
        return f"{parsed[0]}{key_in(parsed[1])}"
    return _rpm(parsed)  # versions._Rpm


def _number(n: int) -> str:
    """An integer as text that sorts numerically: two digits of length, then the digits."""
    digits = str(n)
    if len(digits) > 99:
        raise _TooLong(digits)
    return f"{len(digits):02d}{digits}"


def _pep(version: PepVersion) -> str:
    """packaging's order: epoch, release (trailing zeros dropped), pre, post, dev, local."""
    release = list(version.release)
    while release and release[-1] == 0:
        release.pop()
    key = _number(version.epoch) + "".join("1" + _number(n) for n in release) + "0"  # "0": the shorter first
    if version.pre is not None:
        key += _PRE_RANK[version.pre[0]] + _number(version.pre[1])
    else:  # a dev-only release (1.0.dev1) sorts before every pre-release, a final one after them
        key += ("0" if version.post is None and version.dev is not None else "4") + _number(0)
    key += "0" if version.post is None else "1" + _number(version.post)
    key += "1" if version.dev is None else "0" + _number(version.dev)
    if version.local is None:
        return key + "0"
    # local segments: strings before numbers, strings by text ("!" ends one: the shorter first)
    parts = ("2" + _number(int(p)) if p.isdigit() else "1" + p + "!" for p in version.local.split("."))
    return key + "1" + "".join(parts) + "0"


def _deb(version: DebVersion) -> str:
    """dpkg's order: epoch as a number, then upstream, then revision (none is "0")."""
    return (_number(int(version.epoch or "0")) + _dpkg_part(version.upstream_version or "0")
            + _dpkg_part(version.debian_revision or "0"))


def _dpkg_part(text: str) -> str:
    """One part as (non-digit run, number) pairs, then "1" for its end.

    Within a non-digit run ``~`` sorts before the run's end, the end before letters, letters
    before other characters (dpkg's `order`). The first pair is always written (its run may be
    empty), so "", "0" and "00" have one key; every later run is non-empty, so the part's end
    ("1") is only ever compared with a run's first character ("0" ~, "2" letter, "3" other).
    """
    pairs = []
    for position, match in enumerate(_DEB_RUNS.finditer(text)):
        letters, digits = match.groups()
        if position and not letters and not digits:
            break  # finditer's empty match at the end
        run = "".join("0" if c == "~" else ("2" + c if c.isascii() and c.isalpha() else "3" + c) for c in letters)
        pairs.append(run + "1" + _number(int(digits or "0")))
    return "".join(pairs) + "1"


def _rpm(version: Any) -> str:
    """rpm's order: the epoch as a number, then version and release by rpmvercmp's segments."""
    return _number(int(version.epoch)) + _rpm_part(version.version) + _rpm_part(version.release)


def _rpm_part(text: str) -> str:
    """rpmvercmp's segments: ``~`` ("0") < the end ("1") < letters ("2", by text) < numbers ("3").

    Other characters only separate segments, and rpm_vercmp drops non-ASCII ones. A letter
    run needs no end mark: what follows it ("0".."3") sorts before any letter, as rpmvercmp's
    shorter-run-first does.
    """
    text = text.encode("ascii", "ignore").decode()
    out = []
    for token in _RPM_TOKENS.findall(text):
        if token == "~":
            out.append("0")
        elif token.isdigit():
            out.append("3" + _number(int(token)))
        else:
            out.append("2" + token)
    return "".join(out) + "1"
