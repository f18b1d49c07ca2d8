"""What one repository check is given (RepoSpec) and gives back (RepoResult), and how its findings are keyed.

Shared by the release-level engine (engine.py) and the index checks (indexes.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.sources.api import Finding, Record, SourceError
from bot.sources.apt.settings import Policy


@dataclass(frozen=True)
class RepoSpec:
    """One repository to check. `repo_id` keys its records and findings within the source."""

    url: str
    suite: str
    components: tuple[str, ...]
    architectures: tuple[str, ...]
    keyrings: tuple[Path, ...]
    repo_id: str
    inline_keys: tuple[bytes, ...] = ()
    fingerprints: tuple[str, ...] = ()  # Signed-By fingerprints: only these keys count

    @property
    def dists(self) -> str:
        return f"{self.url.rstrip('/')}/dists/{self.suite}"


@dataclass
class RepoResult:
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    versions: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (pkg, version) -> indexes
    unverified: set[str] = field(default_factory=set)  # index ids whose versions are carried over
    unchecked: set[str] = field(default_factory=set)  # finding-key prefixes not judged (Snapshot.unchecked)


def is_missing(exc: SourceError) -> bool:
    """A 404/410 answer (the core puts the status in the reason, or on `.status`)."""
    status = getattr(exc, "status", None)
    return status in (404, 410) or bool(re.search(r"\b(404|410)\b", exc.reason))


def previous_state(previous: Sequence[Record], repo_id: str) -> Record | None:
    key = f"repo:{repo_id}"
    return next((r for r in previous if r.kind == "repo_state" and r.key == key), None)


def finding_key(policy: Policy, spec: RepoSpec, what: str) -> str:
    """Stable across polls: the source, the repository and what is wrong (never a received hash)."""
    return f"apt:{policy.source}:{spec.repo_id}:{what}"


def unjudged(policy: Policy, repo_id: str) -> tuple[str, ...]:
    """Finding-key prefixes of a repository this poll could not check (its findings and key expiry)."""
    return f"apt:{policy.source}:{repo_id}:", f"apt:{policy.source}:key_expiring:"
