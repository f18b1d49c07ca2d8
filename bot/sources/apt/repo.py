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

from dataclasses import dataclass
from pathlib import Path

from bot.sources.api import Context, Kind, Record, Snapshot
from bot.sources.apt import openpgp
from bot.sources.apt import release as apt_release
from bot.sources.apt.engine import assemble, check_repo
from bot.sources.apt.keyrings import keyring_problem
from bot.sources.apt.settings import AptChecks
from bot.sources.apt.spec import RepoResult, RepoSpec

NAME = "apt_repo"


@dataclass(frozen=True, kw_only=True)
class Conf(AptChecks):
    url: str
    suites: tuple[str, ...]
    components: tuple[str, ...] = ("main",)
    keyring: str  # binary or armored; required: an unsigned repository is an error, not a default

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must be an http(s) repository root, got {self.url!r}")
        if not self.suites or not self.components:
            raise ValueError("'suites' and 'components' must name at least one each")
        if not self.keyring:
            raise ValueError("'keyring' is required: an unsigned repository is not checked")
        where = Path(self.keyring).expanduser()
        if where.is_absolute() and where.exists():  # relative ones: `check` and each poll, from sources.yaml
            problem = keyring_problem(where)
            if problem:
                raise ValueError(problem)


def keyring_path(keyring: str, config_dir: Path) -> Path:
    path = Path(keyring).expanduser()
    return path if path.is_absolute() else config_dir / path


def parse(body: bytes, conf: Conf) -> list[Record]:
    """The repo_state of a Release text (already verified): what the next run compares with."""
    info = apt_release.parse_release(body, conf.url)
    return [Record("repo_state", f"repo:{info.codename or info.suite}", conf.policy().product, "",
                   info.state(()))]


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    policy = conf.policy()
    keyring = keyring_path(conf.keyring, ctx.config_dir)
    results: list[RepoResult] = []
    for suite in conf.suites:
        spec = RepoSpec(conf.url, suite, conf.components, conf.architectures, (keyring,), repo_id=suite)
        results.append(await check_repo(spec, policy, ctx))
    return assemble(results, policy, ctx, conf.url)


def check(conf: Conf, config_dir: Path) -> list[str]:
    """Local problems `trackbot check` reports: the keyring (exists, holds a key) and gpgv."""
    problems = [keyring_problem(keyring_path(conf.keyring, config_dir)), openpgp.gpgv_problem()]
    return [p for p in problems if p]


KIND = Kind(name=NAME, conf=Conf, collect=collect, check=check)
