"""The registry of source kinds: a plain dict, filled by explicit imports."""

from __future__ import annotations

from types import ModuleType

from bot.sources import (
    apt_repo,
    apt_sources,
    debian_changelog,
    docker_changelog,
    endoflife,
    github_releases,
    kernel_changelog,
    kernel_feed,
    kernel_releases,
)

KINDS: dict[str, ModuleType] = {
    module.KIND: module
    for module in (
        github_releases,
        docker_changelog,
        apt_repo,
        apt_sources,
        kernel_releases,
        kernel_feed,
        kernel_changelog,
        debian_changelog,
        endoflife,
    )
}
