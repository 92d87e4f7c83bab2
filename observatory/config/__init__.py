"""Load and validate ``sources.yaml`` into typed models (sources, subscribers, settings).

models.py     Source, Subscriber, Config and their validators
settings.py   Settings: every setting declared once, with default and help
parse.py      YAML with line numbers -> Config, or a ConfigError naming file and line
schedules.py  digest cadences and cron expressions
"""

from observatory.config.models import Config, Source, Subscriber, infer_kind, parse_duration
from observatory.config.parse import load_config, parse_config
from observatory.config.settings import SETTINGS, Setting, Settings
from observatory.config.yamlfile import read_text, read_yaml, yaml_line

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
    "read_text",
    "read_yaml",
    "yaml_line",
]
