"""Load and validate sources.yaml before any network call.

Every problem is one line naming the file, the source and the key, raised as
ConfigError (the CLI exits 2). Each source kind declares its settings as a frozen
dataclass (`Conf`); this module checks the YAML against it, so parsers never see
an untyped dict.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from bot.config import inventory
from bot.config.digest import DigestConf
from bot.core.clock import parse_interval
from bot.core.errors import ConfigError
from bot.core.model import Pin, SourceConf
from bot.core.settings import MetricsConf, NotifyConf, RetentionConf, Settings, SlackConf
from bot.judge import relevance, watchwords
from bot.sources.registry import KINDS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Config", "MetricsConf", "NotifyConf", "RetentionConf", "Settings", "SlackConf", "load", "parse"]

# libyaml's safe loader when PyYAML was built with it: a 1,000-source file loads ~10x faster
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

OUTLINE_KEYS = {f.name for f in dataclasses.fields(SourceConf)}  # what every kind's Conf has
T = TypeVar("T", bound="DataclassInstance")  # a Conf, a Pin, SlackConf, Settings: built by _build
TOP_KEYS = {"fleet", "inventories", "watch_words", "bug_numbers", "sources", "slack", "settings", "arch", "modules",
            "metrics", "heartbeat_url", "notify", "digest",  # these four: running it unattended (README "Deploy")
            "retention"}  # how long run rows and delivered alerts' bodies are kept (bot/store/retention.py)


@dataclass(frozen=True)
class Config:
    path: Path
    fleet: tuple[Pin, ...]
    watch_words: tuple[str, ...]
    sources: tuple[SourceConf, ...]
    slack: SlackConf
    settings: Settings
    bug_numbers: tuple[str, ...] = ()  # bugs the team waits on: a newer release closing one is news
    profile: relevance.FleetProfile = relevance.FleetProfile()  # arch, modules, compiled watch words
    metrics: MetricsConf = MetricsConf()
    heartbeat_url: str = ""  # fetched (GET) after every successful run
    notify: tuple[NotifyConf, ...] = ()
    retention: RetentionConf = RetentionConf()
    digest: DigestConf | None = None  # `run` posts the weekly digest only when this is set

    @property
    def config_dir(self) -> Path:
        return self.path.parent


def load(path: str | Path, *, outline: bool = False) -> Config:
    """Read and validate a config file; raises ConfigError with one line.

    `outline`: each source as its common settings only (a plain SourceConf: name, kind, `every`,
    `product` as written), for a command that lists sources and polls none (`status`): no kind
    module is imported, and a kind's own settings are left to `check`, `poll` and `run`.
    Everything else is checked as always, with the same messages.
    """
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
    return parse(raw, path, outline=outline)


def parse(raw: Any, path: Path, *, outline: bool = False) -> Config:
    """Validate an already-loaded YAML document."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'fleet' and 'sources'")
    _check_keys(raw, TOP_KEYS, f"{path}")
    fleet = tuple(_pin(item, i, path) for i, item in enumerate(_list(raw, "fleet", path)))
    profile = _profile(raw, path)
    words = tuple(w.name for w in profile.watch)
    # Package lists the hosts print (bot/config/inventory.py), read now: a bad line fails the config.
    fleet += inventory.pins([_build(inventory.Inventory, item, f"{path}: inventories[{i}]")
                             for i, item in enumerate(_list(raw, "inventories", path))], path.parent)
    sources = tuple(_source(item, i, path, outline) for i, item in enumerate(_list(raw, "sources", path)))
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.name in seen:
            raise ConfigError(f"{path}: sources[{i}] {source.name}: duplicate source name")
        seen.add(source.name)
    slack = _build(SlackConf, raw.get("slack") or {}, f"{path}: slack")
    settings = _build(Settings, raw.get("settings") or {}, f"{path}: settings")
    bugs = tuple(str(b).strip().lstrip("#") for b in _list(raw, "bug_numbers", path))
    metrics = _build(MetricsConf, raw.get("metrics") or {}, f"{path}: metrics")
    heartbeat = _coerce(raw.get("heartbeat_url") or "", str, f"{path}: 'heartbeat_url'")
    notify = tuple(_build(NotifyConf, item, f"{path}: notify[{i}]") for i, item in enumerate(_list(raw, "notify", path)))
    retention = _build(RetentionConf, raw.get("retention") or {}, f"{path}: retention")
    digest = _build(DigestConf, raw["digest"] or {}, f"{path}: digest") if "digest" in raw else None
    return Config(path, fleet, words, sources, slack, settings, bugs, profile, metrics, heartbeat, notify, retention,
                  digest)


