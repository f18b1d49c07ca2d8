"""trackbot: watch releases, changelogs, advisories and apt repositories for a pinned fleet."""

__version__ = "0.1.0"
