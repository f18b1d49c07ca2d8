"""Which pins an event touches, from one fleet like the one in PRODUCT.md."""

from __future__ import annotations

import pytest

from bot.core.model import Pin
from bot.judge import fleet

DOCKER = Pin("docker", "1.10.3")
LINUX_BRANCH = Pin("linux", "3.16")
LINUX_EXACT = Pin("linux", "4.9.337")
DEBIAN = Pin("debian", "8")
RHEL = Pin("rhel", "7.2")
DOCKER_IO = Pin("debian:docker.io", "1.6.2~dfsg1-1~bpo8+1", "jessie")
DOCKER_CE_BRANCH = Pin("Docker-CE", "17.03")
BROKEN = Pin("nginx", "latest")
FLEET = [DOCKER, LINUX_BRANCH, LINUX_EXACT, DEBIAN, RHEL, DOCKER_IO, DOCKER_CE_BRANCH, BROKEN]


@pytest.mark.parametrize(
    ("product", "version", "touched"),
    [
        # exact pins: equal after normalize, through the alias table, any case
        ("docker", "1.10.3", [DOCKER]),
        ("moby", "v1.10.3", [DOCKER]),
        ("docker-engine", "docker-v1.10.3", [DOCKER]),
        ("DOCKER", "1.10.3", [DOCKER]),
        ("docker", "1.10.4", []),
        ("containerd", "1.10.3", []),  # not an alias of docker
        # branch pins: any release of the branch, from any alias
        ("docker", "17.03.1-ce", [DOCKER_CE_BRANCH]),
        ("moby", "17.03.0-ce-rc1", [DOCKER_CE_BRANCH]),
        ("docker", "17.04.0-ce", []),
        ("linux", "3.16.85", [LINUX_BRANCH]),
        ("kernel", "3.16.1", [LINUX_BRANCH]),
        ("linux", "3.17", []),
        ("linux", "3.1.6", []),
        # an event about a whole branch touches the branch pin and exact pins inside it
        ("linux", "3.16", [LINUX_BRANCH]),
        ("linux", "4.9", [LINUX_EXACT]),
        ("docker", "1.10", [DOCKER]),
        ("docker", "17.03", [DOCKER_CE_BRANCH]),
        ("docker", "1", [DOCKER]),  # a major-only cycle, as endoflife.date names docker 29
        ("linux", "4.9.338", []),
        # distribution releases: the release itself, and its major cycle (endoflife 'rhel 7')
        ("debian", "8", [DEBIAN]),
        ("debian", "9", []),
        ("rhel", "7", [RHEL]),
        ("rhel", "7.2", [RHEL]),
        ("rhel", "7.3", []),
        # package versions: only the exact version, dpkg-equal
        ("debian:docker.io", "1.6.2~dfsg1-1~bpo8+1", [DOCKER_IO]),
        ("debian:docker.io", "0:1.6.2~dfsg1-1~bpo8+1", [DOCKER_IO]),
        ("debian:docker.io", "1.6.2~dfsg1-1+deb8u1", []),
        ("debian:docker.io", "1.6", []),
        ("debian:runc", "1.6.2~dfsg1-1~bpo8+1", []),
        # a pin that is not a version still matches its own text, and breaks nothing else
        ("nginx", "latest", [BROKEN]),
        ("nginx", "1.25.0", []),
        ("docker", "garbage", []),
    ],
)
def test_pins_for(product: str, version: str, touched: list[Pin]) -> None:
    assert fleet.pins_for(FLEET, product, version) == touched


def test_pins_for_keeps_fleet_order_and_every_match() -> None:
    pins = [Pin("moby", "1.10"), Pin("docker", "1.10.3"), Pin("docker-ce", "1.10.3", "jessie")]
    assert fleet.pins_for(pins, "docker", "1.10.3") == pins


@pytest.mark.parametrize(
    ("product", "branch", "pinned"),
    [
        ("docker", "1.10", True),  # exact pin 1.10.3 lies in it
        ("docker-engine", "1.10", True),
        ("docker", "17.03", True),
        ("docker", "17.3", True),
        ("docker", "1.11", False),
        ("linux", "3.16", True),
        ("kernel", "4.9", True),
        ("linux", "4.19", False),
        ("linux", "next-20201211", False),
        ("rhel", "7", True),
        ("rhel", "8", False),
        ("debian", "8", True),
        ("debian:docker.io", "1.6", True),
        ("debian:docker.io", "1.7", False),
        ("ubuntu", "8", False),
    ],
)
def test_is_pinned_branch(product: str, branch: str, pinned: bool) -> None:
    assert fleet.is_pinned_branch(FLEET, product, branch) is pinned


