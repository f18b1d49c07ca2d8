"""Read-only questions the read commands ask the history (part of the store: it owns SQL).

Kept apart from bot/store/history.py so the write path stays small and the read side (`events`,
`incidents`, `search`, the digest) can grow without touching it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import versions as fleet  # product names: canonical_product, same_product, ALIAS_NAMES
from bot.store.history import SEARCH_WINDOW, Store, StoredRecord
from bot.store.rows import select_rows, stored_record


def known_products(store: Store) -> set[str]:
    """Every product name the history has a record or an event about."""
    rows = store.db.execute(
        "select distinct product from records where product != '' "
        "union select distinct product from events where product != ''"
    ).fetchall()
    return {str(row[0]) for row in rows if row[0]}


def has_product(store: Store, product: str) -> bool:
    """Does the history hold a record or an event about `product` (under any of its names)?"""
    names = product_names(product)
    marks = ",".join("?" * len(names))
    return any(store.db.execute(f"select 1 from {table} where lower(product) in ({marks}) limit 1", names).fetchone()
               for table in ("records", "events"))


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


def product_names(product: str) -> list[str]:
    """Every lower-case name the history may store `product` under (its aliases: moby is docker),
    for `lower(product) in (...)`, which the m007 expression indexes answer as ranges."""
    names = {product.strip().lower(), fleet.canonical_product(product)}
    return sorted(names | {n.lower() for n in fleet.ALIAS_NAMES if fleet.same_product(n, product)})


def _json(field: str) -> str:
    return f"nullif(json_extract(records.data, '$.{field}'), '')"


# A hit's text and date, extracted in SQL (cheaper than decoding each row's JSON in Python): the
# line's own date, else its advisory's, else its release's (one m007 index lookup), else first seen.
_HIT_COLUMNS = (
    "records.product, records.version, records.source, records.kind, records_fts.rank, "
    "records.text, "
    f"coalesce({_json('date')}, {_json('published')}, (select nullif(json_extract(release.data, '$.date'), '') "
    "from records as release indexed by records_lower_product_kind_version where lower(release.product) = lower(records.product) and release.kind = 'release' "
    "and release.version = records.version and nullif(json_extract(release.data, '$.date'), '') is not null "
    "order by release.rowid limit 1), records.first_seen_at)"
)


def search_hits(store: Store, words: list[str], product: str | None = None) -> list[SearchHit]:
    """Changelog lines, advisories, announcements and CVE texts holding every word (FTS5: words, not
    JSON keys, ranked by bm25), and incidents.

    The newest SEARCH_WINDOW matching lines are read (a common word costs the same at any
    history size), each with the date of its release, looked up for those lines only (_HIT_COLUMNS).
    """
    query = " ".join('"' + w.replace('"', '""') + '"' for w in words if w.strip())
    if not query:
        return []
    where, params = "records_fts match ? and +records.kind in ('changelog_line', 'advisory', 'cve', 'announcement')", [query]
    if product:
        names = product_names(product)
        where += f" and lower(+records.product) in ({','.join('?' * len(names))})"  # FTS drives, not an index
        params += names
    rows = store.db.execute(f"select {_HIT_COLUMNS} from records_fts join records on records.rowid = records_fts.rowid "
                            f"where {where} order by records_fts.rowid desc limit ?", [*params, SEARCH_WINDOW])
    hits = [SearchHit(row_product, version or "", str(date or "")[:10], source, kind, str(text or ""), float(rank))
            for row_product, version, source, kind, rank, text, date in rows]
    lowered = [w.lower() for w in words]
    incident_clauses = " and ".join("(lower(summary) like ? or lower(key) like ?)" for _ in lowered) or "1"
    for row in store.db.table("incidents").rows_where(incident_clauses, [f"%{w}%" for w in lowered for _ in (0, 1)]):
        if not product or fleet.same_product(row["product"] or "", product):
            hits.append(SearchHit(row["product"] or "", row["version"] or "", (row["first_seen_at"] or "")[:10],
                                  row["source"], f"incident:{row['kind']}", row["summary"] or ""))
    return hits


# The m007 index, named: without statistics SQLite prefers the one-column `kind` index for
# `kind = ?`, which reads every release of every product (0.1 s a query at 1M records).
BY_PRODUCT = "records indexed by records_lower_product_kind_version"
BY_VERSION_KEY = "records indexed by records_lower_product_kind_version_key"  # m010


def product_versions(store: Store, product: str, kind: str) -> list[str]:
    """The distinct versions of `product`'s records of one kind, read from the m007 index alone."""
    names = product_names(product)
    rows = store.db.execute(f"select distinct version from {BY_PRODUCT} where lower(product) in "
                            f"({','.join('?' * len(names))}) and kind = ?", [*names, kind])
    return [str(row[0]) for row in rows if row[0]]


