"""Load and validate ``sources.yaml`` into typed models (sources, subscribers, settings)."""

from observatory.config.models import (
    SETTINGS,
    Config,
    Setting,
    Settings,
    Source,
    Subscriber,
    infer_kind,
    load_config,
    parse_config,
    parse_duration,
    read_yaml,
    yaml_line,
)

__all__ = [
    "SETTINGS",
    "Config",
    "Setting",
    "Settings",
    "Source",
    "Subscriber",
    "infer_kind",
    "load_config",
    "parse_config",
    "parse_duration",
    "read_yaml",
    "yaml_line",
]
