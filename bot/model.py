"""The values that flow through the pipeline: records in, findings and events out.

Everything here is a frozen dataclass holding JSON-serialisable data, so that the
parse, diff and match stages stay pure functions that tests can feed from tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "critical")


def severity_rank(severity: str) -> int:
    """Order severities so the loudest one of a group can be picked."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Record:
    """One normalised observation of a source.

    `key` is unique within the source and stable across runs (for a release:
    ``release:1.10.3``; for a changelog line: ``line:1.10.3:<hash>``).
    `kind` is one of: release, changelog_line, branch, advisory, package,
    repo_state, or a kind-specific word; the core only treats ``release`` and
    ``changelog_line`` specially. `data` holds the rest (date, title, text,
    classes, prerelease...) and must be JSON-serialisable.
    """

    kind: str
    key: str
    product: str
    version: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of the content, so a changed record is seen without comparing fields."""
        blob = json.dumps(
            [self.kind, self.product, self.version, self.data], sort_keys=True, default=str
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """A problem that is true *now* (an apt hash mismatch, a bad signature).

    The core turns findings into incidents: a finding present for
    `polls_to_open` consecutive polls opens an incident (alerted once); the first
    poll of the source without it resolves the incident. `key` identifies the
    problem across polls, e.g. ``docker-apt:bookworm:main/binary-amd64/Packages.xz``.
    """

    kind: str
    key: str
    summary: str
    severity: str = "critical"
    product: str = ""
    version: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    polls_to_open: int = 1
    incident: bool = True  # False: a one-off fact (a key rotation) alerted once, nothing to resolve

    def as_event(self, source: str) -> Event:
        return Event(self.kind, self.severity, self.product, self.version, f"{self.kind}:{self.key}",
                     self.summary, source, dict(self.data))


@dataclass(frozen=True)
class Snapshot:
    """What one successful poll of a source saw.

    `complete` is False for views that only show the latest N items (GitHub's
    Atom feed shows ten): a record missing from such a view is not withdrawn.
    `unchecked` holds finding-key prefixes this poll could not judge (an apt
    repository whose signature failed or that did not answer): their open
    incidents neither resolve nor count, since "not seen" is not "healthy".
    """

    records: tuple[Record, ...]
    findings: tuple[Finding, ...] = ()
    complete: bool = True
    unchecked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """Something that happened, with a stable key: the same fact is never alerted twice."""

    kind: str
    severity: str
    product: str
    version: str
    key: str
    summary: str
    source: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    baseline: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "product": self.product,
            "version": self.version,
            "key": self.key,
            "summary": self.summary,
            "source": self.source,
            "baseline": self.baseline,
            **{k: v for k, v in self.data.items() if k not in _EVENT_FIELDS},
        }


_EVENT_FIELDS = {"kind", "severity", "product", "version", "key", "summary", "source", "baseline"}


@dataclass(frozen=True)
class Pin:
    """A fleet pin: an exact version or a branch (``1.10`` means any 1.10.x).

    `hosts` names the inventories (package lists printed by hosts) that carry this exact
    package version, so an advisory alert can say where to act; empty for hand-written pins.
    """

    product: str
    version: str
    distro: str = ""
    hosts: tuple[str, ...] = ()
