"""Read-only questions the read commands ask the history (part of the store: it owns SQL).

Kept apart from bot/store.py so the write path stays small and the read side (`events`,
`incidents`, `search`, the digest) can grow without touching it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.store import SEARCH_WINDOW, Store


def known_products(store: Store) -> set[str]:
    """Every product name the history has a record or an event about."""
    rows = store.db.execute(
        "select distinct product from records where product != '' "
        "union select distinct product from events where product != ''"
    ).fetchall()
    return {str(row[0]) for row in rows if row[0]}


def known_kinds(store: Store) -> set[str]:
    """Every event kind the history holds (kinds added by newer source kinds included)."""
    return {str(row[0]) for row in store.db.execute("select distinct kind from events").fetchall()}


@dataclass(frozen=True)
class IncidentRow:
    """An incident as `trackbot incidents` shows it, with its alert thread if one was posted."""

    key: str
    source: str
    kind: str
    severity: str
    product: str
    summary: str
    since: str
    last_seen: str
    opened_at: str
    resolved_at: str
    thread: str  # "#channel ts" of the opening alert, "" when it was not posted


def incident_rows(store: Store, *, include_resolved: bool) -> list[IncidentRow]:
    """Opened incidents, oldest first; resolved ones too with `include_resolved`."""
    where = "opened_at is not null" + ("" if include_resolved else " and resolved_at is null")
    rows = store.db.table("incidents").rows_where(where, order_by="first_seen_at, rowid")
    return [_incident_row(store, row) for row in rows]


def _incident_row(store: Store, row: dict[str, Any]) -> IncidentRow:
    opening = next(iter(store.db.table("alerts").rows_where(
        "incident_key = ? and kind = 'incident_open' and created_at <= ?",
        [row["key"], row["opened_at"] or ""], order_by="id desc", limit=1)), None)
    thread = ""
    if opening and opening.get("channel") and opening["channel"] != "console":  # the console has no thread
        thread = f"{opening['channel']} {opening.get('ts') or ''}".strip()
    return IncidentRow(row["key"], row["source"], row["kind"], row["severity"], row["product"] or "",
                       row["summary"] or "", row["first_seen_at"] or "", row["last_seen_at"] or "",
                       row["opened_at"] or "", row["resolved_at"] or "", thread)


def open_incident_counts(store: Store, opened_since: str = "") -> dict[str, int]:
    """Open incidents per source, for the status table; with `opened_since`, only those opened since then
    (the poll table says "incident opened" on the run that opened one)."""
    rows = store.db.execute(
        "select source, count(*) from incidents where opened_at is not null and resolved_at is null "
        "and opened_at >= ? group by source", [opened_since]
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


@dataclass(frozen=True)
class SearchHit:
    product: str
    version: str
    date: str
    source: str
    kind: str
    text: str
    rank: float = 0.0  # FTS5's bm25: lower is a better match (incidents have none: they come first)


def search_hits(store: Store, words: list[str]) -> list[SearchHit]:
    """Incidents, then changelog lines, advisories and CVE texts holding every word (FTS5, whole words,
    best match first: `search section` does not match a line's `section` key), with their release's date."""
    params = [f"%{w.lower()}%" for w in words]
    incident_clauses = " and ".join("(lower(summary) like ? or lower(key) like ?)" for _ in words) or "1"
    hits = [SearchHit(row["product"] or "", row["version"] or "", (row["first_seen_at"] or "")[:10], row["source"],
                      f"incident:{row['kind']}", row["summary"] or "")
            for row in store.db.table("incidents").rows_where(incident_clauses, [p for p in params for _ in (0, 1)],
                                                               order_by="first_seen_at")]
    found = store.search(words, limit=SEARCH_WINDOW)
    dates = _release_dates(store) if found else {}
    for row in found:
        data = row["data"]
        date = (data.get("date") or data.get("published") or dates.get((row["product"], row["version"] or ""))
                or (row["first_seen_at"] or "")[:10])
        hits.append(SearchHit(row["product"], row["version"] or "", str(date)[:10], row["source"], row["kind"],
                              str(row["text"] or ""), float(row["rank"])))
    return hits


def _release_dates(store: Store) -> dict[tuple[str, str], str]:
    rows = store.db.execute("select product, version, data from records where kind = 'release'").fetchall()
    out: dict[tuple[str, str], str] = {}
    for product, version, data in rows:
        date = json.loads(data or "{}").get("date")
        if date:
            out.setdefault((product, version or ""), str(date))
    return out
