"""The sources.yaml entries proposed for the shipped config load as the kinds expect."""

from __future__ import annotations

import pytest

from bot.config import load as config
from bot.sources import debian_changelog, endoflife, kernel_changelog, kernel_releases

ENTRIES = """
fleet:
  - {product: linux, version: "3.16"}
  - {product: "debian:linux", version: "6.1.158-1"}
bug_numbers: ["#1084993"]
sources:
  - {name: kernel-releases, kind: kernel_releases, url: "https://www.kernel.org/releases.json", every: 1h}
  - {name: kernel-changelog, kind: kernel_changelog, releases_url: "https://www.kernel.org/releases.json", every: 1h}
  - {name: kernel-feed, kind: kernel_feed}
  - {name: eol-linux, kind: endoflife, endoflife: linux, every: 1d}
  - {name: eol-docker, kind: endoflife, endoflife: docker-engine, every: 1d}
  - {name: eol-debian, kind: endoflife, endoflife: debian, every: 1d}
  - {name: eol-rhel, kind: endoflife, endoflife: rhel, every: 1d}
  - name: debian-linux
    kind: debian_changelog
    url: "https://metadata.ftp-master.debian.org/changelogs/main/l/linux/stable_changelog"
    every: 6h
  - name: debian-docker.io
    kind: debian_changelog
    url: "https://metadata.ftp-master.debian.org/changelogs/main/d/docker.io/unstable_changelog"
    every: 6h
  - name: debian-runc
    kind: debian_changelog
    url: "https://metadata.ftp-master.debian.org/changelogs/main/r/runc/unstable_changelog"
    every: 6h
"""


def test_shipped_entries_load_with_their_defaults(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(ENTRIES)
    loaded = config.load(path)
    by_name = {s.name: s for s in loaded.sources}
    assert loaded.bug_numbers == ("1084993",)
    changelog = by_name["kernel-changelog"]
    assert isinstance(changelog, kernel_changelog.Conf)
    assert changelog.url_template == "https://cdn.kernel.org/pub/linux/kernel/v{major}.x/ChangeLog-{version}"
    assert by_name["kernel-feed"].url == "https://www.kernel.org/feeds/kdist.xml"
    assert isinstance(by_name["kernel-releases"], kernel_releases.Conf) and by_name["kernel-releases"].product == "linux"
    eol = by_name["eol-docker"]
    assert isinstance(eol, endoflife.Conf) and endoflife.product_of(eol) == "docker"
    assert endoflife.url_of(by_name["eol-rhel"]) == "https://endoflife.date/api/rhel.json"
    assert isinstance(by_name["debian-runc"], debian_changelog.Conf)


def test_an_endoflife_source_without_its_product_is_a_config_error(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: eol, kind: endoflife}\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert str(caught.value).endswith("sources[0] eol: missing 'endoflife'")
