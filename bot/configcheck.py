"""The one definition of a usable config, shared by `trackbot check`, `poll` and `run`.

`bot.config.load` checks the YAML's shape; this adds what the file names outside itself
or in free-form strings: source URLs must be http(s) with a host (a `file:///etc/passwd`
or `not a url` used to pass `check` and then fail every poll), keyrings must exist where
the poll will look for them, and each kind's own `check` hook has its say. `check`
prints every problem; `poll` and `run` refuse the config on the first (exit 2), so the
two commands can never disagree about what is valid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from bot import config as configuration
from bot.errors import ConfigError
from bot.kinds import KINDS
from bot.poll import parse_interval
from bot.sources.api import SourceConf

URL_SCHEMES = ("http", "https")
PUBLIC_KEY_PACKET = 6  # RFC 4880 packet tag of a public key
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
    for index, conf in enumerate(cfg.sources):
        where = f"{cfg.path}: sources[{index}] {conf.name}"
        found += [f"{where}: {line}" for line in _url_problems(conf)]
        keyring = getattr(conf, "keyring", "")
        path = cfg.config_dir / Path(keyring).expanduser()  # as the apt kinds read it: relative to sources.yaml
        if keyring and not path.exists():
            found.append(f"{where}: keyring {path} does not exist")
        elif keyring and not holds_public_key(path):
            found.append(f"{where}: keyring {path} holds no OpenPGP public key (export it with "
                         "`gpg --export KEYID > file` or use the .asc the repository publishes)")
        hook = KINDS[conf.kind].check
        if hook is not None:
            found += [f"{where}: {line}" for line in hook(conf, cfg.config_dir)]
    return found


def load_checked(path: str | Path) -> configuration.Config:
    """Load and validate; raises ConfigError with the first problem (what `poll` and `run` use)."""
    cfg = configuration.load(path)
    found = problems(cfg)
    if found:
        more = f" (and {len(found) - 1} more: trackbot check lists them)" if len(found) > 1 else ""
        raise ConfigError(found[0] + more)
    return cfg


def holds_public_key(path: Path) -> bool:
    """Does the file start like an OpenPGP public key (armored or binary)?

    A keyring pointing at the wrong file (a private file, a text note) used to pass `check`
    and then page CRITICAL "signature does not verify" about the repository: a local mistake
    reported as upstream breakage. Only the first packet's tag is read, not the whole key.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if b"-----BEGIN PGP PUBLIC KEY BLOCK-----" in head or head[8:12] == b"KBXf":  # armored, or a GnuPG keybox
        return True
    if not head or not head[0] & 0x80:
        return False
    tag = head[0] & 0x3F if head[0] & 0x40 else (head[0] & 0x3C) >> 2  # new or old packet format
    return tag == PUBLIC_KEY_PACKET


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
