"""The registry of source kinds: each kind's name and the module that defines it.

Adding a kind: write its module in bot/sources/ (ending in `KIND = Kind(...)`) and add a line
to MODULES below. A kind's module is imported when the kind is first looked up (`KINDS[name]`),
so a command pays only for the kinds its config uses, and `trackbot status` and `--help`, which
look none up, for none of them (issue 11). The names alone (`name in KINDS`, `sorted(KINDS)`)
import nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sources.api import Kind

MODULES: dict[str, str] = {
    "github_releases": "bot.sources.github_releases",
    "docker_changelog": "bot.sources.docker_changelog",
    "apt_repo": "bot.sources.apt.repo",
    "apt_sources": "bot.sources.apt.host",
    "rpm_repo": "bot.sources.rpm.repo",
    "kernel_releases": "bot.sources.kernel_releases",
    "kernel_feed": "bot.sources.kernel_feed",
    "kernel_changelog": "bot.sources.kernel_changelog",
    "debian_changelog": "bot.sources.debian_changelog",
    "endoflife": "bot.sources.endoflife",
    "debian_security_tracker": "bot.sources.debian_security_tracker",
    "debian_dsa": "bot.sources.debian_dsa",
    "debian_releases": "bot.sources.debian_releases",
    "kev": "bot.sources.kev",
    "rhel_csaf": "bot.sources.rhel_csaf",
    "rhel_lifecycle": "bot.sources.rhel_lifecycle",
}


class Registry(Mapping[str, "Kind"]):
    """The kinds by name, each imported from its module at its first lookup (then from sys.modules)."""

    def __getitem__(self, name: str) -> Kind:
        kind: Kind = importlib.import_module(MODULES[name]).KIND  # KeyError: no such kind
        return kind

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)

    def __contains__(self, name: object) -> bool:
        return name in MODULES


KINDS = Registry()
