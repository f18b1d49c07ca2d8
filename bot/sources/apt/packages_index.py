"""Streaming checks of one Packages index: size, SHA256 and (optionally) watched versions.

An index is hashed chunk by chunk as it arrives and never held whole: Debian's
main index is tens of megabytes and a broken mirror may serve anything. hashlib
releases the GIL on large updates, so big chunks hash at sha256sum speed.
Package versions are read from the decompressed stream only when the source
watches packages, and only stanzas naming a watched package reach python-debian.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.sources.api import deb822

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not Python, is the cost
_PACKAGE = re.compile(rb"^Package:[ \t]*(\S+)", re.M)
MAX_DECOMPRESSED_CHUNK = 8 << 20  # inflate at most this much at a time (a 1 MiB bomb chunk is GBs)
MAX_STANZA = 4 << 20  # Debian's longest stanzas are tens of KB: past this it is not a Packages file
MAX_DECOMPRESSED = 1 << 30  # the biggest real Packages index is a few hundred MB


class Decompressor(Protocol):
    """What lzma, bz2 and zlib decompressors share (zlib also has unconsumed_tail)."""

    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def _decompressor(path: str) -> Decompressor | None:
    if path.endswith(".xz"):
        return lzma.LZMADecompressor()
    if path.endswith(".gz"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if path.endswith(".bz2"):
        return bz2.BZ2Decompressor()
    return None


@dataclass
class IndexCheck:
    """Feed it the raw bytes of an index; it keeps only a hash, a size and watched versions."""

    path: str
    watch: frozenset[str] = frozenset()
    size: int = 0
    versions: dict[str, set[str]] = field(default_factory=dict)
    error: str = ""

    def __post_init__(self) -> None:
        self._sha = hashlib.sha256()
        self._dec = _decompressor(self.path) if self.watch else None
        self._tail = b""
        self._inflated = 0

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def feed(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        self.size += len(chunk)
        if self.watch and not self.error:
            try:
                for data in self._inflate(chunk):
                    self._parse(data)
                    if self.error:
                        break
            except (lzma.LZMAError, zlib.error, OSError, EOFError, ValueError) as exc:
                self.error = f"does not decompress: {exc}"

    def _inflate(self, chunk: bytes) -> Iterator[bytes]:
        """Decompressed pieces of at most MAX_DECOMPRESSED_CHUNK each (memory stays bounded)."""
        if self._dec is None:
            yield chunk
            return
        while True:
            out = self._dec.decompress(chunk, MAX_DECOMPRESSED_CHUNK)
            yield out
            if len(out) < MAX_DECOMPRESSED_CHUNK or self._dec.eof:
                return  # all input consumed and nothing pending
            chunk = getattr(self._dec, "unconsumed_tail", b"")  # zlib hands back unread input; lzma/bz2 keep it

    def close(self) -> None:
        """End of stream: parse the last stanza (a file need not end with a blank line)."""
        if self.watch and not self.error:
            if self._dec is not None and not self._dec.eof:
                self.error = "compressed stream is truncated"
            self._parse(b"", final=True)

    def _parse(self, data: bytes, final: bool = False) -> None:
        self._inflated += len(data)
        if self._inflated > MAX_DECOMPRESSED:
            self.error = f"decompresses to more than {MAX_DECOMPRESSED >> 20} MiB (not a Packages index)"
            return
        buf = self._tail + data
        cut = len(buf) if final else buf.rfind(b"\n\n") + 1
        if cut <= 0:
            self._tail = buf
            if len(buf) > MAX_STANZA:
                self.error = f"a stanza longer than {MAX_STANZA >> 20} MiB (not a Packages index)"
                self._tail = b""
            return
        block, self._tail = buf[:cut], buf[cut:]
        for name, version in watched_versions(block, self.watch):
            self.versions.setdefault(name, set()).add(version)


def watched_versions(block: bytes, watch: frozenset[str]) -> list[tuple[str, str]]:
    """(package, version) of the watched packages in complete stanzas, via python-debian."""
    wanted = [s for s in re.split(rb"\n[ \t]*\n", block) if _wanted(s, watch)]
    if not wanted:
        return []
    lines = b"\n\n".join(wanted).splitlines(keepends=True)
    found = []
    for para in deb822.Packages.iter_paragraphs(lines, use_apt_pkg=False):
        if para.get("Package") in watch and para.get("Version"):
            found.append((para["Package"], para["Version"]))
    return found


def _wanted(stanza: bytes, watch: frozenset[str]) -> bool:
    match = _PACKAGE.search(stanza)
    return match is not None and match.group(1).decode("ascii", "replace") in watch


def hash_file(path: Path, chunk: int = CHUNK) -> tuple[int, str]:
    """(size, sha256) of a local file with the same streaming code (benchmarks, tools)."""
    check = IndexCheck(str(path))
    with open(path, "rb", buffering=0) as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            check.feed(block)
    check.close()
    return check.size, check.sha256


def feed_all(check: IndexCheck, chunks: Iterable[bytes]) -> IndexCheck:
    """Feed an iterable of chunks (pure helper for tests of the parsing side)."""
    for chunk in chunks:
        check.feed(chunk)
    check.close()
    return check

