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

import asyncio
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from debian import deb822

from bot.sources.api import Context, Finding, Kind, Record, Snapshot, SourceConf, SourceError
from bot.sources.apt_common import Policy, RepoResult, RepoSpec, check_repo, previous_state, unjudged
from bot.sources.apt_repo import assemble, check_conf, gpg_problems

NAME = "apt_sources"
DEFAULT_DIR = "/etc/apt/sources.list.d"
_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{16,40}!?$")


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    path: str = DEFAULT_DIR  # a directory of *.list/*.sources, or one file
    architectures: tuple[str, ...] = ("amd64",)  # when an entry names none
    watch_packages: tuple[str, ...] = ()
    products: dict[str, str] = field(default_factory=dict)
    hash_mismatch_polls: int = 2
    signature_polls: int = 1
    unreachable_polls: int = 3  # one repository of many failing to answer
    check_by_hash: bool = True
    debian_keyring: str = "/usr/share/keyrings/debian-archive-keyring.gpg"
    trusted_parts: str = "/etc/apt/trusted.gpg.d"
    concurrency: int = 4

    def __post_init__(self) -> None:
        check_conf(self)
        if self.unreachable_polls < 1 or self.concurrency < 1:
            raise ValueError("'unreachable_polls' and 'concurrency' must be at least 1")


@dataclass(frozen=True)
class Entry:
    """One (URI, suite) apt would fetch, with the keys it must be signed by."""

    uri: str
    suite: str
    components: tuple[str, ...]
    architectures: tuple[str, ...]
    keyrings: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()
    inline_keys: tuple[bytes, ...] = ()
    origin: str = ""  # file:line (or file:paragraph) it came from

    @property
    def repo_id(self) -> str:
        return f"{self.uri.rstrip('/')} {self.suite}"


def parse_sources(text: str, origin: str, default_arch: tuple[str, ...]) -> tuple[list[Entry], list[str]]:
    """Entries and skip notes of one sources file (deb822 when it has a Types: field)."""
    if re.search(r"^Types:", text, re.M | re.I):
        return _parse_deb822(text, origin, default_arch)
    return _parse_one_line(text, origin, default_arch)


def _parse_one_line(text: str, origin: str, default_arch: tuple[str, ...]) -> tuple[list[Entry], list[str]]:
    entries, notes = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        where = f"{origin}:{number}"
        if not line:
            continue
        options: dict[str, str] = {}
        match = re.match(r"^(\S+)\s+\[([^\]]*)\]\s*(.*)$", line)
        if match:
            kind, opts, rest = match.groups()
            options = dict(o.split("=", 1) for o in opts.split() if "=" in o)
            words = [kind, *rest.split()]
        else:
            words = line.split()
        if words[0] != "deb":
            if words[0] != "deb-src":
                notes.append(f"{where}: skipped: unknown type {words[0]!r}")
            continue
        if len(words) < 3:
            notes.append(f"{where}: skipped: needs a URI and a suite")
            continue
        signed = _split(options.get("signed-by", ""))
        archs = tuple(_split(options.get("arch", ""))) or default_arch
        entry, note = _entry(words[1], words[2], tuple(words[3:]), archs, signed, (), where)
        entries += [entry] if entry else []
        notes += [note] if note else []
    return entries, notes


def _parse_deb822(text: str, origin: str, default_arch: tuple[str, ...]) -> tuple[list[Entry], list[str]]:
    entries, notes = [], []
    for number, para in enumerate(deb822.Deb822.iter_paragraphs(text.splitlines(True), use_apt_pkg=False), 1):
        where = f"{origin}#{number}"
        fields = {k.lower(): v for k, v in para.items()}
        if fields.get("enabled", "yes").strip().lower() == "no":
            continue
        if "deb" not in fields.get("types", "").split():
            continue  # deb-src only
        inline, signed = _signed_by(fields.get("signed-by", ""))
        archs = tuple(fields.get("architectures", "").split()) or default_arch
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                entry, note = _entry(uri, suite, tuple(fields.get("components", "").split()), archs,
                                     signed, inline, where)
                entries += [entry] if entry else []
                notes += [note] if note else []
        if not fields.get("uris") or not fields.get("suites"):
            notes.append(f"{where}: skipped: needs URIs and Suites")
    return entries, notes


