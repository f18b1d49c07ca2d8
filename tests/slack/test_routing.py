from bot.core.alert import AlertKind
from bot.deliver.slack.routing import all_channels, route

CH = {"critical": "#pager", "docker": "#docker", "docker/critical": "#docker-pager", "linux/warning": ""}


def test_most_specific_channel_wins():
    assert route("critical", "docker", channels=CH, default="#alerts") == "#docker-pager"
    assert route("warning", "docker", channels=CH, default="#alerts") == "#docker"
    assert route("critical", "linux", channels=CH, default="#alerts") == "#pager"
    assert route("warning", "linux", channels=CH, default="#alerts") == "#alerts"


def test_info_never_pages_but_a_baseline_summary_is_posted():
    assert route("info", "docker", channels=CH, default="#alerts") is None
    assert route("info", "docker", channels=CH, default="#alerts", kind=AlertKind.BASELINE) == "#docker"


def test_all_channels_lists_each_once():
    assert all_channels(CH, "#alerts") == ["#alerts", "#pager", "#docker", "#docker-pager"]
