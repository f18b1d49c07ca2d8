"""When `trackbot run` posts the weekly digest: `digest: {day: monday, hour: 9}` in sources.yaml.

Pure time arithmetic, apart from the store: the slot is a day of the week and an hour in
the configured `timezone` (UTC unless given), and a week is named by the ISO week of its
slot (`2026-W49`). The daemon posts the week of the most recent slot once that slot has
passed and the week has no post recorded, so a daemon that was down at that hour catches
up once at its next run, and a restart never posts the same week twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, kw_only=True)
class DigestConf:
    """The weekly digest's slot and channel (`channel` "" = slack.digest_channel, else slack.channel)."""

    day: str = "monday"
    hour: int = 9
    channel: str = ""
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.day.lower() not in DAYS:
            raise ValueError(f"'day' {self.day!r} is not a day of the week ({', '.join(DAYS)})")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"'hour' {self.hour} is not an hour of the day (0 to 23)")


def zone(conf: DigestConf) -> tzinfo:
    """The configured time zone; ValueError naming it when this host's tz database lacks it."""
    if conf.timezone.upper() == "UTC":
        return UTC  # needs no tz database
    try:
        return ZoneInfo(conf.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'timezone' {conf.timezone!r} is not a known time zone (e.g. UTC, Europe/Paris)") from None


def last_slot(conf: DigestConf, now: datetime) -> datetime:
    """The most recent digest slot at or before `now` (aware, in UTC)."""
    tz = zone(conf)
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=local.weekday()) + timedelta(days=DAYS.index(conf.day.lower()))
    slot = datetime.combine(day, time(conf.hour), tzinfo=tz)
    if slot > local:
        slot = datetime.combine(day - timedelta(days=7), time(conf.hour), tzinfo=tz)
    return slot.astimezone(UTC)


def week_name(conf: DigestConf, slot: datetime) -> str:
    """The ISO week a slot falls in, in the configured time zone: the key of one week's post."""
    year, week, _ = slot.astimezone(zone(conf)).isocalendar()
    return f"{year}-W{week:02d}"
