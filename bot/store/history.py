"""The history: every record, event, incident and alert, in SQLite through sqlite-utils.

This module and its parts (store_outbox.py: the outbox and silences; store_rows.py: the
typed values it returns) own all SQL. `Store` stays the one entry point the poll, the
CLI and `why` call by these method names, which is why it is a little over 300 lines. One source's poll is written inside `transaction()`, so a
crash mid-run leaves the database as it was before that source. Schema changes are
migrations (`bot/store/migrations.py`), so an old database opens with a new version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.alert import Alert
from bot.core.model import Event, Finding, Record
from bot.core.silence import Silence
from bot.core.version_keys import version_key
from bot.store._lean_sqlite import sqlite_utils
from bot.store.deliveries import Deliveries
from bot.store.digest_posts import DigestPosts
from bot.store.migrations import MIGRATIONS
from bot.store.outbox import Outbox, SilenceRules, inserted_id, iso, write_transaction
from bot.store.rows import (
    Incident,
    RunTimes,
    StoredEvent,
    StoredRecord,
    incident,
    select_rows,
    stored_event,
    stored_record,
)

SEARCH_WINDOW = 2000  # `search` ranks the newest this many matches of the words (store_reads.search_hits)


def searchable_text(record: Record) -> str | None:
    """What `trackbot search` finds a record by; the same rule as migration m006's SQL."""
    data = record.data
    if record.kind == "changelog_line":
        return str(data.get("text") or "") or None
    if record.kind == "advisory":  # the one-line summary names id, package, release and fix
        return str(data.get("summary") or data.get("title") or "") or None
    if record.kind == "cve":
        return f"{data.get('cve', '')}: {data.get('description', '')}"
    if record.kind == "announcement":  # a DSA/DLA: its summary and CVEs (migration m009's SQL)
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


def _version_clause(table: str, exact: Sequence[str], prefixes: Sequence[str]) -> tuple[str, list[str]]:
    """SQL selecting rows whose version is in `exact` or starts with a prefix, as index ranges.

    One sub-select per range, joined by UNION ALL: written as one OR, SQLite's planner chose a
    full scan once there were four ranges (1.5 s at 1M records instead of milliseconds).
    """
    selects, params = [], []
    if exact:
        selects.append(f"select rowid from {table} where version in ({','.join('?' * len(exact))})")
        params += list(exact)
    ranges = []
    for prefix in prefixes:
        if prefix[-1:].isdigit():  # 5.6's branch is 5.6, 5.6.x, 5.6-rc1, never 5.60 to 5.69
            ranges += [(prefix, prefix + "0"), (prefix + ":", prefix + "\U0010ffff")]
        else:
            ranges.append((prefix, prefix + "\U0010ffff"))
    for low, high in ranges:
        selects.append(f"select rowid from {table} where version >= ? and version < ?")
        params += [low, high]
    return (f"rowid in ({' union all '.join(selects)})" if selects else "0"), params


__all__ = ["Incident", "RunTimes", "Silence", "Store", "StoredEvent", "StoredRecord", "iso"]

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another trackbot's transaction
# Every Database is made with execute_plugins=False: sqlite-utils would otherwise scan every
# installed package's entry points for its plugins (20 ms of each command's start-up, issue 11),
# and the history must not depend on what else happens to be installed.



