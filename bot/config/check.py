"""The one definition of a usable config, shared by `trackbot check`, `poll` and `run`.

`bot.config.load.load` checks the YAML's shape; this adds what the file names outside itself
or in free-form strings: source URLs must be http(s) with a host (a `file:///etc/passwd`
or `not a url` used to pass `check` and then fail every poll), and each kind's own `check`
hook has its say (the apt kinds: keyrings that exist and hold a key, gpgv installed). `check`
prints every problem; `poll` and `run` refuse the config on the first (exit 2), so the
two commands can never disagree about what is valid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import digest as schedule
from bot.config import load as configuration
from bot.core.clock import parse_interval
from bot.core.errors import ConfigError
from bot.core.model import SourceConf
from bot.core.settings import retention_problems

URL_SCHEMES = ("http", "https")
INTERVAL_SETTINGS = ("confirm_after", "failing_for", "delivery_failing_for")


def problems(cfg: configuration.Config) -> list[str]:
    """Every local problem of a loaded config, one line each, naming the file and the source."""
    found: list[str] = []
    for name in INTERVAL_SETTINGS:
        value = getattr(cfg.settings, name)
        try:
            parse_interval(value)
        except ValueError:
            found.append(f"{cfg.path}: settings: '{name}' {value!r} is not an interval (use e.g. 30m, 1h, 6h)")
    found += [f"{cfg.path}: {line}" for line in retention_problems(cfg.retention)]
    for index, conf in enumerate(cfg.sources):
        found += [f"{cfg.path}: sources[{index}] {conf.name}: {line}" for line in _url_problems(conf)]
    if cfg.digest is not None:
        try:
            schedule.zone(cfg.digest)
        except ValueError as exc:
            found.append(f"{cfg.path}: digest: {exc}")
    # What each kind needs locally (its `check` hook): keyrings that exist and hold a key, gpgv...
    found += [f"{cfg.path}: {line}" for line in configuration.source_problems(cfg)]
    return found


def load_checked(path: str | Path) -> configuration.Config:
    """Load and validate; raises ConfigError with the first problem (what `poll` and `run` use)."""
    cfg = configuration.load(path)
    found = problems(cfg)
    if found:
        more = f" (and {len(found) - 1} more: trackbot check lists them)" if len(found) > 1 else ""
        raise ConfigError(found[0] + more)
    return cfg


def _url_problems(conf: SourceConf) -> list[str]:
    """Fields named like URLs must be absolute http(s) URLs with a host."""
    lines = []
    for field in dataclasses.fields(conf):
        if "url" not in field.name:
            continue
        value = getattr(conf, field.name)
        for url in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(url, str) or not url:
                continue
            parts = urlsplit(url)
            if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
                shown = url if len(url) <= 80 else url[:77] + "..."
                lines.append(f"'{field.name}' {shown!r} is not an http(s) URL (only http:// and https:// are fetched)")
    return lines
