"""One module per source kind. Each exposes KIND, a frozen `Conf` dataclass, a pure
`parse(...)`, and `async collect(conf, ctx) -> Snapshot`; optionally
`events(previous, snapshot, conf, ctx) -> list[Event]` for kind-specific news.
The registry lives in `bot.kinds`; modules here import only `bot.sources.api`."""
