"""`why` and the listings page through $PAGER on a terminal, as git does (issue 23).

Only when standard output is a terminal and `--no-pager` (or TRACKBOT_PAGER/PAGER set to "" or "cat") does not
say otherwise: piped output, `--json` and tests print straight. The pager is TRACKBOT_PAGER, else PAGER, else
`less`, with LESS=FRX unless LESS is set (as git sets it): an answer shorter than the screen prints and quits,
colours pass, the screen is not cleared. A pager that cannot start leaves the text printed as it would be.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from rich.console import Console


def pager_command(no_pager: bool, environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The pager to run, or None to print straight (not a terminal, --no-pager, a pager set to "" or cat)."""
    if no_pager or not sys.stdout.isatty():
        return None
    environ = os.environ if environ is None else environ
    text = environ.get("TRACKBOT_PAGER", environ.get("PAGER", "less"))
    words = shlex.split(text) if text.strip() else []
    return None if not words or words == ["cat"] else words


@contextmanager
def paged(console: Console, no_pager: bool) -> Iterator[None]:
    """What the block prints to `console` goes through the pager on a terminal; straight out otherwise."""
    command = pager_command(no_pager)
    if command is None:
        yield
        return
    with console.capture() as captured:
        yield
    show(console, command, captured.get())


def show(console: Console, command: list[str], text: str) -> None:
    """Run the pager on `text`; Ctrl-C belongs to the pager while it runs (less uses it), as in git."""
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env={"LESS": "FRX", **os.environ})
    except OSError:  # no such pager: the answer still gets out
        console.file.write(text)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert pager.stdin is not None
        try:
            pager.stdin.write(text.encode())
            pager.stdin.close()
        except BrokenPipeError:  # the user quit the pager before the end: what they wanted
            pass
        pager.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
