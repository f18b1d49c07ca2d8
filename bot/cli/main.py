"""The `trackbot` command: the click group, its global options (`--config`, `--db`, `--debug`) and the one place
every error becomes one line. The commands live one module per group beside it: poll.py (poll, run), read.py
(events, why, search, changes, incidents, help), admin.py (status, check, db, backup, vacuum, note, silence,
silences, metrics), digest.py; app.py holds what they share.

Every error is one line (ConfigError exits 2, anything else 1), never a traceback, unless
`--debug` (or TRACKBOT_DEBUG=1): then the "trackbot" log (internal errors with their
traceback) goes to stderr and a bug that reaches the command is re-raised.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from bot.cli import admin, digest, poll, read
from bot.cli.app import DEBUG, EXIT_PIPE, App, Interrupted
from bot.core.clock import fixed_clock, utcnow
from bot.core.errors import ConfigError, TrackbotError, internal_error, log
from bot.store.lock import LockBusy

EXIT_USAGE = 2  # usage or config error (click's own usage errors exit 2 too)
EXIT_BUSY = 75  # EX_TEMPFAIL: another poll holds the lock, or another `run` the database; retry later
EXIT_INTERRUPTED = 130  # 128 + SIGINT
INTERRUPTED = "interrupted: nothing was left half-written (every write is one transaction)"


class Group(click.Group):
    """Turns every error into one line on stderr: exit 2 for config, 1 otherwise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except LockBusy as exc:  # before TrackbotError: "busy, try later" is not "a source failed"
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(EXIT_BUSY)
        except TrackbotError as exc:
            click.echo(f"trackbot: {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `trackbot events --json | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
            sys.exit(EXIT_PIPE)  # 128 + SIGPIPE, as a shell reports a command killed by a closed pipe
        except KeyboardInterrupt as exc:  # Ctrl-C: say what was kept, never click's bare "Aborted!" and exit 1
            click.echo(f"trackbot: {exc if isinstance(exc, Interrupted) else INTERRUPTED}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # one line, never a traceback (it goes to the log)
            message = internal_error(exc, f"trackbot {ctx.invoked_subcommand or ''}".strip())
            if ctx.meta.get(DEBUG):
                raise
            click.echo(f"trackbot: {message}", err=True)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TRACKBOT_CONFIG", default="sources.yaml", show_default=True,
              help="sources.yaml to use (env TRACKBOT_CONFIG).")
@click.option("--db", "db_path", envvar="TRACKBOT_DB", default=None,
              help="History database (env TRACKBOT_DB)  [default: db/trackbot.db beside the config]")
@click.option("--no-pager", is_flag=True, help="Print `why` and long listings straight, never through $PAGER.")
@click.option("--debug", is_flag=True, envvar="TRACKBOT_DEBUG",
              help="Print internal errors with their traceback, and re-raise a bug (env TRACKBOT_DEBUG=1).")
@click.version_option(package_name="trackbot")
@click.pass_context
def main(ctx: click.Context, config_path: str, db_path: str | None, no_pager: bool, debug: bool) -> None:
    """trackbot: tells the team, at once, only what matters to the versions they run.

    \b
    Example:
      trackbot poll && trackbot why 1.10 --product docker
    """
    try:  # one clock for the whole command: a test's (`obj=`), TRACKBOT_NOW's (replays), or the machine's
        clock = ctx.obj if callable(ctx.obj) else fixed_clock(os.environ.get("TRACKBOT_NOW", "")) or utcnow
    except ValueError:
        raise click.UsageError(f"TRACKBOT_NOW={os.environ['TRACKBOT_NOW']!r} is not an ISO 8601 moment "
                               "(e.g. 2024-05-30T12:00:00Z)") from None
    ctx.obj = App(config_path, db_path, clock, no_pager=no_pager)
    if debug:
        ctx.meta[DEBUG] = True
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)


for command in (poll.poll, poll.run, read.events, read.why, read.search, read.changes, read.incidents, read.help_topic,
                admin.status, admin.check, admin.note, admin.silence, admin.silences, admin.metrics, admin.backup,
                admin.db, admin.vacuum, digest.digest):
    main.add_command(command)


def entry() -> None:
    main(prog_name="trackbot")


if __name__ == "__main__":
    entry()
