"""The values that flow through the pipeline: records in, findings and events out.

Everything here is a frozen dataclass holding JSON-serialisable data, so that the
parse, diff and match stages stay pure functions that tests can feed from tables.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from bot.core.severity import SEVERITIES, severity_rank
from bot.core.versions import PinSpec, parse_pin, scheme_for

__all__ = ["SEVERITIES", "severity_rank"]  # re-exported: the model's users read the order here too



# --- Record payloads: the keys of Record.data the core reads, per record kind -------------
# A kind may write more keys (they are stored, diffed and shown); the core reads only
# these. TypedDicts document the shapes (total=False: each key is optional to the core,
# which reads them with .get); tests/test_architecture.py checks no core module reads
# a key that is not listed here.


class ReleaseData(TypedDict, total=False):
    """kind "release": one published version."""

    date: str  # ISO date it was published, "" if unknown
    title: str
    url: str
    prerelease: bool  # an -rc, beta...: never "news for a pin"
    from_index: bool  # listed by a package index (apt): indexes drop superseded builds daily,
    #                   so its withdrawal is routine (info) unless it is the pinned build itself
    regression_update: bool  # the release says it fixes a regression of an earlier one (Debian)
    upstream: str  # the upstream version a distribution package carries ("6.1.170")
    notes: list[str]  # the release notes' lines, for the rules' word search
    cves: list[str]
    package: str  # a package index's release: the package name...
    indexes: list[str]  # ...and the index files that list this version


class ChangelogLineData(TypedDict, total=False):
    """kind "changelog_line": one line (or commit) of a version's notes."""

    text: str  # the line as written
    section: str  # the heading it stands under in the notes ("Security", "Runtime"), "" if none
    title: str  # a commit's title (kernel ChangeLogs)
    date: str
    classes: list[str]  # bot.judge.classify: fix, revert, regression, security, deprecation, watch
    cves: list[str]
    closes: list[str]  # Debian bug numbers the line closes
    reverts: str  # the title of the change it reverts
    reverts_sha: str  # the commit it reverts
    fixes: list[str]  # commits it fixes (kernel "Fixes:" tags)
    notes: list[str]  # regression notes under the line
    upstream: str


class BranchData(TypedDict, total=False):
    """kind "branch": a maintained line of releases (kernel 6.1, docker 29, debian 12)."""

    eol: bool | str  # True/False, or the ISO date it ends
    latest: str  # its newest release


class CveData(TypedDict, total=False):
    """kind "cve": what one advisory source says of a CVE (bot.judge.cves gathers them)."""

    cve: str
    severity: str
    rating: str
    description: str
    kev_date: str  # listed in CISA's Known Exploited Vulnerabilities since


class EventData(TypedDict, total=False):
    """Event.data keys the core writes and reads back (besides the record's own)."""

    pins: list[str]  # labels of the fleet pins the event touches (bot.judge.match)
    date: str
    incident: str  # the incident key (bot.judge.incidents)
    first_seen_at: str
    duration: str  # a resolved incident's duration, as the resolution says it ("1h 30m")
    lines_read: int  # new_release: lines of its notes its source read (0: it cannot tell what it brings)
    brought_by: list[str]  # fix_available, regression: the releases bringing it ("docker 18.09.2")
    fixed_in: str  # fix_available: the release that brings the fix (`why` and the digest's smallest upgrade)


PAYLOADS: dict[str, type] = {
    "release": ReleaseData,
    "changelog_line": ChangelogLineData,
    "branch": BranchData,
    "cve": CveData,
}


@dataclass(frozen=True)
class Record:
    """One normalised observation of a source.

    `key` is unique within the source and stable across runs (for a release:
    ``release:1.10.3``; for a changelog line: ``line:1.10.3:<hash>``).
    `kind` is one of: release, changelog_line, branch, cve, advisory, package,
    repo_state, or a kind-specific word. `data` holds the rest and must be
    JSON-serialisable; for the kinds the core reads, its keys are documented by
    the payload TypedDicts above (`PAYLOADS`).
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


@dataclass(frozen=True, kw_only=True)
class SourceConf:
    """Settings every source has. Kinds subclass this (kw_only) with their own fields, in their
    modules; this base lives here so reading a config's list of sources needs no kind (bot.config.load)."""

    name: str
    kind: str
    product: str = ""
    every: str = ""  # own poll interval, e.g. "1h"; empty: every run


@dataclass(frozen=True)
class Pin:
    """A fleet pin: an exact version or a branch (``1.10`` means any 1.10.x).

    Parsed once: `spec` is the validated pin (None when `version` does not parse, and
    `problem` says why; the config loader reads it at load and refuses such a pin),
    `scheme` its version order. They are cached properties, not dataclass fields: they
    derive from product and version, sources.yaml cannot set them, and the settings
    digest (dataclasses.asdict) does not change.
    `hosts` names the inventories (package lists printed by hosts) that carry this exact
    package version, so an advisory alert can say where to act; empty for hand-written pins.
    """

    product: str
    version: str
    distro: str = ""
    hosts: tuple[str, ...] = ()

    @functools.cached_property
    def _parse(self) -> tuple[PinSpec | None, str]:
        try:
            return parse_pin(self.product, self.version), ""
        except ValueError as exc:
            return None, str(exc)

    @property
    def spec(self) -> PinSpec | None:
        return self._parse[0]

    @property
    def problem(self) -> str:
        return self._parse[1]

    @functools.cached_property
    def scheme(self) -> str:
        spec = self.spec
        return spec.scheme if spec else scheme_for(self.product)

    def parsed(self) -> PinSpec:
        """The validated pin; ValueError (with the reason) for a pin that does not parse."""
        if self.spec is None:
            raise ValueError(self.problem)
        return self.spec
