"""The read commands' history fixture, shared with the CLI tests."""

from tests.read.conftest import history  # noqa: F401
