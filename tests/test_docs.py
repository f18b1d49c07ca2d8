"""Every command has help with an example and is documented in the README."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = CliRunner().invoke(main, [name, "-h"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"trackbot {name}" in README


def test_the_readme_event_table_is_what_trackbot_help_events_prints():
    """The manual's "Event kinds" table and `trackbot help events` say the same severities and meanings."""
    from bot.core.event_kinds import EVENT_KINDS

    section = README.split("## Event kinds", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows == [f"| `{k.name}` | {k.severity} | {k.meaning} |" for k in EVENT_KINDS]
