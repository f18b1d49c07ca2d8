"""The digest from a history filled by a real changelog poll plus a few weeks of events."""

import base64
import html
import json
import re
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.core.model import Event, Finding, Record
from bot.read.digest import chart
from bot.read.digest.html import html_page
from bot.sources.docker_changelog import Conf, parse
from bot.store.history import Store
from tests.conftest import Route

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # fixed: the CLI reads it too (obj=CLOCK), never the machine's date


def CLOCK() -> datetime:  # noqa: N802 - the clock the CLI is handed in these tests
    return NOW
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # screenshots kept after the run


@pytest.fixture
def weeks_of_history(tmp_path):
    conf = Conf(name="moby-changelog", kind="docker_changelog", url="https://raw.example.org/moby/CHANGELOG.md")
    records = parse((FIXTURES / "docker/moby-CHANGELOG.md").read_bytes(), conf)
    db = tmp_path / "t.db"
    store = Store.open(db)
    run = store.start_run(NOW - timedelta(days=30))
    with store.transaction():
        store.save_records("moby-changelog", run, NOW - timedelta(days=30), seen=records, new_or_changed=records, gone=())
    fix = Event("fix_available", "critical", "docker", "1.10.0", "fix_available:docker:1.10.0:CVE-2016-3697",
                "Fix for CVE-2016-3697 available for docker 1.10.0 in 1.10.3", "moby-changelog",
                {"fixed_in": "1.10.3"})
    for days, event in ((20, Event("new_release", "info", "docker", "1.10.1", "n1", "docker 1.10.1 released")),
                        (10, Event("new_release", "info", "docker", "1.10.2", "n2", "docker 1.10.2 released")),
                        (2, fix),
                        (1, Event("new_release", "info", "linux", "3.16.85", "n3", "linux 3.16.85 released")),
                        (1, Event("apt_key_expiring", "warning", "", "", "k1", "key expires in 20 days", "mirror"))):
        store.add_events([event], run, NOW - timedelta(days=days))
    store.add_silence(NOW - timedelta(days=3), NOW + timedelta(days=3), product="linux", pattern="",
                      reason="kernel upgrade window")
    row = store.incident_seen("mirror", Finding("apt_index_missing", "mirror:Packages.xz", "Packages.xz is missing"),
                              NOW - timedelta(days=2))
    store.open_incident(row["rowid"], NOW - timedelta(days=2))
    store.mark_failure("kernel", "kernel_releases", NOW - timedelta(hours=5), "https://kernel.org/x: HTTP 503", 1.0)
    store.db.close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\nfleet:\n  - {product: docker, version: 1.10.0}\n")
    return cfg, db


def digest(cfg, db, *args):
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "digest", "--since", "7d", *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_json_digest_holds_every_section_and_the_pin_table(weeks_of_history):
    cfg, db = weeks_of_history
    report = json.loads(digest(cfg, db, "--json"))
    [pin] = report["pins"]
    assert pin["pinned"] == "1.10.0" and pin["newest_in_branch"] == "1.10.3" and pin["releases_behind"] == 3
    assert pin["newest_overall"] == "17.05.0-ce" and pin["smallest_upgrade"] == "1.10.3"
    assert pin["waiting"] == {"critical": 1} and pin["days_behind"] > 3000  # 1.10.1 came out in February 2016
    assert any("smallest upgrade with every critical fix: 1.10.3" in line for line in report["needs_action"])
    assert any("apt_index_missing" in line for line in report["needs_action"])
    assert [i["kind"] for i in report["incidents"]] == ["apt_index_missing"] and report["incidents"][0]["age"].startswith("2d")  # NOW was taken at import
    assert [g["product"] for g in report["events"]] == ["docker", "(repositories and sources)"]  # loudest first
    assert "docker 1.10.1 released" not in json.dumps(report["events"])  # 20 days ago: not this week
    assert report["silenced"] == [{"product": "linux", "kind": "new_release", "severity": "info",
                                   "summary": "linux 3.16.85 released", "reason": "kernel upgrade window"}]
    assert [h["source"] for h in report["sources"]] == ["kernel"]


