"""One run over every due source: fetch, parse, diff, match, store, then deliver.

The core knows nothing of any particular source: it calls the kind's `collect`, the
generic diff, the kind's optional `events` hook and the shared changelog rules, and
writes each source's results in one transaction. A source that fails writes only its
error; it never stops the others and never looks like "everything was removed".
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx

from bot import alerts, cves, rules
from bot.config import Config
from bot.deliver import ConsoleSink, DeliveryReport, Sink, deliver_pending
from bot.diff import diff
from bot.errors import ConfigError, SourceError, Unchanged
from bot.fetch import Fetcher, FetchPolicy, SourceContext, make_client
from bot.kinds import KINDS
from bot.match import apply_pins
from bot.model import Event, Finding, Snapshot, severity_rank
from bot.sources.api import SourceConf
from bot.store import Store, iso

Clock = Callable[[], datetime]
DUE_SLACK = timedelta(seconds=60)  # at most this much early still counts as due (timer jitter)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class SourceResult:
    name: str
    kind: str
    status: str  # changed, unchanged, failed, skipped
    new_records: int = 0
    events: int = 0
    seconds: float = 0.0
    reason: str = ""


@dataclass
class RunReport:
    results: list[SourceResult]
    delivery: DeliveryReport

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.status == "failed"]


def parse_interval(text: str) -> timedelta:
    """'15m', '1h', '2d', '30s' -> timedelta; raises ValueError on anything else."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    if not match:
        raise ValueError(f"not an interval: {text!r} (use e.g. 15m, 1h, 1d)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


async def run_poll(
    config: Config,
    store: Store,
    *,
    clock: Clock = utcnow,
    client: httpx.AsyncClient | None = None,
    deliverer: Sink | None = None,
    sleep: Callable[[float], object] = asyncio.sleep,
    only: Sequence[str] = (),
    force: bool = False,
) -> RunReport:
    """Poll every due source (or those named in `only`), then deliver the outbox."""
    unknown = [name for name in only if name not in {s.name for s in config.sources}]
    if unknown:  # a typo must not read as a quiet, successful run
        names = ", ".join(s.name for s in config.sources) or "none"
        raise ConfigError(f"{config.path}: no source named {unknown[0]!r} (sources: {names})")
    run_id = store.start_run(clock())
    policy = FetchPolicy(
        timeout=config.settings.timeout, retries=config.settings.retries, max_bytes=config.settings.max_bytes
    )
    owned = client is None
    http = client or make_client(policy)
    try:
        fetcher = Fetcher(http, policy, sleep)  # type: ignore[arg-type]
        gate = asyncio.Semaphore(config.settings.concurrency)
        chosen = [s for s in config.sources if not only or s.name in only]
        cve_table = cves.ratings(store.cve_records())  # what the advisory sources knew at the run's start
        results = await asyncio.gather(
            *(_poll_one(conf, config, store, fetcher, gate, clock, run_id, force, cve_table) for conf in chosen)
        )
    finally:
        if owned:
            await http.aclose()
    _close_removed(config, store, clock(), run_id)
    delivery = deliver_pending(store, deliverer or ConsoleSink(), clock)
    store.finish_run(run_id, clock(), {r.name: r.status for r in results})
    return RunReport(list(results), delivery)


def settings_digest(conf: SourceConf, config: Config) -> str:
    """What a source's records depend on besides the upstream: its own settings, the watch words
    and the fleet. When it changes, the next poll fetches unconditionally and re-derives them."""
    blob = json.dumps([dataclasses.asdict(conf), config.watch_words, [dataclasses.asdict(p) for p in config.fleet]],
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _is_due(conf: SourceConf, store: Store, now: datetime) -> bool:
    """Due when `every` has passed since the source's last poll *began*.

    Counting from the start (not the end) of the last poll, and forgiving a start a little
    early (cron and systemd timers jitter by seconds), keeps `every: 1h` under a 15-minute
    run at every 4th run instead of every 5th.
    """
    state = store.source_state(conf.name)
    if not conf.every or not state or not state.get("last_run_at"):
        return True
    interval = parse_interval(conf.every)
    slack = min(interval / 20, DUE_SLACK)
    return now - datetime.fromisoformat(state["last_run_at"]) >= interval - slack


async def _poll_one(
    conf: SourceConf,
    config: Config,
    store: Store,
    fetcher: Fetcher,
    gate: asyncio.Semaphore,
    clock: Clock,
    run_id: int,
    force: bool,
    cve_table: Mapping[str, cves.CveInfo],
) -> SourceResult:
    began = clock()
    if not force and not _is_due(conf, store, began):
        return SourceResult(conf.name, conf.kind, "skipped", reason=f"not due (every {conf.every})")
    kind = KINDS[conf.kind]
    stored = store.records(conf.name, include_gone=True)
    settings = settings_digest(conf, config)
    same_settings = (store.source_state(conf.name) or {}).get("settings_digest") == settings
    ctx = SourceContext(
        fetcher=fetcher,
        fleet=config.fleet,
        watch_words=config.watch_words,
        config_dir=config.config_dir,
        previous=tuple(s.record for s in stored if s.gone_at is None),
        # Records made with other settings (watch words, product, url) must be made again: no 304.
        validators=store.http_state(conf.name) if same_settings else {},
        clock=clock,
        missing=frozenset(s.record.key for s in stored if s.gone_at is None and s.missing_at),
        cves=cve_table,
    )
    gone_before = {s.record.key for s in stored if s.gone_at}
    started = time.monotonic()
    try:
        async with gate:
            snapshot = await asyncio.wait_for(kind.collect(conf, ctx), config.settings.source_timeout)
        return _commit(conf, kind, snapshot, ctx, gone_before, config, store, clock, run_id, started,
                       began, settings)
    except Unchanged:
        with store.transaction():
            _resolve_failing(store, conf.name, clock(), run_id)
            # 304 against the last saved body, which still held them: what went missing is back.
            store.clear_missing(conf.name)
            store.mark_success(conf.name, conf.kind, clock(), changed=False, seconds=time.monotonic() - started,
                               began=began)
        return SourceResult(conf.name, conf.kind, "unchanged", seconds=time.monotonic() - started)
    except SourceError as exc:
        reason = str(exc)
    except TimeoutError:
        reason = f"gave up after {config.settings.source_timeout:.0f}s"
    except Exception as exc:  # a bug in one kind must not stop the others
        reason = f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    seconds = time.monotonic() - started
    with store.transaction():
        failures = store.mark_failure(conf.name, conf.kind, clock(), reason, seconds, began=began)
        if failures >= config.settings.failing_after:
            finding = Finding(
                "source_failing",
                f"source_failing:{conf.name}",
                f"source {conf.name} has failed {failures} runs in a row: {reason}",
                severity="warning",
                data={"reason": reason},
            )
            since = (store.source_state(conf.name) or {}).get("failing_since")
            _track(store, conf.name, [finding], clock(), run_id, config, resolve_missing=False, since=since)
    return SourceResult(conf.name, conf.kind, "failed", seconds=seconds, reason=reason)


def _commit(conf, kind, snapshot: Snapshot, ctx, gone_before, config, store, clock, run_id, started,
            began: datetime, settings: str) -> SourceResult:
    now = clock()
    result = diff(ctx.previous, snapshot, source=conf.name, detected=iso(now), gone_before=gone_before,
                  missing_before=ctx.missing)
    extra = list(kind.events(ctx.previous, snapshot, conf, ctx)) if kind.events else []
    found = rules.rule_events(conf.name, result.added, result.seen, config.fleet, config.watch_words,
                              config.bug_numbers)
    one_off = [f.as_event(conf.name) for f in snapshot.findings if not f.incident]
    events = apply_pins([*result.events, *extra, *found, *one_off], config.fleet)
    state = store.source_state(conf.name) or {}
    baseline = not state.get("last_success_at")
    rebaseline = not baseline and state.get("settings_digest") != settings
    if baseline:
        events = [replace(e, baseline=True) for e in events]
    elif rebaseline:
        # New pins, watch words or settings: what the history already holds for them is a
        # standing fact (one summary), not news; what arrived in this poll stays news.
        news = {e.key for e in events}
        standing = rules.rule_events(conf.name, result.seen, result.seen, config.fleet, config.watch_words,
                                     config.bug_numbers)
        events += [replace(e, baseline=True) for e in apply_pins(standing, config.fleet) if e.key not in news]
    with store.transaction():
        store.save_records(
            conf.name,
            run_id,
            now,
            seen=result.seen,
            new_or_changed=result.new_or_changed,
            gone=[r.key for r in result.gone],
            missing=[r.key for r in result.missing],
        )
        fresh = store.add_events(events, run_id, now)
        if baseline or rebaseline:
            store.queue_alert(alerts.baseline_alert(conf.name, result.seen, [e for e in fresh if e.baseline],
                                                    config.fleet, run_id, rebaseline=rebaseline), now)
        for alert in alerts.events_alerts(conf.name, fresh, run_id):  # baseline facts are left out
            store.queue_alert(alert, now)
        problems = [f for f in snapshot.findings if f.incident]
        _track(store, conf.name, problems, now, run_id, config, resolve_missing=True,
               unchecked=snapshot.unchecked)
        if not result.missing:  # else the next poll must see the body again to confirm the absence
            store.save_http_state(conf.name, ctx.new_validators)
        store.mark_success(conf.name, conf.kind, now, changed=bool(result.new_or_changed or result.gone),
                           seconds=time.monotonic() - started, began=began, settings_digest=settings)
    changed = bool(result.new_or_changed or result.gone or fresh)
    return SourceResult(conf.name, conf.kind, "changed" if changed else "unchanged",
                        new_records=len(result.added), events=len(fresh), seconds=time.monotonic() - started)


def _track(store: Store, source: str, findings: list[Finding], now: datetime, run_id: int, config: Config,
           *, resolve_missing: bool, since: str | None = None, unchecked: Sequence[str] = ()) -> None:
    """Findings -> incidents: open after N polls in a row (alerted once), resolve when gone.

    Keys under an `unchecked` prefix were not judged this poll: they stay as they are.
    """
    live = store.live_incidents(source)
    findings = list({f.key: f for f in findings}.values())  # one repo problem seen twice is one incident
    for finding in findings:
        before = live.get(finding.key)
        row = store.incident_seen(source, finding, now, since)
        if before and before["opened_at"] and severity_rank(finding.severity) > severity_rank(before["severity"]):
            _escalate(store, source, finding, row, now, run_id, config)
        if row["opened_at"] is None and row["streak"] >= finding.polls_to_open:
            store.open_incident(row["rowid"], now)
            event = _incident_event(source, finding.kind, finding.severity, finding.product, finding.version,
                                    finding.key, finding.summary, dict(finding.data), row["first_seen_at"])
            [event] = apply_pins([event], config.fleet)
            store.add_events([event], run_id, now)
            store.queue_alert(alerts.incident_alert(source, event, run_id, opened=True, incident_key=finding.key), now)
    if not resolve_missing:
        return
    current = {f.key for f in findings}
    for key, row in live.items():
        if key not in current and not key.startswith(tuple(unchecked)):
            _resolve(store, source, row, now, run_id)


def _escalate(store: Store, source: str, finding: Finding, row: dict, now: datetime, run_id: int,
              config: Config) -> None:
    """An open incident got worse (a warning is now critical): say so in its thread, at once."""
    event = _incident_event(source, finding.kind, finding.severity, finding.product, finding.version,
                            finding.key, f"now {finding.severity}: {finding.summary}", dict(finding.data),
                            row["first_seen_at"])
    [event] = apply_pins([replace(event, key=f"{event.key}:{finding.severity}")], config.fleet)
    store.add_events([event], run_id, now)
    store.queue_alert(alerts.incident_update_alert(source, event, run_id, incident_key=finding.key), now)


def _resolve_failing(store: Store, source: str, now: datetime, run_id: int) -> None:
    row = store.live_incidents(source).get(f"source_failing:{source}")
    if row:
        _resolve(store, source, row, now, run_id)


def _close_removed(config: Config, store: Store, now: datetime, run_id: int) -> None:
    """Close the incidents of sources no longer configured: nothing would ever resolve them,
    and an open incident is recalled in Slack every `repeat`."""
    names = {s.name for s in config.sources}
    with store.transaction():
        for row in store.unresolved_incidents():
            if row["source"] not in names:
                gone = {**row, "summary": f"source {row['source']} is no longer in {config.path.name}: {row['summary']}"}
                _resolve(store, row["source"], gone, now, run_id)


def _resolve(store: Store, source: str, row: dict, now: datetime, run_id: int) -> None:
    store.resolve_incident(row["rowid"], now)
    if row["opened_at"] is None:
        return  # seen fewer polls than it needed to page: a blip, kept in history only
    duration = alerts.duration_text(row["first_seen_at"], now)
    event = _incident_event(source, row["kind"], row["severity"], row["product"] or "", row["version"] or "",
                            row["key"], row["summary"], {}, row["first_seen_at"])
    resolved = replace(event, kind=f"{row['kind']}_resolved", severity="info",
                       key=f"resolved:{event.key}", summary=f"resolved after {duration}: {row['summary']}")
    store.add_events([resolved], run_id, now)
    store.queue_alert(
        alerts.incident_alert(source, event, run_id, opened=False, incident_key=row["key"], duration=duration), now
    )


def _incident_event(source: str, kind: str, severity: str, product: str, version: str, key: str,
                    summary: str, data: dict, first_seen: str) -> Event:
    return Event(kind, severity, product, version, f"{kind}:{key}:{first_seen}", summary, source,
                 {**data, "incident": key, "first_seen_at": first_seen})
