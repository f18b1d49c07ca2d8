"""One module per source kind. Each ends in `KIND = Kind(...)` (see `bot.sources.api.Kind`):
its frozen `Conf` dataclass, `async collect(conf, ctx) -> Snapshot` and the optional hooks.
The registry lives in `bot.sources.registry`; modules here import only `bot.sources.api`."""
