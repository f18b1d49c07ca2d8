"""Placeholder: being written."""

from dataclasses import dataclass

from bot.sources.api import SourceConf

KIND = "github_releases"


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    url: str = ""
