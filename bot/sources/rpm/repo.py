"""rpm_repo: a yum/dnf repository checked every poll the way `dnf makecache` checks it.

Give dnf's `baseurl` and the repository's key, or a .repo file (or /etc/yum.repos.d) to check
every enabled repository a host uses with the keys its `gpgkey` names. repomd.xml and its
detached signature, every metadata file's checksum and size, rollback and staleness are
findings (severities as measured dnf: verdicts.py); the watched packages' builds are releases
of ``rhel:<name>`` and updateinfo's security errata are advisories for the pins.

    - {name: docker-rpm, kind: rpm_repo, url: "https://download.docker.com/linux/rhel/9/x86_64/stable",
       keyring: keys/docker-rpm.asc, watch_packages: [docker-ce, containerd.io], distro: "9"}
    - {name: host-yum, kind: rpm_repo, repo_file: /etc/yum.repos.d, releasever: "9"}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.sources.api import (
    Context,
    Event,
    Finding,
    Kind,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    advisory_news,
    parse_interval,
)
from bot.sources.apt import openpgp
from bot.sources.apt.keyrings import keyring_problem
from bot.sources.rpm.dotrepo import RepoEntry, parse_repo_file, read_repo_files
from bot.sources.rpm.engine import check_repo
from bot.sources.rpm.records import merge
from bot.sources.rpm.spec import Policy, RpmResult, RpmSpec

NAME = "rpm_repo"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    """Exactly one of `url` (a baseurl, with `keyring`) and `repo_file` (a .repo file or directory)."""

    url: str = ""
    repo_file: str = ""
    keyring: str = ""  # binary or armored; with repo_file it replaces the files' gpgkey
    releasever: str = ""
    basearch: str = "x86_64"
    distro: str = ""  # the RHEL major ("9"): the records' distro, for pins that name one
    watch_packages: tuple[str, ...] = ()
    products: dict[str, str] = field(default_factory=dict)  # package -> product (default rhel:<pkg>)
    hash_mismatch_polls: int = 2
    signature_polls: int = 1
    stale_after: str = ""  # e.g. "14d": warn when the metadata has not changed for that long

    def __post_init__(self) -> None:
        if bool(self.url) == bool(self.repo_file):
            raise ValueError("give exactly one of 'url' (a baseurl) and 'repo_file' (a .repo file or directory)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must be an http(s) baseurl, got {self.url!r}")
        if self.url and not self.keyring:
            raise ValueError("'keyring' is required with 'url': an unsigned repository is not checked")
        for key in ("hash_mismatch_polls", "signature_polls"):
            if getattr(self, key) < 1:
                raise ValueError(f"'{key}' must be at least 1")
        if self.stale_after:
            parse_interval(self.stale_after)

    def policy(self) -> Policy:
        return Policy(source=self.name, product=self.product or f"rpm:{self.name}",
                      watch=frozenset(self.watch_packages), products=dict(self.products), distro=self.distro,
                      hash_polls=self.hash_mismatch_polls, signature_polls=self.signature_polls,
                      stale_after=parse_interval(self.stale_after) if self.stale_after else None)


def _local(path: str, config_dir: Path) -> Path:
    where = Path(path).expanduser()
    return where if where.is_absolute() else config_dir / where


async def specs(conf: Conf, ctx: Context) -> tuple[list[RpmSpec], list[str]]:
    """The repositories to check: the baseurl, or every enabled one of the .repo files."""
    if conf.url:
        return [RpmSpec(conf.url, "main", (_local(conf.keyring, ctx.config_dir),))], []
    entries: list[RepoEntry] = []
    notes: list[str] = []
    variables = {"releasever": conf.releasever, "basearch": conf.basearch, "arch": conf.basearch}
    for path in read_repo_files(_local(conf.repo_file, ctx.config_dir)):
        found, skipped = parse_repo_file(path.read_text(errors="replace"), str(path), variables)
        entries += found
        notes += skipped
    if not entries:
        raise SourceError(f"no enabled repository with a baseurl in {conf.repo_file}")
    out = []
    for entry in entries:
        if conf.keyring:
            out.append(RpmSpec(entry.baseurl, entry.id, (_local(conf.keyring, ctx.config_dir),),
                               gpgcheck=entry.repo_gpgcheck))
            continue
        files = tuple(Path(k.removeprefix("file://")) for k in entry.gpgkeys if k.startswith(("file:", "/")))
        fetched = tuple([(await ctx.get(k, conditional=False)).body for k in entry.gpgkeys
                         if k.startswith(("http://", "https://"))])
        out.append(RpmSpec(entry.baseurl, entry.id, files, fetched, gpgcheck=entry.repo_gpgcheck))
    return out, notes


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    policy = conf.policy()
    repos, _notes = await specs(conf, ctx)  # the skipped ones: `trackbot check` lists them
    results: list[RpmResult] = [await check_repo(spec, policy, ctx) for spec in repos]
    records = merge([r for result in results for r in result.records])
    findings: dict[str, Finding] = {f.key: f for result in results for f in result.findings}
    unchecked = tuple(sorted({p for result in results for p in result.unchecked}))
    complete = not any(result.carried for result in results)
    return Snapshot(tuple(records), tuple(findings.values()), complete=complete, unchecked=unchecked)


def events(previous: Sequence[Record], snapshot: Snapshot, conf: Conf, ctx: Context) -> list[Event]:
    """`advisory` and `fix_available` for the pins updateinfo's errata concern (as rhel_csaf's)."""
    return advisory_news(conf.name, previous, snapshot.records, ctx.fleet, ctx.cves)


def check(conf: Conf, config_dir: Path) -> list[str]:
    """Local problems `trackbot check` reports: the keyring or the .repo files, and gpgv."""
    problems = [openpgp.gpgv_problem()]
    if conf.keyring:
        problems.append(keyring_problem(_local(conf.keyring, config_dir)))
    where = _local(conf.repo_file, config_dir) if conf.repo_file else None
    if where is not None and not where.exists():
        problems.append(f"no such .repo file or directory: {conf.repo_file}")
    elif where is not None:
        variables = {"releasever": conf.releasever, "basearch": conf.basearch, "arch": conf.basearch}
        for path in read_repo_files(where):
            problems += parse_repo_file(path.read_text(errors="replace"), str(path), variables)[1]
    return [p for p in problems if p]


KIND = Kind(name=NAME, conf=Conf, collect=collect, events=events, check=check)
