"""The weekly digest that `trackbot run` posts (`digest:` in sources.yaml), once per week.

Each cycle of `run` asks `post_if_due`: when the week's slot (bot/config/digest.py) has
passed and no post is recorded for that week, the digest of the seven days before the slot
(and anything since) goes to Slack's digest channel, or to the console when no Slack
credential is set, and the week is recorded in the database. A failed post is not
recorded, so the next cycle tries again; a recorded week is never posted again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import digest as schedule
from bot.config.load import Config
from bot.core.alert import duration_text
from bot.deliver.slack import digest as slack
from bot.deliver.slack.client import from_env
from bot.read.digest import build
from bot.read.digest.write import render
from bot.store.history import Store

CONSOLE = "the console"


def post_if_due(cfg: Config, store: Store, now: datetime, show: Callable[[str], None]) -> str | None:
    """Post this week's digest if its slot has passed and it was not posted; a line saying where, or None."""
    if cfg.digest is None:
        return None
    slot = schedule.last_slot(cfg.digest, now)
    week = schedule.week_name(cfg.digest, slot)
    if store.digest_posts.posted(week):
        return None
    report = build.build(store, cfg.fleet, slot - timedelta(days=7), now, f"week {week}")
    if from_env(cfg.slack) is None:
        show(render(report, "md", []))
        where = CONSOLE
    else:
        where = slack.post(cfg.slack, report, cfg.digest.channel)  # TrackbotError: not recorded, tried next cycle
    store.digest_posts.record(week, where, now)
    late = now - slot > timedelta(hours=1)
    catch_up = f", {duration_text(slot.isoformat(), now)} after its slot (catching up)" if late else ""
    return f"weekly digest for {week} posted to {where}{catch_up}"
