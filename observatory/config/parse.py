"""Read a sources.yaml: YAML with line numbers, validation into ``Config``, clear errors.

A bad file raises ``ConfigError`` naming the file, the line or source id, and the problem;
nothing else runs, and the database is not touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from observatory.config.models import Config
from observatory.config.settings import SETTINGS
from observatory.config.yamlfile import read_text, read_yaml, yaml_line
from observatory.errors import ConfigError

_SETTING_NAMES = {s.name for s in SETTINGS}
_NAMED_BY = {"sources": "id", "subscribers": "email", "milestones": "id"}  # entry -> its name


def parse_config(text: str, path: str = "sources.yaml") -> Config:
    """Parse and validate the text of a sources.yaml; raise ConfigError on any problem."""
    data, tree = read_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "expected a mapping with 'sources', 'subscribers', 'milestones' and 'settings'",
            path=path,
        )
    unknown_settings = (
        set((data.get("settings") or {}).keys()) - _SETTING_NAMES
        if isinstance(data.get("settings"), dict)
        else set()
    )
    for key in sorted(unknown_settings):
        raise ConfigError(
            f"unknown setting {key!r}", path=path, line=yaml_line(tree, ("settings", key))
        )
    for key in ("sources", "subscribers", "milestones"):
        if data.get(key) is None:
            data.pop(key, None)
    if data.get("settings") is None:
        data.pop("settings", None)
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise _config_error(exc, data, tree, path) from None
    _check_references(config, tree, path)
    return config


def _config_error(
    exc: ValidationError, data: dict[str, Any], tree: yaml.Node | None, path: str
) -> ConfigError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    source_id = None
    if len(loc) >= 2 and loc[0] in _NAMED_BY and isinstance(loc[1], int):
        entries = data.get(loc[0]) or []
        if loc[1] < len(entries) and isinstance(entries[loc[1]], dict):
            source_id = entries[loc[1]].get(_NAMED_BY[loc[0]])
    field = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
    if err["type"] == "missing":
        message = f"missing required key {loc[-1]!r}"
    elif err["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
        message = f"{field}: {message}"
    if loc and loc[0] in ("subscribers", "milestones") and source_id:
        message = f"{loc[0][:-1]} {source_id}: {message}"
        source_id = None
    return ConfigError(message, path=path, source_id=source_id, line=yaml_line(tree, loc))


def _check_references(config: Config, tree: yaml.Node | None, path: str) -> None:
    seen: dict[str, int] = {}
    for index, source in enumerate(config.sources):
        if source.id in seen:
            raise ConfigError(
                f"duplicate source id (first at entry {seen[source.id] + 1})",
                path=path,
                source_id=source.id,
                line=yaml_line(tree, ("sources", index)),
            )
        seen[source.id] = index
    for index, sub in enumerate(config.subscribers):
        for sid in sub.sources:
            if sid not in seen:
                raise ConfigError(
                    f"subscriber {sub.email}: unknown source id {sid!r}",
                    path=path,
                    line=yaml_line(tree, ("subscribers", index, "sources")),
                )
    _check_milestones(config, set(seen), tree, path)


def _check_milestones(config: Config, sources: set[str], tree: yaml.Node | None, path: str) -> None:
    """Milestone ids are unique in the file and name only configured sources."""
    first: dict[str, int] = {}
    for index, milestone in enumerate(config.milestones):
        where = ("milestones", index)
        if milestone.id in first:
            raise ConfigError(
                f"milestone {milestone.id}: duplicate id "
                f"(first at entry {first[milestone.id] + 1})",
                path=path,
                line=yaml_line(tree, where),
            )
        first[milestone.id] = index
        unknown = [sid for sid in milestone.sources if sid not in sources]
        if unknown:
            raise ConfigError(
                f"milestone {milestone.id}: milestones.sources: unknown source id {unknown[0]!r}",
                path=path,
                line=yaml_line(tree, (*where, "sources")),
            )


def load_config(path: str | Path) -> Config:
    return parse_config(read_text(Path(path)), str(path))
