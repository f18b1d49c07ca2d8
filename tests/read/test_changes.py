"""`trackbot changes` on the real moby CHANGELOG, stored as a poll stores it."""

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from bot.cli.main import main
from bot.core.model import Record
from bot.read.changes import changes
from bot.sources.docker_changelog import Conf, parse
from bot.store.history import Store
from bot.store.migrations import MIGRATIONS

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


def saved(store: Store, product: str, versions: list[str]) -> None:
    """A release and one changelog line per version, as a poll writes them."""
    records = []
    for version in versions:
        records += [Record("release", f"release:{version}", product, version, {"date": "2026-01-01"}),
                    Record("changelog_line", f"line:{version}", product, version,
                           {"text": f"Change in {version}", "classes": ["fix"]})]
    run = store.start_run(datetime(2026, 11, 1, tzinfo=UTC))
    with store.transaction():
        store.save_records("src", run, datetime(2026, 11, 1, tzinfo=UTC), seen=records, new_or_changed=records, gone=())


def versions_between(store: Store, start: str, end: str, product: str) -> list[str]:
    return sorted({c.version for c in changes(store, start, end, product)})


def test_changes_reads_the_range_in_version_order_not_text_order():
    """1.10 is after 1.9 and 1.100 after 1.99; a release candidate comes before its release;
    a Debian epoch outranks every version without one, and ~ sorts before the release."""
    store = Store.memory()
    saved(store, "docker", ["1.1.0", "1.9.0", "1.9.1", "1.10.0-rc1", "1.10.0", "1.10.1", "1.99.0", "1.100.0", "2.0.0"])
    saved(store, "debian:docker.io", ["0.9-1", "1.0~rc1-1", "1.0-1", "1.0-1+deb8u1", "2.0-1", "1:0.1-1", "1:0.2-1"])
    saved(store, "rhel:podman", ["4.0~rc1-1.el9", "4.0-1.el9", "4.0-2.el9", "4.10-1.el9", "1:0.1-1.el9"])
    assert versions_between(store, "1.9.0", "1.10.0", "moby") == ["1.10.0", "1.10.0-rc1", "1.9.1"]
    assert versions_between(store, "1.10.1", "1.100.0", "docker") == ["1.100.0", "1.99.0"]
    assert versions_between(store, "1.0~rc1-1", "1:0.1-1", "debian:docker.io") == [
        "1.0-1", "1.0-1+deb8u1", "1:0.1-1", "2.0-1"]
    assert versions_between(store, "0.9-1", "1.0-1", "debian:docker.io") == ["1.0-1", "1.0~rc1-1"]
    assert versions_between(store, "4.0~rc1-1.el9", "4.0-2.el9", "rhel:podman") == ["4.0-1.el9", "4.0-2.el9"]
    assert versions_between(store, "4.0-2.el9", "1:0.1-1.el9", "rhel:podman") == ["1:0.1-1.el9", "4.10-1.el9"]


def test_a_history_from_before_version_keys_gets_them_and_changes_reads_it(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before=["m010_version_keys"])
    for version in ("1.9.0", "1.9.1", "1.10.0", "1.10.1"):
        db["records"].insert({"source": "moby", "key": f"line:{version}", "kind": "changelog_line", "product": "docker",
                              "version": version, "digest": "d", "data": json.dumps({"text": f"Fix in {version}"})})
    db["records"].insert({"source": "moby", "key": "line:next", "kind": "changelog_line", "product": "docker",
                          "version": "next", "digest": "d", "data": json.dumps({"text": "Unreleased"})})
    db.close()
    store = Store.open(tmp_path / "old.db")
    assert versions_between(store, "1.9.0", "1.10.0", "docker") == ["1.10.0", "1.9.1"]
    assert [c.text for c in changes(store, "1.9.1", "1.10.1", "docker")] == ["Fix in 1.10.0", "Fix in 1.10.1"]