def _profile(raw: dict[str, Any], path: Path) -> relevance.FleetProfile:
    """`arch`, `modules` and `watch_words`: what the fleet runs beyond versions (bot.judge.relevance)."""
    key = "watch_words"
    try:
        watch = watchwords.parse(_list(raw, key, path))
        key = "arch"
        arch = relevance.parse_arch(raw.get(key))
        key = "modules"
        modules = relevance.parse_modules(raw.get(key), path.parent)
    except ValueError as exc:
        raise ConfigError(f"{path}: {key}: {exc}") from None
    return relevance.FleetProfile(arch=arch, modules=modules, watch=watch)


def _list(raw: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: '{key}' must be a list")
    return value


def _pin(item: Any, index: int, path: Path) -> Pin:
    where = f"{path}: fleet[{index}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected {{product: ..., version: ...}}")
    pin = _build(Pin, item, where)  # parsed once, here (Pin.spec)
    if pin.spec is None:
        raise ConfigError(f"{where} {pin.product}: 'version' {pin.version!r} does not parse: {pin.problem}")
    return pin


def _source(item: Any, index: int, path: Path, outline: bool = False) -> SourceConf:
    if not isinstance(item, dict):
        raise ConfigError(f"{path}: sources[{index}]: expected a mapping")
    name = item.get("name") or f"#{index}"
    where = f"{path}: sources[{index}] {name}"
    kind = item.get("kind")
    if kind not in KINDS:  # the names alone: no kind is imported for this
        valid = ", ".join(sorted(KINDS))
        raise ConfigError(f"{where}: unknown kind {kind!r} (valid: {valid})")
    if outline:  # the common settings, checked as the kind's Conf would check them
        conf = _build(SourceConf, {key: value for key, value in item.items() if key in OUTLINE_KEYS}, where)
    else:
        conf = _build(KINDS[str(kind)].conf, item, where)  # imports the kind's module the first time
    if conf.every:
        try:
            parse_interval(conf.every)
        except ValueError:
            # caught here, not at the second poll, where it stopped every source
            raise ConfigError(f"{where}: 'every' {conf.every!r} is not an interval (use e.g. 15m, 1h, 1d)") from None
    return conf


def _build(cls: type[T], raw: Any, where: str) -> T:
    """Build a frozen dataclass from a YAML mapping, checking names and types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    fields, hints = _schema(cls)
    _check_keys(raw, set(fields), where)
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


@functools.cache
def _schema(cls: type[DataclassInstance]) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, Any]]:
    """A dataclass's fields and resolved type hints, worked out once per class: resolving hints
    is most of the cost of building a Conf, and a 1,000-source config builds the same few."""
    return {f.name: f for f in dataclasses.fields(cls)}, typing.get_type_hints(cls)


def _check_keys(raw: dict[Any, Any], allowed: set[str], where: str) -> None:
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


def source_problems(config: Config) -> list[str]:
    """What each source's kind finds wrong locally (its optional `check` hook), one line each,
    named by the source: a keyring that does not exist, a tool that is not installed."""
    problems: list[str] = []
    for index, conf in enumerate(config.sources):
        check = KINDS[conf.kind].check
        if check:
            problems += [f"sources[{index}] {conf.name}: {problem}" for problem in check(conf, config.config_dir)]
    return problems
