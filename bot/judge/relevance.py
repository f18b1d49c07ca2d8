"""Does a changelog line concern what the fleet runs: its architectures and kernel modules?

The fleet may say `arch: [amd64]` and `modules:` (a list, or a file made by ``lsmod`` or a
copy of ``/proc/modules``). A line tagged for other architectures only (``[arm64]``,
``[arm64,armhf]`` in Debian changelogs; ``arm64: dts:`` or an ``arch/arm64/`` path in kernel
ChangeLogs) or whose subsystem prefix (``drm/amd/display:``, ``wifi: iwlwifi:``,
``Bluetooth:``, ``ovl:``) belongs to modules the fleet does not load is not about the fleet:
its events drop to info. What we cannot tell (no tag, an unknown prefix, no `modules:`
configured) counts as relevant: a missed page is worse than a digest line.

The prefix -> module table is data (`bot/judge/data/subsystem_modules.csv`, its source named in
its header), read once per process.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.judge.watchwords import WatchWord

# Debian's tags and kernel arch/ directory names, each mapped to the dpkg architectures it covers.
ARCH_TAGS: Mapping[str, frozenset[str]] = {
    "amd64": frozenset({"amd64"}), "x86": frozenset({"amd64", "i386"}), "x86_64": frozenset({"amd64"}),
    "i386": frozenset({"i386"}), "arm64": frozenset({"arm64"}), "arm": frozenset({"armhf", "armel"}),
    "armhf": frozenset({"armhf"}), "armel": frozenset({"armel"}), "s390x": frozenset({"s390x"}),
    "s390": frozenset({"s390x"}), "powerpc": frozenset({"ppc64el", "powerpc", "ppc64"}),
    "ppc64el": frozenset({"ppc64el"}), "ppc64": frozenset({"ppc64"}), "mips": frozenset({"mipsel", "mips64el"}),
    "mipsel": frozenset({"mipsel"}), "mips64el": frozenset({"mips64el"}), "riscv64": frozenset({"riscv64"}),
    "riscv": frozenset({"riscv64"}), "loong64": frozenset({"loong64"}), "loongarch": frozenset({"loong64"}),
    "sparc64": frozenset({"sparc64"}), "sparc": frozenset({"sparc64"}), "alpha": frozenset({"alpha"}),
    "hppa": frozenset({"hppa"}), "parisc": frozenset({"hppa"}), "m68k": frozenset({"m68k"}),
    "sh4": frozenset({"sh4"}), "sh": frozenset({"sh4"}), "ia64": frozenset({"ia64"}),
}
_ARCH_ALIASES = {"ppc": "powerpc", "ppc64": "powerpc", "s390x": "s390", "x86_64": "x86", "arm32": "arm"}
_REVERT_RE = re.compile(r'^\s*(?:\[[^\]]+\]\s*)*Revert\s+"(.+)"', re.IGNORECASE)
_TAGS_RE = re.compile(r"^\s*((?:\[[^\]]+\]\s*)+)")
_ARCH_PATH_RE = re.compile(r"\barch/([a-z0-9_]+)/")
_PREFIX_RE = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./+,-]*(?: [A-Za-z0-9_]+)?):\s")


@dataclass(frozen=True)
class FleetProfile:
    """What the fleet runs beyond versions. Empty `arch` or None `modules`: not said, all relevant."""

    arch: frozenset[str] = frozenset()
    modules: frozenset[str] | None = None
    watch: tuple[WatchWord, ...] = field(default=())


def line_arches(text: str) -> frozenset[str]:
    """The dpkg architectures a line is tagged for; empty when it is not tagged (all of them)."""
    covered: set[str] = set()
    tags = _TAGS_RE.match(text)
    if tags:
        for name in re.split(r"[\[\],\s]+", tags.group(1)):
            covered |= ARCH_TAGS.get(name.lower(), frozenset())
    if not covered:  # "arm64: dts: ...", "KVM: PPC: e500: ...", "KVM: arm64: ..."
        for name in (n.lower() for n in subsystem_chain(_REVERT_RE.sub(r"\1", text))):
            name = _ARCH_ALIASES.get(name, name)
            if name in ARCH_TAGS and name not in ("sh", "alpha"):
                covered |= ARCH_TAGS[name]
    for path in _ARCH_PATH_RE.findall(text):
        covered |= ARCH_TAGS.get(path, frozenset())
    return frozenset(covered)


def subsystem_chain(text: str) -> list[str]:
    """The leading ``word:`` prefixes of a title, after any [arch] tags: 'wifi: iwlwifi: mvm: x' -> 3."""
    rest = _TAGS_RE.sub("", text, count=1).lstrip()
    chain: list[str] = []
    while len(chain) < 4:
        match = _PREFIX_RE.match(rest)
        if not match:
            break
        chain.append(match.group(1))
        rest = rest[match.end():]
    return chain


def modules_of(text: str) -> frozenset[str] | None:
    """The modules the line's subsystem lives in (most specific prefix), None when unknown."""
    table = module_table()
    chain = subsystem_chain(text)
    for depth in range(len(chain), 0, -1):
        for name in (": ".join(chain[:depth]), chain[depth - 1]):
            while name:
                if name in table:
                    return table[name]
                name = name.rpartition("/")[0]
    return None


