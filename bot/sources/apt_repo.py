"""apt_repo: one apt repository, checked every poll the way apt-get update checks it.

On 2 June 2016 Docker's repository served an InRelease whose checksums did not
match its Packages files and every `apt-get update` failed for a day. This kind
fetches InRelease, verifies it with gpgv against the configured keyring, then
streams and hashes each configured Packages index, and reports what apt would
refuse as findings (signature, key change, hash mismatch, missing index, expiry,
rollback, key about to expire). The core turns findings into incidents.

    - {name: docker-apt, kind: apt_repo, url: "https://download.docker.com/linux/debian",
       suites: [bookworm], components: [stable], keyring: keys/docker.asc,
       watch_packages: [docker-ce, containerd.io]}
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sources import apt_release
from bot.sources.api import Context, Kind, Record, Snapshot, SourceConf
from bot.sources.apt_common import Policy, RepoResult, RepoSpec, check_repo, package_records

NAME = "apt_repo"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str
    suites: tuple[str, ...]
    components: tuple[str, ...] = ("main",)
    architectures: tuple[str, ...] = ("amd64",)
    keyring: str  # binary or armored; required: an unsigned repository is an error, not a default
    watch_packages: tuple[str, ...] = ()
    products: dict[str, str] = field(default_factory=dict)  # package -> product (default debian:<pkg>)
    hash_mismatch_polls: int = 2  # mirrors sync InRelease a moment before the indexes
    signature_polls: int = 1
    check_by_hash: bool = True

    def __post_init__(self) -> None:
        check_conf(self)
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must be an http(s) repository root, got {self.url!r}")
        if not self.suites or not self.components:
            raise ValueError("'suites' and 'components' must name at least one each")
        if not self.keyring:
            raise ValueError("'keyring' is required: an unsigned repository is not checked")


def check_conf(conf: Any) -> None:
    """Checks both apt kinds share (polls, architectures)."""
    for name in ("hash_mismatch_polls", "signature_polls"):
        if getattr(conf, name) < 1:
            raise ValueError(f"'{name}' must be at least 1")
    if not conf.architectures:
        raise ValueError("'architectures' must name at least one (e.g. amd64)")


def policy_for(conf: Conf, product: str = "") -> Policy:
    return Policy(
        source=conf.name,
        product=product or conf.product or f"apt:{conf.name}",
        watch=frozenset(conf.watch_packages),
        products=dict(conf.products),
        hash_polls=conf.hash_mismatch_polls,
        signature_polls=conf.signature_polls,
        by_hash=conf.check_by_hash,
    )


def keyring_path(keyring: str, config_dir: Path) -> Path:
    path = Path(keyring).expanduser()
    return path if path.is_absolute() else config_dir / path


def parse(body: bytes, conf: Conf) -> list[Record]:
    """The repo_state of a Release text (already verified): what the next run compares with."""
    info = apt_release.parse_release(body, conf.url)
    return [Record("repo_state", f"repo:{info.codename or info.suite}", policy_for(conf).product, "",
                   info.state(()))]


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    policy = policy_for(conf)
    keyring = keyring_path(conf.keyring, ctx.config_dir)
    results: list[RepoResult] = []
    for suite in conf.suites:
        spec = RepoSpec(conf.url, suite, conf.components, conf.architectures, (keyring,), repo_id=suite)
        results.append(await check_repo(spec, policy, ctx))
    return assemble(results, policy, ctx, conf.url)


def assemble(results: list[RepoResult], policy: Policy, ctx: Context, url: str) -> Snapshot:
    """One snapshot from the repositories' results: findings deduplicated by key."""
    records = [r for result in results for r in result.records]
    if policy.watch:
        records += package_records(results, ctx.previous, policy, url)
    findings = {f.key: f for result in results for f in result.findings}
    unverified = any(result.unverified for result in results)
    unchecked = tuple(sorted({prefix for result in results for prefix in result.unchecked}))
    return Snapshot(tuple(records), tuple(findings.values()), complete=not unverified, unchecked=unchecked)


def gpg_problems() -> list[str]:
    """What `trackbot check` says when the tools apt signatures need are missing."""
    if shutil.which("gpgv"):
        return []
    return ["gpgv is not installed: apt signatures cannot be verified (Debian package gpgv)"]


def check(conf: Conf, config_dir: Path) -> list[str]:
    """Local problems `trackbot check` reports: a keyring that is not where the poll will look
    (relative to sources.yaml), gpgv missing."""
    problems = []
    where = config_dir / conf.keyring
    if conf.keyring and not where.exists():
        problems.append(f"keyring {where} does not exist")
    return problems + gpg_problems()


KIND = Kind(name=NAME, conf=Conf, collect=collect, check=check)
