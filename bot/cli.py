"""The `trackbot` command: a thin click layer over the library.

Every error is one line (ConfigError exits 2, anything else 1), never a traceback.
Shared options (`--json`, `--since`, `--product`) mean the same on every command.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from bot.errors import ConfigError, TrackbotError
from bot.lazy import lazy_module

if TYPE_CHECKING:
    from bot import config as configuration
    from bot import store as _store
    from bot import views
    from bot import why as why_module
    from bot.poll import parse_interval, run_poll, utcnow
    from bot.render import safe
    from bot.store import Store
else:  # loaded on first use, so `--help` and `status` do not pay for httpx, the kinds and Slack
    configuration, views, why_module = (lazy_module(name) for name in ("bot.config", "bot.views", "bot.why"))
    _poll, _render, _store = (lazy_module(name) for name in ("bot.poll", "bot.render", "bot.store"))

    def parse_interval(text): return _poll.parse_interval(text)  # noqa: E704
    def run_poll(*args, **kwargs): return _poll.run_poll(*args, **kwargs)  # noqa: E704
    def utcnow(): return _poll.utcnow()  # noqa: E704
    def safe(text): return _render.safe(text)  # noqa: E704

console = Console()


class Group(click.Group):
    """Turns every error into one line on stderr: exit 2 for config, 1 otherwise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(2)
        except TrackbotError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # one line, never a traceback
            click.echo(f"trackbot: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)


class App:
    def __init__(self, config_path: str, db_path: str) -> None:
        self.config_path = config_path
        self.db_path = db_path

    def config(self) -> configuration.Config:
        return configuration.load(self.config_path)

    def store(self) -> Store:
        return _store.Store.open(self.db_path)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TRACKBOT_CONFIG", default="sources.yaml", show_default=True,
              help="sources.yaml to use (env TRACKBOT_CONFIG).")
@click.option("--db", "db_path", envvar="TRACKBOT_DB", default="db/trackbot.db", show_default=True,
              help="History database (env TRACKBOT_DB).")
@click.version_option(package_name="trackbot")
@click.pass_context
def main(ctx: click.Context, config_path: str, db_path: str) -> None:
    """trackbot: tells the team, at once, only what matters to the versions they run.

    Example: trackbot poll && trackbot why 1.10 --product docker
    """
    ctx.obj = App(config_path, db_path)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def product_option(f: Callable) -> Callable:
    return click.option("--product", "-p", default=None, help="Only this product (docker, linux, debian:docker.io...).")(f)


def since_option(f: Callable) -> Callable:
    return click.option("--since", default="7d", show_default=True, help="How far back: 30m, 12h, 7d, 4w.")(f)


