"""Logging for an unattended trackbot: timestamps, one JSON object per line for journald/Loki.

Every trackbot module logs through the "trackbot" logger (or a child, "trackbot.poll"...).
Unconfigured (an interactive `trackbot poll`), it stays silent: the console table says it
all. `trackbot run` calls `configure_logging`: lines go to stderr with a UTC timestamp, as text or
(`--log-format json`) as one JSON object per line: `time`, `level`, `logger`, `message`,
the record's fields (`source`, `status`, `seconds`...) and, for a bug, `traceback`, kept in
the one object so journald and Loki hold it as one entry. The console gets only the one-line
message; the traceback is for the log.

Nothing here sees a secret: messages are built from already-redacted reasons and names.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: poll imports much of the core
    from bot.core.reports import DeliveryReport, RunReport

LOGGER = "trackbot"
FIELDS = "trackbot_fields"  # the `extra=` key holding a record's structured fields

log = logging.getLogger(LOGGER)
log.addHandler(logging.NullHandler())  # unconfigured: silent, never Python's bare "last resort" lines


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def fields(**values: Any) -> dict[str, Mapping[str, Any]]:
    """`log.info("...", extra=fields(source="kernel"))`: structured fields for the JSON lines."""
    return {FIELDS: values}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback is a field, not more lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, FIELDS, {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`2026-12-01T04:00:00.123Z INFO trackbot: message key=value ...` (UTC)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in getattr(record, FIELDS, {}).items())
        line = super().format(record)
        if not extra:
            return line
        head, sep, tail = line.partition("\n")  # fields on the message line, a traceback below
        return f"{head} {extra}{sep}{tail}"


@contextmanager
def configure_logging(fmt: LogFormat, *, debug: bool = False, stream: IO[str] | None = None) -> Iterator[None]:
    """Send the "trackbot" logger to `stream` (stderr) in `fmt` while the block runs (the `run` loop),
    in place of any handler set before; they are put back after."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else TextFormatter())
    before, level, propagate = list(log.handlers), log.level, log.propagate
    for old in before:
        log.removeHandler(old)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        for old in before:
            log.addHandler(old)
        log.setLevel(level)
        log.propagate = propagate


def log_run(report: RunReport, delivery: DeliveryReport, seconds: float) -> None:
    """One line per source that did something, and one for the run: what `run` leaves in the journal."""
    for result in report.results:
        if result.status == "skipped":
            continue
        level = logging.WARNING if result.status == "failed" else logging.INFO
        text = f"source {result.name} {result.status}" + (f": {result.reason}" if result.reason else "")
        log.log(level, text, extra=fields(source=result.name, kind=result.kind, status=result.status,
                                          events=result.events, seconds=round(result.seconds, 3)))
    d = delivery
    summary = f"run finished: {len(report.failed)} of {len(report.results)} sources failed, " \
              f"alerts {d.sent} delivered, {d.queued} queued"
    log.log(logging.WARNING if report.failed or d.errors else logging.INFO, summary,
            extra=fields(failed=len(report.failed), sources=len(report.results), sent=d.sent, queued=d.queued,
                         delivery_error=d.errors[-1] if d.errors else None, seconds=round(seconds, 3)))
