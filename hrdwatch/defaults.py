"""The built-in configuration, used when no configuration file is given."""

from __future__ import annotations

from importlib import resources


def default_config_text() -> str:
    return resources.files("hrdwatch").joinpath("default_config.yaml").read_text(encoding="utf-8")
