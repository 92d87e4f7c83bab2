"""Load and validate ``sources.yaml`` into typed models (sources, subscribers, milestones,
settings).

models.py     Source, Subscriber, Milestone, Config and their validators
settings.py   Settings: every setting declared once, with default and help
parse.py      YAML with line numbers -> Config, or a ConfigError naming file and line
schedules.py  digest cadences, cron expressions and milestone due dates
"""

from observatory.config.models import (
    Config,
    Milestone,
    Source,
    Subscriber,
    infer_kind,
    parse_duration,
)
from observatory.config.parse import load_config, parse_config
from observatory.config.schedules import parse_due
from observatory.config.settings import SETTINGS, Setting, Settings
from observatory.config.yamlfile import load_yaml, read_text, read_yaml, yaml_line

__all__ = [
    "SETTINGS",
    "Config",
    "Milestone",
    "Setting",
    "Settings",
    "Source",
    "Subscriber",
    "infer_kind",
    "load_config",
    "load_yaml",
    "parse_config",
    "parse_due",
    "parse_duration",
    "read_text",
    "read_yaml",
    "yaml_line",
]
