"""The history: every record, event, incident and alert, in SQLite through sqlite-utils.

This module and its parts (store_outbox.py: the outbox and silences; store_rows.py: the
typed values it returns) own all SQL. `Store` stays the one entry point the poll, the
CLI and `why` call by these method names, which is why it is a little over 300 lines. One source's poll is written inside `transaction()`, so a
crash mid-run leaves the database as it was before that source. Schema changes are
migrations (`bot/migrations.py`), so an old database opens with a new version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.alerts import Alert
from bot.migrations import MIGRATIONS
from bot.model import Event, Finding, Record
from bot.silence import Silence
from bot.store_deliveries import Deliveries
from bot.store_digest_posts import DigestPosts
from bot.store_outbox import Outbox, SilenceRules, inserted_id, iso, write_transaction
from bot.store_rows import (
    Incident,
    RunTimes,
    StoredEvent,
    StoredRecord,
    incident,
    stored_event,
    stored_record,
)

SEARCH_WINDOW = 2000  # `search` ranks the newest this many matches of the words


def searchable_text(record: Record) -> str | None:
    """What `trackbot search` finds a record by; the same rule as migration m006's SQL."""
    data = record.data
    if record.kind == "changelog_line":
        return str(data.get("text") or "") or None
    if record.kind == "advisory":  # the one-line summary names id, package, release and fix
        return str(data.get("summary") or data.get("title") or "") or None
    if record.kind == "cve":
        return f"{data.get('cve', '')}: {data.get('description', '')}"
    if record.kind == "announcement":  # a DSA/DLA: its summary and CVEs (migration m008's SQL)
        return " ".join([str(data.get("summary") or data.get("title") or ""), *map(str, data.get("cves") or [])]
                        ).strip() or None
    return None


def compact_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """{source: status} -> {"counts": {status: n}, "sources": {source: status} of the notable ones}."""
    counts: dict[str, int] = {}
    for status in summary.values():
        counts[str(status)] = counts.get(str(status), 0) + 1
    notable = {name: status for name, status in summary.items() if status not in ("unchanged", "skipped")}
    return {"counts": counts, "sources": notable}


def _run_failed(summary: dict[str, Any]) -> bool:
    """Did a source fail in this run? Reads the compact summary and the older {source: status} one."""
    if isinstance(summary.get("counts"), dict):
        return bool(summary["counts"].get("failed"))
    return "failed" in summary.values()


def _version_clause(exact: Sequence[str], prefixes: Sequence[str]) -> tuple[str, list[str]]:
    """SQL selecting rows whose version is in `exact` or starts with a prefix (index ranges)."""
    clauses, params = [], []
    if exact:
        clauses.append(f"version in ({','.join('?' * len(exact))})")
        params += list(exact)
    for prefix in prefixes:
        clauses.append("(version >= ? and version < ?)")
        params += [prefix, prefix + "\U0010ffff"]
    return (" or ".join(clauses) or "0"), params


__all__ = ["Incident", "RunTimes", "Silence", "Store", "StoredEvent", "StoredRecord", "iso"]

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another trackbot's transaction


