"""Regressions and fixes measured against the fleet's pins (branch ends: bot.judge.branches).

About 430 lines, over the house size: the regression, revert, fix and "not backported" readings
share one change index and one severity judge (`_Judge`), and splitting them would pass both
through every call; severities themselves are decided in bot.judge.policy.

Pure functions shared by every changelog kind (kernel ChangeLog, Debian changelog,
Docker changelog, GitHub release notes): the core calls `rule_events` for each
source after its diff; kernel_releases and endoflife call `branch_events` from their
`events` hook. Event keys name the pin and the fact, never the source, so the same
CVE fix read in kernel.org's ChangeLog and in Debian's changelog is one event:

    fix_available:{pin product}:{pin version}:{CVE id | watch:<word>:<hash> | bug:<n>}
    regression:{pin product}:{pin version}:{hash of the reverted or fixed change}
    branch_eol:{product}:{branch}   branch_dropped:{product}:{branch}

A record speaks about a pin when it is a newer release of the pin's branch: its own
product, or ``debian:<product>`` read through the upstream version it brings (the
Debian linux package's "New upstream stable update" lines tell the kernel version).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from debian.debian_support import Version as DebVersion

from bot.core import versions
from bot.core.model import Event, Pin, Record
from bot.core.severity import loudest
from bot.core.text import title_hash
from bot.judge import abandoned, fleet, policy, relevance
from bot.judge.classify import cves as find_cves
from bot.judge.cves import CveInfo
from bot.judge.relevance import FleetProfile
from bot.judge.watchwords import WatchWord, compile_all

REVERT_RE = re.compile(r'\bRevert\s+"(.+)"', re.IGNORECASE | re.DOTALL)
REVERT_SHA_RE = re.compile(r"\breverts?\s+commit\s+([0-9a-f]{12,40})", re.IGNORECASE)
INTRODUCED_RE = re.compile(
    r"\bregress\w*[^.;]{0,60}?(?<!fixed )(?<!solved )\b(?:in|since|from|with)\s+"
    r"(?:v|version\s+|linux\s+|docker\s+|kernel\s+)?(\d+(?:\.\d+)+(?:-rc\d+)?)\b",
    re.IGNORECASE,
)
REGRESSION_UPDATE_RE = re.compile(r"\bregression\s+update\b", re.IGNORECASE)
REGRESSION_TESTS_RE = re.compile(r"\bregression[- ]?(?:tests?|suite|testing)\b", re.IGNORECASE)
FIXING_RE = re.compile(  # "address" only as a verb: "the IPv6 address" fixes nothing
    r"\b(?:fix|resolv|correct|prevent|avoid|repair|restor)\w*|\baddress(?:es|ed|ing)?\s+(?:an?|the|this|some|several|issues?|bugs?|problems?|CVE)\b",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r";|\.\s+|:\s+")  # sentences, "; " and "Known issue: ..." parts
BUG_RE = re.compile(r"#(\d{3,})")
@dataclass(frozen=True)
class _Hit:
    """One fact about one pin, before the smallest version is chosen."""

    kind: str
    key: str
    pin: Pin
    version: str  # in the pin's scheme: what "smallest" compares
    record: Record
    severity: str
    what: str


@dataclass(frozen=True)
class _Judge:
    """What decides severities besides the records: watch words, the fleet's profile, CVE ratings."""

    words: tuple[WatchWord, ...]
    profile: FleetProfile
    cves: Mapping[str, CveInfo]

    def facts(self, record: Record) -> policy.LineFacts:
        text = str(record.data.get("title") or record.data.get("text", ""))
        target = _revert_target(record)
        subject = target[0] if target and target[0] else text  # a revert is about what it reverts
        notes = " ".join(map(str, record.data.get("notes") or ()))
        full = f"{text} {notes}".strip()
        return policy.LineFacts(
            text=full,
            # the line's own [arch] tags, and the subsystem of what it reverts
            relevant=relevance.is_relevant(text, self.profile) and relevance.is_relevant(subject, self.profile),
            watch_hit=any(w.matches(full) for w in self.words),
            runs_module=relevance.runs_module(subject, self.profile),
            reported=bool(record.data.get("closes")),
        )


