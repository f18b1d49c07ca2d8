"""The registry of source kinds: a plain dict, filled by explicit imports.

Adding a kind: write its module in bot/sources/ (ending in `KIND = Kind(...)`) and add it below."""

from __future__ import annotations

from bot.sources import (
    debian_changelog,
    debian_dsa,
    debian_releases,
    debian_security_tracker,
    docker_changelog,
    endoflife,
    github_releases,
    kernel_changelog,
    kernel_feed,
    kernel_releases,
    kev,
    rhel_csaf,
    rhel_lifecycle,
)
from bot.sources.api import Kind
from bot.sources.apt import host as apt_sources
from bot.sources.apt import repo as apt_repo

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        github_releases.KIND,
        docker_changelog.KIND,
        apt_repo.KIND,
        apt_sources.KIND,
        kernel_releases.KIND,
        kernel_feed.KIND,
        kernel_changelog.KIND,
        debian_changelog.KIND,
        endoflife.KIND,
        debian_security_tracker.KIND,
        debian_dsa.KIND,
        debian_releases.KIND,
        kev.KIND,
        rhel_csaf.KIND,
        rhel_lifecycle.KIND,
    )
}
