"""The import rules of the house, read from the source with `ast`:

- no import cycle among module-level imports (a cycle is what lazy imports used to dodge);
- no import inside a function, except in bot/cli/ (it may import late for start-up time);
- a kind (bot/sources/*) imports only bot.sources.* (in practice the facade, bot.sources.api);
- bot/cli/ names no kind: `trackbot check` and the rest go through the kind contract;
- the core reads only the Record/Event data keys bot/core/model.py documents.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.core import model
from bot.sources.registry import KINDS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _targets(node: ast.Import | ast.ImportFrom, here: str) -> set[str]:
    """The bot modules an import statement loads (relative imports resolved)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = here.split(".")
            keep = len(parts) - node.level + (1 if MODULES[here].name == "__init__.py" else 0)
            base = ".".join(parts[:keep] + ([base] if base else []))
        names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    found = {n for n in names if n in MODULES}
    return {n for n in found if not any(t.startswith(n + ".") for t in found)}  # the package itself


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    """Module-level edges, and 'module -> target' for every import inside a function or class."""
    edges: dict[str, set[str]] = {}
    late: list[str] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        top_level = {id(n) for n in tree.body}
        top_level |= {id(n) for stmt in tree.body if isinstance(stmt, ast.If) for n in stmt.body}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = _targets(node, name) - {name}
            if id(node) in top_level:
                edges.setdefault(name, set()).update(targets)
            elif targets:
                late += [f"{name} -> {t}" for t in sorted(targets)]
    return edges, late


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, stack: list[str]) -> None:
        if node in stack:
            found.append([*stack[stack.index(node):], node])
            return
        if node in done:
            return
        done.add(node)
        for nxt in sorted(edges.get(node, ())):
            walk(nxt, [*stack, node])

    for start in sorted(edges):
        walk(start, [])
    return found


def test_the_import_graph_has_no_cycle():
    edges, _ = _imports()
    assert edges["bot.poll.cycle"], "the reader found no imports at all: the test would pass vacuously"
    assert _cycles(edges) == []


def test_no_import_hides_inside_a_function_outside_the_cli():
    _, late = _imports()
    assert [item for item in late if not item.startswith("bot.cli.")] == []


def test_kinds_import_only_the_sources_package():
    edges, _ = _imports()
    kinds = [m for m in MODULES if m.startswith("bot.sources.") and m != "bot.sources.api"]
    assert len(kinds) >= len(KINDS)
    beyond = sorted(f"{m} -> {t}" for m in kinds for t in edges.get(m, ()) if not t.startswith("bot.sources"))
    assert beyond == []


def test_the_cli_names_no_kind():
    source = "".join(p.read_text() for p in sorted((PACKAGE / "cli").rglob("*.py")))
    named = sorted({kind for kind in KINDS if kind in source} | {w for w in ("apt", "keyring") if w in source})
    assert named == []


CORE_READERS = ("judge/diff", "judge/rules", "judge/alerts", "judge/match", "poll/evaluate", "judge/fleet",
                "judge/cves", "judge/incidents", "read/why")


def test_the_core_reads_only_documented_payload_keys():
    """Every key a core module reads from a record's or an event's data is in bot/core/model.py's payloads."""
    documented = {key for payload in (*model.PAYLOADS.values(), model.EventData) for key in payload.__annotations__}
    reads = {}
    for name in CORE_READERS:
        text = (PACKAGE / f"{name}.py").read_text()
        for key in re.findall(r"\bdata(?:\.get\(|\[)\s*[\"'](\w+)[\"']", text):
            reads.setdefault(key, name)
    assert {"date", "pins", "classes"} <= set(reads)  # the reader works
    assert {key: where for key, where in reads.items() if key not in documented} == {}


# --- The rooms: which part may import which (README, "Architecture") ---------------------------------------
# A row is a room and the rooms below it that it may import. cli may import every room.
ROOMS_MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),  # values, enums, versions, errors, clock: the bottom
    "sources": {"core"},  # kinds collect (and only through the facade, bot.sources.api)
    "judge": {"core"},  # pure: what records mean for the pins
    "config": {"core", "sources", "judge"},  # the kind registry checks each kind's settings; watch-word tables
    "store": {"core"},  # every SQL statement; never what reads or sends
    "read": {"core", "judge", "store"},  # answers from the history
    "deliver": {"core", "store", "read"},  # sends alerts and the digest read/ builds
    "ops": {"core", "judge", "store"},  # trackbot watching itself
    "poll": {"core", "config", "sources", "judge", "store", "deliver", "ops"},  # the cycle ties them together
}
# Edges that still cross a rule, each with why; the list only shrinks.
KNOWN_CROSSINGS = {
    "bot.sources.api -> bot.judge.advisories": "kinds still judge through the facade (issue 20 item 2)",
    "bot.sources.api -> bot.judge.branches": "kinds still judge through the facade (issue 20 item 2)",
    "bot.sources.api -> bot.judge.classify": "kinds still classify lines while collecting (issue 20 item 2)",
    "bot.sources.api -> bot.judge.cves": "kinds still rate CVEs while collecting (issue 20 item 2)",
    "bot.sources.api -> bot.judge.fleet": "kinds still read the fleet (issue 20 item 2)",
    "bot.sources.api -> bot.judge.rules": "kinds still call the changelog rules (issue 20 item 2)",
    "bot.read.views -> bot.poll.schedule": "status shows each source's next poll: schedule's pure next_try",
    "bot.deliver.digest_post -> bot.config.digest": "the weekly post's slot is the digest config's arithmetic",
    "bot.deliver.digest_post -> bot.config.load": "the weekly post reads the whole Config (slack, digest)",
}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def test_every_room_imports_only_the_rooms_below_it():
    edges, _ = _imports()
    crossings = sorted(
        f"{src} -> {dst}" for src, targets in edges.items() for dst in targets
        if _room(src) in ROOMS_MAY_IMPORT and _room(dst) and _room(dst) != _room(src)
        and _room(dst) not in ROOMS_MAY_IMPORT[_room(src)]
    )
    assert [c for c in crossings if c not in KNOWN_CROSSINGS] == []
    assert [c for c in KNOWN_CROSSINGS if c not in crossings] == []  # a mended crossing leaves the list


def test_the_rules_form_a_ladder():
    """No two rooms may import each other, even through others: the rules themselves have no cycle."""
    assert _cycles({room: set(below) for room, below in ROOMS_MAY_IMPORT.items()}) == []


def test_bot_has_at_most_a_dozen_entries_and_each_room_says_what_lives_there():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 12, entries
    for room in [*ROOMS_MAY_IMPORT, "cli"]:
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"bot/{room}/__init__.py says nothing of what lives there"


# modules still over the limit, to be split; the list only shrinks
KNOWN_LONG = {"bot.judge.rules", "bot.store.history"}


def test_no_module_is_over_400_lines():
    over = {name for name, path in MODULES.items() if len(path.read_text().splitlines()) > 400}
    assert over - KNOWN_LONG == set()
    assert KNOWN_LONG - over == set()  # a module split leaves the list