def _since(text: str) -> datetime:
    try:
        return utcnow() - parse_interval(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


@contextmanager
def run_lock(db_path: str) -> Iterator[None]:
    """One run at a time: a second poll or run exits at once instead of racing the first."""
    path = Path(db_path).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrackbotError(f"another trackbot run holds {path}") from None
        yield


def _deliverer(cfg: configuration.Config) -> Any:
    from bot.deliver import ConsoleSink
    from bot.slack.sink import build

    return build(cfg.slack) or ConsoleSink(console)


def _poll_once(app: App, only: tuple[str, ...], force: bool, show_all: bool = False) -> int:
    import asyncio  # 0.3 s on a loaded machine: only the commands that poll pay for it

    cfg = app.config()
    store = app.store()
    report = asyncio.run(run_poll(cfg, store, deliverer=_deliverer(cfg), only=only, force=force))
    views.show_poll(console, report, show_all=show_all)
    return 1 if report.failed else 0


@main.command()
@click.option("--source", "-s", "only", multiple=True, help="Poll only this source (repeatable).")
@click.option("--force", is_flag=True, help="Ignore each source's `every:` interval.")
@click.option("--all", "show_all", is_flag=True, help="List every source, not only those that changed or failed.")
@click.pass_obj
def poll(app: App, only: tuple[str, ...], force: bool, show_all: bool) -> None:
    """One run over every due source; exits 1 if any source failed.

    Example: trackbot poll --source kernel
    """
    with run_lock(app.db_path):
        code = _poll_once(app, only, force, show_all)
    sys.exit(code)


@main.command()
@click.option("--every", default="15m", show_default=True, help="Interval between runs.")
@click.pass_obj
def run(app: App, every: str) -> None:
    """Poll forever, one run at a time (a lock file keeps a second copy out).

    Example: trackbot run --every 15m
    """
    try:
        interval = parse_interval(every).total_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from None
    with run_lock(app.db_path):
        while True:
            started = time.monotonic()
            try:
                _poll_once(app, (), False)
            except TrackbotError as exc:  # e.g. sources.yaml edited into an error: say so, keep running
                click.echo(f"trackbot: {exc}", err=True)
            except Exception as exc:  # a locked or full disk, a bug: one line, and the next run still comes
                click.echo(f"trackbot: run failed: internal error: {type(exc).__name__}: {exc}", err=True)
            time.sleep(max(1.0, interval - (time.monotonic() - started)))


@main.command()
@since_option
@product_option
@click.option("--kind", "-k", default=None, help="Only this event kind (new_release, branch_eol...).")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Only the newest N events.")
@json_option
@click.pass_obj
def events(app: App, since: str, product: str | None, kind: str | None, limit: int | None, as_json: bool) -> None:
    """What was detected, oldest first.

    Example: trackbot events --since 30d --product linux --kind branch_eol --json
    """
    rows = app.store().iter_events(since=_since(since), products=[product] if product else None,
                                   kinds=[kind] if kind else None, limit=limit)
    if as_json:
        _echo_json_list(e.as_json() for e in rows)
        return
    console.print(views.events_table(list(rows), since))


def _echo_json_list(items: Iterable[dict[str, Any]]) -> None:
    """A JSON array written item by item (the same text as json.dumps(list, indent=2)), so memory stays flat."""
    out = sys.stdout
    first = True
    for item in items:
        body = json.dumps(item, indent=2, default=str).replace("\n", "\n  ")
        out.write(("[\n  " if first else ",\n  ") + body)
        first = False
    out.write("[]\n" if first else "\n]\n")
    out.flush()


@main.command()
@click.argument("version")
@product_option
@json_option
@click.pass_obj
def why(app: App, version: str, product: str | None, as_json: bool) -> None:
    """The story of a version or branch: releases, fixes, events, alerts, pins, notes.

    Example: trackbot why 1.10 --product docker
    """
    cfg = app.config()
    story = why_module.story(app.store(), cfg.fleet, version, product)
    if as_json:
        click.echo(json.dumps(story, indent=2, default=str))
        return
    views.show_story(console, story)


@main.command()
@click.pass_obj
def status(app: App) -> None:
    """Each source's last success, last error and consecutive failures.

    Example: trackbot status
    """
    cfg = app.config()
    states = {s["name"]: s for s in app.store().all_source_states()}
    console.print(views.status_table(cfg.sources, states))


@main.command()
@click.pass_obj
def check(app: App) -> None:
    """Validate sources.yaml, the keyrings it names and the alert destination.

    Example: trackbot --config sources.yaml check
    """
    cfg = app.config()
    problems = []
    for index, conf in enumerate(cfg.sources):
        keyring = getattr(conf, "keyring", "")
        where = cfg.config_dir / keyring  # as the apt kinds read it: relative to sources.yaml
        if keyring and not where.exists():
            problems.append(f"sources[{index}] {conf.name}: keyring {where} does not exist")
    console.print(f"{cfg.path}: {len(cfg.sources)} sources, {len(cfg.fleet)} pins")
    if any(conf.kind.startswith("apt") for conf in cfg.sources):
        tools = {tool: shutil.which(tool) for tool in ("gpgv", "gpg")}
        console.print("apt: " + ", ".join(f"{t} {p or 'MISSING'}" for t, p in tools.items()), highlight=False)
        if not tools["gpgv"]:
            problems.append("gpgv is not installed: apt signatures cannot be verified (Debian package gpgv)")
    from bot.slack.check import check_line

    slack_ok, slack_line = check_line(cfg.slack, os.environ)
    console.print(safe(slack_line), highlight=False, soft_wrap=True)
    if not slack_ok:
        problems.append("Slack delivery will not work (see above)")
    for problem in problems:
        click.echo(f"trackbot: {problem}", err=True)
    sys.exit(2 if problems else 0)


@main.command()
@click.argument("version")
@click.argument("text")
@product_option
@click.pass_obj
def note(app: App, version: str, text: str, product: str | None) -> None:
    """Add the team's own note to a version's story.

    Example: trackbot note 1.10.3 "pinned: 1.11 breaks our devicemapper setup" --product docker
    """
    app.store().add_note(product or "", version, text, utcnow())
    console.print("note saved")


@main.command()
@click.argument("pattern", required=False, default="")
@product_option
@click.option("--for", "duration", default="7d", show_default=True, help="How long: 12h, 7d, 4w.")
@click.option("--reason", "-r", required=True, help="Why: shown in `trackbot silences` and the digest.")
@click.pass_obj
def silence(app: App, pattern: str, product: str | None, duration: str, reason: str) -> None:
    """Hold back Slack alerts about a product or matching an event key (shell pattern).

    Silenced events are still stored and still go into the digest.

    Example: trackbot silence --product docker --for 7d --reason "upgrade window"
    Example: trackbot silence 'apt_key_expiring:*' --for 30d --reason "key rotation planned"
    """
    if not pattern and not product:
        raise click.UsageError("name an event key PATTERN, --product, or both")
    try:
        length = parse_interval(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    now = utcnow()
    silence_id = app.store().add_silence(now, now + length, product=product or "", pattern=pattern, reason=reason)
    what = " and ".join(x for x in (f"product {product}" if product else "", f"keys {pattern}" if pattern else "") if x)
    console.print(f"silence {silence_id}: {safe(what)} until {(now + length).isoformat()}", highlight=False)


@main.command()
@click.option("--remove", "remove_ids", type=int, multiple=True, help="End this silence now (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Also list silences that ended.")
@json_option
@click.pass_obj
def silences(app: App, remove_ids: tuple[int, ...], show_all: bool, as_json: bool) -> None:
    """List active silences, or end some.

    Example: trackbot silences --remove 3
    """
    store, now = app.store(), utcnow()
    for silence_id in remove_ids:
        if not store.remove_silence(silence_id, now):
            raise click.ClickException(f"no active silence {silence_id}")
        console.print(f"silence {silence_id} removed")
    if remove_ids:
        return
    rows = store.silences(now, include_ended=show_all)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
        return
    console.print(views.silences_table(rows, now))


@main.command()
@since_option
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the digest to this file.")
@click.option("--post", is_flag=True, help="Post it to Slack's digest channel.")
@click.pass_obj
def digest(app: App, since: str, out: str | None, post: bool) -> None:
    """The digest of everything detected in a period (the weekly summary).

    Example: trackbot digest --since 7d --out digest.txt
    Example: trackbot digest --since 7d --post
    """
    from bot.digest import digest_events, digest_text, digest_title
    from bot.slack.sink import post_digest

    events = app.store().events(since=_since(since), news_only=True)
    text = digest_text(events, f"last {since}")
    if post:
        news = digest_events(events)
        channel = post_digest(app.config().slack, news, digest_title(news, f"last {since}"))
        console.print(f"digest posted to {channel}")
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        console.print(f"digest written to {out}")
    if not out and not post:
        click.echo(text)


@main.command()
@click.argument("words", nargs=-1, required=True)
@click.pass_obj
def search(app: App, words: tuple[str, ...]) -> None:
    """Search every changelog line and advisory ever seen.

    Example: trackbot search aufs mount
    """
    rows = app.store().search(words)
    for row in rows:
        text = row.get("text") or row["data"].get("text") or row["data"].get("summary") or ""
        console.print(f"{safe(row['product'])} {safe(row['version'])}: {safe(text)}", highlight=False, soft_wrap=True)
    if not rows:
        console.print("no match")


@main.command()
@click.option("--older-than", "older_than", default="90d", show_default=True,
              help="Forget run rows and delivered alerts' bodies older than this (30d, 12w).")
@click.pass_obj
def vacuum(app: App, older_than: str) -> None:
    """Shrink the database: old run rows and delivered alerts' bodies go, the history stays.

    Example: trackbot vacuum --older-than 90d
    """
    try:
        cutoff = utcnow() - parse_interval(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    with run_lock(app.db_path):
        dropped = app.store().forget_before(cutoff)
    console.print(f"forgot {dropped['runs']} runs and {dropped['alert_bodies']} delivered alert bodies "
                  f"older than {older_than}", highlight=False)


def entry() -> None:
    main(prog_name="trackbot")


if __name__ == "__main__":
    entry()
