"""YAML files read safely: a size cap, a depth cap, duplicate keys refused, line numbers kept.

Configuration files (sources.yaml, a taxonomy) are input like any other: a 48 MB file, a
5,000-deep nesting (PyYAML composes recursively) or a key given twice (the last one silently
wins) are refused with a ``ConfigError`` naming the file and the line, before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import yaml

from observatory.errors import ConfigError

MAX_BYTES = 10_000_000  # 20,000 sources take about 2 MB; a taxonomy tens of KB
MAX_DEPTH = 40  # nested mappings and lists


def read_text(path: Path) -> str:
    """The text of a configuration file, or ConfigError (missing, unreadable, too big)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(
                f"file of {size:,} bytes is over the {MAX_BYTES:,}-byte cap", path=str(path)
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", path=str(path)) from None


_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x the pure-Python speed


class _Loader(_FAST):
    """Safe YAML (libyaml when present) that keeps dates as written: ``due: 2025-13-01`` is then
    a clear error of the field, not a crash of the reader, and ``2025-08-02`` stays text."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_yaml(text: str, path: str) -> Any:
    """The data of a YAML text (checked as ``read_yaml`` checks it)."""
    return read_yaml(text, path)[0]


def read_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of a YAML text; ConfigError on bad syntax,
    too deep a nesting or a duplicate key."""
    try:
        _check_depth(text, path)
        loader = _Loader(text)
        try:  # one parse: the tree is checked, then the data built from it
            tree = loader.get_single_node()
            _check_duplicates(tree, path)
            return (loader.construct_document(tree) if tree is not None else None), tree
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else None
        if "nesting depth" in problem:  # libyaml's own cap, met before ours on flow nesting
            raise ConfigError(
                f"nested deeper than {MAX_DEPTH} levels", path=path, line=line
            ) from None
        raise ConfigError(f"YAML syntax error: {problem}", path=path, line=line) from None


def _check_depth(text: str, path: str) -> None:
    """Refuse a nesting deeper than MAX_DEPTH, reading events in a loop (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ConfigError(
                    f"nested deeper than {MAX_DEPTH} levels", path=path, line=line
                ) from None
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def _check_duplicates(tree: yaml.Node | None, path: str) -> None:
    """Refuse a mapping that gives one key twice (YAML would keep the last one silently)."""
    pending = [tree] if tree is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = getattr(key, "value", None)
                if isinstance(name, str):
                    if name in seen:
                        line = key.start_mark.line + 1
                        raise ConfigError(f"key {name!r} given twice", path=path, line=line)
                    seen.add(name)
                pending.append(value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)


def yaml_line(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``path`` (keys and indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                match = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line