class Store:
    """The database of one trackbot installation.

    Runs, sources, records, events, incidents and notes are written here; the outbox, the
    silences (store_outbox.py), each extra destination's deliveries (store_deliveries.py) and
    the weekly digest's posts (store_digest_posts.py) are parts over the same database
    (`self.outbox`, `self.silence_rules`, `self.deliveries`, `self.digest_posts`), kept apart
    so each file stays small.
    """

    def __init__(self, db: sqlite_utils.Database, *, migrate: bool = True) -> None:
        self.db = db
        if migrate:  # a read-only database is read as it is
            with self.transaction():  # two commands opening a new database at once: one migrates, one waits
                MIGRATIONS.apply(db)
        self.outbox = Outbox(db)
        self.silence_rules = SilenceRules(db)
        self.deliveries = Deliveries(db)
        self.digest_posts = DigestPosts(db)

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open for writing. Another trackbot writing (a poll, a note) is waited for, up to
        BUSY_TIMEOUT_MS, never an error: the wait is set before anything else touches the file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, no fsync per commit
        return cls(db)

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        """Open without writing anything (a read-only file system or file): for read commands."""
        uri = Path(path).resolve().as_uri()
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError:  # WAL needs a writable -shm; nothing can change it now anyway
            conn.close()
            conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
        return cls(sqlite_utils.Database(conn), migrate=False)

    @classmethod
    def memory(cls) -> Store:
        return cls(sqlite_utils.Database(memory=True))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write. The outermost takes the write lock at once (BEGIN IMMEDIATE), so a
        writer waits its turn under busy_timeout instead of failing half-way with 'database is locked'."""
        with write_transaction(self.db):
            yield

    # the outbox and silences, for callers outside delivery (poll, CLI, why) ------------

    def queue_alert(self, alert: Alert, now: datetime) -> int:
        return self.outbox.queue(alert, now)

    def pending_alerts(self) -> list[Alert]:
        return self.outbox.pending()

    def alerts(self, *, event_keys: Iterable[str] | None = None) -> list[Alert]:
        return self.outbox.all(event_keys=event_keys)

    def add_silence(self, now: datetime, until: datetime, *, product: str, pattern: str, reason: str) -> int:
        return self.silence_rules.add(now, until, product=product, pattern=pattern, reason=reason)

    def silences(self, now: datetime, *, include_ended: bool = False) -> list[Silence]:
        return self.silence_rules.active(now, include_ended=include_ended)

    def remove_silence(self, silence_id: int, now: datetime) -> bool:
        return self.silence_rules.remove(silence_id, now)

    # runs and sources -------------------------------------------------------------

    def start_run(self, now: datetime) -> int:
        with self.transaction():
            return inserted_id(self.db.table("runs").insert({"started_at": iso(now)}))

    def finish_run(self, run_id: int, now: datetime, summary: dict[str, Any]) -> None:
        """`summary` maps each source to its status; the run row keeps counts per status and names
        only the sources that did not end unchanged or skipped, so a quiet poll adds a few bytes."""
        with self.transaction():
            self.db.table("runs").update(run_id, {"finished_at": iso(now), "summary": json.dumps(compact_summary(summary))})

    def run_times(self) -> RunTimes:
        """The newest finished run, and the newest one in which no source failed (walking back to it)."""
        latest: dict[str, Any] | None = None
        for row in self.db.table("runs").rows_where("finished_at is not null", order_by="id desc"):
            latest = latest or row
            if not _run_failed(json.loads(row["summary"] or "{}")):
                return RunTimes(latest["started_at"], latest["finished_at"], row["finished_at"])
        return RunTimes(latest["started_at"], latest["finished_at"]) if latest else RunTimes()

    def source_state(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db.table("sources").rows_where("name = ?", [name]))
        return rows[0] if rows else None

    def all_source_states(self) -> list[dict[str, Any]]:
        return list(self.db.table("sources").rows_where(order_by="name"))

    def mark_success(
        self,
        name: str,
        kind: str,
        now: datetime,
        *,
        changed: bool,
        seconds: float,
        began: datetime | None = None,
        settings_digest: str | None = None,
    ) -> None:
        """`began` (when this poll started) is what `every:` counts from; `settings_digest` what
        the records were made with (None: unchanged)."""
        state = self.source_state(name) or {}
        extra = {"settings_digest": settings_digest} if settings_digest is not None else {}
        self.db.table("sources").upsert(
            {
                **extra,
                "name": name,
                "kind": kind,
                "last_run_at": iso(began or now),
                "last_success_at": iso(now),
                "last_change_at": iso(now) if changed else state.get("last_change_at"),
                "consecutive_failures": 0,
                "failing_since": None,
                "last_duration": round(seconds, 3),
            },
            pk="name",
        )

    def mark_failure(
        self, name: str, kind: str, now: datetime, reason: str, seconds: float, *, began: datetime | None = None
    ) -> int:
        """Record a failed poll; returns the number of consecutive failures."""
        state = self.source_state(name) or {}
        failures = int(state.get("consecutive_failures") or 0) + 1
        self.db.table("sources").upsert(
            {
                "name": name,
                "kind": kind,
                "last_run_at": iso(began or now),
                "last_error": reason,
                "last_error_at": iso(now),
                "consecutive_failures": failures,
                "failing_since": state.get("failing_since") if failures > 1 else iso(now),
                "last_duration": round(seconds, 3),
            },
            pk="name",
        )
        return failures

    # conditional GET state ----------------------------------------------------------

    def http_state(self, source: str) -> dict[str, dict[str, str]]:
        rows = self.db.table("http_state").rows_where("source = ?", [source])
        return {r["url"]: {"etag": r["etag"] or "", "last_modified": r["last_modified"] or ""} for r in rows}

    def save_http_state(self, source: str, states: dict[str, dict[str, str]]) -> None:
        self.db.table("http_state").upsert_all(
            [{"source": source, "url": url, **state} for url, state in states.items()],
            pk=("source", "url"),
        )

    # records --------------------------------------------------------------------------

    def records(self, source: str, *, include_gone: bool = False) -> list[StoredRecord]:
        where = "source = ?" if include_gone else "source = ? and gone_at is null"
        return [stored_record(row) for row in self.db.table("records").rows_where(where, [source], order_by="rowid")]

    def cve_records(self) -> list[tuple[str, Record]]:
        """Every source's current `cve` records (see bot.cves), for the CVE ratings table."""
        rows = self.db.table("records").rows_where("kind = 'cve' and gone_at is null", order_by="rowid")
        return [(row["source"], stored_record(row).record) for row in rows]

    def save_records(
        self,
        source: str,
        run_id: int,
        now: datetime,
        *,
        seen: Sequence[Record],
        new_or_changed: Sequence[Record],
        gone: Iterable[str],
        missing: Iterable[str] = (),
    ) -> None:
        """Write a poll's records: new and changed ones in full, the rest only as seen.

        `missing` are records absent for the first time: marked, still present, until the
        next poll confirms them `gone` (or sees them again).
        """
        stamp = iso(now)
        rows = self.db.table("records")
        rows.upsert_all(
            [
                {
                    "source": source,
                    "key": r.key,
                    "kind": r.kind,
                    "product": r.product,
                    "version": r.version,
                    "data": json.dumps(r.data, sort_keys=True, default=str),
                    "digest": r.digest(),
                    "gone_at": None,
                    "text": searchable_text(r),
                }
                for r in new_or_changed
            ],
            pk=("source", "key"),
        )
        self.db.execute(
            "update records set first_seen_at = ?, first_seen_run = ? "
            "where source = ? and first_seen_at is null",
            [stamp, run_id, source],
        )
        self._set_many(
            "update records set last_seen_at = ?, last_seen_run = ?, gone_at = null, missing_at = null "
            "where source = ? and key = ?",
            [(stamp, run_id, source, r.key) for r in seen],
        )
        self._set_many(
            "update records set missing_at = coalesce(missing_at, ?) where source = ? and key = ?",
            [(stamp, source, key) for key in missing],
        )
        self._set_many(
            "update records set gone_at = ?, gone_run = ? where source = ? and key = ?",
            [(stamp, run_id, source, key) for key in gone],
        )

    def clear_missing(self, source: str) -> None:
        self.db.execute("update records set missing_at = null where source = ? and missing_at is not null", [source])

    def _set_many(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self.db.conn.executemany(sql, params)

    def records_about(self, products: Sequence[str] | None) -> list[StoredRecord]:
        """Every record (gone or not) of the given products, or of all products."""
        if products:
            marks = ",".join("?" * len(products))
            rows = self.db.table("records").rows_where(f"lower(product) in ({marks})", [p.lower() for p in products])
        else:
            rows = self.db.table("records").rows_where()
        return [stored_record(row) for row in rows]

    def records_with_versions(self, exact: Sequence[str], prefixes: Sequence[str]) -> list[StoredRecord]:
        """Records (gone or not) whose version is one of `exact` or starts with one of `prefixes`.

        Each prefix is an index range (`version >= p and version < p + U+10FFFF`), so `why`
        reads only the candidates, never the whole history; the caller decides which match.
        """
        where, params = _version_clause(exact, prefixes)
        rows = self.db.table("records").rows_where(where, params, order_by="rowid")
        return [stored_record(row) for row in rows]

    def search(self, words: Sequence[str], limit: int = 200) -> list[dict[str, Any]]:
        """Changelog lines, advisories and CVE descriptions holding every word, best match first.

        An FTS5 query over `records.text` (see migration m006): words, not substrings of the
        stored JSON, so `search section` does not match a line's `section` key. Ranked (bm25)
        among the newest SEARCH_WINDOW matches, so a common word costs the same at any history size.
        """
        query = " ".join('"' + w.replace('"', '""') + '"' for w in words if w.strip())
        if not query:
            return []
        newest = "select rowid, rank from records_fts where records_fts match ? order by rowid desc limit ?"
        rows = self.db.execute(
            f"select records.*, hits.rank as rank from ({newest}) as hits join records on records.rowid = hits.rowid "
            "order by hits.rank, records.product, records.version limit ?",
            [query, SEARCH_WINDOW, limit],
        )
        columns = [c[0] for c in rows.description]
        found = [dict(zip(columns, row, strict=True)) for row in rows.fetchall()]
        return [{**row, "data": json.loads(row["data"] or "{}")} for row in found]

    # events -----------------------------------------------------------------------------

    def add_events(self, events: Sequence[Event], run_id: int, now: datetime) -> list[Event]:
        """Insert events whose key is new; returns only those (a fact is never stored twice).

        One lookup for the keys already stored and one bulk insert, whatever the number of events.
        """
        known: set[str] = set()
        keys = list(dict.fromkeys(e.key for e in events))
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(row[0] for row in self.db.execute(f"select key from events where key in ({marks})", chunk))
        fresh: list[Event] = []
        for event in events:
            if event.key not in known:
                known.add(event.key)
                fresh.append(event)
        stamp = iso(now)
        self.db.table("events").insert_all(
            (
                {
                    "key": event.key,
                    "kind": event.kind,
                    "severity": event.severity,
                    "product": event.product,
                    "version": event.version,
                    "source": event.source,
                    "summary": event.summary,
                    "data": json.dumps(event.data, sort_keys=True, default=str),
                    "detected_at": stamp,
                    "run_id": run_id,
                    "baseline": int(event.baseline),
                }
                for event in fresh
            ),
            pk="key",
        )
        return fresh

    def events(
        self,
        *,
        since: datetime | None = None,
        products: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        limit: int | None = None,
        news_only: bool = False,
    ) -> list[StoredEvent]:
        """Events oldest first; `limit`: only the newest `limit` of them; `news_only`: no baseline facts."""
        return list(self.iter_events(since=since, products=products, kinds=kinds, limit=limit, news_only=news_only))

    def iter_events(
        self,
        *,
        since: datetime | None = None,
        products: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        limit: int | None = None,
        news_only: bool = False,
    ) -> Iterator[StoredEvent]:
        """`events`, one row at a time from the cursor, so `events --json` memory stays flat."""
        clauses: list[str] = []
        params: list[str | int] = []
        if since:
            clauses.append("detected_at >= ?")
            params.append(iso(since))
        if products:
            clauses.append(f"lower(product) in ({','.join('?' * len(products))})")
            params += [p.lower() for p in products]
        if kinds:
            clauses.append(f"kind in ({','.join('?' * len(kinds))})")
            params += list(kinds)
        if news_only:
            clauses.append("baseline = 0")
        where = " where " + " and ".join(clauses) if clauses else ""
        if limit is None:
            sql = f"select rowid, * from events{where} order by detected_at, rowid"
        else:
            newest = f"select rowid as rid, * from events{where} order by detected_at desc, rowid desc limit ?"
            sql = f"select * from ({newest}) order by detected_at, rid"
            params.append(limit)
        cursor = self.db.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        for row in cursor:
            yield stored_event({k: v for k, v in zip(columns, row, strict=True) if k not in ("rowid", "rid")})

    def events_with_versions(self, exact: Sequence[str], prefixes: Sequence[str]) -> list[StoredEvent]:
        """Events whose version is one of `exact` or starts with a prefix, oldest first (for `why`)."""
        where, params = _version_clause(exact, prefixes)
        rows = self.db.table("events").rows_where(where, params, order_by="detected_at, rowid")
        return [stored_event(row) for row in rows]

    # incidents --------------------------------------------------------------------------

    def live_incidents(self, source: str) -> dict[str, dict[str, Any]]:
        """Incidents of a source not resolved yet, opened or still pending, by key."""
        rows = self.db.table("incidents").rows_where(
            "source = ? and resolved_at is null", [source], select="rowid, *"
        )
        return {row["key"]: row for row in rows}

    def unresolved_incidents(self) -> list[dict[str, Any]]:
        """Every incident not resolved yet, of every source (opened or still pending)."""
        return list(self.db.table("incidents").rows_where("resolved_at is null", select="rowid, *", order_by="rowid"))

    def incident_seen(
        self, source: str, finding: Finding, now: datetime, since: str | None = None
    ) -> dict[str, Any]:
        """Count one more poll that sees `finding`; returns the incident row after it.

        `since` backdates a new incident to when the problem really began (a source's first failure).
        """
        live = self.live_incidents(source).get(finding.key)
        if live is None:
            row = {
                "key": finding.key,
                "source": source,
                "kind": finding.kind,
                "severity": finding.severity,
                "product": finding.product,
                "version": finding.version,
                "summary": finding.summary,
                "data": json.dumps(finding.data, sort_keys=True, default=str),
                "first_seen_at": since or iso(now),
                "last_seen_at": iso(now),
                "streak": 1,
                "opened_at": None,
                "resolved_at": None,
            }
            rowid = inserted_id(self.db.table("incidents").insert(row))
            return {**row, "rowid": rowid}
        updates = {"last_seen_at": iso(now), "streak": live["streak"] + 1, "summary": finding.summary,
                   "severity": finding.severity}
        self.db.table("incidents").update(live["rowid"], updates)
        return {**live, **updates}

    def open_incident(self, rowid: int, now: datetime) -> None:
        self.db.table("incidents").update(rowid, {"opened_at": iso(now)})

    def resolve_incident(self, rowid: int, now: datetime) -> None:
        self.db.table("incidents").update(rowid, {"resolved_at": iso(now)})

    def incidents(self, *, open_only: bool = False) -> list[Incident]:
        """Incidents that were opened (alerted), oldest first; `open_only`: not resolved yet."""
        where = "opened_at is not null" + (" and resolved_at is null" if open_only else "")
        rows = self.db.table("incidents").rows_where(where, order_by="first_seen_at", select="rowid, *")
        return [incident(row) for row in rows]

    # retention ------------------------------------------------------------------------------

    def forget_before(self, cutoff: datetime) -> dict[str, int]:
        """Drop run rows and the bodies of delivered alerts older than `cutoff`; the history stays.

        Records, events, incidents, notes and every alert's row (its title, state, when and where
        it was sent, the event keys `why` shows) are kept; only the payload of an alert that was
        sent, skipped or silenced and whose incident is resolved (or that has none) is emptied.
        """
        stamp = iso(cutoff)
        with self.transaction():
            runs = self.db.execute("delete from runs where started_at < ?", [stamp]).rowcount
            bodies = self.db.execute(
                "update alerts set payload = '[]' where created_at < ? and payload != '[]' "
                "and state in ('sent', 'skipped', 'silenced') and (incident_key is null or not exists "
                "(select 1 from incidents where incidents.key = alerts.incident_key and resolved_at is null))",
                [stamp],
            ).rowcount
        self.db.execute("vacuum")
        return {"runs": runs, "alert_bodies": bodies}

    # notes ----------------------------------------------------------------------------------

    def add_note(self, product: str, version: str, text: str, now: datetime) -> None:
        with self.transaction():
            self.db.table("notes").insert({"product": product, "version": version, "text": text, "created_at": iso(now)})

    def notes(self) -> list[dict[str, Any]]:
        return list(self.db.table("notes").rows_where(order_by="created_at"))

