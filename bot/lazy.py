"""Modules loaded at their first use (the stdlib's importlib.util.LazyLoader).

The CLI names every command's module at the top, but `trackbot --help` or `trackbot status`
must not pay for importing httpx, the source kinds or slack-sdk (issue 11: start-up went
from 0.44 s to about a bare interpreter's). A lazy module is an ordinary module that runs
its code when an attribute is first read, so the CLI's code reads the same as with plain
imports and import order (and cycles) stay what check_imports sees.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name`, registered in sys.modules now and executed when first used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
