"""Watching the watcher: `trackbot metrics --textfile` and the heartbeat, through the CLI as users run them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from prometheus_client.parser import text_string_to_metric_families

from bot.cli.main import main
from bot.core.alert import Alert, AlertKind
from bot.core.model import Finding
from bot.store.history import Store
from tests.conftest import FIXTURES, Route

MOBY = (FIXTURES / "docker/moby-CHANGELOG.md").read_bytes()


def config(tmp_path: Path, web_url: str, extra: str = "") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(f"""
fleet:
  - {{product: docker, version: "1.10.3"}}
sources:
  - {{name: moby, kind: docker_changelog, url: "{web_url}/CHANGELOG.md"}}
  - {{name: mirror, kind: docker_changelog, url: "{web_url}/mirror.md"}}
settings: {{retries: 0, timeout: 5}}
{extra}
""")
    return path


def trackbot(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(tmp_path / "sources.yaml"), "--db", str(tmp_path / "t.db"), *args])


def figures(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the file, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_textfile_holds_per_source_incident_queue_and_run_figures(tmp_path: Path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror.md"] = Route(b"", status=503)
    config(tmp_path, web.url)
    assert trackbot(tmp_path, "poll").exit_code == 1
    store = Store.open(tmp_path / "t.db")
    now = datetime.now(UTC).replace(microsecond=0)
    row = store.incident_seen("mirror", Finding("apt_hash_mismatch", "mirror:main", "hash differs"), now)
    store.open_incident(row["rowid"], now)
    store.queue_alert(Alert(AlertKind.EVENTS, "critical", "stuck", "moby"), now - timedelta(hours=3))

    out = tmp_path / "textfile" / "trackbot.prom"
    result = trackbot(tmp_path, "metrics", "--textfile", str(out))
    assert result.exit_code == 0, result.output
    got = figures(out)
    started = now.timestamp()
    assert abs(got[("trackbot_source_last_success_timestamp_seconds", (("source", "moby"),))] - started) < 60
    assert got[("trackbot_source_last_success_timestamp_seconds", (("source", "mirror"),))] == 0  # never
    assert got[("trackbot_source_consecutive_failures", (("source", "mirror"),))] == 1
    assert got[("trackbot_source_consecutive_failures", (("source", "moby"),))] == 0
    assert got[("trackbot_source_last_duration_seconds", (("source", "moby"),))] > 0
    assert got[("trackbot_incidents_open", (("severity", "critical"),))] == 1
    assert got[("trackbot_incidents_open", (("severity", "warning"),))] == 0
    assert got[("trackbot_alerts_queued", ())] == 1
    assert 3 * 3600 - 60 < got[("trackbot_alerts_oldest_queued_age_seconds", ())] < 3 * 3600 + 60
    assert abs(got[("trackbot_last_run_timestamp_seconds", ())] - started) < 60
    assert got[("trackbot_last_run_duration_seconds", ())] >= 0
    assert got[("trackbot_last_success_timestamp_seconds", ())] == 0  # the only run had a failed source
    assert [p.name for p in out.parent.iterdir()] == ["trackbot.prom"]  # written beside, renamed: no leftovers

    late = trackbot(tmp_path, "metrics", "--textfile", str(out), "--max-queue-age", "2h")
    assert late.exit_code == 1
    assert "1 alerts undelivered, the oldest for 3.0 h (more than 2h)" in late.output


def test_metrics_configured_in_sources_yaml_are_written_after_every_poll(tmp_path: Path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror.md"] = Route(b"", status=503)
    config(tmp_path, web.url, "metrics: {textfile: metrics/trackbot.prom}")
    trackbot(tmp_path, "poll")
    first = figures(tmp_path / "metrics/trackbot.prom")
    assert first[("trackbot_last_success_timestamp_seconds", ())] == 0
    web.routes["/mirror.md"] = Route(MOBY)
    assert trackbot(tmp_path, "poll").exit_code == 0
    second = figures(tmp_path / "metrics/trackbot.prom")
    assert second[("trackbot_last_success_timestamp_seconds", ())] > 0
    assert second[("trackbot_source_consecutive_failures", (("source", "mirror"),))] == 0


def test_the_heartbeat_is_hit_once_per_successful_run_and_never_after_a_failed_one(tmp_path: Path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror.md"] = Route(MOBY)
    web.routes["/ping/abc"] = Route(b"OK", etag=False)
    config(tmp_path, web.url, f'heartbeat_url: "{web.url}/ping/abc"')

    def pings() -> int:
        return sum(1 for path, _ in web.requests if path == "/ping/abc")

    assert trackbot(tmp_path, "poll").exit_code == 0
    assert pings() == 1
    web.routes["/mirror.md"] = Route(b"<html>down</html>", status=502)
    assert trackbot(tmp_path, "poll", "--force").exit_code == 1
    assert pings() == 1  # a failed run sends no sign of life
    web.routes["/mirror.md"] = Route(MOBY)
    assert trackbot(tmp_path, "poll", "--force").exit_code == 0  # unchanged (304) is a success
    assert pings() == 2


def test_a_heartbeat_that_fails_is_one_line_without_its_secret_and_does_not_fail_the_run(tmp_path: Path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror.md"] = Route(MOBY)
    web.routes["/ping?token=s3cret"] = Route(b"", status=500, etag=False)
    config(tmp_path, web.url, f'heartbeat_url: "{web.url}/ping?token=s3cret"')
    result = trackbot(tmp_path, "poll")
    assert result.exit_code == 0
    assert f"heartbeat {web.url}/ping?token=*** answered HTTP 500" in result.output
    assert "s3cret" not in result.output


def test_a_metrics_file_that_cannot_be_written_is_one_line_and_the_poll_still_succeeds(tmp_path: Path, web):
    web.routes["/CHANGELOG.md"] = Route(MOBY)
    web.routes["/mirror.md"] = Route(MOBY)
    (tmp_path / "blocker").write_text("a file where the directory should be")
    config(tmp_path, web.url, "metrics: {textfile: blocker/trackbot.prom}")
    result = trackbot(tmp_path, "poll")
    assert result.exit_code == 0
    assert f"trackbot: metrics textfile {tmp_path / 'blocker/trackbot.prom'}:" in result.output
