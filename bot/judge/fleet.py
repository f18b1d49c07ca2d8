"""Which fleet pins an event touches, and what a pin could move to.

A pin is exact (``docker 1.10.3``, ``debian 8``, a Debian package version) or a
branch (``linux 3.16`` = any 3.16.y); `versions.parse_pin` decides which, once, when the
pin is made (`Pin.spec`). Products are compared case-insensitively through the one
product table, `versions.PRODUCTS` (names, aliases, version scheme).

This module answers "which pins does (product, version) touch" and "what could a pin
move to"; bot.judge.match only uses it to attach pins to events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core import versions
from bot.core.model import Pin

canonical_product = versions.canonical_product  # re-exported: fleet is where callers look for it
same_product = versions.same_product
ALIAS_NAMES = versions.ALIAS_NAMES


def pins_for(pins: Iterable[Pin], product: str, version: str) -> list[Pin]:
    """The pins an event about (`product`, `version`) touches, in fleet order.

    A pin is touched by its own version, by any release of its branch (branch pins),
    and by news about its whole branch (``branch_eol`` for '3.16' touches '3.16' and
    '3.16.85'; for plain products 'rhel 7' touches '7.2'). Package-version pins (deb,
    rpm) are only touched by their exact version. Pins that are not valid versions
    only match by equal text.
    """
    return [pin for pin in pins if same_product(pin.product, product) and _touches(pin, version)]


def touched_pins(pins: Sequence[Pin], product: str, version: str) -> list[Pin]:
    """Pins naming this version exactly, or whose branch contains it."""
    if not version:
        return []
    found = list(pins_for(pins, product, version))
    scheme = versions.scheme_for(product)
    if scheme in ("deb", "rpm"):
        # A package pin is exact, but any other build of the same package is news for it.
        return found + [p for p in pins if same_product(p.product, product) and p not in found]
    try:
        branch = versions.branch_of(version, scheme)
    except ValueError:
        return found
    for pin in pins_for(pins, product, branch):
        if pin not in found:
            found.append(pin)
    return found


def is_pinned_branch(pins: Iterable[Pin], product: str, branch: str) -> bool:
    """True when some pin of `product` lies in `branch`: '3.16' for pins '3.16' or '3.16.85'.

    Prefix match on numbers, so endoflife.date's docker cycle '29' holds pin '29.0.3'
    and rhel '7' holds pin '7.2'.
    """
    scheme = versions.scheme_for(product)
    return any(
        same_product(pin.product, product) and versions.in_branch(pin.version, branch, scheme)
        for pin in pins
    )


def newer_in_branch(pin: Pin, candidates: Iterable[str], *, prereleases: bool = False) -> list[str]:
    """Versions of the pin's branch newer than the pin, oldest first, without duplicates.

    For a branch pin every release of the branch counts (we do not know which one
    runs). The first item is "the smallest version that brings the fix". Pre-releases
    are left out unless asked for; unparseable candidates are skipped.
    """
    spec = pin.parsed()
    branch = spec.version if spec.is_branch else versions.branch_of(spec.version, spec.scheme)
    found: dict[str, str] = {}
    for text in candidates:
        try:
            value = versions.normalize(text, spec.scheme)
            if not versions.in_branch(value, branch, spec.scheme):
                continue
            if not prereleases and versions.is_prerelease(value, spec.scheme):
                continue
            if spec.is_branch or versions.compare(value, spec.version, spec.scheme) > 0:
                found.setdefault(value, text)
        except ValueError:
            continue
    return sorted(found, key=lambda v: versions.sort_key(v, spec.scheme))


def pin_label(pin: Pin) -> str:
    """How a pin reads in alerts: 'docker 1.10.3', 'linux 3.16.x', 'debian:docker.io 1.6.2-1 (jessie)'."""
    spec = pin.spec
    version = (f"{spec.version}.x" if spec.is_branch else spec.version) if spec else pin.version
    label = f"{pin.product} {version}"
    return f"{label} ({pin.distro})" if pin.distro else label


def _touches(pin: Pin, version: str) -> bool:
    scheme, spec = pin.scheme, pin.spec
    if spec is None:
        return versions.normalize(version, scheme) == versions.normalize(pin.version, scheme)
    try:
        if versions.compare(version, spec.version, scheme) == 0:
            return True
    except ValueError:
        return versions.normalize(version, scheme) == versions.normalize(pin.version, scheme)
    if spec.is_branch:
        return versions.in_branch(version, spec.version, scheme)
    if scheme in ("deb", "rpm"):
        return False
    return _is_branch_of(version, spec)


def _is_branch_of(version: str, spec: versions.PinSpec) -> bool:
    """True when `version` names a whole branch that contains the exact pin."""
    try:
        event = versions.parse_pin(spec.product, version)
    except ValueError:
        return False
    if spec.scheme != "plain" and not event.is_branch:
        return False
    shorter = len(event.version.split(".")) < len(spec.version.split("."))
    return shorter and versions.in_branch(spec.version, event.version, spec.scheme)

