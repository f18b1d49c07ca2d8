"""A kind written from the README's "Adding a source kind" section alone works: its module
plus one registry entry, and the config loader, `trackbot check` and a poll take it."""

from __future__ import annotations

import asyncio
import re
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import load as configuration
from bot.sources import registry as kinds
from bot.sources.api import Kind, SourceError
from bot.store.history import Store
from tests.conftest import Route, poll_and_deliver

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.fixture
def my_feed(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    section = README.split("### Adding a source kind", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code, "the README section shows the module"
    module = types.ModuleType("bot.sources.my_feed")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(code.group(1), "README.md", "exec"), module.__dict__)  # noqa: S102 - our own README
    monkeypatch.setitem(kinds.MODULES, module.NAME, module.__name__)  # the one registry line
    return module


def test_the_readme_kind_is_a_kind(my_feed: types.ModuleType) -> None:
    assert isinstance(my_feed.KIND, Kind) and my_feed.KIND.name == "my_feed"
    conf = my_feed.Conf(name="mine", kind="my_feed", url="https://example.org/feed.json")
    [record] = my_feed.parse(b'[{"version": "1.2.3", "date": "2026-01-02"}]', conf)
    assert (record.kind, record.key, record.version) == ("release", "release:1.2.3", "1.2.3")
    with pytest.raises(SourceError, match="lists no release"):
        my_feed.parse(b"[]", conf)


def test_the_config_check_and_a_poll_take_it(my_feed: types.ModuleType, tmp_path: Path, web) -> None:
    web.routes["/feed.json"] = Route(b'[{"version": "1.2.3"}, {"version": "1.3.0"}]')
    path = tmp_path / "sources.yaml"
    path.write_text(f'sources:\n  - {{name: mine, kind: my_feed, url: "{web.url}/feed.json"}}\n')
    store = Store.open(str(tmp_path / "t.db"))
    report = asyncio.run(poll_and_deliver(configuration.load(path), store))
    assert [(r.name, r.status) for r in report.results] == [("mine", "changed")]
    assert {r.record.version for r in store.records("mine")} == {"1.2.3", "1.3.0"}
    result = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "check"])
    assert result.exit_code == 0 and "1 sources, 0 pins" in " ".join(result.output.split())

    path.write_text("sources:\n  - {name: mine, kind: my_feed, url: feed.json}\n")
    with pytest.raises(configuration.ConfigError, match=r"sources\[0\] mine: 'url' must be a full URL"):
        configuration.load(path)  # its own check, as one config line
