"""Schema migrations: append new ones at the end, never edit one that has shipped."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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
    """Destinations beyond Slack (bot/notify.py): each alert's delivery per destination, and
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