def test_endoflife_docker_cycle_holds_a_modern_exact_pin() -> None:
    # endoflife.date names recent docker-engine cycles '29', '28' (one component).
    assert fleet.is_pinned_branch([Pin("docker", "29.0.3")], "docker-engine", "29")
    assert fleet.pins_for([Pin("docker", "29.0.3")], "docker-engine", "29") == [Pin("docker", "29.0.3")]
    assert fleet.pins_for([Pin("docker", "29.0.3")], "docker-engine", "28") == []


CANDIDATES = ["1.10.1", "1.10.3", "v1.10.4", "1.10.5-rc1", "1.11.0", "1.10.10", "garbage", "1.10.4"]


@pytest.mark.parametrize(
    ("pin", "candidates", "prereleases", "newer"),
    [
        (DOCKER, CANDIDATES, False, ["1.10.4", "1.10.10"]),
        (DOCKER, CANDIDATES, True, ["1.10.4", "1.10.5-rc1", "1.10.10"]),
        (Pin("docker", "1.10"), CANDIDATES, False, ["1.10.1", "1.10.3", "1.10.4", "1.10.10"]),
        (LINUX_BRANCH, ["3.16.85", "3.16.1", "3.17", "3.16-rc2", "next-20201211"], False, ["3.16.1", "3.16.85"]),
        (LINUX_EXACT, ["4.9.255", "4.9.256", "4.9.338", "4.9.340", "4.10.1"], False, ["4.9.338", "4.9.340"]),
        (DOCKER_CE_BRANCH, ["17.03.2-ce", "17.03.0-ce-rc1", "17.03.1-ce", "17.06.0-ce"], False,
         ["17.03.1-ce", "17.03.2-ce"]),
        (DOCKER_IO, ["1.6.2~dfsg1-1~bpo8+1", "1.6.2~dfsg1-1", "1.6.2~dfsg1-1+deb8u1", "1.7.1~dfsg1-1",
                     "1.6.1~dfsg1-1"], False, ["1.6.2~dfsg1-1", "1.6.2~dfsg1-1+deb8u1"]),
        (Pin("rhel:docker", "1.13.1-208.el7"), ["1.13.1-209.git7d71120.el7", "2:1.13.1-1.el7",
                                                "1.12.6-1.el7", "1.13.1-207.el7"], False,
         ["1.13.1-209.git7d71120.el7", "2:1.13.1-1.el7"]),
        (RHEL, ["7.1", "7.3", "7.10", "8.0"], False, ["7.3", "7.10"]),
        (DOCKER, [], False, []),
    ],
)
def test_newer_in_branch(pin: Pin, candidates: list[str], prereleases: bool, newer: list[str]) -> None:
    assert fleet.newer_in_branch(pin, candidates, prereleases=prereleases) == newer


def test_newer_in_branch_rejects_a_garbage_pin() -> None:
    with pytest.raises(ValueError):
        fleet.newer_in_branch(BROKEN, ["1.0"])


@pytest.mark.parametrize(
    ("pin", "label"),
    [
        (DOCKER, "docker 1.10.3"),
        (Pin("docker", "v1.10.3"), "docker 1.10.3"),
        (LINUX_BRANCH, "linux 3.16.x"),
        (DOCKER_CE_BRANCH, "Docker-CE 17.03.x"),
        (DEBIAN, "debian 8"),
        (DOCKER_IO, "debian:docker.io 1.6.2~dfsg1-1~bpo8+1 (jessie)"),
        (BROKEN, "nginx latest"),
    ],
)
def test_pin_label(pin: Pin, label: str) -> None:
    assert fleet.pin_label(pin) == label


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("docker", "Moby", True), ("docker-ce", "docker-engine", True), ("linux", "KERNEL", True),
     ("docker", "containerd", False), ("debian:docker.io", "debian:docker.io", True),
     ("debian:docker.io", "docker", False)],
)
def test_same_product(a: str, b: str, same: bool) -> None:
    assert fleet.same_product(a, b) is same
