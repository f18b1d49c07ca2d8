"""Read apt's own sources configuration the way apt reads it: one-line .list and deb822 .sources files.

Pure parsing (parse_sources) plus reading a directory or file (read_entries). In a
directory only ``*.list`` and ``*.sources`` files count; ``deb-src`` and ``Enabled: no``
entries are skipped; a suite split over several lines is merged into one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from bot.sources.api import SourceError, deb822

DEFAULT_DIR = "/etc/apt/sources.list.d"
_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{16,40}!?$")


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


def read_entries(
    path: str, default_arch: tuple[str, ...], config_dir: Path = Path(".")
) -> tuple[list[Entry], list[str]]:
    """The entries of every file apt would read at `path`; SourceError when there is none."""
    root = Path(path).expanduser()
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
    for file in files:
        try:
            found, skipped = parse_sources(file.read_text(encoding="utf-8"), file.name, default_arch)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {file}: {exc}") from None
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