def rule_events(
    source: str,
    added: Sequence[Record],
    records: Sequence[Record],
    pins: Sequence[Pin],
    watch_words: Iterable[str | WatchWord],
    bug_numbers: Iterable[str | int] = (),
    *,
    cves: Mapping[str, CveInfo] | None = None,
    profile: FleetProfile | None = None,
) -> list[Event]:
    """regression and fix_available events that the records new this run bring to the pins.

    `records` (every current record of the source) tell which changes a pin already
    carries. One event per key; its summary names the smallest version that brings it.
    Severities follow bot.judge.policy: `cves` rates security fixes (bot.judge.cves), `profile` says
    which architectures and modules the fleet runs (bot.judge.relevance) and its watch words
    (else `watch_words`, plain names getting their documented aliases).
    """
    profile = profile or FleetProfile()
    judge = _Judge(profile.watch or compile_all(watch_words), profile, cves or {})
    bugs = {str(b).lstrip("#") for b in bug_numbers}
    hits: list[_Hit] = []
    facts_of = _FactsCache(judge)  # a line's facts are the same for every pin: judged once, when asked
    releases = _ReleaseIndex(records)
    for pin in pins:
        carried = _ChangeIndex(pin, records)
        # A branch pin does not say which release runs: "a module we load" alone is not
        # evidence enough to page for every revert in the branch (25 in 40 months).
        branch_pin = versions.parse_pin(pin.product, pin.version).is_branch
        newer: dict[str, bool] = {}  # thousands of lines share a few versions
        for record in added:
            version = _version_for(pin, record)
            if version is None:
                continue
            if version not in newer:
                newer[version] = bool(fleet.newer_in_branch(pin, [version]))
            if not newer[version]:
                continue
            if record.kind == "changelog_line":
                facts = _LazyFacts(facts_of, record, branch_pin)
                hits += _fix_hits(pin, version, record, (judge, facts), bugs)
                hits += _regression_hits(pin, version, record, carried, facts)
            elif record.kind == "release" and record.data.get("regression_update"):
                hits += _regression_update_hits(pin, version, record, releases)
        hits += _not_backported_hits(pin, added, records, judge)
    return [_event(source, group) for group in _group(hits)]


class _FactsCache:
    """judge.facts per record, computed the first time any pin asks for them."""

    def __init__(self, judge: _Judge) -> None:
        self.judge, self.known = judge, dict[int, policy.LineFacts]()

    def __call__(self, record: Record) -> policy.LineFacts:
        facts = self.known.get(id(record))
        if facts is None:
            facts = self.known[id(record)] = self.judge.facts(record)
        return facts


class _LazyFacts:
    """A line's facts for one pin, judged only if a rule needs them (most lines bring no hit)."""

    def __init__(self, cache: _FactsCache, record: Record, branch_pin: bool) -> None:
        self.cache, self.record, self.branch_pin = cache, record, branch_pin

    def get(self) -> policy.LineFacts:
        facts = self.cache(self.record)
        return replace(facts, runs_module=False) if self.branch_pin else facts


def _fix_hits(pin: Pin, version: str, record: Record, judged: tuple[_Judge, _LazyFacts],
              bugs: set[str]) -> list[_Hit]:
    judge, lazy = judged
    text = str(record.data.get("text", ""))
    base = f"fix_available:{pin.product}:{pin.version}"
    closes = {str(n) for n in record.data.get("closes") or ()} | set(BUG_RE.findall(text))
    hits = [_Hit("fix_available", f"{base}:bug:{bug}", pin, version, record, "warning", f"bug #{bug}")
            for bug in sorted(closes & bugs)]  # a listed bug is fixed even when by a revert
    if _revert_target(record):
        return hits  # otherwise a revert takes a change away: it is not "a fix is available"
    for cve in record.data.get("cves") or find_cves(text):
        severity, why = policy.security([cve], judge.cves, lazy.get())
        what = cve if why == "rating unknown" else f"{cve} ({why})"
        hits.append(_Hit("fix_available", f"{base}:{cve}", pin, version, record, severity, what))
    fixing = "fix" in record.data.get("classes", ()) or FIXING_RE.search(text)
    for word in judge.words if fixing else ():  # "overlay: add a test" is not a fix
        if word.matches(text):
            key = f"{base}:watch:{word.name.lower()}:{title_hash(text)}"
            hits.append(_Hit("fix_available", key, pin, version, record, policy.fix(lazy.get()), f"'{word.name}'"))
    return hits


