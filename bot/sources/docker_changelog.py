"""Placeholder: being written."""

from dataclasses import dataclass

from bot.sources.api import SourceConf

KIND = "docker_changelog"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = ""
