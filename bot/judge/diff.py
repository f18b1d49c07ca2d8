"""Diff a source's last good snapshot against the new one: a pure function.

It produces the generic events (new_release, release_withdrawn, release_notes_edited)
and refuses, as a SourceError, a snapshot that suddenly holds far fewer records than
the last good one: a broken upstream must never look like "everything was removed".
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core import versions
from bot.core.errors import SourceError
from bot.core.model import Event, Record, Snapshot

SHRINK_RATIO = 0.5  # fewer than half the records of the last good run: broken, not removals
SHRINK_FLOOR = 4  # below this many records a drop proves nothing either way
PLURAL = {"release": "releases", "branch": "branches"}  # records with a version order, newest last
NEWEST_KINDS = tuple(PLURAL)
ACCEPT_HINT = "if upstream really dropped them, rename the source in sources.yaml to record a new baseline"


@dataclass(frozen=True)
class Diff:
    seen: tuple[Record, ...]  # every record of the snapshot
    new_or_changed: tuple[Record, ...]  # records to (re)write in full
    added: tuple[Record, ...]  # keys not present in the last good run
    gone: tuple[Record, ...]  # missing for a second poll in a row: confirmed gone
    missing: tuple[Record, ...]  # missing for the first time: news only if the next poll agrees
    events: tuple[Event, ...]


def diff(
    previous: Sequence[Record],
    snapshot: Snapshot,
    *,
    source: str,
    detected: str,
    gone_before: Iterable[str] = (),
    missing_before: Iterable[str] = (),
) -> Diff:
    """Compare `previous` (present records of the last good run) with `snapshot`.

    `detected` (an ISO time) makes the keys of withdrawal events unique to this
    disappearance; `gone_before` lists keys that were withdrawn earlier, so that a
    version coming back is news rather than silence. A record is gone only when it is
    missing from two polls in a row (`missing_before` lists those missing last time): a
    CDN answering an old copy once must not page "withdrawn", then "listed again".
    """
    current = _unique(snapshot.records)
    before = {r.key: r for r in previous}
    check_shrink(before.values(), current.values(), complete=snapshot.complete)
    check_newest_kept(before.values(), current.values(), complete=snapshot.complete)
    prior_digests = {key: r.digest() for key, r in before.items()}

    added = [r for key, r in current.items() if key not in before]
    changed = [r for key, r in current.items() if key in before and prior_digests[key] != r.digest()]
    absent = _gone(before, current, snapshot.complete)
    confirmed = set(missing_before)
    gone = [r for r in absent if r.key in confirmed]
    missing = [r for r in absent if r.key not in confirmed]
    returned = set(gone_before)
    events = [
        *_release_events(added, returned, source, detected),
        *_withdrawal_events(gone, source, detected),
        *_notes_events(before, current, added, gone, source),
    ]
    return Diff(
        seen=tuple(current.values()),
        new_or_changed=tuple(added + changed),
        added=tuple(added),
        gone=tuple(gone),
        missing=tuple(missing),
        events=tuple(events),
    )


def check_shrink(before: Iterable[Record], after: Iterable[Record], *, complete: bool) -> None:
    """Raise SourceError when a complete snapshot lost most of what it had."""
    if not complete:
        return
    old, new = list(before), list(after)
    for label, pick in (("releases", _is_release), ("records", lambda r: True)):
        had = sum(1 for r in old if pick(r))
        has = sum(1 for r in new if pick(r))
        if had >= SHRINK_FLOOR and has < had * SHRINK_RATIO:
            raise SourceError(
                f"returned {has} {label} where the last good run had {had}: "
                f"treated as a broken response, not as withdrawals ({ACCEPT_HINT})"
            )


def check_newest_kept(before: Iterable[Record], after: Iterable[Record], *, complete: bool) -> None:
    """Raise SourceError when a complete snapshot lost its newest releases (or branches) but kept older ones.

    Upstreams withdraw a bad release now and then, rarely the two newest at once while every
    older one stays: that shape is a cut or stale copy (a CDN serving half a file). One newest
    release gone is left to the diff (a withdrawal, confirmed over time).
    """
    if not complete:
        return
    listed = {(r.kind, r.product, r.version) for r in after}
    known: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in before:
        if r.kind in NEWEST_KINDS and r.version:
            known[(r.kind, r.product)].add(r.version)
    for (kind, product), names in known.items():
        scheme = versions.scheme_for(product)
        ordered = sorted(names, key=lambda v: versions.sort_key(v, scheme))
        lost = [v for v in ordered if (kind, product, v) not in listed]
        newest_lost = len(lost) >= 2 and lost == ordered[len(ordered) - len(lost):]
        if newest_lost and len(lost) < len(ordered):
            raise SourceError(
                f"the {len(lost)} newest {product} {PLURAL[kind]} ({lost[0]} to {lost[-1]}) are missing while older "
                f"ones are listed: treated as a cut or stale copy, not as withdrawals ({ACCEPT_HINT})"
            )


def _unique(records: Iterable[Record]) -> dict[str, Record]:
    unique: dict[str, Record] = {}
    for record in records:
        unique.setdefault(record.key, record)
    return unique


def _is_release(record: Record) -> bool:
    return record.kind == "release"


def _gone(before: dict[str, Record], current: dict[str, Record], complete: bool) -> list[Record]:
    missing = [r for key, r in before.items() if key not in current]
    if complete:
        return missing
    # A partial view (the latest N) only proves removals inside what it still shows: lines of
    # releases it still lists, and branches when it lists branches (kernel.org shows them all).
    shown = {(r.product, r.version) for r in current.values() if _is_release(r)}
    lists_branches = any(r.kind == "branch" for r in current.values())
    return [
        r for r in missing
        if (r.kind == "changelog_line" and (r.product, r.version) in shown)
        or (r.kind == "branch" and lists_branches)
    ]


def _release_events(added: list[Record], returned: set[str], source: str, detected: str) -> list[Event]:
    # How much of each release's notes the source read: none means it cannot tell what a release
    # brings (kernel.org's list, an apt index, empty GitHub notes), which bot.judge.policy must know.
    read = Counter((r.product, r.version) for r in added if r.kind == "changelog_line")
    events = []
    for r in filter(_is_release, added):
        date = r.data.get("date") or ""
        title = f"{r.product} {r.version}"
        data = {k: r.data[k] for k in ("date", "title", "url", "prerelease") if k in r.data}
        data["lines_read"] = read[(r.product, r.version)]
        if r.key in returned:
            events.append(
                Event("new_release", "warning", r.product, r.version,
                      f"new_release:{r.product}:{r.version}:returned:{detected}",
                      f"{title} is listed again after being withdrawn", source, data)
            )
        else:
            summary = f"{title} released" + (f" ({date})" if date else "")
            events.append(
                Event("new_release", "info", r.product, r.version, f"new_release:{r.product}:{r.version}",
                      summary, source, data)
            )
    return events


def _withdrawal_events(gone: list[Record], source: str, detected: str) -> list[Event]:
    return [
        Event(
            "release_withdrawn",
            "info" if r.data.get("from_index") else "warning",  # indexes drop superseded builds daily
            r.product,
            r.version,
            f"release_withdrawn:{r.product}:{r.version}:{detected}",
            f"{r.product} {r.version} is no longer in the repository index (superseded or removed)"
            if r.data.get("from_index") else f"{r.product} {r.version} is no longer listed upstream",
            source,
            {"last_date": r.data.get("date", ""), "from_index": bool(r.data.get("from_index"))},
        )
        for r in gone
        if _is_release(r)
    ]


def _notes_events(
    before: dict[str, Record],
    current: dict[str, Record],
    added: list[Record],
    gone: list[Record],
    source: str,
) -> list[Event]:
    """Lines added to or removed from the notes of a version seen before."""
    known_versions = {(r.product, r.version) for r in before.values()}
    changes: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: {"added": [], "removed": []})
    for r in added:
        if r.kind == "changelog_line" and (r.product, r.version) in known_versions:
            changes[(r.product, r.version)]["added"].append(str(r.data.get("text", "")))
    still_listed = {(r.product, r.version) for r in current.values()}
    for r in gone:
        if r.kind == "changelog_line" and (r.product, r.version) in still_listed:
            changes[(r.product, r.version)]["removed"].append(str(r.data.get("text", "")))
    events = []
    for (product, version), change in sorted(changes.items()):
        lines = sorted(k for k, r in current.items() if (r.product, r.version) == (product, version))
        fingerprint = hashlib.sha1("\n".join(lines).encode()).hexdigest()[:12]
        parts = [f"{len(v)} line(s) {k}" for k, v in change.items() if v]
        events.append(
            Event(
                "release_notes_edited",
                "info",
                product,
                version,
                f"release_notes_edited:{product}:{version}:{fingerprint}",
                f"notes of {product} {version} edited after release: {', '.join(parts)}",
                source,
                change,
            )
        )
    return events
