"""One run over every due source: fetch, evaluate, write. Delivery is the caller's next step.

The core knows nothing of any particular source: it calls the kind's `collect`, then
`bot.poll.evaluate.evaluate` (pure: the diff, the kind's `events` hook, the changelog rules,
pin matching, incident changes) and writes the outcome in one transaction. A source
that fails writes only its error; it never stops the others and never looks like
"everything was removed". `run_poll` ends once everything is written: the caller then
delivers the outbox (`bot.deliver.loop.deliver_pending`), as `trackbot poll` does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from bot.config.load import Config
from bot.core.clock import Clock, parse_interval, utcnow
from bot.core.errors import ConfigError, SourceError, Unchanged, internal_error, redact_url
from bot.core.model import Finding
from bot.core.reports import RunReport as RunReport  # re-exported: the poll's callers read it here
from bot.core.reports import SourceResult as SourceResult
from bot.judge import alerts, cves, incidents
from bot.ops.self_incidents import SELF_SOURCE
from bot.poll import schedule
from bot.poll.evaluate import Situation, SourceOutcome, evaluate
from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client
from bot.poll.state import MissingKeys, PreviousRecords, Quiet, StoredHistory
from bot.sources.api import SourceConf
from bot.sources.registry import KINDS
from bot.store.history import Store


@dataclass(frozen=True)
class Transport:
    """How a run reaches the network: tests hand in their own client or sleep."""

    client: httpx.AsyncClient | None = None  # None: one made (and closed) for the run
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between retries


@dataclass(frozen=True)
class Run:
    """What every source's poll in one run shares."""

    config: Config
    store: Store
    fetcher: Fetcher
    clock: Clock
    run_id: int
    force: bool
    cves: Mapping[str, cves.CveInfo]
    quiet: list[Quiet] = dataclasses.field(default_factory=list)  # 304s not written yet (_write_quiet)


async def run_poll(
    config: Config,
    store: Store,
    *,
    clock: Clock = utcnow,
    transport: Transport | None = None,
    only: Sequence[str] = (),
    force: bool = False,
    on_result: Callable[[SourceResult], object] | None = None,
) -> RunReport:
    """Poll every due source (or those named in `only`) and write what each one found."""
    unknown = [name for name in only if name not in {s.name for s in config.sources}]
    if unknown:  # a typo must not read as a quiet, successful run
        names = ", ".join(s.name for s in config.sources) or "none"
        raise ConfigError(f"{config.path}: no source named {unknown[0]!r} (sources: {names})")
    run_id = store.start_run(clock())
    policy = FetchPolicy(
        timeout=config.settings.timeout, retries=config.settings.retries, max_bytes=config.settings.max_bytes
    )
    transport = transport or Transport()
    owned = transport.client is None
    http = transport.client or make_client(policy)
    try:
        run = Run(config, store, Fetcher(http, policy, transport.sleep, clock), clock, run_id, force,
                  cves.ratings(store.cve_records()))  # CVE ratings as the run starts
        chosen = [s for s in config.sources if not only or s.name in only]
        results = await _poll_all(chosen, run, on_result)
        _write_quiet(run)
    finally:
        if owned:
            await http.aclose()
    _close_removed(config, store, clock(), run_id)
    store.finish_run(run_id, clock(), {r.name: r.status for r in results})
    return RunReport(list(results))


async def _poll_all(chosen: Sequence[SourceConf], run: Run, on_result: Callable[[SourceResult], object] | None
                    ) -> list[SourceResult]:
    """Every chosen source's result, in config order, polled by `concurrency` workers that take the
    next source as they finish one: a task per source would hold every source's coroutine from the
    start, so a poll's memory would grow with the config (issue 11)."""
    results: list[SourceResult | None] = [None] * len(chosen)
    pending = iter(enumerate(chosen))  # shared: each worker's `for` takes the next one

    async def worker() -> None:
        for index, conf in pending:
            results[index] = await _reported(_poll_one(conf, run), on_result)

    await asyncio.gather(*(worker() for _ in range(max(1, min(run.config.settings.concurrency, len(chosen))))))
    return [r for r in results if r is not None]


async def _reported(polling: Awaitable[SourceResult], on_result: Callable[[SourceResult], object] | None
                    ) -> SourceResult:
    """Tell `on_result` (the CLI's progress display) as each source finishes, not at the end."""
    result = await polling
    if on_result is not None:
        on_result(result)
    return result


