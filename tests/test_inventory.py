"""Package inventories in sources.yaml become pins that carry the hosts holding them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load as config
from bot.core.errors import ConfigError
from bot.core.model import Pin

FIXTURES = Path(__file__).parent / "fixtures" / "inventories"


def write_config(tmp_path: Path, inventories: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "hosts").mkdir(exist_ok=True)
    for name, text in (files or {}).items():
        (tmp_path / "hosts" / name).write_text(text)
    path = tmp_path / "sources.yaml"
    path.write_text(f"fleet:\n  - {{product: docker, version: '1.10.3'}}\ninventories:\n{inventories}\nsources: []\n")
    return path


def test_a_real_dpkg_query_listing_of_hundreds_of_packages_loads_as_source_package_pins(tmp_path: Path) -> None:
    (tmp_path / "hosts").mkdir()
    shutil.copy(FIXTURES / "bookworm-host.dpkg", tmp_path / "hosts" / "web.dpkg")
    conf = config.load(write_config(tmp_path, "  - {file: hosts/web.dpkg, distro: bookworm}"))
    package_pins = [p for p in conf.fleet if p.product.startswith("debian:")]
    lines = (FIXTURES / "bookworm-host.dpkg").read_text().splitlines()
    sources = {(line.split()[1], line.split()[2]) for line in lines}
    assert len(lines) > 300
    assert len(package_pins) == len(sources)  # binaries of one source build are one pin
    assert conf.fleet[0] == Pin("docker", "1.10.3")
    openssl = [p for p in package_pins if p.product == "debian:openssl"]
    assert [(p.distro, p.hosts) for p in openssl] == [("bookworm", ("hosts/web.dpkg",))]
    assert not any(p.product == "debian:libssl3" for p in package_pins)  # the tracker speaks of sources


def test_two_hosts_same_version_share_one_pin_different_versions_are_two(tmp_path: Path) -> None:
    files = {"web.dpkg": "openssl 3.0.11-1~deb12u2\nbash 5.2.15-2+b2\n",
             "api.dpkg": "openssl 3.0.11-1~deb12u2\n",
             "old.dpkg": "openssl 3.0.9-1\n"}
    inventories = ("  - {file: hosts/web.dpkg, distro: bookworm}\n  - {file: hosts/api.dpkg, distro: bookworm, name: api01}\n"
                   "  - {file: hosts/old.dpkg, distro: bookworm}")
    fleet = config.load(write_config(tmp_path, inventories, files)).fleet
    assert Pin("debian:openssl", "3.0.11-1~deb12u2", "bookworm", ("hosts/web.dpkg", "api01")) in fleet
    assert Pin("debian:openssl", "3.0.9-1", "bookworm", ("hosts/old.dpkg",)) in fleet


def test_rpm_listing_with_epochs_none_epoch_and_arch(tmp_path: Path) -> None:
    files = {"db.rpm": "bind 32:9.8.2-0.68.rc1.el6_10.16\nbash (none):4.1.2-48.el6 x86_64\n"
                       "glibc 0:2.12-1.212.el6 x86_64\nglibc 0:2.12-1.212.el6 i686\n"}
    fleet = config.load(write_config(tmp_path, "  - {file: hosts/db.rpm, distro: '6'}", files)).fleet
    assert Pin("rhel:bind", "32:9.8.2-0.68.rc1.el6_10.16", "6", ("hosts/db.rpm",)) in fleet
    assert Pin("rhel:bash", "0:4.1.2-48.el6", "6", ("hosts/db.rpm",)) in fleet
    assert len([p for p in fleet if p.product == "rhel:glibc"]) == 1


def test_dpkg_not_installed_lines_and_comments_are_skipped(tmp_path: Path) -> None:
    files = {"web.dpkg": "# dpkg-query -W output\n\nopenssl 3.0.11-1~deb12u2\nremoved-pkg \n"}
    fleet = config.load(write_config(tmp_path, "  - {file: hosts/web.dpkg, distro: bookworm}", files)).fleet
    assert [p.product for p in fleet] == ["docker", "debian:openssl"]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("openssl 3.0.11-1\njust-a-name\n", 2, "expected 'package version'"),
    ("openssl 3.0.11-1\nbash 5.2 x y\n", 2, "expected 'package version'"),
    ("openssl latest\n", 1, "not a"),
    ("open$ssl 3.0\n", 1, "not a package name"),
])
def test_a_bad_inventory_line_is_one_config_error_naming_file_and_line(tmp_path: Path, text: str, line: int,
                                                                       says: str) -> None:
    path = write_config(tmp_path, "  - {file: hosts/web.dpkg, distro: bookworm}", {"web.dpkg": text})
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert f"web.dpkg:{line}:" in message and says in message and "\n" not in message


@pytest.mark.parametrize(("entry", "says"), [
    ("{file: hosts/missing.dpkg, distro: bookworm}", "cannot read inventory"),
    ("{file: hosts/web.txt, distro: bookworm}", "set 'format' to dpkg or rpm"),
    ("{file: hosts/web.dpkg}", "missing 'distro'"),
    ("{file: hosts/web.dpkg, distro: bookworm, formt: dpkg}", "did you mean 'format'"),
    ("{file: hosts/empty.dpkg, distro: bookworm}", "lists no packages"),
])
def test_bad_inventory_entries(tmp_path: Path, entry: str, says: str) -> None:
    files = {"web.txt": "openssl 3.0.11-1\n", "web.dpkg": "openssl 3.0.11-1\n", "empty.dpkg": "\n"}
    with pytest.raises(ConfigError, match=says):
        config.load(write_config(tmp_path, f"  - {entry}", files))