def _signed_by(value: str) -> tuple[tuple[bytes, ...], list[str]]:
    """An inline key block (deb822 continuation lines, "." for blank) or a list of paths/fingerprints."""
    if "BEGIN PGP PUBLIC KEY BLOCK" in value:
        lines = [ln.strip() for ln in value.strip().splitlines()]
        block = "\n".join("" if ln == "." else ln for ln in lines) + "\n"
        return (block.encode(),), []
    return (), _split(value)


def _split(value: str) -> list[str]:
    return [v for v in re.split(r"[\s,]+", value.strip()) if v]


def _entry(uri: str, suite: str, components: tuple[str, ...], archs: tuple[str, ...], signed: list[str],
           inline: tuple[bytes, ...], where: str) -> tuple[Entry | None, str]:
    if not uri.startswith(("http://", "https://")):
        return None, f"{where}: skipped {uri}: only http(s) repositories are checked"
    if suite.endswith("/"):
        return None, f"{where}: skipped {uri} {suite}: flat repository (no dists/), not checked"
    if not components:
        return None, f"{where}: skipped {uri} {suite}: no components"
    fingerprints = tuple(s for s in signed if _FINGERPRINT.match(s))
    keyrings = tuple(s for s in signed if s not in fingerprints)
    return Entry(uri.rstrip("/"), suite, components, archs, keyrings, fingerprints, inline, where), ""


def read_entries(conf: Conf, config_dir: Path = Path(".")) -> tuple[list[Entry], list[str]]:
    """The entries of every file apt would read at conf.path; SourceError when there is none."""
    root = Path(conf.path).expanduser()
    root = root if root.is_absolute() else config_dir / root
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in (".list", ".sources"))
        if str(root) == DEFAULT_DIR and Path("/etc/apt/sources.list").is_file():
            files.insert(0, Path("/etc/apt/sources.list"))
    elif root.is_file():
        files = [root]
    else:
        raise SourceError(f"no apt sources at {root}")
    entries, notes = [], []
    for path in files:
        try:
            found, skipped = parse_sources(path.read_text(encoding="utf-8"), path.name, conf.architectures)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {path}: {exc}") from None
        entries += found
        notes += skipped
    unique = merge_entries(entries)
    if not unique:
        raise SourceError(f"no enabled http(s) 'deb' repository in {root} ({'; '.join(notes) or 'empty'})")
    return unique, notes


def merge_entries(entries: list[Entry]) -> list[Entry]:
    """One entry per URI + suite, with every component and architecture any line asked for.

    A suite split over two lines (main here, contrib in another file) is one Release whose
    indexes apt fetches all; keeping only the last line would silently stop checking the others.
    """
    merged: dict[str, Entry] = {}
    for entry in entries:
        seen = merged.get(entry.repo_id)
        merged[entry.repo_id] = entry if seen is None else replace(
            seen, components=tuple(dict.fromkeys(seen.components + entry.components)),
            architectures=tuple(dict.fromkeys(seen.architectures + entry.architectures)))
    return list(merged.values())


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
        keyrings = default_keyrings(entry, conf)
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
    entries, _notes = read_entries(conf, ctx.config_dir)
    policy = Policy(source=conf.name, product=conf.product or f"apt:{conf.name}",
                    watch=frozenset(conf.watch_packages), products=dict(conf.products),
                    hash_polls=conf.hash_mismatch_polls, signature_polls=conf.signature_polls,
                    by_hash=conf.check_by_hash)
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
    """Local problems `trackbot check` reports: gpgv missing."""
    return gpg_problems()


KIND = Kind(name=NAME, conf=Conf, collect=collect, check=check)