def is_relevant(text: str, profile: FleetProfile) -> bool:
    """False when the line is only for other architectures or for modules the fleet does not load."""
    arches = line_arches(text)
    if profile.arch and arches and not arches & profile.arch:
        return False
    if profile.modules is None:
        return True
    modules = modules_of(text)
    return modules is None or bool(modules & profile.modules)


def runs_module(text: str, profile: FleetProfile) -> bool:
    """True when the line's subsystem is a module the fleet is known to load (evidence it matters)."""
    if profile.modules is None:
        return False
    modules = modules_of(text)
    return bool(modules and modules & profile.modules)


@functools.cache
def module_table() -> Mapping[str, frozenset[str]]:
    """bot/judge/data/subsystem_modules.csv: prefix -> modules (lines starting with '#' are its header)."""
    text = resources.files("bot.judge").joinpath("data/subsystem_modules.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["prefix"]: frozenset(_module_name(m) for m in row["modules"].split()) for row in rows}


def read_modules(path: Path) -> frozenset[str]:
    """Module names from ``lsmod`` output or ``/proc/modules`` (first column; the header skipped)."""
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        first = line.split(maxsplit=1)[0] if line.strip() else ""
        if first and first != "Module" and not first.startswith("#"):
            names.add(_module_name(first))
    if not names:
        raise ValueError(f"{path}: no module names (expected lsmod output or /proc/modules)")
    return frozenset(names)


def parse_modules(raw: object, config_dir: Path) -> frozenset[str] | None:
    """sources.yaml's `modules`: a list of names, or a path (relative to the config) to lsmod output."""
    if raw is None:
        return None
    if isinstance(raw, str):
        path = Path(raw) if Path(raw).is_absolute() else config_dir / raw
        try:
            return read_modules(path)
        except OSError as exc:
            raise ValueError(f"cannot read {raw} ({exc.strerror or exc})") from None
    if isinstance(raw, list) and all(isinstance(m, str) for m in raw):
        return frozenset(_module_name(m) for m in raw)
    raise ValueError("expected a list of module names or the path of an lsmod output file")


def parse_arch(raw: object) -> frozenset[str]:
    """sources.yaml's `arch`: dpkg architecture names (amd64, arm64...)."""
    if raw is None:
        return frozenset()
    items: Iterable[object] = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else [None]
    names: set[str] = set()
    for item in items:
        if not isinstance(item, str) or item.lower() not in ARCH_TAGS:
            raise ValueError(f"unknown architecture {item!r} (use dpkg names: amd64, arm64, armhf, s390x...)")
        names |= ARCH_TAGS[item.lower()] if item.lower() in ("x86", "arm") else {item.lower()}
    return frozenset(names)


def _module_name(name: str) -> str:
    return name.strip().replace("-", "_").lower()
