"""Schema migrations: append new ones at the end, never edit one that has shipped."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.core.version_keys import version_key

MIGRATIONS = Migrations("trackbot")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db.table("runs").create({"id": int, "started_at": str, "finished_at": str, "summary": str}, pk="id")
    db.table("sources").create(
        {
            "name": str,
            "kind": str,
            "last_run_at": str,
            "last_success_at": str,
            "last_change_at": str,
            "last_error": str,
            "last_error_at": str,
            "consecutive_failures": int,
            "failing_since": str,
            "last_duration": float,
        },
        pk="name",
    )
    db.table("http_state").create(
        {"source": str, "url": str, "etag": str, "last_modified": str}, pk=("source", "url")
    )
    db.table("records").create(
        {
            "source": str,
            "key": str,
            "kind": str,
            "product": str,
            "version": str,
            "data": str,
            "digest": str,
            "first_seen_at": str,
            "first_seen_run": int,
            "last_seen_at": str,
            "last_seen_run": int,
            "gone_at": str,
            "gone_run": int,
        },
        pk=("source", "key"),
    )
    db.table("records").create_index(["product", "version"])
    db.table("events").create(
        {
            "key": str,
            "kind": str,
            "severity": str,
            "product": str,
            "version": str,
            "source": str,
            "summary": str,
            "data": str,
            "detected_at": str,
            "run_id": int,
            "baseline": int,
        },
        pk="key",
    )
    db.table("events").create_index(["detected_at"])
    db.table("events").create_index(["product", "version"])
    db.table("incidents").create(
        {
            "key": str,
            "source": str,
            "kind": str,
            "severity": str,
            "product": str,
            "version": str,
            "summary": str,
            "data": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "streak": int,
            "opened_at": str,
            "resolved_at": str,
        }
    )
    db.table("incidents").create_index(["source", "key"])
    db.table("alerts").create(
        {
            "id": int,
            "created_at": str,
            "run_id": int,
            "source": str,
            "kind": str,
            "severity": str,
            "title": str,
            "incident_key": str,
            "event_keys": str,
            "payload": str,
            "state": str,
            "attempts": int,
            "last_error": str,
            "sent_at": str,
            "channel": str,
            "ts": str,
            "thread_ts": str,
        },
        pk="id",
    )
    db.table("alerts").create_index(["state"])
    db.table("notes").create({"id": int, "product": str, "version": str, "text": str, "created_at": str}, pk="id")


@MIGRATIONS()
def m002_slack_delivery(db: Database) -> None:
    """Threads for follow-ups, Retry-After across runs, and silences (bot/slack)."""
    alerts = db.table("alerts")
    for column, kind in (("reply_to", int), ("origin_id", int), ("retry_at", str), ("silenced_by", int)):
        if column not in alerts.columns_dict:
            alerts.add_column(column, kind)
    db.table("silences").create(
        {
            "id": int,
            "created_at": str,
            "until": str,
            "product": str,
            "pattern": str,
            "reason": str,
            "removed_at": str,
        },
        pk="id",
        if_not_exists=True,
    )


@MIGRATIONS()
def m003_source_settings(db: Database) -> None:
    """A digest of the settings a source's records were made with (see poll.settings_digest)."""
    if "settings_digest" not in db.table("sources").columns_dict:
        db.table("sources").add_column("settings_digest", str)


@MIGRATIONS()
def m004_record_missing_at(db: Database) -> None:
    """When a record was first missing: it is gone only when a second poll confirms it (see diff)."""
    if "missing_at" not in db.table("records").columns_dict:
        db.table("records").add_column("missing_at", str)


@MIGRATIONS()
def m005_destinations(db: Database) -> None:
    """Destinations beyond Slack (bot/deliver/notify.py): each alert's delivery per destination, and
    from which alert on a destination takes part (one added later does not get the whole history)."""
    db.table("destinations").create({"name": str, "since_alert_id": int, "added_at": str}, pk="name",
                                    if_not_exists=True)
    db.table("deliveries").create(
        {
            "alert_id": int,
            "destination": str,
            "state": str,  # queued, sent, silenced, skipped
            "attempts": int,
            "last_error": str,
            "queued_at": str,
            "sent_at": str,
            "retry_at": str,  # a Retry-After longer than a run waits out
        },
        pk=("alert_id", "destination"),
        if_not_exists=True,
    )
    db.table("deliveries").create_index(["state"], if_not_exists=True)


SEARCHABLE_TEXT_SQL = (
    "case kind when 'changelog_line' then nullif(json_extract(data, '$.text'), '') "
    "when 'advisory' then nullif(coalesce(json_extract(data, '$.summary'), json_extract(data, '$.title')), '') "
    "when 'cve' then coalesce(json_extract(data, '$.cve'), '') || ': ' "
    "|| coalesce(json_extract(data, '$.description'), '') end"
)


