"""What `poll` shows while sources are still running, so a slow upstream is not a silent hang.

Nothing for the first few seconds (most polls end before). After that: on a terminal, a
rich status line naming how many sources are done; otherwise (cron, CI, a pipe), one
line per source as it finishes.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.status import Status

from bot.core.reports import SourceResult
from bot.core.text import safe

QUIET_SECONDS = 3.0


class PollProgress:
    """`on_result` for run_poll, used as a context manager around the poll."""

    def __init__(self, console: Console, total: int, quiet: float | None = None) -> None:
        self.console, self.total = console, total
        self.quiet = QUIET_SECONDS if quiet is None else quiet
        self.done = 0
        self.started = time.monotonic()
        self.status: Status | None = None

    def __enter__(self) -> PollProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.status is not None:
            self.status.stop()

    def __call__(self, result: SourceResult) -> None:
        self.done += 1
        if time.monotonic() - self.started < self.quiet:
            return
        if self.console.is_terminal:
            text = f"{self.done} of {self.total} sources done"
            if self.status is None:
                self.status = self.console.status(text)
                self.status.start()
            else:
                self.status.update(text)
            return
        self.console.print(f"{self.done}/{self.total} {safe(result.name)}: {result.status} "
                           f"({result.seconds:.1f}s)", highlight=False)
