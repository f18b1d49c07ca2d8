"""Load and validate sources.yaml before any network call.

Every problem is one line naming the file, the source and the key, raised as
ConfigError (the CLI exits 2). Each source kind declares its settings as a frozen
dataclass (`Conf`); this module checks the YAML against it, so parsers never see
an untyped dict.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.kinds import KINDS
from bot.model import Pin
from bot.sources.api import SourceConf

# libyaml's safe loader when PyYAML was built with it: a 1,000-source file loads ~10x faster
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TOP_KEYS = {"fleet", "watch_words", "bug_numbers", "sources", "slack", "settings"}


@dataclass(frozen=True, kw_only=True)
class SlackConf:
    """Where alerts go. Secrets are never here: only the names of the variables holding them."""

    token_env: str = "SLACK_BOT_TOKEN"
    webhook_env: str = "SLACK_WEBHOOK_URL"
    channel: str = "#fleet-alerts"
    digest_channel: str = ""
    base_url: str = ""
    channels: dict[str, str] = dataclasses.field(default_factory=dict)  # severity or product -> channel
    repeat: str = "24h"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Run-wide knobs with safe defaults."""

    concurrency: int = 8
    timeout: float = 30.0
    retries: int = 3
    max_bytes: int = 64 * 1024 * 1024
    failing_after: int = 3  # consecutive failures before a source_failing incident
    source_timeout: float = 600.0  # a whole source's poll, all its requests together


@dataclass(frozen=True)
class Config:
    path: Path
    fleet: tuple[Pin, ...]
    watch_words: tuple[str, ...]
    sources: tuple[SourceConf, ...]
    slack: SlackConf
    settings: Settings
    bug_numbers: tuple[str, ...] = ()  # bugs the team waits on: a newer release closing one is news

    @property
    def config_dir(self) -> Path:
        return self.path.parent


def load(path: str | Path) -> Config:
    """Read and validate a config file; raises ConfigError with one line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: invalid YAML: {problem}") from None
    return parse(raw, path)


def parse(raw: Any, path: Path) -> Config:
    """Validate an already-loaded YAML document."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'fleet' and 'sources'")
    _check_keys(raw, TOP_KEYS, f"{path}")
    fleet = tuple(_pin(item, i, path) for i, item in enumerate(_list(raw, "fleet", path)))
    words = tuple(str(w) for w in _list(raw, "watch_words", path))
    sources = tuple(_source(item, i, path) for i, item in enumerate(_list(raw, "sources", path)))
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.name in seen:
            raise ConfigError(f"{path}: sources[{i}] {source.name}: duplicate source name")
        seen.add(source.name)
    slack = _build(SlackConf, raw.get("slack") or {}, f"{path}: slack")
    settings = _build(Settings, raw.get("settings") or {}, f"{path}: settings")
    bugs = tuple(str(b).strip().lstrip("#") for b in _list(raw, "bug_numbers", path))
    return Config(path, fleet, words, sources, slack, settings, bugs)


def _list(raw: dict, key: str, path: Path) -> list:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: '{key}' must be a list")
    return value


def _pin(item: Any, index: int, path: Path) -> Pin:
    where = f"{path}: fleet[{index}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected {{product: ..., version: ...}}")
    pin = _build(Pin, item, where)
    from bot import versions  # local: versions is heavier and only needed here

    try:
        versions.parse_pin(pin.product, pin.version)
    except ValueError as exc:
        raise ConfigError(f"{where} {pin.product}: 'version' {pin.version!r} does not parse: {exc}") from None
    return pin


def _source(item: Any, index: int, path: Path) -> SourceConf:
    if not isinstance(item, dict):
        raise ConfigError(f"{path}: sources[{index}]: expected a mapping")
    name = item.get("name") or f"#{index}"
    where = f"{path}: sources[{index}] {name}"
    kind = item.get("kind")
    if kind not in KINDS:
        valid = ", ".join(sorted(KINDS))
        raise ConfigError(f"{where}: unknown kind {kind!r} (valid: {valid})")
    conf = _build(KINDS[kind].conf, item, where)
    if conf.every:
        from bot.poll import parse_interval  # local: poll imports this module

        try:
            parse_interval(conf.every)
        except ValueError:
            # caught here, not at the second poll, where it stopped every source
            raise ConfigError(f"{where}: 'every' {conf.every!r} is not an interval (use e.g. 15m, 1h, 1d)") from None
    return conf


def _build(cls: type, raw: Any, where: str) -> Any:
    """Build a frozen dataclass from a YAML mapping, checking names and types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(raw, set(fields), where)
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where}: missing '{name}'")
            continue
        values[name] = _coerce(raw[name], hints[name], f"{where}: '{name}'")
    try:
        return cls(**values)
    except ValueError as exc:  # a Conf's own check (__post_init__) says what is wrong
        raise ConfigError(f"{where}: {exc}") from None


def _check_keys(raw: dict, allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where)
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        return tuple(_coerce(v, args[0], where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping")
        return {str(k): str(v) for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number")
        return float(value)
    if hint is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{where} must be a string")
        return str(value)
    return value
