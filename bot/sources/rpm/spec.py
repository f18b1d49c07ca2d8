"""What one rpm repository check is given (RpmSpec, Policy) and gives back (RpmResult).

Shared by the engine, the records it makes (records.py) and the kind (repo.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.sources.api import Finding, Pin, Record


@dataclass(frozen=True)
class RpmSpec:
    """One repository: dnf's `baseurl`, the keys its repomd.xml must be signed by."""

    url: str
    repo_id: str  # keys its records and findings within the source
    keyrings: tuple[Path, ...] = ()
    inline_keys: tuple[bytes, ...] = ()  # keys fetched from a .repo file's http(s) gpgkey
    gpgcheck: bool = True  # the hosts' repo_gpgcheck: a bad signature breaks dnf only when it is on

    def file(self, href: str) -> str:
        return f"{self.url.rstrip('/')}/{href.lstrip('/')}"


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The per-source settings of the checks, as the engine reads them."""

    source: str
    product: str
    watch: frozenset[str] = frozenset()
    products: Mapping[str, str] = field(default_factory=dict)
    distro: str = ""  # the RHEL major the repository is for ("9"): advisories match pins of that distro
    hash_polls: int = 2
    signature_polls: int = 1
    stale_after: timedelta | None = None

    def package_product(self, package: str) -> str:
        return self.products.get(package, f"rhel:{package}")

    def watched(self, fleet: Sequence[Pin]) -> frozenset[str]:
        """Watched packages: `watch_packages`, the products mapped, and every rhel:<pkg> the fleet pins."""
        pinned = {p.product.split(":", 1)[1] for p in fleet if p.product.lower().startswith(("rhel:", "rpm:"))}
        mapped = {name for name, product in self.products.items() if product in {p.product for p in fleet}}
        return frozenset(self.watch | pinned | mapped)


@dataclass
class RpmResult:
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)  # finding-key prefixes not judged (Snapshot.unchecked)
    carried: set[str] = field(default_factory=set)  # "primary"/"updateinfo": previous records carried over


def finding_key(policy: Policy, spec: RpmSpec, what: str) -> str:
    """Stable across polls: the source, the repository and what is wrong (never a received checksum)."""
    return f"rpm:{policy.source}:{spec.repo_id}:{what}"


def previous_state(previous: Sequence[Record], repo_id: str) -> Record | None:
    key = f"repo:{repo_id}"
    return next((r for r in previous if r.kind == "repo_state" and r.key == key), None)
