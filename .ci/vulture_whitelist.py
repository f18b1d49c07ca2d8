"""Names vulture cannot see used: `vulture bot .ci/vulture_whitelist.py --min-confidence 80`."""
# ruff: noqa
DataclassInstance  # bot/config/load.py: imported under TYPE_CHECKING, the bound of a TypeVar (a string)
attrs  # bot/sources/github_releases.py: HTMLParser.handle_starttag's signature names it
datefmt  # bot/ops/logs.py: logging.Formatter.formatTime's signature names it
max_length  # bot/sources/apt/packages_index.py: a Protocol mirroring zlib/lzma decompress(data, max_length)
tb  # bot/poll/progress.py: the context manager protocol's __exit__ signature names it
topic  # bot/cli/read.py: `trackbot help TOPIC`, a click argument with one choice today
