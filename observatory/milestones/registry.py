"""The milestones in force: the shipped registry, overridden and extended by ``sources.yaml``.

``registry.yaml`` (beside this module) holds the real milestones of the AI Act and of the HMA/EMA
AI workplan, each with the quote that sets it (``tests/milestones`` checks every quote against
the corpus). A ``milestones:`` entry in ``sources.yaml`` with a shipped ``id`` replaces that
milestone; a new ``id`` adds one (``observatory.config`` has validated the entries already).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from observatory.config import Config, Milestone, load_yaml, yaml_line
from observatory.errors import ConfigError, NotFoundError

REGISTRY = Path(__file__).resolve().parent / "registry.yaml"


@cache
def shipped_milestones(path: Path = REGISTRY) -> tuple[Milestone, ...]:
    """The registry at *path* (the packaged one by default), validated; ConfigError naming the
    file and line of the first bad entry."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the milestone registry: {exc}", path=name) from None
    data = load_yaml(text, name)
    if not isinstance(data, list):
        raise ConfigError("expected a list of milestones", path=name)
    milestones: list[Milestone] = []
    for index, entry in enumerate(data):
        try:
            milestones.append(Milestone.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or "entry"
            where = (index, *err["loc"])
            raise _error(f"{field}: {err['msg']}", text, name, where) from None
    ids = [m.id for m in milestones]
    for index, milestone_id in enumerate(ids):
        if ids.index(milestone_id) != index:
            raise _error(f"duplicate milestone id {milestone_id!r}", text, name, (index,))
    return tuple(milestones)


def _error(message: str, text: str, name: str, where: tuple[object, ...]) -> ConfigError:
    """A ConfigError at the line of *where* (the node tree is built only for an error)."""
    return ConfigError(message, path=name, line=yaml_line(yaml.compose(text), where))


def merge(shipped: tuple[Milestone, ...], configured: list[Milestone]) -> list[Milestone]:
    """*shipped* with each *configured* entry replacing the one of its id, new ids at the end."""
    replace = {m.id: m for m in configured}
    known = {m.id for m in shipped}
    return [replace.get(m.id, m) for m in shipped] + [m for m in configured if m.id not in known]


def load_milestones(config: Config) -> list[Milestone]:
    """The milestones in force for *config*: the shipped registry merged with its own."""
    return merge(shipped_milestones(), list(config.milestones))


def find(milestones: list[Milestone], milestone_id: str) -> Milestone:
    """The milestone with this id; ``NotFoundError`` (exit 2) when there is none."""
    for m in milestones:
        if m.id == milestone_id:
            return m
    raise NotFoundError(f"unknown milestone {milestone_id!r} (see `observatory milestones`)")
