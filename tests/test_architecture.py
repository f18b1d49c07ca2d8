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


CORE_READERS = ("judge/diff", "judge/rules", "judge/alerts", "judge/match", "judge/evaluate", "judge/fleet",
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