def test_markdown_and_html_files(weeks_of_history, tmp_path):
    cfg, db = weeks_of_history
    digest(cfg, db, "--out", str(tmp_path / "d.md"))
    md = (tmp_path / "d.md").read_text()
    for heading in ("## Pins that need action", "## Pins", "## Open incidents", "## Events (2)", "## Silenced",
                    "## Source health"):
        assert heading in md
    assert re.search(r"\| docker 1.10.0 \| 1.10.3 \| 17.05.0-ce \| 3 in branch, \d+ newer, \d{4} days \|", md), md
    assert "silenced: kernel upgrade window" in md
    digest(cfg, db, "--out", str(tmp_path / "d.html"))
    page = (tmp_path / "d.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<table>" in page
    assert not re.search(r"<(img|link|script)[^>]*(src|href)=\"?https?://", page)  # self-contained: no external asset


def test_html_digest_renders_upstream_markdown_links_and_escapes_upstream_html(weeks_of_history):
    cfg, db = weeks_of_history
    report = json.loads(digest(cfg, db, "--json"))
    event = report["events"][0]["events"][0]
    event["summary"] = ("fix [#41234](https://github.com/moby/moby/pull/41234) in `overlay2` "
                        "<img src=x onerror=alert(1)> [bad](javascript:alert(1))")
    page = html_page(report, None)
    assert '<a href="https://github.com/moby/moby/pull/41234">#41234</a> <span class=muted>(github.com)</span>' in page
    assert "<code>overlay2</code>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "javascript:" not in page.replace("[bad](javascript:alert(1))", "")  # left as text, never a link


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (a real PNG, not just its signature)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_the_html_digest_embeds_the_weekly_chart_as_a_real_png(weeks_of_history, tmp_path):
    pytest.importorskip("matplotlib", reason="the charts extra (matplotlib) is part of the test extra")
    cfg, db = weeks_of_history
    digest(cfg, db, "--out", str(tmp_path / "d.html"))
    page = (tmp_path / "d.html").read_text()
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page).group(1))
    assert png_size(png) == (800, 320)
    assert chart.CHART_HINT not in page
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "digest-chart.png").write_bytes(png)


def test_without_the_charts_extra_the_digest_says_how_to_get_the_chart(weeks_of_history, tmp_path, monkeypatch):
    monkeypatch.setattr(chart, "pyplot", None)  # as if matplotlib were not installed
    cfg, db = weeks_of_history
    digest(cfg, db, "--out", str(tmp_path / "d.html"))
    page = (tmp_path / "d.html").read_text()
    assert "data:image/png" not in page and html.escape(chart.CHART_HINT) in page
    assert chart.CHART_HINT in digest(cfg, db)  # the Markdown says it too


def browser() -> str | None:
    return next(filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))), None)


@pytest.mark.skipif(browser() is None, reason="no headless browser: install Debian's chromium package (.ci/run does)")
def test_html_digest_renders_in_headless_chromium(weeks_of_history, tmp_path):
    cfg, db = weeks_of_history
    page = tmp_path / "digest.html"
    digest(cfg, db, "--out", str(page))
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "digest-chromium.png"  # kept after the run (CI uploads test-artifacts/)
    shot.unlink(missing_ok=True)
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                    "--disable-background-networking", "--disable-component-update", "--disable-quic",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
                    page.as_uri()], check=True, timeout=90, capture_output=True)
    assert png_size(shot.read_bytes()) == (1200, 1600) and shot.stat().st_size > 10_000


def test_an_apt_incident_without_product_counts_for_the_pin_its_repository_serves(tmp_path):
    """apt incidents carry the repository, not a package: the pin fed by that repository sees it; another
    repository's incident touches no pin yet stays in the open incidents and the action list."""
    db = tmp_path / "t.db"
    store = Store.open(db)
    run = store.start_run(NOW - timedelta(days=3))
    served = [Record("release", f"release:docker.io:{v}", "debian:docker.io", v, {"package": "docker.io", "date": ""})
              for v in ("1.6.2~dfsg1-1~bpo8+1", "1.6.2~dfsg1-1~bpo8+2")]
    with store.transaction():
        store.save_records("docker-apt", run, NOW - timedelta(days=3), seen=served, new_or_changed=served, gone=())
    for source, product, key in (("docker-apt", "apt:docker-apt", "docker-apt:jessie:Packages.xz"),
                                 ("security-mirror", "", "security-mirror:jessie:Packages.xz")):
        row = store.incident_seen(source, Finding("apt_hash_mismatch", key, f"{key}: Hash Sum mismatch",
                                                  product=product), NOW - timedelta(days=1))
        store.open_incident(row["rowid"], NOW - timedelta(days=1))
    store.db.close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\nfleet:\n  - {product: docker, version: 1.10.0}\n"
                   "  - {product: 'debian:docker.io', version: '1.6.2~dfsg1-1~bpo8+1', distro: jessie}\n")
    report = json.loads(digest(cfg, db, "--json"))
    docker, docker_io = report["pins"]
    assert (docker["open_incidents"], docker_io["open_incidents"]) == (0, 1)
    assert docker_io["incident_keys"] == ["docker-apt:jessie:Packages.xz"]
    assert docker_io["newest_in_branch"] == "1.6.2~dfsg1-1~bpo8+2"
    assert [i["source"] for i in report["incidents"]] == ["docker-apt", "security-mirror"]
    actions = [line for line in report["needs_action"] if line.startswith("open critical incident")]
    assert actions == [
        "open critical incident: docker-apt apt_hash_mismatch (docker-apt:jessie:Packages.xz: Hash Sum mismatch); "
        "touches debian:docker.io 1.6.2~dfsg1-1~bpo8+1",
        "open critical incident: security-mirror apt_hash_mismatch (security-mirror:jessie:Packages.xz: Hash Sum "
        "mismatch)"]
    md = digest(cfg, db)
    assert "| debian:docker.io 1.6.2~dfsg1-1~bpo8+1 | 1.6.2~dfsg1-1~bpo8+2 | 1.6.2~dfsg1-1~bpo8+2 | 1 release |" in md