def settings_digest(conf: SourceConf, config: Config) -> str:
    """What a source's records depend on besides the upstream: its own settings, the watch words
    and the fleet. When it changes, the next poll fetches unconditionally and re-derives them."""
    profile = [sorted(config.profile.arch), sorted(config.profile.modules or ()),
               [(w.name, [p.pattern for p in w.patterns]) for w in config.profile.watch]]
    blob = json.dumps([dataclasses.asdict(conf), config.watch_words, [dataclasses.asdict(p) for p in config.fleet],
                       *([profile] if any(profile) else [])], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _is_due(conf: SourceConf, store: Store, now: datetime) -> bool:
    """Due by `every`, or sooner after a failure (a backoff ladder capped at `every`): bot.poll.schedule."""
    return schedule.is_due(parse_interval(conf.every) if conf.every else None, store.source_state(conf.name), now)


async def _poll_one(conf: SourceConf, run: Run) -> SourceResult:
    config, store, clock = run.config, run.store, run.clock
    began = clock()
    if not run.force and not _is_due(conf, store, began):
        due = schedule.next_try(parse_interval(conf.every) if conf.every else None, store.source_state(conf.name))
        when = f"next try {due.strftime('%Y-%m-%d %H:%MZ')}" if due else "next run"
        return SourceResult(conf.name, conf.kind, "skipped", reason=f"not due ({when}, every {conf.every or 'run'})")
    kind = KINDS[conf.kind]
    settings = settings_digest(conf, config)
    started = time.monotonic()
    try:
        # A worker polls one source at a time (_poll_all): the store is read only in its turn.
        state = store.source_state(conf.name) or {}
        # The stored records are read only if the kind or the evaluation asks (not for a 304).
        history = StoredHistory(store, conf.name, began, parse_interval(config.settings.confirm_after))
        ctx = SourceContext(
            fetcher=run.fetcher,
            fleet=config.fleet,
            watch_words=config.watch_words,
            config_dir=config.config_dir,
            previous=PreviousRecords(history),
            # Records made with other settings (watch words, product, url) must be made again: no 304.
            validators=store.http_state(conf.name) if state.get("settings_digest") == settings else {},
            clock=clock,
            missing=MissingKeys(history),
            cves=run.cves,
        )
        snapshot = await asyncio.wait_for(kind.collect(conf, ctx), config.settings.source_timeout)
        now = clock()
        situation = Situation(kind, config, ctx, now, run.run_id, state, settings, history.gone,
                              store.live_incidents(conf.name))
        outcome = evaluate(ctx.previous, snapshot, conf, situation)
        fresh = write_outcome(store, outcome, Timing(now, run.run_id, began, started), ctx.new_validators)
        return SourceResult(conf.name, conf.kind, "changed" if outcome.changed or fresh else "unchanged",
                            new_records=len(outcome.result.added), events=fresh, seconds=time.monotonic() - started)
    except Unchanged:
        seconds = time.monotonic() - started
        run.quiet.append(Quiet(conf.name, conf.kind, clock(), began, seconds))
        if len(run.quiet) >= QUIET_BATCH:
            _write_quiet(run)
        return SourceResult(conf.name, conf.kind, "unchanged", seconds=seconds)
    except SourceError as exc:  # the diff's refusals (a cut copy) know no URL: name the source's
        reason = str(exc) if exc.url else str(SourceError(exc.reason, getattr(conf, "url", "")))
    except TimeoutError:
        where = getattr(conf, "url", "")
        reason = f"gave up after {config.settings.source_timeout:g}s (source_timeout)"
        reason += f" ({redact_url(where)})" if where else ""
    except sqlite3.DatabaseError:
        raise  # trackbot's own storage (a full disk), not this source: no source is blamed
    except Exception as exc:  # a bug in one kind must not stop the others
        reason = internal_error(exc, f"source {conf.name}")
    seconds = time.monotonic() - started
    _record_failure(conf, run, reason, Timing(clock(), run.run_id, began, started))
    return SourceResult(conf.name, conf.kind, "failed", seconds=seconds, reason=reason)


QUIET_BATCH = 500  # unchanged sources written per transaction


def _write_quiet(run: Run) -> None:
    """Write the sources that answered 304 in one transaction (a crash loses only their
    timestamps: the next poll asks them again). A source whose failure incident is still
    live has it resolved, as its own write would have."""
    quiet, run.quiet[:] = list(run.quiet), []
    if not quiet:
        return
    store = run.store
    with store.transaction():
        live = store.live_incident_keys([q.name for q in quiet])
        for q in quiet:
            if (q.name, failing_key(q.name)) in live:
                at = incidents.Moment(q.name, q.now, run.run_id, run.config.fleet)
                apply_plan(store, incidents.resolve_key(store.live_incidents(q.name), failing_key(q.name), at), at)
        store.mark_unchanged([(q.name, q.kind, q.began, q.now, q.seconds) for q in quiet])


def failing_key(source: str) -> str:
    return f"source_failing:{source}"


def _record_failure(conf: SourceConf, run: Run, reason: str, timing: Timing) -> None:
    """Count the failure; after `failing_after` in a row it is an incident (backdated to the first)."""
    store = run.store
    with store.transaction():
        failures = store.mark_failure(conf.name, conf.kind, timing.now, reason, time.monotonic() - timing.started,
                                      began=timing.began)
        failing_since = (store.source_state(conf.name) or {}).get("failing_since")
        settings = run.config.settings
        if not schedule.failing_long_enough(failures, failing_since, timing.now, after=settings.failing_after,
                                            for_=parse_interval(settings.failing_for)):
            return
        finding = Finding(
            "source_failing",
            failing_key(conf.name),
            f"source {conf.name} has failed {failures} runs in a row: {reason}",
            severity="warning",
            data={"reason": reason},
        )
        since = (store.source_state(conf.name) or {}).get("failing_since")
        at = incidents.Moment(conf.name, timing.now, run.run_id, run.config.fleet)
        plan = incidents.track(store.live_incidents(conf.name), [finding], at, resolve_missing=False, since=since)
        apply_plan(store, plan, at)


@dataclass(frozen=True)
class Timing:
    """When a source's poll happened: the write's clock, its run, its start (wall and monotonic)."""

    now: datetime
    run_id: int
    began: datetime
    started: float  # time.monotonic() at the start, for the poll's duration


def write_outcome(store: Store, outcome: SourceOutcome, timing: Timing, validators: dict[str, dict[str, str]]) -> int:
    """Write one source's outcome in one transaction; returns how many of its events were new."""
    result, now, run_id = outcome.result, timing.now, timing.run_id
    with store.transaction():
        store.save_records(
            outcome.source,
            run_id,
            now,
            seen=result.seen,
            new_or_changed=result.new_or_changed,
            gone=[r.key for r in result.gone],
            missing=[r.key for r in result.missing],
        )
        fresh = store.add_events(outcome.events, run_id, now)
        if outcome.baseline or outcome.rebaseline:
            pins = [e for e in fresh if e.baseline]
            store.queue_alert(alerts.baseline_alert(outcome.source, result.seen, pins, outcome.fleet,
                                                    run_id, rebaseline=outcome.rebaseline), now)
        for alert in alerts.events_alerts(outcome.source, fresh, run_id):  # baseline facts are left out
            store.queue_alert(alert, now)
        apply_plan(store, outcome.incidents, incidents.Moment(outcome.source, now, run_id))
        if not result.missing:  # else the next poll must see the body again to confirm the absence
            store.save_http_state(outcome.source, validators)
        store.mark_success(outcome.source, outcome.kind, now, changed=outcome.changed,
                           seconds=time.monotonic() - timing.started, began=timing.began,
                           settings_digest=outcome.settings)
    return len(fresh)


def apply_plan(store: Store, plan: incidents.Plan, at: incidents.Moment) -> None:
    """Apply incident changes in their order (inside the caller's transaction)."""
    rows = {finding.key: store.incident_seen(at.source, finding, at.now, since) for finding, since in plan.seen}
    for key in plan.opened:
        store.open_incident(rows[key]["rowid"], at.now)
    for row in plan.resolved:
        store.resolve_incident(row["rowid"], at.now)
    for notice in plan.notices:
        store.add_events([notice.event], at.run_id, at.now)
        store.queue_alert(notice.alert, at.now)


def _close_removed(config: Config, store: Store, now: datetime, run_id: int) -> None:
    """Close the incidents of sources no longer configured (see incidents.close_removed)."""
    at = incidents.Moment("", now, run_id, config.fleet)
    with store.transaction():
        plan = incidents.close_removed(store.unresolved_incidents(), {s.name for s in config.sources} | {SELF_SOURCE},
                                       config.path.name, at)
        apply_plan(store, plan, at)  # nothing is counted here: only resolutions, whose rows name their source
