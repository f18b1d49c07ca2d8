from collections.abc import Iterator

import pytest

from tests.slack.fakeslack import FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()