def _not_backported_hits(pin: Pin, added: Sequence[Record], records: Sequence[Record], judge: _Judge) -> list[_Hit]:
    """CVE fixes in newer branches, released after the pin's branch last released, that it never got.

    "not backported to 1.10": the pinned branch will not get them, only moving off it will.
    Package pins (deb, rpm) have one line of uploads: nothing to say there.
    """
    scheme = versions.scheme_for(pin.product)
    if scheme in ("deb", "rpm"):
        return []
    try:
        _, branch = abandoned.pinned_branch(pin)
    except ValueError:
        return []
    candidates = [r for r in added if r.kind == "changelog_line" and r.data.get("cves")
                  and fleet.same_product(r.product, pin.product) and not versions.in_branch(r.version, branch, scheme)]
    if not candidates:
        return []
    dated = abandoned.release_dates(records, pin.product, scheme)
    if branch not in dated:
        return []
    last_day = dated[branch][-1][0].isoformat()
    mine = {str(c) for r in records if r.kind == "changelog_line" and fleet.same_product(r.product, pin.product)
            and versions.in_branch(r.version, branch, scheme) for c in r.data.get("cves") or ()}
    hits = []
    for record in candidates:
        try:
            other = versions.branch_of(record.version, scheme)
            if versions.is_prerelease(record.version, scheme):
                continue
        except ValueError:
            continue
        when = str(record.data.get("date") or "")[:10]
        if _sort_key(other, scheme) <= _sort_key(branch, scheme) or not when or when <= last_day:
            continue
        facts = judge.facts(record)
        for cve in record.data.get("cves") or ():
            if cve in mine:
                continue
            severity, why = policy.security([cve], judge.cves, facts)
            what = cve if why == "rating unknown" else f"{cve} ({why})"
            key = f"fix_available:{pin.product}:{pin.version}:{cve}:not_backported"
            hits.append(_Hit("fix_available", key, pin, record.version, record, severity,
                             f"{what}, not backported to {branch}"))
    return hits


def _regression_hits(pin: Pin, version: str, record: Record, carried: _ChangeIndex,
                     lazy: _LazyFacts) -> list[_Hit]:
    base = f"regression:{pin.product}:{pin.version}"
    target = _revert_target(record)
    if target:
        title, sha = target
        where = carried.find(title, sha)
        carries, how = carried.carries(where, version)
        severity = policy.revert(carries, lazy.get())
        label = f'reverts "{title}"' if title else f"reverts commit {sha[:12]}"
        detail = title_hash(title) if title else sha[:12]
        return [_Hit("regression", f"{base}:{detail}", pin, version, record, severity, f"{label} ({how})")]
    # A kernel commit says "regression" in its message body (kept as notes), not its title.
    text = " ".join([str(record.data.get("text", "")), *map(str, record.data.get("notes") or ())])
    if "regression" not in record.data.get("classes", ()) and not re.search(r"\bregress", text, re.I):
        return []
    if REGRESSION_UPDATE_RE.search(text):
        return []  # the release record carries the regression update
    clause = _regression_fix_clause(record)
    if clause is None:
        return []  # "add regression tests", "known issue: a regression in X": not a fix of one
    introduced = INTRODUCED_RE.search(clause)
    facts = lazy.get()
    fixes = [carried.find("", sha) for sha in record.data.get("fixes") or ()]
    if introduced:
        at_or_below = _at_or_below(introduced.group(1), pin)
        if at_or_below is False:
            return []  # introduced after the pin: the pin never had it
        severity = policy.regression(at_or_below, facts)
        how = f"fixes a regression introduced in {introduced.group(1)}"
    elif any(fixes):
        carries, how = carried.carries(next(f for f in fixes if f), version)
        severity = policy.regression(carries, facts)
        how = f"fixes a regression ({how})"
    else:
        severity = policy.regression(None, facts)
        how = "fixes a regression (where it came from is not said)"
    detail = title_hash(str(record.data.get("title") or record.data.get("text", "")))
    return [_Hit("regression", f"{base}:{detail}", pin, version, record, severity, how)]


