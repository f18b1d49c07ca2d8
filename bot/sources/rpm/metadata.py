"""One repository metadata file streamed: its checksum and size, and what trackbot reads of it.

A file is hashed chunk by chunk as it arrives and never held whole: a distribution's
primary.xml.gz is tens of megabytes and decompresses to hundreds. When the file is
primary or updateinfo, its decompressed stream also goes through expat (a push parser:
each chunk is parsed as it comes, nothing but the watched packages' versions and errata
is kept), so a 100 MB primary.xml.gz is checked in a few megabytes (benchmarks/bench_rpm_repo.py).
Entity declarations are refused: no repository metadata needs them, and a bomb would be memory.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from bot.sources.rpm.repomd import DataEntry

MAX_INFLATE_STEP = 8 << 20  # inflate at most this much per step (a small bomb chunk is gigabytes)
MAX_DECOMPRESSED = 4 << 30  # the biggest real primary.xml is well under a gigabyte
MAX_TEXT = 2000  # characters kept of one element's text (an erratum's description)


@dataclass
class Package:
    """A watched package's build in primary.xml: name, epoch:version-release, arches, build day."""

    name: str
    evr: str
    arches: set[str] = field(default_factory=set)
    built: int = 0  # the newest build time (Unix) among its arches: when upstream published it


@dataclass
class Erratum:
    """One `<update>` of updateinfo.xml, with only the watched packages of its pkglist."""

    id: str = ""
    type: str = ""
    title: str = ""
    severity: str = ""
    issued: str = ""
    description: str = ""
    cves: list[str] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)  # name -> epoch:version-release


def _decompressor(href: str) -> Any:
    if href.endswith(".gz"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if href.endswith(".xz"):
        return lzma.LZMADecompressor()
    if href.endswith(".bz2"):
        return bz2.BZ2Decompressor()
    return None if href.endswith(".xml") else False  # False: a compression trackbot cannot read (zstd, zck)


def evr(epoch: str | None, version: str | None, release: str | None) -> str:
    """rpm's epoch:version-release, epoch 0 written out (as `rpm -qa --qf` inventories read)."""
    return f"{epoch or '0'}:{version or ''}-{release or ''}"


class _Reader:
    """expat handlers that keep the watched packages (primary) or errata (updateinfo)."""

    def __init__(self, kind: str, watch: Callable[[str], bool]) -> None:
        self.kind, self.watch = kind, watch
        self.packages: dict[tuple[str, str], Package] = {}
        self.errata: list[Erratum] = []
        self.count = 0  # packages or updates seen, watched or not
        self._text: list[str] | None = None
        self._name = self._evr = self._arch = ""
        self._built = 0
        self._update: Erratum | None = None
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars
        self.parser.EntityDeclHandler = self._refuse

    def _refuse(self, *args: object) -> None:
        raise ValueError("the metadata declares XML entities (refused)")

    def _chars(self, data: str) -> None:
        if self._text is not None and sum(map(len, self._text)) < MAX_TEXT:
            self._text.append(data)

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.kind == "primary":
            if tag in ("name", "arch"):
                self._text = []
            elif tag == "version":
                self._evr = evr(attrs.get("epoch"), attrs.get("ver"), attrs.get("rel"))
            elif tag == "time":
                self._built = int(attrs.get("build", "0") or 0) if attrs.get("build", "").isdigit() else 0
            return
        if tag == "update":
            self._update = Erratum(type=attrs.get("type", ""))
        elif self._update is None:
            return
        elif tag in ("id", "title", "severity", "description"):
            self._text = []
        elif tag == "issued":
            self._update.issued = attrs.get("date", "")[:10]
        elif tag == "reference" and attrs.get("type") == "cve" and attrs.get("id"):
            self._update.cves.append(attrs["id"])
        elif tag == "package" and self.watch(attrs.get("name", "")):
            self._update.packages[attrs["name"]] = evr(attrs.get("epoch"), attrs.get("version"), attrs.get("release"))

    def _end(self, tag: str) -> None:
        text, self._text = "".join(self._text or ()).strip(), None
        if self.kind == "primary":
            if tag == "name":
                self._name = text
            elif tag == "arch":
                self._arch = text
            elif tag == "package":
                self.count += 1
                if self._name and self.watch(self._name):
                    found = self.packages.setdefault((self._name, self._evr), Package(self._name, self._evr))
                    found.arches.add(self._arch)
                    found.built = max(found.built, self._built)
                self._name = self._evr = self._arch = ""
                self._built = 0
            return
        if self._update is None:
            return
        if tag in ("id", "title", "severity", "description"):
            setattr(self._update, tag, text)
        elif tag == "update":
            self.count += 1
            if self._update.packages:
                self.errata.append(self._update)
            self._update = None


class DataCheck:
    """Feed it the raw bytes of one metadata file; it keeps a hash, a size and what it reads."""

    def __init__(self, entry: DataEntry, watch: Callable[[str], bool] | None = None) -> None:
        self.entry = entry
        self.size = 0
        self.error = ""  # why the content could not be read (the checksum may still match)
        self._hash = hashlib.new(entry.algorithm)
        reads = entry.type in ("primary", "updateinfo") and watch is not None
        self._dec = _decompressor(entry.href) if reads else None
        self.reader = _Reader(entry.type, watch) if reads and watch is not None and self._dec is not False else None
        self._inflated = 0

    @property
    def checksum(self) -> str:
        return self._hash.hexdigest()

    @property
    def oversized(self) -> bool:
        """More bytes than repomd.xml lists: the rest need not be read to know it is wrong."""
        return self.entry.size is not None and self.size > self.entry.size

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)
        if self.reader is None or self.error:
            return
        try:
            for piece in self._inflate(chunk):
                self._inflated += len(piece)
                if self._inflated > MAX_DECOMPRESSED:
                    raise ValueError(f"decompresses to more than {MAX_DECOMPRESSED >> 30} GiB")
                self.reader.parser.Parse(piece, False)
        except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, expat.ExpatError) as exc:
            self.error = f"cannot be read: {exc}"

    def _inflate(self, chunk: bytes) -> Any:
        if not self._dec:
            yield chunk
            return
        while True:
            out = self._dec.decompress(chunk, MAX_INFLATE_STEP)
            yield out
            if len(out) < MAX_INFLATE_STEP or self._dec.eof:
                return
            chunk = getattr(self._dec, "unconsumed_tail", b"")

    def close(self) -> None:
        """End of stream: a cut compressed stream or unfinished XML is an error, not a short list."""
        if self.reader is None or self.error:
            return
        try:
            if self._dec and not self._dec.eof:
                raise ValueError("compressed stream is truncated")
            self.reader.parser.Parse(b"", True)
        except (ValueError, expat.ExpatError) as exc:
            self.error = f"cannot be read: {exc}"

    @property
    def matches(self) -> bool:
        return self.checksum == self.entry.checksum and (self.entry.size is None or self.size == self.entry.size)
