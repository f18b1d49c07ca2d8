"""apt_sources: watch every repository this host's apt configuration names, with its own keys.

This is how trackbot covers the Debian archive (and any vendor repository a
host installs from) without naming a mirror in sources.yaml: it reads the
same files apt reads and checks each URL + suite with the apt_repo machinery.

Read like apt: in a directory only ``*.list`` (one-line) and ``*.sources``
(deb822) files count; ``deb-src`` and ``Enabled: no`` entries are skipped.
Keys: ``Signed-By`` (paths, fingerprints, or an inline armored key block) or
``[signed-by=...]``. Without one, a repository whose URL looks like Debian's
(a path part starting with "debian") is checked against the Debian archive
keyring, and any other against every keyring in /etc/apt/trusted.gpg.d plus
/etc/apt/trusted.gpg, which is what apt itself trusts when nothing is pinned.
Flat repositories (``Suites: ./``) and non-HTTP URIs (cdrom:, file:, mirror+)
are skipped with a note.

    - {name: host-apt, kind: apt_sources}            # /etc/apt/sources.list.d + sources.list
    - {name: image-apt, kind: apt_sources, path: ci/sources.list, watch_packages: [docker-ce]}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.sources.api import Context, Finding, Kind, Record, Snapshot, SourceError, asyncio
from bot.sources.apt import openpgp
from bot.sources.apt.engine import assemble, check_repo
from bot.sources.apt.keyrings import keyring_problem
from bot.sources.apt.settings import AptChecks, Policy
from bot.sources.apt.sources_list import DEFAULT_DIR, Entry, parse_sources, read_entries
from bot.sources.apt.spec import RepoResult, RepoSpec, previous_state, unjudged

NAME = "apt_sources"


@dataclass(frozen=True, kw_only=True)
class Conf(AptChecks):
    path: str = DEFAULT_DIR  # a directory of *.list/*.sources, or one file
    unreachable_polls: int = 3  # one repository of many failing to answer
    debian_keyring: str = "/usr/share/keyrings/debian-archive-keyring.gpg"
    trusted_parts: str = "/etc/apt/trusted.gpg.d"
    concurrency: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.unreachable_polls < 1 or self.concurrency < 1:
            raise ValueError("'unreachable_polls' and 'concurrency' must be at least 1")


def default_keyrings(entry: Entry, conf: Conf) -> tuple[Path, ...]:
    """Keys for an entry without Signed-By (see the module docstring for why these)."""
    looks_debian = any(part.startswith("debian") for part in entry.uri.split("/")[3:])
    if looks_debian and Path(conf.debian_keyring).is_file():
        return (Path(conf.debian_keyring),)
    parts = Path(conf.trusted_parts)
    found = sorted(p for p in parts.glob("*") if p.suffix in (".gpg", ".asc")) if parts.is_dir() else []
    legacy = parts.parent / "trusted.gpg"
    return tuple(found + ([legacy] if legacy.is_file() else []))


def spec_for(entry: Entry, conf: Conf, config_dir: Path) -> RepoSpec:
    keyrings = tuple(config_dir / k if not Path(k).is_absolute() else Path(k) for k in entry.keyrings)
    if not keyrings and not entry.inline_keys:
        # apt ignores a key-less file among the trusted ones (an empty legacy trusted.gpg); so do we.
        keyrings = tuple(k for k in default_keyrings(entry, conf) if not keyring_problem(k))
    return RepoSpec(entry.uri, entry.suite, entry.components, entry.architectures, keyrings,
                    repo_id=entry.repo_id, inline_keys=entry.inline_keys, fingerprints=entry.fingerprints)


def parse(body: bytes, conf: Conf) -> list[Record]:
    """One apt_source record per repository a sources file names (pure)."""
    entries, _ = parse_sources(body.decode("utf-8"), conf.path, conf.architectures)
    return [_source_record(e, conf) for e in entries]


def _source_record(entry: Entry, conf: Conf) -> Record:
    return Record("apt_source", f"source:{entry.repo_id}", conf.product or f"apt:{conf.name}", "", {
        "uri": entry.uri, "suite": entry.suite, "components": list(entry.components),
        "architectures": list(entry.architectures), "signed_by": list(entry.keyrings + entry.fingerprints)
        + (["inline key"] if entry.inline_keys else []), "from": entry.origin,
    })


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    entries, _notes = read_entries(conf.path, conf.architectures, ctx.config_dir)
    policy = conf.policy()
    gate = asyncio.Semaphore(conf.concurrency)

    async def one(entry: Entry) -> RepoResult | SourceError:
        async with gate:
            try:
                return await check_repo(spec_for(entry, conf, ctx.config_dir), policy, ctx)
            except SourceError as exc:
                return exc

    outcomes = await asyncio.gather(*(one(e) for e in entries))
    if all(isinstance(o, SourceError) for o in outcomes):
        raise SourceError(f"no repository could be read; first: {outcomes[0]}")
    results = [o if isinstance(o, RepoResult) else _unreachable(e, o, conf, policy, ctx)
               for e, o in zip(entries, outcomes, strict=True)]
    snapshot = assemble(results, policy, ctx, conf.path)
    return Snapshot(snapshot.records + tuple(_source_record(e, conf) for e in entries),
                    snapshot.findings, snapshot.complete, snapshot.unchecked)


def _unreachable(entry: Entry, error: SourceError, conf: Conf, policy: Policy, ctx: Context) -> RepoResult:
    """One repository of several failed: say so, and keep its last good state."""
    result = RepoResult()
    kept = previous_state(ctx.previous, entry.repo_id)
    result.records += [kept] if kept else []
    result.unverified.update(f"{entry.repo_id}/{c}/binary-{a}" for c in entry.components for a in entry.architectures)
    result.unchecked.update(unjudged(policy, entry.repo_id))  # its open incidents are not over
    result.findings.append(Finding(
        kind="apt_repo_unreachable", key=f"apt:{conf.name}:{entry.repo_id}:unreachable",
        summary=f"{entry.uri} {entry.suite}: cannot be read: {error}", severity="warning",
        product=policy.product, data={"url": entry.uri, "suite": entry.suite, "reason": str(error)},
        polls_to_open=conf.unreachable_polls,
    ))
    return result


def check(conf: Conf, config_dir: Path) -> list[str]:
    """Local problems `trackbot check` reports: gpgv, the sources files, the keyrings they name."""
    problems = [openpgp.gpgv_problem()]
    try:
        entries, _notes = read_entries(conf.path, conf.architectures, config_dir)
    except SourceError as exc:
        return [p for p in [*problems, str(exc)] if p]
    keyrings = {keyring for entry in entries for keyring in spec_for(entry, conf, config_dir).keyrings}
    problems += [f"{keyring_problem(k)} (named in {conf.path})" for k in sorted(keyrings)
                 if keyring_problem(k)]
    return [p for p in problems if p]


KIND = Kind(name=NAME, conf=Conf, collect=collect, check=check)
