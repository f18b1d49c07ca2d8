"""`trackbot changes` on the real moby CHANGELOG, stored as a poll stores it."""

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.sources.docker_changelog import Conf, parse
from bot.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def moby_history(tmp_path):
    conf = Conf(name="moby-changelog", kind="docker_changelog", url="https://raw.example.org/moby/CHANGELOG.md")
    records = parse((FIXTURES / "docker/moby-CHANGELOG.md").read_bytes(), conf)
    db = tmp_path / "t.db"
    store = Store.open(db)
    run = store.start_run(datetime(2026, 11, 1, tzinfo=UTC))
    with store.transaction():
        store.save_records("moby-changelog", run, datetime(2026, 11, 1, tzinfo=UTC), seen=records,
                           new_or_changed=records, gone=())
    store.db.close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources: []\nfleet:\n  - {product: docker, version: 1.10.0}\n")
    return cfg, db


def test_changes_lists_1_10_1_to_1_10_3_security_and_regressions_first(tmp_path):
    cfg, db = moby_history(tmp_path)
    out = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), "changes", "1.10.0", "1.10.3",
                                    "--product", "moby", "--json"])
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert {c["version"] for c in found} == {"1.10.1", "1.10.2", "1.10.3"}
    groups = [c["group"] for c in found]
    assert groups == sorted(groups, key=["security and regressions", "fixes", "other changes"].index)
    first = [c["text"] for c in found if c["group"] == "security and regressions"]
    assert any("Fix regression preventing uppercase characters" in t for t in first)
    assert any("Fix potential cache corruption and delegation conflict" in t for t in first)  # ### Security
    assert next(c for c in found if c["version"] == "1.10.3")["date"] == "2016-03-10"
    assert not any("New `docker update` command" in c["text"] for c in found)  # 1.10.0 itself is not new
    assert len(found) == 38  # every line of 1.10.1, 1.10.2 and 1.10.3 in the CHANGELOG
    assert first[0].startswith("Fix regression preventing uppercase characters")  # the regression before "security"
    text = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), "changes", "1.10.0", "1.10.3",
                                     "--product", "docker"]).output
    assert text.index("Security and regressions") < text.index("Fixes") and "1.10.3 (2016-03-10)" in text
    assert text.startswith("docker 1.10.0 -> 1.10.3: 38 lines")
    limited = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), "changes", "1.10.0", "1.10.3",
                                        "--product", "docker", "--limit", "3"]).output
    assert limited.startswith("docker 1.10.0 -> 1.10.3: 3 of 38 lines")


def test_cve_fixes_come_first_in_an_upgrade_across_branches(tmp_path):
    cfg, db = moby_history(tmp_path)
    out = CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), "changes", "1.10.3", "1.12.6",
                                    "--product", "docker", "--json"])
    found = json.loads(out.output)
    leading = [c for c in found if c["cves"]]
    assert found[:len(leading)] == leading and len(leading) >= 2
    assert {"CVE-2016-9962", "CVE-2016-8867"} <= {cve for c in leading for cve in c["cves"]}


def test_changes_refuses_a_backwards_range_and_why_points_to_it(tmp_path):
    cfg, db = moby_history(tmp_path)
    base = ["--config", str(cfg), "--db", str(db)]
    assert CliRunner().invoke(main, [*base, "changes", "1.10.3", "1.10.0", "--product", "docker"]).exit_code == 2
    story = CliRunner().invoke(main, [*base, "why", "1.10.0", "--product", "docker"]).output
    assert "trackbot changes 1.10.0 1.10.3 --product docker" in story


def test_changes_reads_a_debian_changelog_in_dpkg_order(tmp_path):
    from bot.sources import debian_changelog

    conf = debian_changelog.Conf(name="docker.io", kind="debian_changelog",
                                 url="https://metadata.example.org/docker.io/changelog")
    records = debian_changelog.parse((FIXTURES / "debian/docker.io.changelog.Debian.gz").read_bytes(), conf)
    db = tmp_path / "t.db"
    store = Store.open(db)
    run = store.start_run(datetime(2026, 11, 1, tzinfo=UTC))
    with store.transaction():
        store.save_records("docker.io", run, datetime(2026, 11, 1, tzinfo=UTC), seen=records, new_or_changed=records,
                           gone=())
    store.db.close()
    out = CliRunner().invoke(main, ["--db", str(db), "changes", "20.10.23+dfsg1-1", "20.10.24+dfsg1-1+deb12u1",
                                    "--product", "debian:docker.io", "--json"])
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert {c["version"] for c in found} == {"20.10.24+dfsg1-1", "20.10.24+dfsg1-1+deb12u1"}
    assert found[0]["group"] == "security and regressions" and found[0]["cves"]
