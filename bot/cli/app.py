"""What every command group shares: the console, the App (config, store, reader), the options that mean the same
on every command (`--json`, `--since`, `--product`) and the JSON list writer.

Imports late (lazy modules) so that `--help` and `status` do not pay for httpx, the kinds or slack-sdk (issue 11).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from bot.core.clock import Clock, parse_interval, utcnow
from bot.core.errors import TrackbotError
from bot.core.lazy import lazy_module
from bot.read import pager
from bot.read import preflight as reads

if TYPE_CHECKING:
    from bot.config import check as configcheck
    from bot.config import load as configuration
    from bot.core import model
    from bot.deliver import console as render
    from bot.deliver import health as delivery_health
    from bot.store import connect as dbopen
    from bot.store import meta
    from bot.store.history import Store
else:
    configuration, configcheck, dbopen, delivery_health, meta, model, render = map(
        lazy_module, ("bot.config.load", "bot.config.check", "bot.store.connect", "bot.deliver.health", "bot.store.meta",
                      "bot.core.model", "bot.deliver.console"))

class CliConsole(Console):
    """rich's console, but a reader closing the pipe (`trackbot why 6.1 | head -1`) ends the command with exit 141,
    as a shell reports a command killed by SIGPIPE, in every output mode (rich's own default exits 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        raise SystemExit(EXIT_PIPE)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what was saved before it: the CLI prints it and exits 130."""


EXIT_PIPE = 141  # 128 + SIGPIPE
console = CliConsole()
Command = Callable[..., Any]  # a click command function, before decoration
DEBUG = "trackbot.debug"  # key in click's ctx.meta: --debug was given


def safe(text: object) -> str:
    """Upstream text made safe for rich (bot.deliver.console.safe), without importing bot.deliver.console for `--help`."""
    return render.safe(text)


DEFAULT_DB = Path("db") / "trackbot.db"  # relative to sources.yaml's folder, like every path in it


def default_db_path(config_path: str) -> str:
    """The database when neither --db nor TRACKBOT_DB names one: beside sources.yaml, wherever trackbot is run
    from, so a cron job started in / or $HOME keeps one history (issue 23)."""
    return str(Path(config_path).parent / DEFAULT_DB)


class App:
    """The global options as the commands use them: the config and the database, opened as each command needs."""

    def __init__(self, config_path: str, db_path: str | None, clock: Clock = utcnow, *, no_pager: bool = False) -> None:
        self.config_path = config_path
        self.db_path = db_path or default_db_path(config_path)
        self.clock = clock  # the one clock every command reads; tests pass their own (`obj=` a Clock)
        self.no_pager = no_pager

    def paged(self) -> AbstractContextManager[None]:
        """What the block prints goes through $PAGER on a terminal (bot/read/pager.py), unless --no-pager."""
        return pager.paged(console, self.no_pager)

    def config(self, *, checked: bool = False, outline: bool = False) -> configuration.Config:
        """The config; `checked` adds the checks `trackbot check` makes (URLs, each kind's local needs), as poll and run
        need; `outline` reads each source's common settings only, importing no kind (bot.config.load.load)."""
        if checked:
            return configcheck.load_checked(self.config_path)
        return configuration.load(self.config_path, outline=outline)

    def store(self, *, write: bool = True) -> Store:
        """The database; read commands pass write=False and still work on a read-only file system."""
        return dbopen.open_store(self.db_path, write=write)

    def reader(self) -> Store:
        """The history for a read command: refuses a database that does not exist."""
        return reads.existing_store(self.db_path)

    def say_if_config_moved(self, store: Store) -> None:
        """Once, on the first poll under another sources.yaml: this history was filled under that one."""
        here = str(Path(self.config_path).resolve())
        before = meta.config_moved(store, here)
        if before:
            click.echo(f"trackbot: database {self.db_path} was last used with {before}, now with {here}", err=True)

    def pins(self) -> list[model.Pin]:
        """The fleet's pins and sources' products (as pins) when sources.yaml loads; read commands work without it."""
        try:
            cfg = self.config()
        except TrackbotError:
            return []
        named = [model.Pin(str(getattr(c, "product", "")), "") for c in cfg.sources if getattr(c, "product", "")]
        return [*cfg.fleet, *named]


def json_option(f: Command) -> Command:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def product_option(f: Command) -> Command:
    return click.option("--product", "-p", default=None, help="Only this product (docker, linux, debian:docker.io...).")(f)


def since_option(f: Command) -> Command:
    return click.option("--since", default="7d", show_default=True, help="How far back: 30m, 12h, 7d, 4w.")(f)


def since_time(text: str, now: datetime) -> datetime:
    """`--since` as a moment: a bad interval is a usage error naming the option."""
    try:
        return now - parse_interval(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def echo_json_list(items: Iterable[dict[str, Any]]) -> None:
    """A JSON array written item by item (the same text as json.dumps(list, indent=2)), so memory stays flat."""
    out = sys.stdout
    first = True
    for item in items:
        body = json.dumps(item, indent=2, default=str).replace("\n", "\n  ")
        out.write(("[\n  " if first else ",\n  ") + body)
        first = False
    out.write("[]\n" if first else "\n]\n")
    out.flush()


def delivery_problem(cfg: configuration.Config, store: Store, now: datetime) -> str | None:
    """Why nobody hears the alerts (Slack or a destination failing for longer than the config allows), or None."""
    return delivery_health.problem(store, now, parse_interval(cfg.settings.delivery_failing_for))


def plural(count: int, noun: str, many: str = "") -> str:
    """"1 event", "2 events": a count with its noun agreeing ("1 other source", not "1 other sources")."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
