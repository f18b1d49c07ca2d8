"""What one source's poll means, decided without touching the store or the network.

`evaluate(previous, snapshot, conf, situation)` takes what the kind collected and what
the history says (`Situation`: last run's state, the live incidents, the pins) and
returns a `SourceOutcome`: the diff, the events (generic diff, the kind's own hook, the
changelog rules, pin matching, baseline marking) and the incident changes, as data.
bot.poll.cycle writes an outcome in one transaction. Being pure, each rule is a table test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.config.load import Config
from bot.core.clock import iso
from bot.core.model import Event, Pin, Record, Snapshot
from bot.judge import abandoned, incidents, rules
from bot.judge.diff import Diff, diff
from bot.judge.match import apply_pins
from bot.sources.api import Context, Kind, SourceConf


@dataclass(frozen=True)
class Situation:
    """Everything besides the snapshot that a source's outcome depends on."""

    kind: Kind
    config: Config
    context: Context  # what the kind saw while collecting (its `events` hook gets it again)
    now: datetime
    run_id: int
    state: Mapping[str, Any]  # the source's row in the store ({} before its first poll)
    settings: str  # digest of the settings the records are made with now (poll.settings_digest)
    gone_before: frozenset[str] = frozenset()  # keys already recorded as gone
    live: Mapping[str, incidents.Row] | None = None  # the source's unresolved incidents, by key


@dataclass(frozen=True)
class SourceOutcome:
    """A successful poll of one source, ready to be written."""

    source: str
    kind: str
    result: Diff
    events: tuple[Event, ...]
    baseline: bool  # first good poll: everything is a standing fact, summed up in one alert
    rebaseline: bool  # new settings: what the history holds is a standing fact, new arrivals are news
    incidents: incidents.Plan
    settings: str
    fleet: tuple[Pin, ...]  # the pins the baseline summary is told against

    @property
    def changed(self) -> bool:
        """The stored records changed (new, changed or gone ones)."""
        return bool(self.result.new_or_changed or self.result.gone)


def evaluate(previous: Sequence[Record], snapshot: Snapshot, conf: SourceConf, situation: Situation) -> SourceOutcome:
    """The events, record changes and incident changes one snapshot makes."""
    config, ctx = situation.config, situation.context
    result = diff(previous, snapshot, source=conf.name, detected=iso(situation.now),
                  gone_before=situation.gone_before, missing_before=ctx.missing)
    hook = situation.kind.events
    extra = list(hook(previous, snapshot, conf, ctx)) if hook else []
    found = rules.rule_events(conf.name, result.added, result.seen, config.fleet, config.watch_words,
                              config.bug_numbers, cves=ctx.cves, profile=config.profile)
    found += abandoned.abandoned_events(conf.name, result.seen, config.fleet, situation.now.date(),
                                        config.settings.abandoned_after)
    one_off = [f.as_event(conf.name) for f in snapshot.findings if not f.incident]
    events = apply_pins([*result.events, *extra, *found, *one_off], config.fleet)
    baseline = not situation.state.get("last_success_at")
    rebaseline = not baseline and situation.state.get("settings_digest") != situation.settings
    if baseline:
        events = [replace(e, baseline=True) for e in events]
    elif rebaseline:
        # New pins, watch words or settings: what the history already holds for them is a
        # standing fact (one summary), not news; what arrived in this poll stays news.
        # A branch found abandoned now was abandoned before the new settings too: a standing fact.
        events = [replace(e, baseline=True) if e.kind == "branch_abandoned" else e for e in events]
        news = {e.key for e in events}
        standing = rules.rule_events(conf.name, result.seen, result.seen, config.fleet, config.watch_words,
                                     config.bug_numbers, cves=ctx.cves, profile=config.profile)
        events += [replace(e, baseline=True) for e in apply_pins(standing, config.fleet) if e.key not in news]
    at = incidents.Moment(conf.name, situation.now, situation.run_id, config.fleet)
    problems = [f for f in snapshot.findings if f.incident]
    plan = incidents.track(situation.live or {}, problems, at, resolve_missing=True, unchecked=snapshot.unchecked)
    return SourceOutcome(conf.name, conf.kind, result, tuple(events), baseline, rebaseline, plan, situation.settings,
                         tuple(config.fleet))
