"""Fleet package inventories: the package lists hosts already print, loaded as package pins.

A team runs hundreds of packages per host; writing each as a fleet pin by hand is how pins go
stale. So sources.yaml names files the hosts print, with the release they run::

    inventories:
      - {file: hosts/web.dpkg, distro: bookworm}   # relative to sources.yaml
      - {file: hosts/db.rpm, distro: "9", name: db01}

Formats (one package per line; blank lines and ``#`` comments are skipped):

- ``dpkg`` (``.dpkg`` files): ``dpkg-query -W -f='${Package} ${Version}\\n'`` (two columns), or
  ``dpkg-query -W -f='${binary:Package} ${source:Package} ${source:Version}\\n'`` (three columns:
  binary, source, version). The security tracker and DSAs name *source* packages, so with three
  columns the pin is the source package (``libssl3`` -> ``debian:openssl``); with two, the name
  is used as printed. An architecture suffix (``libssl3:amd64``) is dropped. A name followed by
  a separator and no version is dpkg's line for a package it knows but has not installed: skipped.
- ``rpm`` (``.rpm`` files): ``rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n'``, an
  optional third column (``%{ARCH}``) ignored; ``(none):`` (``%{EPOCH}`` unset) reads as ``0:``.

Each distinct (package, version, release) is one pin; the inventories that carry it are the
pin's ``hosts`` (the file as written in sources.yaml, or the inventory's ``name``), so an
advisory alert says where to act. A line that is not a package and a version is a one-line
ConfigError naming the file and the line number: a half-read inventory would silence alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core import versions
from bot.core.errors import ConfigError
from bot.core.model import Pin

FORMATS = {"dpkg": "debian", "rpm": "rhel"}  # inventory format -> product family
_SUFFIXES = {".dpkg": "dpkg", ".deb": "dpkg", ".rpm": "rpm"}


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """One `inventories:` entry of sources.yaml."""

    file: str
    distro: str  # bookworm, jessie, "9", "9.2 eus": what advisories name the release
    format: str = ""  # dpkg or rpm; default from the file's suffix
    name: str = ""  # how alerts name the host(s); default: the file as written

    def __post_init__(self) -> None:
        if not self.distro.strip():
            raise ValueError("'distro' is empty (the release the hosts run: bookworm, 9)")
        if self.format_name not in FORMATS:
            raise ValueError(f"cannot tell the format of {self.file!r}: set 'format' to dpkg or rpm")

    @property
    def format_name(self) -> str:
        return self.format or _SUFFIXES.get(Path(self.file).suffix.lower(), "")

    @property
    def label(self) -> str:
        return self.name or self.file


@dataclass(frozen=True)
class Package:
    """One package line of an inventory, normalised: the product family's name and version."""

    product: str
    version: str


def pins(inventories: Sequence[Inventory], config_dir: Path) -> tuple[Pin, ...]:
    """Every inventory read, merged: one pin per (product, distro, version), hosts in file order."""
    hosts: dict[tuple[str, str, str], list[str]] = {}
    for inventory in inventories:
        for package in read(inventory, config_dir):
            held = hosts.setdefault((package.product, inventory.distro, package.version), [])
            if inventory.label not in held:
                held.append(inventory.label)
    return tuple(Pin(product=product, version=version, distro=distro, hosts=tuple(held))
                 for (product, distro, version), held in hosts.items())


def read(inventory: Inventory, config_dir: Path) -> list[Package]:
    """The packages of one inventory file; ConfigError naming the file and line for a bad line."""
    path = config_dir / inventory.file
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read inventory ({reason})") from None
    packages = list(parse(text.splitlines(), inventory.format_name, str(path)))
    if not packages:
        raise ConfigError(f"{path}: inventory lists no packages (expected dpkg-query or rpm -qa output)")
    return packages


def parse(lines: Iterable[str], fmt: str, where: str) -> Iterable[Package]:
    """Package lines of format `fmt` -> packages; `where` names the file in errors."""
    family = FORMATS[fmt]
    scheme = versions.scheme_for(f"{family}:x")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        try:
            name, version = _dpkg_fields(fields, raw) if fmt == "dpkg" else _rpm_fields(fields)
        except _NotInstalled:
            continue
        except ValueError as exc:
            raise ConfigError(f"{where}:{number}: {exc}: {line[:80]!r}") from None
        try:
            versions.parse(version, scheme)
        except ValueError as exc:
            raise ConfigError(f"{where}:{number}: {exc}") from None
        yield Package(f"{family}:{name}", version)


class _NotInstalled(Exception):
    """dpkg's line for a package it knows but has not installed (no version)."""


def _dpkg_fields(fields: list[str], raw: str) -> tuple[str, str]:
    if len(fields) == 1 and raw != raw.rstrip():
        raise _NotInstalled
    if len(fields) == 2:
        name, version = fields
    elif len(fields) == 3:
        _binary, name, version = fields
    else:
        raise ValueError("expected 'package version' or 'binary source version'")
    return _package_name(name.split(":")[0]), version


def _rpm_fields(fields: list[str]) -> tuple[str, str]:
    if len(fields) not in (2, 3):
        raise ValueError("expected 'name epoch:version-release' (rpm -qa --qf)")
    name, version = fields[0], fields[1]
    if version.startswith("(none):"):
        version = "0:" + version.removeprefix("(none):")
    return _package_name(name), version


def _package_name(name: str) -> str:
    if not name or not all(c.isalnum() or c in "+-._" for c in name):
        raise ValueError(f"not a package name {name!r}")
    return name
