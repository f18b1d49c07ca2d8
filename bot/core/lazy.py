"""Modules imported at their first use, so a command pays only for what it runs (issue 11).

`trackbot --help` and `trackbot status` must not pay for httpx, feedparser, python-debian's
parsers or slack-sdk. A module names what it may use at the top, as usual, but binds a
`lazy_module` in place of the import (the real import sits under `if TYPE_CHECKING:`, so mypy
and the import-graph checks still see it):

    if TYPE_CHECKING:
        import feedparser
    else:
        feedparser = lazy_module("feedparser")

The stand-in imports the module (through the import system, under its lock, so threads are
safe) when an attribute is first read, and hands every read to it: a test that patches the
real module patches what the stand-in returns. Until then the module is not in sys.modules.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """Stands for module `__name__`; imports it when one of its attributes is first read."""

    def __getattr__(self, attr: str) -> Any:  # only called for names the stand-in does not have
        module = self.__dict__.get("_loaded")
        if module is None:
            module = importlib.import_module(self.__name__)
            self.__dict__["_loaded"] = module
        return getattr(module, attr)


def lazy_module(name: str) -> ModuleType:
    """A stand-in for module `name` (dotted), imported at its first use."""
    return LazyModule(name)
