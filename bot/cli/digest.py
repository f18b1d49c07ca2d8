"""`trackbot digest`: the summary of a period written to a file (HTML, JSON, Markdown), posted to Slack, or printed.
The weekly digest `trackbot run` posts by itself is bot/deliver/digest_post.py, called from poll.py."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.app import App, console, json_option, since_option, since_time
from bot.core.errors import TrackbotError


@click.command()
@since_option
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the digest to this file: .html (one self-contained page), .json, or Markdown.")
@click.option("--post", is_flag=True, help="Post it to Slack's digest channel.")
@json_option
@click.pass_obj
def digest(app: App, since: str, out: str | None, post: bool, as_json: bool) -> None:
    """The weekly summary: pins that need action, the pin table, incidents, events, silences, sources.

    \b
    Examples:
      trackbot digest --since 7d --out digest.html
      trackbot digest --since 7d --post
    """
    from bot.deliver.slack import digest as slack
    from bot.read.digest import build, chart, write

    store, cfg = app.reader(), app.config()
    start, now = since_time(since, app.clock()), app.clock()
    report = build.build(store, cfg.fleet, start, now, f"last {since}")
    if post:
        channel = cfg.digest.channel if cfg.digest else ""  # the weekly digest's channel, when sources.yaml names one
        console.print(f"digest posted to {slack.post(cfg.slack, report, channel)}")
    if out:
        period = [e for e in store.events(since=min(start, now - chart.WINDOW)) if not e.baseline]
        try:
            Path(out).write_text(write.render(report, write.format_of(out), period), encoding="utf-8")
        except OSError as exc:
            raise TrackbotError(f"cannot write the digest to {out}: {exc.strerror or exc}") from None
        console.print(f"digest written to {out}")
    if not out and not post:
        click.echo(write.render(report, "json" if as_json else "md", []), nl=False)