@dataclass(frozen=True)
class EventFilter:
    """Which events `trackbot events` lists: one SQL WHERE for the rows and for their count."""

    since: datetime | None = None
    products: Sequence[str] | None = None  # lower-case names (aliases included: store_reads.product_names)
    kinds: Sequence[str] | None = None
    news_only: bool = False  # leave out baseline facts
    severities: Sequence[str] | None = None  # `events --severity warning`: warning and critical

    def where(self) -> tuple[str, list[str | int]]:
        clauses: list[str] = []
        params: list[str | int] = []
        if self.since:
            clauses.append("detected_at >= ?")
            params.append(iso(self.since))
        if self.products:
            clauses.append(f"lower(product) in ({','.join('?' * len(self.products))})")
            params += [p.lower() for p in self.products]
        if self.kinds:
            clauses.append(f"kind in ({','.join('?' * len(self.kinds))})")
            params += list(self.kinds)
        if self.news_only:
            clauses.append("baseline = 0")
        if self.severities:
            clauses.append(f"severity in ({','.join('?' * len(self.severities))})")
            params += list(self.severities)
        return (" where " + " and ".join(clauses) if clauses else ""), params

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
        db = sqlite_utils.Database(path, execute_plugins=False)
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
        return cls(sqlite_utils.Database(conn, execute_plugins=False), migrate=False)

    @classmethod
    def memory(cls) -> Store:
        return cls(sqlite_utils.Database(memory=True, execute_plugins=False))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Inside the caller's transaction as it is (no savepoint per statement); else its own."""
        if self.db.conn.in_transaction:
            yield
            return
        with self.transaction():
            yield

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
        rows = select_rows(self.db, "select * from sources where name = ?", [name])
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
        the records were made with (None: unchanged). One statement: it runs once per changed source."""
        with self._writing():
            self.db.execute(
                "insert into sources (name, kind, last_run_at, last_success_at, last_change_at, consecutive_failures, "
                "failing_since, last_duration, settings_digest) values (?, ?, ?, ?, ?, 0, null, ?, ?) "
                "on conflict (name) do update set kind = excluded.kind, last_run_at = excluded.last_run_at, "
                "last_success_at = excluded.last_success_at, "
                "last_change_at = coalesce(excluded.last_change_at, sources.last_change_at), consecutive_failures = 0, "
                "failing_since = null, last_duration = excluded.last_duration, "
                "settings_digest = coalesce(excluded.settings_digest, sources.settings_digest)",
                [name, kind, iso(began or now), iso(now), iso(now) if changed else None, round(seconds, 3),
                 settings_digest],
            )

    def mark_unchanged(self, polls: Sequence[tuple[str, str, datetime, datetime, float]]) -> None:
        """Sources that answered 304, as (name, kind, began, now, seconds): for each, what
        `mark_success(changed=False)` writes, and its records' missing marks cleared: two statements for all.

        The missing marks are cleared because a 304 answers for the last saved body, which still
        held those records: what went missing is back.
        """
        with self._writing():
            rows = [(name, kind, iso(began), iso(now), round(seconds, 3)) for name, kind, began, now, seconds in polls]
            self.db.conn.executemany(
                "insert into sources (name, kind, last_run_at, last_success_at, consecutive_failures, failing_since, "
                "last_duration) values (?, ?, ?, ?, 0, null, ?) on conflict (name) do update set kind = excluded.kind, "
                "last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at, "
                "consecutive_failures = 0, failing_since = null, last_duration = excluded.last_duration",
                rows,
            )
            self._set_many("update records set missing_at = null where source = ? and missing_at is not null",
                           [(row[0],) for row in rows])

    def live_incident_keys(self, sources: Sequence[str]) -> set[tuple[str, str]]:
        """(source, key) of the unresolved incidents of these sources (one query per 500 sources)."""
        live: set[tuple[str, str]] = set()
        for start in range(0, len(sources), 500):
            chunk = list(sources[start:start + 500])
            marks = ",".join("?" * len(chunk))
            live.update((row[0], row[1]) for row in self.db.execute(
                f"select source, key from incidents where resolved_at is null and source in ({marks})", chunk))
        return live

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
        rows = select_rows(self.db, "select * from http_state where source = ?", [source])
        return {r["url"]: {"etag": r["etag"] or "", "last_modified": r["last_modified"] or ""} for r in rows}

    def save_http_state(self, source: str, states: dict[str, dict[str, str]]) -> None:
        with self._writing():
            self._set_many(
                "insert into http_state (source, url, etag, last_modified) values (?, ?, ?, ?) on conflict (source, url) "
                "do update set etag = excluded.etag, last_modified = excluded.last_modified",
                [(source, url, state.get("etag"), state.get("last_modified")) for url, state in states.items()],
            )

    # records --------------------------------------------------------------------------

    def records(self, source: str, *, include_gone: bool = False) -> list[StoredRecord]:
        where = "source = ?" if include_gone else "source = ? and gone_at is null"
        return [stored_record(row) for row in select_rows(self.db, f"select * from records where {where} order by rowid",
                                                          [source])]

    def cve_records(self) -> list[tuple[str, Record]]:
        """Every source's current `cve` records (see bot.judge.cves), for the CVE ratings table."""
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
        with self._writing():
            stamp = iso(now)
            # New rows are stamped first and last seen by their insert; a changed row keeps its first sighting.
            self._set_many(
                "insert into records (source, key, kind, product, version, data, digest, gone_at, text, version_key, "
                "first_seen_at, first_seen_run, last_seen_at, last_seen_run) "
                "values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?) "
                "on conflict (source, key) do update set kind = excluded.kind, product = excluded.product, "
                "version = excluded.version, data = excluded.data, digest = excluded.digest, gone_at = null, "
                "missing_at = null, text = excluded.text, version_key = excluded.version_key, "
                "last_seen_at = excluded.last_seen_at, last_seen_run = excluded.last_seen_run, "
                "first_seen_at = coalesce(records.first_seen_at, excluded.first_seen_at), "
                "first_seen_run = coalesce(records.first_seen_run, excluded.first_seen_run)",
                [(source, r.key, r.kind, r.product, r.version, json.dumps(r.data, sort_keys=True, default=str),
                  r.digest(), searchable_text(r), version_key(r.product, r.version) if r.version else None,
                  stamp, run_id, stamp, run_id) for r in new_or_changed],
            )
            written = {r.key for r in new_or_changed}
            self._set_many(
                "update records set last_seen_at = ?, last_seen_run = ?, gone_at = null, missing_at = null "
                "where source = ? and key = ?",
                [(stamp, run_id, source, r.key) for r in seen if r.key not in written],
            )
            self._set_many(
                "update records set missing_at = coalesce(missing_at, ?) where source = ? and key = ?",
                [(stamp, source, key) for key in missing],
            )
            self._set_many(
                "update records set gone_at = ?, gone_run = ? where source = ? and key = ?",
                [(stamp, run_id, source, key) for key in gone],
            )

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
        where, params = _version_clause("records", exact, prefixes)
        rows = self.db.table("records").rows_where(where, params, order_by="rowid")
        return [stored_record(row) for row in rows]

    # events -----------------------------------------------------------------------------

    def add_events(self, events: Sequence[Event], run_id: int, now: datetime) -> list[Event]:
        """Insert events whose key is new; returns only those (a fact is never stored twice).

        One lookup for the keys already stored and one bulk insert, whatever the number of events.
        """
        with self._writing():
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
            self._set_many(
                "insert into events (key, kind, severity, product, version, source, summary, data, detected_at, run_id, "
                "baseline) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(event.key, event.kind, event.severity, event.product, event.version, event.source, event.summary,
                  json.dumps(event.data, sort_keys=True, default=str), stamp, run_id, int(event.baseline))
                 for event in fresh],
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
        return list(self.iter_events(EventFilter(since, products, kinds, news_only), limit))

    def iter_events(self, filters: EventFilter, limit: int | None = None) -> Iterator[StoredEvent]:
        """`events`, one row at a time from the cursor, so `events --json` memory stays flat."""
        where, params = filters.where()
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

    def count_events(self, filters: EventFilter) -> int:
        """How many events `filters` selects (`events` says "the newest 20 of 145" under --limit)."""
        where, params = filters.where()
        return int(self.db.execute(f"select count(*) from events{where}", params).fetchone()[0])

    def events_with_versions(self, exact: Sequence[str], prefixes: Sequence[str]) -> list[StoredEvent]:
        """Events whose version is one of `exact` or starts with a prefix, oldest first (for `why`)."""
        where, params = _version_clause("events", exact, prefixes)
        rows = self.db.table("events").rows_where(where, params, order_by="detected_at, rowid")
        return [stored_event(row) for row in rows]

    # incidents --------------------------------------------------------------------------

    def live_incidents(self, source: str) -> dict[str, dict[str, Any]]:
        """Incidents of a source not resolved yet, opened or still pending, by key."""
        rows = select_rows(self.db, "select rowid, * from incidents where source = ? and resolved_at is null", [source])
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

    def forget_before(self, runs_before: datetime, bodies_before: datetime) -> dict[str, int]:
        """Drop run rows older than `runs_before` and empty delivered alerts' bodies older than
        `bodies_before`; the history stays (see bot/store/retention.py). Each is one indexed range (m007).

        Records, events, incidents, notes and every alert's row (its title, state, when and where
        it was sent, the event keys `why` shows) are kept; only the payload of an alert that was
        sent, skipped or silenced before `bodies_before`, and whose incident is resolved (or that
        has none), is emptied.
        """
        with self.transaction():
            runs = self.db.execute("delete from runs where started_at < ?", [iso(runs_before)]).rowcount
            bodies = self.db.execute(
                "update alerts set payload = '[]' where created_at < ? and payload != '[]' "
                "and coalesce(sent_at, created_at) < ? "  # one sent late keeps its body as long as any
                "and state in ('sent', 'skipped', 'silenced') and (incident_key is null or not exists "
                "(select 1 from incidents where incidents.key = alerts.incident_key and resolved_at is null))",
                [iso(bodies_before), iso(bodies_before)],
            ).rowcount
        return {"runs": runs, "alert_bodies": bodies}

    def compact(self) -> None:
        """Give freed pages back to the file system (VACUUM rewrites the file: `trackbot vacuum` only)."""
        self.db.execute("vacuum")

    def maintenance_done(self, name: str) -> str | None:
        row = self.db.execute("select done_at from maintenance where name = ?", [name]).fetchone()
        return str(row[0]) if row else None

    def mark_maintenance(self, name: str, now: datetime) -> None:
        with self.transaction():
            self.db.execute("insert or replace into maintenance (name, done_at) values (?, ?)", [name, iso(now)])

    # notes ----------------------------------------------------------------------------------

    def add_note(self, product: str, version: str, text: str, now: datetime) -> None:
        with self.transaction():
            self.db.table("notes").insert({"product": product, "version": version, "text": text, "created_at": iso(now)})

    def notes(self) -> list[dict[str, Any]]:
        return list(self.db.table("notes").rows_where(order_by="created_at"))

