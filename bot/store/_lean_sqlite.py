"""sqlite-utils, imported without numpy and pandas (issue 11).

When numpy or pandas is installed, sqlite-utils imports it to map its value types to SQL column
types. trackbot stores only JSON-shaped values (str, int, float, dict, list), never a numpy or
pandas value, yet numpy (installed with the `charts` extra, for matplotlib) made every command
that opens the history 90 ms slower to start. So sqlite-utils is imported here with both marked
absent; they stay importable for everything else. Modules import sqlite-utils from here:
`from bot.store._lean_sqlite import sqlite_utils` (the underscore sorts it first among
bot's imports, before bot.store.migrations, which imports sqlite-utils itself).
"""

from __future__ import annotations

import sys

# None in sys.modules makes `import numpy` raise ImportError, which sqlite-utils takes as "not installed"
_HIDDEN = [name for name in ("numpy", "pandas") if name not in sys.modules]
for _name in _HIDDEN:
    sys.modules[_name] = None  # type: ignore[assignment]
try:
    import sqlite_utils as sqlite_utils  # re-exported: modules import it from here
finally:
    for _name in _HIDDEN:
        if sys.modules.get(_name, sqlite_utils) is None:
            del sys.modules[_name]
