"""Version order, branches and pins, for every product trackbot follows.

Each product uses one *scheme*, and each scheme orders through the library that
defines that ordering, so trackbot agrees with the tools the hosts run:

- ``docker`` (docker, moby, containerd, runc tags: ``1.10.3``, ``17.03.1-ce``,
  ``v29.0.3``, ``docker-v29.0.0``, ``17.03.0-ce-rc1``): ``packaging.version``.
  After the ``v``/``docker-v`` prefix and the ``ce``/``ee`` edition word are
  dropped these tags are PEP 440 versions (``-rc1`` is a pre-release, ``-ee-5``
  a post-release), and packaging compares components as integers, so
  ``17.03`` > ``1.13``. The edition does not order: ``17.06.2-ce`` equals ``17.06.2``.
- ``kernel`` (``3.16.85``, ``4.9.337``, ``5.10-rc3``): ``packaging.version``,
  restricted to what kernel.org publishes (dotted numbers, optional ``-rcN``).
  Integer components matter: the kernel's own ``KERNEL_VERSION`` macro caps the
  sublevel at 255, and string order puts ``4.9.99`` after ``4.9.337``.
  ``next-20201211`` is a linux-next tag, not a version: ValueError.
- ``deb`` (``debian:<pkg>`` products): ``debian.debian_support.Version`` from
  python-debian, which implements dpkg's algorithm (epochs, ``~`` sorts before
  everything, ``+deb8u1``). Nothing else gets ``1:1.0 > 2.0`` right.
- ``rpm`` (``rhel:<pkg>`` products): ``rpm_vercmp.vercmp`` (rpm's ``rpmvercmp``
  in Python) for version and release; it does not know epochs, so
  ``[epoch:]version[-release]`` is split here and the epoch compared as an integer.
- ``plain`` (distribution releases ``8``, ``12``, ``7.2``; endoflife.date cycles;
  unknown products): ``packaging.version`` where it parses, dpkg order otherwise.

``sort_key`` is total: a string no scheme can parse sorts first, by its text, so
one bad tag never crashes a sort. ``parse`` and everything built on it raise
ValueError with a short reason instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

from debian.debian_support import Version as DebVersion
from packaging.version import InvalidVersion
from packaging.version import Version as PepVersion
from rpm_vercmp import vercmp

SCHEMES = ("docker", "kernel", "deb", "rpm", "plain")



@dataclass(frozen=True)
class Product:
    """A product trackbot knows by name: the names it goes by, and how its versions order."""

    name: str  # the canonical name (what keys and alerts say)
    scheme: str
    aliases: tuple[str, ...] = ()


# THE product table: the same engine is published as docker, docker-ce, docker-engine and
# moby depending on the source and the year, and a pin must not miss an advisory over a
# rename. Products not listed are themselves, in the 'plain' scheme (or by prefix below).
PRODUCTS: tuple[Product, ...] = (
    Product("docker", "docker", ("docker-ce", "docker-engine", "moby")),
    Product("containerd", "docker"),
    Product("runc", "docker"),
    Product("linux", "kernel", ("kernel",)),
    Product("debian", "plain"),
    Product("rhel", "plain"),
    Product("ubuntu", "plain"),
)
# every name of the product table: products known even before a poll (for --product checks)
ALIAS_NAMES = frozenset(name for p in PRODUCTS for name in (p.name, *p.aliases))
_BY_NAME = {name: product for product in PRODUCTS for name in (product.name, *product.aliases)}
# Package products are "<family>:<package>": a Debian package orders as dpkg, a RHEL one as rpm.
_SCHEME_BY_PREFIX = {"debian": "deb", "deb": "deb", "rhel": "rpm", "rpm": "rpm"}
_EDITIONS = ("ce", "ee")
_PRERELEASE_WORDS = ("alpha", "beta", "rc", "pre", "dev")


def canonical_product(product: str) -> str:
    """The product's name after aliases: 'Moby' -> 'docker', 'debian:docker.io' unchanged."""
    name = product.strip().lower()
    known = _BY_NAME.get(name)
    return known.name if known else name