def test_the_pin_table_from_a_first_poll_of_real_changelogs_and_dsas(tmp_path, web):
    """A first poll is a baseline, yet its fixes wait as much as later ones; a branch pin is not 'behind';
    a DSA's end of security support is the branch's end; a Debian pin counts its newer uploads."""
    for path, fixture in (("/CHANGELOG.md", "docker/moby-CHANGELOG.md"),
                          ("/docker.io.gz", "debian/docker.io.changelog.Debian.gz"),
                          ("/dsa.txt", "debian-security/DSA-list-excerpt.txt")):
        web.routes[path] = Route((FIXTURES / fixture).read_bytes())
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"""fleet:
  - {{product: docker, version: "1.10.3"}}
  - {{product: docker, version: "1.12"}}
  - {{product: debian, version: "8"}}
  - {{product: "debian:docker.io", version: "1.6.2~dfsg1-1~bpo8+1", distro: jessie}}
sources:
  - {{name: moby, kind: docker_changelog, url: "{web.url}/CHANGELOG.md"}}
  - {{name: debian-docker.io, kind: debian_changelog, url: "{web.url}/docker.io.gz"}}
  - {{name: dsa, kind: debian_dsa, url: "{web.url}/dsa.txt"}}
settings: {{retries: 0}}
""")
    db = tmp_path / "t.db"
    polled = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "poll"])
    assert polled.exit_code == 0, polled.output
    report = json.loads(digest(cfg, db, "--json"))
    pins = {f"{p['product']} {p['pinned']}": p for p in report["pins"]}
    exact = pins["docker 1.10.3"]
    assert exact["waiting"].get("critical") and exact["smallest_upgrade"] == "1.12.6"  # baseline fixes count
    assert exact["branch_end"] == "abandoned" and exact["releases_behind"] == 0 and exact["newer_overall"] >= 17
    branch = pins["docker 1.12"]
    assert branch["releases_behind"] is None and branch["newest_in_branch"] == "1.12.6"
    debian = pins["debian 8"]
    assert debian["branch_end"] == "2018-04-18" and debian["releases_behind"] is None
    package = pins["debian:docker.io 1.6.2~dfsg1-1~bpo8+1"]
    assert package["newer_overall"] > 50 and package["days_behind"] > 2000
    md = digest(cfg, db)
    assert "| docker 1.12 | 1.12.6 |" in md and "| - (branch pin) |" in md
    assert "| ? (no release known) | 2018-04-18 |" in md
    assert "- debian 8: its branch ended on 2018-04-18" in md
    assert re.search(r"\| debian:docker.io 1.6.2~dfsg1-1~bpo8\+1 \| \? \| [^|]+ \| 0 in branch, \d+ newer, \d+ days \|", md)
    story = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "why", "1.10.3", "--product", "docker"])
    assert "run `trackbot changes 1.10.3 1.12.6 --product docker` to see what the upgrade brings" in \
        " ".join(story.output.split())  # the abandoned branch: the smallest upgrade with every critical fix


def test_a_digest_file_that_cannot_be_written_is_one_line(weeks_of_history, tmp_path):
    cfg, db = weeks_of_history
    out = CliRunner().invoke(main, obj=CLOCK, args=["--config", str(cfg), "--db", str(db), "digest", "--out",
                                    str(tmp_path / "no" / "such" / "d.html")])
    assert out.exit_code == 1
    assert out.output == f"trackbot: cannot write the digest to {tmp_path / 'no' / 'such' / 'd.html'}: " \
                         "No such file or directory\n"
