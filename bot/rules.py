"""Changelog rules against the pins (regression, fix_available): shared by every changelog kind.

Placeholder until the rules land; the core already calls `rule_events` after each diff.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.model import Event, Pin, Record


def rule_events(
    source: str,
    added: Sequence[Record],
    records: Sequence[Record],
    pins: Sequence[Pin],
    watch_words: Sequence[str],
    bug_numbers: Sequence[str] = (),
) -> list[Event]:
    return []