def same_product(a: str, b: str) -> bool:
    """True when two product names mean the same product (case and aliases ignored)."""
    return canonical_product(a) == canonical_product(b)


@functools.lru_cache(maxsize=1024)
def scheme_for(product: str) -> str:
    """The scheme of a product name: ``debian:docker.io`` -> 'deb', ``linux`` -> 'kernel'."""
    name = product.strip().lower()
    prefix, sep, _ = name.partition(":")
    if sep:
        return _SCHEME_BY_PREFIX.get(prefix, "plain")
    known = _BY_NAME.get(name)
    return known.scheme if known else "plain"


def normalize(text: str, scheme: str) -> str:
    """The canonical spelling of a version: trimmed, without ``v``/``docker-v`` tag prefixes."""
    _check_scheme(scheme)
    value = text.strip()
    if scheme in ("deb", "rpm"):
        return value  # package versions are exact strings; a leading letter means something
    value = value.lower()
    value = value.removeprefix("docker-")
    if value[:1] == "v" and value[1:2].isdigit():
        value = value[1:]
    return value


@functools.lru_cache(maxsize=65536)  # pure; `why` and the digest's pin rows compare the same thousands again
def parse(text: str, scheme: str) -> Any:
    """A comparable object for `text` in `scheme` (shared: never change it); ValueError with a
    reason if it is not a version."""
    value = normalize(text, scheme)
    if not value:
        raise ValueError("empty version")
    if not value[0].isdigit():
        raise ValueError(f"not a version: {text!r} (must start with a digit)")
    return _PARSERS[scheme](value)


def sort_key(text: str, scheme: str) -> tuple[Any, ...]:
    """A key that sorts any strings: unparseable ones first (by text), then in version order."""
    try:
        return (1, parse(text, scheme), normalize(text, scheme))
    except ValueError:
        return (0, text)


def compare(a: str, b: str, scheme: str) -> int:
    """-1, 0 or 1 as `a` is older than, the same as, or newer than `b`; ValueError if either is garbage."""
    ka, kb = parse(a, scheme), parse(b, scheme)
    return int(ka > kb) - int(ka < kb)


def branch_of(text: str, scheme: str) -> str:
    """The release branch a version belongs to: '3.16.85' -> '3.16', '7.2' -> '7' (plain)."""
    parse(text, scheme)
    parts = _release_parts(text, scheme)
    if not parts:
        raise ValueError(f"no numeric release in {text!r}")
    if scheme == "plain":
        width = 1
    elif scheme == "kernel" and parts[:2] == ["2", "6"]:
        width = 3  # 2.6.32.71 belongs to the 2.6.32 branch
    else:
        width = 2
    return ".".join(parts[:width])


def in_branch(text: str, branch: str, scheme: str) -> bool:
    """True when `text` is a release of `branch` (numeric prefix match: '17.3' == '17.03')."""
    try:
        parse(text, scheme)
        parts = [int(p) for p in _release_parts(text, scheme)]
        wanted = [int(p) for p in normalize(branch, scheme).split(".")]
    except ValueError:
        return False
    return bool(wanted) and parts[: len(wanted)] == wanted


def is_prerelease(text: str, scheme: str) -> bool:
    """True for release candidates and betas (``5.10-rc3``, ``17.03.0-ce-rc1``, deb ``1.0~rc1``)."""
    key = parse(text, scheme)
    if scheme in ("docker", "kernel", "plain"):
        pep = key if scheme == "kernel" else key[1] if scheme == "plain" else key[0]
        return isinstance(pep, PepVersion) and pep.is_prerelease
    if scheme == "deb":
        tails = (key.upstream_version or "").split("~")[1:]
    else:
        tails = key.version.split("~")[1:] + key.release.split(".")
    return any(tail.lower().startswith(_PRERELEASE_WORDS) for tail in tails)


@dataclass(frozen=True)
class PinSpec:
    """A validated fleet pin. `is_branch` pins match every release of the branch."""

    product: str
    version: str
    scheme: str
    is_branch: bool


