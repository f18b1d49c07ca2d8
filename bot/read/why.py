"""`trackbot why VERSION`: the whole story of a version (or a branch), oldest first.

Releases with their dates and the changelog lines that matter, the events detected,
the alerts sent, the fleet pins naming it and the team's notes, gathered from the
history into one plain dict, so that `--json` and the console show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import versions
from bot.core.alert import Alert
from bot.core.model import Pin
from bot.core.release_numbers import maybe_in_branch
from bot.core.version_keys import version_key
from bot.judge import fleet
from bot.store.history import Store, StoredEvent, StoredRecord
from bot.store.reads import product_versions, product_versions_above

MATTERS = ("fix", "revert", "regression", "security", "deprecation")


def concerns(product: str, version: str, query: str) -> bool:
    """True when `version` of `product` is the queried version or lies in the queried branch."""
    if not version:
        return False
    scheme = versions.scheme_for(product)
    try:
        if versions.compare(version, query, scheme) == 0:
            return True
        return versions.in_branch(version, query, scheme)
    except ValueError:
        return version == query


def candidate_versions(query: str) -> tuple[list[str], list[str]]:
    """The versions the history is asked for: SQL narrows, `concerns` decides.

    Prefixes: the query itself (the version and every version of its branch), with a `v` and
    without trailing `.0`s (7.20 is 7.20.0). Exact: every branch above it (1 and 1.10 for 1.10.3),
    whose branch news belongs to its story.
    """
    bare = query[1:] if query[:1] in ("v", "V") and query[1:2].isdigit() else query
    short = bare
    while short.endswith(".0"):
        short = short[:-2]
    wide = {short, f"v{short}"} - {""}
    prefixes = sorted(p for p in wide | {bare} if not any(p != w and p.startswith(w) for w in wide))
    cuts = [i for i, ch in enumerate(bare) if ch in ".-~+:"]
    exact = {bare[:i] for i in cuts} | {f"v{bare[:i]}" for i in cuts} | {query}
    return sorted(e for e in exact if not any(e.startswith(p) for p in prefixes)), prefixes


def story(store: Store, pins: Sequence[Pin], query: str, product: str | None = None) -> dict[str, Any]:
    def about(row_product: str) -> bool:
        return not product or fleet.same_product(row_product or "", product)

    exact, prefixes = candidate_versions(query)
    verdicts: dict[tuple[str, str], bool] = {}  # a release's lines share its version: decide once

    def concerned(row_product: str, version: str) -> bool:
        if (row_product, version) not in verdicts:
            verdicts[row_product, version] = about(row_product) and concerns(row_product, version, query)
        return verdicts[row_product, version]

    rows = [r for r in store.records_with_versions(exact, prefixes) if concerned(r.record.product, r.record.version)]
    releases = _releases(rows)
    events = [e for e in store.events_with_versions(exact, prefixes) if about(e.product) and (
        concerns(e.product, e.version, query) or _about_its_branch(e, query))]
    events.sort(key=lambda e: (e.detected_at, e.product, _order(e.product, e.version), e.key))
    sent = sorted(store.alerts(event_keys=[e.key for e in events]), key=lambda a: (a.created_at, a.id))
    story_pins = [p for p in pins if about(p.product)
                  and (concerns(p.product, p.version, query) or concerns(p.product, query, p.version))]
    return {
        "query": {"version": query, "product": product or ""},
        "releases": releases,
        "events": [_event(e) for e in events],
        "alerts": [_alert(a) for a in sent],
        "pins": [{"product": p.product, "version": p.version, "distro": p.distro} for p in story_pins],
        "upgrades": upgrades(store, story_pins),
        "notes": [n for n in store.notes() if about(n["product"]) and concerns(n["product"] or "", n["version"], query)],
    }


def upgrades(store: Store, pins: Sequence[Pin]) -> list[dict[str, str]]:
    """For each exact pin, the `trackbot changes` command to read before upgrading: to the newest
    release of its branch, or, when the branch has nothing newer (abandoned, ended), to the smallest
    release that brings every critical fix waiting for the pin (docker 1.10.3 -> 1.12.6)."""
    out = []
    for pin in pins:
        try:
            spec = versions.parse_pin(pin.product, pin.version)
            if spec.is_branch:
                continue
            branch = versions.branch_of(spec.version, spec.scheme)
        except ValueError:
            continue
        newest = _newest_in_branch(store, pin, branch) or _smallest_fixing(store, pin)
        if not newest:
            continue
        out.append({"product": pin.product, "from": pin.version, "to": newest,
                    "command": f"trackbot changes {pin.version} {newest} --product {pin.product}"})
    return out


def _newest_in_branch(store: Store, pin: Pin, branch: str) -> str:
    """The newest release of the pin's branch newer than the pin, "" if none. Read down from the
    newest of the versions above the pin (the version-key index), so the first one in the
    branch is the answer: a long history costs the releases newer than the pin that are not in
    its branch, tested by their numbers first. Without a key (not a version of the scheme),
    every release of the product is tested exactly."""
    scheme = versions.scheme_for(pin.product)
    low = version_key(pin.product, pin.version)
    if low is None:
        newer = fleet.newer_in_branch(pin, [v for v in product_versions(store, pin.product, "release")
                                            if maybe_in_branch(v, branch, scheme)])
        return newer[-1] if newer else ""
    for candidate in product_versions_above(store, pin.product, "release", low):
        found = fleet.newer_in_branch(pin, [candidate]) if maybe_in_branch(candidate, branch, scheme) else []
        if found:
            return found[0]  # as newer_in_branch spells it (normalized), like the path above
    return ""


def _smallest_fixing(store: Store, pin: Pin) -> str:
    """The highest `fixed_in` of the critical fixes waiting for an exact pin: the smallest upgrade bringing them all."""
    if pin.spec is None or pin.spec.is_branch:
        return ""
    scheme = pin.spec.scheme
    fixes = [str(e.data.get("fixed_in") or "") for e in store.events_with_versions([pin.version], [])
             if e.kind == "fix_available" and e.severity == "critical" and fleet.same_product(e.product, pin.product)]
    return max(filter(None, fixes), key=lambda v: versions.sort_key(v, scheme), default="")


def _about_its_branch(event: StoredEvent, query: str) -> bool:
    """Branch news (EOL, dropped) belongs to the story of every version of that branch."""
    if not event.kind.startswith("branch_") or not event.version:
        return False
    try:
        return versions.in_branch(query, event.version, versions.scheme_for(event.product))
    except ValueError:
        return False


def _releases(rows: list[StoredRecord]) -> list[dict[str, Any]]:
    by_version: dict[tuple[str, str], dict[str, Any]] = {}
    listed: set[tuple[str, str]] = set()  # still listed by some source: not withdrawn
    for row in rows:
        record, data = row.record, row.record.data
        if record.kind not in ("release", "changelog_line"):
            continue
        entry = by_version.setdefault(
            (record.product, record.version),
            {"product": record.product, "version": record.version, "date": "", "first_seen_at": "",
             "withdrawn_at": None, "sources": [], "lines": []},
        )
        if row.source not in entry["sources"]:
            entry["sources"].append(row.source)
        if record.kind == "release":
            entry["date"] = entry["date"] or data.get("date", "")
            entry["first_seen_at"] = min(filter(None, [entry["first_seen_at"], row.first_seen_at]), default="")
            if row.gone_at is None:
                listed.add((record.product, record.version))
            entry["withdrawn_at"] = max(filter(None, [entry["withdrawn_at"], row.gone_at]), default=None)
        elif _matters(data.get("classes", [])):
            entry["lines"].append({"text": data.get("text", ""), "classes": data.get("classes", []),
                                   "section": data.get("section", "")})
    for key in listed:
        by_version[key]["withdrawn_at"] = None
    return sorted(by_version.values(), key=lambda e: (e["product"], _order(e["product"], e["version"])))


def _matters(classes: list[str]) -> bool:
    return any(c in MATTERS or c.startswith("watch:") for c in classes)


def _order(product: str, version: str) -> Any:
    return versions.sort_key(version, versions.scheme_for(product))


def _event(e: StoredEvent) -> dict[str, Any]:
    return {"kind": e.kind, "severity": e.severity, "product": e.product, "version": e.version, "key": e.key,
            "detected_at": e.detected_at, "summary": e.summary, "source": e.source, "baseline": e.baseline,
            "pins": e.data.get("pins")}


def _alert(a: Alert) -> dict[str, Any]:
    return {"id": a.id, "kind": a.kind.value, "severity": a.severity, "title": a.title, "created_at": a.created_at,
            "state": a.state.value, "sent_at": a.sent_at or None, "channel": a.channel or None}
