"""The check settings both apt kinds share, declared once.

`AptChecks` is the base of the apt_repo and apt_sources Confs (the fields a user
tunes the checks with); `Policy` is what the engine reads of them, so the engine
never depends on which kind configured it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.sources.api import SourceConf


@dataclass(frozen=True, kw_only=True)
class AptChecks(SourceConf):
    """Settings of the repository checks, shared by both apt kinds (see README, apt)."""

    architectures: tuple[str, ...] = ("amd64",)
    watch_packages: tuple[str, ...] = ()
    products: dict[str, str] = field(default_factory=dict)  # package -> product (default debian:<pkg>)
    hash_mismatch_polls: int = 2  # mirrors sync InRelease a moment before the indexes
    signature_polls: int = 1
    check_by_hash: bool = True
    check_valid_until: bool = True  # false for frozen snapshots (apt's Check-Valid-Until=no)

    def __post_init__(self) -> None:
        for name, value in (("hash_mismatch_polls", self.hash_mismatch_polls),
                            ("signature_polls", self.signature_polls)):
            if value < 1:
                raise ValueError(f"'{name}' must be at least 1")
        if not self.architectures:
            raise ValueError("'architectures' must name at least one (e.g. amd64)")

    def policy(self) -> Policy:
        """What the engine needs of these settings."""
        return Policy(
            source=self.name,
            product=self.product or f"apt:{self.name}",
            watch=frozenset(self.watch_packages),
            products=dict(self.products),
            hash_polls=self.hash_mismatch_polls,
            signature_polls=self.signature_polls,
            by_hash=self.check_by_hash,
            valid_until=self.check_valid_until,
        )


@dataclass(frozen=True)
class Policy:
    """Per-source settings of the checks, as the engine reads them."""

    source: str
    product: str
    watch: frozenset[str] = frozenset()
    products: Mapping[str, str] = field(default_factory=dict)
    hash_polls: int = 2
    signature_polls: int = 1
    by_hash: bool = True
    valid_until: bool = True

    def package_product(self, package: str) -> str:
        return self.products.get(package, f"debian:{package}")