def _regression_fix_clause(record: Record) -> str | None:
    """The clause that says a regression is fixed, or None.

    The fixing word must be in the same clause as the regression ("fix a regression
    introduced in 1.10.2"), or be the commit's title when the regression is told in
    the message body; "regression test(s)" does not count as a regression.
    """
    title = str(record.data.get("title") or record.data.get("text", ""))
    notes = [str(n) for n in record.data.get("notes") or ()]
    title_fixes = bool(FIXING_RE.search(title))
    for text, by_title in ((str(record.data.get("text", "")), False), *((n, title_fixes) for n in notes)):
        for clause in _CLAUSE_RE.split(REGRESSION_TESTS_RE.sub(" ", text)):
            if re.search(r"\bregress", clause, re.I) and (by_title or FIXING_RE.search(clause)):
                return clause
    return None


def _regression_update_hits(pin: Pin, version: str, record: Record, releases: _ReleaseIndex) -> list[_Hit]:
    """A Debian upload that only repairs the previous one: the pin carries the breakage if it is that one."""
    scheme = versions.scheme_for(pin.product)
    broken = releases.previous(record)
    carries = bool(broken) and scheme == "deb" and versions.compare(pin.version, broken, "deb") >= 0
    # The pin on the broken upload carries the regression; an older pin would step onto it.
    severity = policy.regression(True if carries else None, policy.LineFacts("regression update"))
    how = f"is a regression update repairing {broken}" if broken else "is a regression update"
    key = f"regression:{pin.product}:{pin.version}:update:{record.version}"
    return [_Hit("regression", key, pin, version, record, severity, how)]


class _ReleaseIndex:
    """Each product's release versions in Debian order, sorted once (not once per regression update)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records
        self._by_product: dict[str, tuple[list[Any], list[str]]] | None = None

    def previous(self, record: Record) -> str:
        """The newest release of the record's product older than it, or ''."""
        if self._by_product is None:
            grouped: dict[str, list[tuple[Any, str]]] = {}
            for r in self.records:
                if r.kind == "release":
                    grouped.setdefault(r.product, []).append((_sort_key(r.version, "deb"), r.version))
            self._by_product = {}
            for product, releases in grouped.items():
                releases.sort(key=lambda pair: pair[0])  # stable: equal versions keep the records' order
                self._by_product[product] = ([key for key, _ in releases], [v for _, v in releases])
        keys, names = self._by_product.get(record.product, ([], []))
        index = bisect.bisect_left(keys, _sort_key(record.version, "deb"))
        if not index:
            return ""
        # several strings can sort equal ('1.0', '1.00'): the first of them, as max() picked
        return names[bisect.bisect_left(keys, keys[index - 1])]


class _ChangeIndex:
    """Where each change (by title or commit sha) first shipped, in the pin's version order."""

    def __init__(self, pin: Pin, records: Sequence[Record]) -> None:
        self.pin = pin
        self.scheme = versions.scheme_for(pin.product)
        self.records = records
        self._first: dict[str, str] | None = None  # built on the first revert: most runs have none

    @property
    def first(self) -> dict[str, str]:
        if self._first is None:
            self._first = self._index()
        return self._first

    def _index(self) -> dict[str, str]:
        """Title hash and sha -> the earliest version shipping it. Versions are ranked once (a
        changelog has thousands of lines but few versions), so each line costs a dict lookup."""
        lines: list[tuple[str, list[str]]] = []
        for record in self.records:
            if record.kind != "changelog_line" or _revert_target(record):
                continue
            version = _version_for(self.pin, record)
            if version is None:
                continue
            names = [title_hash(str(record.data.get("title") or record.data.get("text", "")))]
            names += [str(record.data.get(k))[:12] for k in ("sha", "upstream_sha") if record.data.get(k)]
            lines.append((version, names))
        rank = self._ranks({version for version, _ in lines})
        first: dict[str, str] = {}
        for version, names in lines:
            for name in names:
                if name not in first or rank[version] < rank[first[name]]:
                    first[name] = version
        return first

    def _ranks(self, found: set[str]) -> dict[str, int]:
        """version -> its place in the pin's order; versions that compare equal share a place."""
        ranks: dict[str, int] = {}
        place, previous = -1, None
        for version in sorted(found, key=lambda v: _sort_key(v, self.scheme)):
            key = _sort_key(version, self.scheme)
            if previous is None or previous < key:
                place += 1
            ranks[version], previous = place, key
        return ranks

    def find(self, title: str, sha: str) -> str:
        """The earliest version carrying the change, or ''."""
        for name in (title_hash(title) if title else "", sha[:12]):
            if name and name in self.first:
                return self.first[name]
        return ""

    def carries(self, shipped: str, reverted_in: str) -> tuple[bool | None, str]:
        """Does the pin carry the change? True, False, or None when the change was never read."""
        if not shipped:
            return None, "the change is not in the changelogs read"
        if not self._older(shipped, reverted_in):
            return False, f"added and reverted in {reverted_in}"
        spec = self.pin.parsed()
        if spec.is_branch or not self._older(spec.version, shipped):
            return True, f"shipped in {shipped}, which the pin carries"
        return False, f"shipped in {shipped}, after the pin: avoid it"

    def _older(self, a: str, b: str) -> bool:
        return _sort_key(a, self.scheme) < _sort_key(b, self.scheme)