def product_records(store: Store, product: str, kinds: Sequence[str],
                    versions: Sequence[str] | None = None, *, dates_only: bool = False) -> list[StoredRecord]:
    """`product`'s records (gone or not) of these kinds, of these versions only when given.
    `dates_only`: each record's data is just its `date` (the digest's pin rows read thousands of
    releases for their dates; decoding their notes was most of the cost)."""
    names = product_names(product)
    where = (f"lower(product) in ({','.join('?' * len(names))}) "
             f"and kind in ({','.join('?' * len(kinds))})")
    data = "json_object('date', json_extract(data, '$.date'))" if dates_only else "data"
    if versions is None:
        return [row for _, row in _records(store, where, [*names, *kinds], data=data)]
    found: list[tuple[int, StoredRecord]] = []
    wanted = list(dict.fromkeys(versions))
    for start in range(0, len(wanted), 500):  # SQLite's parameter limit
        chunk = wanted[start:start + 500]
        found += _records(store, f"{where} and version in ({','.join('?' * len(chunk))})", [*names, *kinds, *chunk],
                          data=data)
    return [row for _, row in sorted(found, key=lambda pair: pair[0])]  # history order, as one query gives


def product_versions_above(store: Store, product: str, kind: str, low_key: str) -> Iterator[str]:
    """The versions of `product`'s records of one kind whose version key is above `low_key`, newest
    first, read as the caller goes (it stops at the first it wants): one range of the m010 index."""
    names = product_names(product)
    rows = store.db.execute(f"select version from {BY_VERSION_KEY} where lower(product) in "
                            f"({','.join('?' * len(names))}) and kind = ? and version_key > ? "
                            f"order by version_key desc", [*names, kind, low_key])
    return (str(row[0]) for row in rows if row[0])


def product_records_between(store: Store, product: str, kinds: Sequence[str], low_key: str,
                            high_key: str) -> list[StoredRecord]:
    """`product`'s records of these kinds whose version key is in (low_key, high_key], and those
    with a version but no key (not a version of the scheme): the caller tests each version exactly.

    Two index ranges of the m010 index per (name, kind), whatever the length of the history.
    """
    names = product_names(product)
    where = (f"lower(product) in ({','.join('?' * len(names))}) "
             f"and kind in ({','.join('?' * len(kinds))})")
    found = _records(store, f"{where} and version_key > ? and version_key <= ?", [*names, *kinds, low_key, high_key],
                     BY_VERSION_KEY)
    found += _records(store, f"{where} and version_key is null and version != ''", [*names, *kinds], BY_VERSION_KEY)
    return [row for _, row in sorted(found, key=lambda pair: pair[0])]  # history order


def _records(store: Store, where: str, params: list[str], table: str = BY_PRODUCT,
             data: str = "data") -> list[tuple[int, StoredRecord]]:
    fields = "source, key, kind, product, version, digest, first_seen_at, gone_at, missing_at"
    rows = select_rows(store.db, f"select rowid as rid, {fields}, {data} as data from {table} where {where} "
                       "order by rowid", params)
    return [(int(row["rid"]), stored_record(row)) for row in rows]