@MIGRATIONS()
def m006_history_indexes_and_search(db: Database) -> None:
    """History queries in SQL (issue 11): indexes for `why`/`events`, and full-text search.

    `records.text` holds the words a user searches (a changelog line, an advisory's title, a
    CVE's description; NULL for other kinds), and `records_fts` (FTS5, external content) indexes
    it, kept in step by triggers that fire only when `text` changes, so the per-poll
    `last_seen` updates of every record cost nothing extra. `alert_event_keys` indexes which
    alerts carried which event, so `why` finds a version's alerts without reading them all.
    """
    records, events = db.table("records"), db.table("events")
    if "text" not in records.columns_dict:
        records.add_column("text", str)
    db.execute(f"update records set text = {SEARCHABLE_TEXT_SQL}")
    records.create_index(["version"], if_not_exists=True)
    records.create_index(["kind"], if_not_exists=True)
    events.create_index(["version"], if_not_exists=True)
    events.create_index(["source"], if_not_exists=True)
    db.execute("create table if not exists alert_event_keys (alert_id integer not null, event_key text not null)")
    db.execute("insert into alert_event_keys select alerts.id, keys.value from alerts, json_each(alerts.event_keys) "
               "as keys where json_valid(alerts.event_keys)")
    db.table("alert_event_keys").create_index(["event_key"], if_not_exists=True)
    for sql in (
        "create virtual table if not exists records_fts using fts5(text, content='records', content_rowid='rowid')",
        "insert into records_fts(records_fts) values ('rebuild')",
        "create trigger if not exists records_fts_insert after insert on records when new.text is not null begin "
        "insert into records_fts(rowid, text) values (new.rowid, new.text); end",
        "create trigger if not exists records_fts_delete after delete on records when old.text is not null begin "
        "insert into records_fts(records_fts, rowid, text) values ('delete', old.rowid, old.text); end",
        "create trigger if not exists records_fts_update after update of text on records begin "
        "insert into records_fts(records_fts, rowid, text) select 'delete', old.rowid, old.text "
        "where old.text is not null; "
        "insert into records_fts(rowid, text) select new.rowid, new.text where new.text is not null; end",
    ):
        db.execute(sql)


@MIGRATIONS()
def m007_product_indexes_and_retention(db: Database) -> None:
    """Reads bounded by product, and retention as one indexed range (issue 11).

    Products are compared case-insensitively, so `changes`, the digest's pin rows and
    `events --product` select on `lower(product)`: expression indexes make that a range, not a
    scan. `runs(started_at)` and a partial index of alerts that still hold a body make the daily
    retention pass one indexed DELETE/UPDATE; `maintenance` remembers when it last ran. A partial
    index of records not stamped yet keeps a source's write independent of its history's length.
    """
    for sql in (
        "create index if not exists records_lower_product_kind_version on records(lower(product), kind, version)",
        "create index if not exists events_lower_product_detected on events(lower(product), detected_at)",
        "create index if not exists runs_started_at on runs(started_at)",
        # save_records stamps a source's new rows (`first_seen_at is null`): without this, every
        # write of a source scanned all its records (a 100k-line changelog: quadratic growth)
        "create index if not exists records_not_stamped on records(source) where first_seen_at is null",
        "create index if not exists alerts_with_body on alerts(created_at) where payload != '[]'",
        "create table if not exists maintenance (name text primary key, done_at text not null)",
    ):
        db.execute(sql)


@MIGRATIONS()
def m008_digest_posts(db: Database) -> None:
    """The weeks whose digest `trackbot run` posted (bot/store/digest_posts.py): never twice, even across restarts."""
    db.table("digest_posts").create({"week": str, "channel": str, "posted_at": str}, pk="week", if_not_exists=True)


@MIGRATIONS()
def m009_announcements_searchable(db: Database) -> None:
    """`trackbot search` finds DSA/DLA announcements by their summary and CVEs (bot.store.history.searchable_text);
    the FTS index follows through m006's update trigger."""
    db.execute(
        "update records set text = nullif(trim(coalesce(json_extract(data, '$.summary'), json_extract(data, '$.title'), '')"
        " || coalesce(' ' || (select group_concat(value, ' ') from json_each(records.data, '$.cves')), '')), '') "
        "where kind = 'announcement'"
    )


@MIGRATIONS()
def m010_version_keys(db: Database) -> None:
    """`records.version_key` (bot/core/version_keys.py): each record's version as text that sorts in
    the product's version order, indexed with the product and kind, so `trackbot changes A B`
    reads (A, B] as one index range instead of every version the product ever had (issue 11).

    Filled here once per distinct (product, version), then by `Store.save_records`.
    """
    if "version_key" not in db.table("records").columns_dict:
        db.table("records").add_column("version_key", str)
    pairs = db.execute("select distinct product, version from records where version != ''").fetchall()
    db.conn.executemany(
        "update records set version_key = ? where product = ? and version = ?",
        [(key, product, version) for product, version in pairs if (key := version_key(product, version))],
    )
    db.execute("create index if not exists records_lower_product_kind_version_key "
               "on records(lower(product), kind, version_key)")


@MIGRATIONS()
def m011_missing_records_index(db: Database) -> None:
    """Records marked missing, by source: a source that answers 304 clears its marks
    (`Store.mark_unchanged`) by reading only those, not every record it ever had (issue 11)."""
    db.execute("create index if not exists records_missing on records(source) where missing_at is not null")


@MIGRATIONS()
def m012_operator_meta(db: Database) -> None:
    """Facts about the database itself (bot/store/meta.py), such as the sources.yaml it was last polled with."""
    db.execute("create table if not exists meta (key text primary key, value text not null)")