@functools.lru_cache(maxsize=4096)
def _sort_key(version: str, scheme: str) -> tuple[Any, ...]:
    """versions.sort_key, remembered: an index over a whole changelog compares the same few versions."""
    return versions.sort_key(version, scheme)


def _revert_target(record: Record) -> tuple[str, str] | None:
    """(title, sha) of the change a line reverts, or None."""
    data = record.data
    title = str(data.get("reverts") or "")
    sha = str(data.get("reverts_sha") or "")
    text = str(data.get("title") or data.get("text", ""))
    if not title:
        match = REVERT_RE.search(text)
        title = match.group(1) if match else ""
    if not sha:
        match = REVERT_SHA_RE.search(text)
        sha = match.group(1) if match else ""
    return (title, sha) if title or sha else None


def _version_for(pin: Pin, record: Record) -> str | None:
    """The record's version in the pin's terms, or None when the record is not about the pin."""
    if fleet.same_product(pin.product, record.product):
        return record.version
    prefix, _, name = record.product.partition(":")
    if prefix == "debian" and fleet.same_product(name, pin.product):
        return str(record.data.get("upstream") or upstream_of(record.version))
    return None


def upstream_of(debian_version: str) -> str:
    """'6.1.170-1' -> '6.1.170'; '1:3.16.84-1' -> '3.16.84'."""
    try:
        return DebVersion(debian_version).upstream_version or debian_version
    except ValueError:
        return debian_version


def _at_or_below(introduced: str, pin: Pin) -> bool | None:
    """Is a version at or below the pin? None when the two cannot be compared."""
    spec = pin.parsed()
    scheme, mine = spec.scheme, spec.version
    if scheme == "deb":
        scheme, mine = "plain", upstream_of(mine)
    try:
        if spec.is_branch:
            branch = versions.branch_of(introduced, scheme)
            return versions.sort_key(branch, scheme) <= versions.sort_key(mine, scheme)
        return versions.compare(introduced, mine, scheme) <= 0
    except ValueError:
        return None


def _group(hits: list[_Hit]) -> list[list[_Hit]]:
    groups: dict[str, list[_Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.key, []).append(hit)
    return list(groups.values())


def _event(source: str, group: list[_Hit]) -> Event:
    scheme = versions.scheme_for(group[0].pin.product)
    first = min(group, key=lambda h: _sort_key(h.version, scheme))
    severity = str(loudest(h.severity for h in group))
    pin, record = first.pin, first.record
    where = f"{record.product} {record.version}"
    if first.version != record.version:
        where = f"{first.version} ({where})"
    text = " ".join(str(record.data.get("title") or record.data.get("text", "")).split())
    label = fleet.pin_label(pin)
    if first.key.endswith(":not_backported"):
        summary = f"Fix for {first.what}: only in {where}, for {label}: {text}"
    elif first.kind == "fix_available":
        summary = f"Fix for {first.what} available for {label} in {where}: {text}"
    else:
        summary = f"Regression for {label}: {where} {first.what}"
        summary += "" if first.what.startswith("reverts") else f": {text}"
    data = {"fixed_in": first.version, "record_version": record.version, "record_product": record.product,
            "pin": pin.version, "text": text, "versions": sorted({h.version for h in group}),
            "detail": first.what, "cves": list(record.data.get("cves") or []),
            # the releases that bring it, as their own source names them: what makes a new release
            # of the pin's branch worth a warning (bot.judge.policy.pinned_release)
            "brought_by": sorted({f"{h.record.product} {h.record.version}" for h in group})}
    return Event(first.kind, severity, pin.product, pin.version, first.key, summary[:500], source, data)