def parse_pin(product: str, version: str) -> PinSpec:
    """Validate a fleet pin; '1.10' (docker) and '3.16' (kernel) are branches, '1.10.3' is exact.

    Distribution releases (debian '8') and package versions are always exact.
    Raises ValueError for 'latest', '' or 'x.y'.
    """
    if not product.strip():
        raise ValueError("pin has no product")
    scheme = scheme_for(product)
    value = normalize(str(version), scheme)
    parse(value, scheme)
    is_branch = False
    if scheme in ("docker", "kernel"):
        full = 4 if scheme == "kernel" and value.startswith("2.6") else 3
        plain_numbers = all(p.isdigit() for p in value.split("."))
        is_branch = plain_numbers and len(value.split(".")) < full
    return PinSpec(product.strip(), value, scheme, is_branch)


# --- scheme parsers -------------------------------------------------------------------------


def _pep(value: str, text: str) -> PepVersion:
    try:
        return PepVersion(value)
    except InvalidVersion:
        raise ValueError(f"not a version: {text!r}") from None


def _parse_docker(value: str) -> tuple[PepVersion]:
    """The edition word (ce, ee) is not part of the order: ``17.06.2-ce`` *is* a pin on ``17.06.2``.

    (It used to break ties, which made the changelog's own ``17.06.2-ce`` "newer" than the pin
    ``17.06.2`` and "a fix available in" it.) `sort_key` still tells the spellings apart by text.
    """
    words = value.split("-")
    return (_pep("-".join(w for w in words if w not in _EDITIONS), value),)


def _parse_kernel(value: str) -> PepVersion:
    pep = _pep(value, value)
    extra = pep.epoch or pep.post is not None or pep.dev is not None or pep.local
    if extra or (pep.pre is not None and (pep.pre[0] != "rc" or "-rc" not in value)):
        raise ValueError(f"not a kernel version: {value!r}")
    return pep


def _parse_deb(value: str) -> DebVersion:
    try:
        version = DebVersion(value)
    except ValueError:
        raise ValueError(f"not a Debian version: {value!r}") from None
    if not (version.upstream_version or "")[:1].isdigit():
        raise ValueError(f"not a Debian version: {value!r} (upstream must start with a digit)")
    return version


@functools.total_ordering
class _Rpm:
    """``epoch:version-release`` ordered like rpm: epoch as an integer, then rpmvercmp."""

    def __init__(self, value: str) -> None:
        self.epoch, self.version, self.release = _rpm_split(value)

    def _cmp(self, other: _Rpm) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return int(vercmp(self.version, other.version) or vercmp(self.release, other.release))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rpm) and self._cmp(other) == 0

    def __lt__(self, other: _Rpm) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash((self.epoch, self.version, self.release))


def _rpm_split(value: str) -> tuple[int, str, str]:
    epoch, sep, rest = value.partition(":")
    if not sep:
        epoch, rest = "0", value
    version, _, release = rest.rpartition("-") if "-" in rest else (rest, "", "")
    allowed = set("._+~^")
    if not epoch.isdigit() or not version[:1].isdigit():
        raise ValueError(f"not an RPM version: {value!r}")
    if not all(c.isalnum() or c in allowed for c in version + release):
        raise ValueError(f"not an RPM version: {value!r}")
    return int(epoch), version, release


def _parse_plain(value: str) -> tuple[int, Any]:
    # Two tiers so the key stays total: dpkg-only strings sort before PEP 440 ones.
    try:
        return (2, PepVersion(value))
    except InvalidVersion:
        return (1, _parse_deb(value))


_PARSERS = {
    "docker": _parse_docker,
    "kernel": _parse_kernel,
    "deb": _parse_deb,
    "rpm": _Rpm,
    "plain": _parse_plain,
}


def _release_parts(text: str, scheme: str) -> list[str]:
    """The leading dotted numbers of the upstream part: '1:1.6.2~dfsg1-1' -> ['1', '6', '2']."""
    value = normalize(text, scheme)
    if scheme == "deb":
        value = DebVersion(value).upstream_version or ""
    elif scheme == "rpm":
        value = _rpm_split(value)[1]
    numeric = "".join(takewhile(lambda c: c.isdigit() or c == ".", value))
    return [p for p in numeric.split(".") if p]


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown version scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
