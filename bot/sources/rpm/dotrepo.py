"""dnf's .repo files, read as dnf reads them (pure): the enabled repositories and their keys.

An INI file of sections, one per repository: `baseurl` (the first URL is checked;
`mirrorlist`/`metalink`-only repositories are skipped with a note), `enabled` (default 1),
`repo_gpgcheck` (dnf's default 0: the hosts do not check repomd.xml's signature, so a bad
one is a warning there), `gpgkey` (file:// paths and http(s) URLs, space or newline separated).
`$releasever`, `$basearch` and `$arch` are replaced by the source's `releasever` and `basearch`.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from bot.sources.api import SourceError

_TRUE = {"1", "yes", "true", "on"}


@dataclass(frozen=True)
class RepoEntry:
    """One enabled repository of a .repo file."""

    id: str
    baseurl: str
    gpgkeys: tuple[str, ...]
    repo_gpgcheck: bool
    file: str


def read_repo_files(path: Path) -> list[Path]:
    """A .repo file, or every *.repo of a directory (sorted, as dnf reads /etc/yum.repos.d)."""
    if path.is_dir():
        return sorted(path.glob("*.repo"))
    if not path.exists():
        raise SourceError(f"no such .repo file or directory: {path}")
    return [path]


def parse_repo_file(text: str, name: str, variables: dict[str, str]) -> tuple[list[RepoEntry], list[str]]:
    """The enabled repositories of one .repo text, and a note for each one skipped."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=name)
    except configparser.Error as exc:
        raise SourceError(f"{name}: not a .repo file: {str(exc).splitlines()[0]}") from None
    entries, notes = [], []
    for section in parser.sections():
        options = parser[section]
        if options.get("enabled", "1").strip().lower() not in _TRUE:
            continue
        urls = _expand(options.get("baseurl", ""), variables).split()
        if not urls:
            notes.append(f"{name} [{section}]: no baseurl (mirrorlist/metalink only): not checked")
            continue
        keys = tuple(_expand(options.get("gpgkey", ""), variables).replace(",", " ").split())
        entries.append(RepoEntry(section, urls[0], keys,
                                 options.get("repo_gpgcheck", "0").strip().lower() in _TRUE, name))
    return entries, notes


def _expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), value)
