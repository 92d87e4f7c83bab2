"""Read, validate and compile a taxonomy.yaml into a ``Taxonomy``; the packaged one or a user's.

The keys (each described in the packaged file's header): ``version`` (1), ``gate``,
``dimensions`` (each: phrase lists, optional ``combinations`` of ``concepts`` and ``headings``),
``concepts`` and ``ai_act`` (the map of the act's structure, see ``observatory.tagging.act``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from observatory.config import read_yaml, yaml_line
from observatory.dimensions import KEYS
from observatory.errors import ConfigError
from observatory.tagging.act import parse_act
from observatory.tagging.match import RuleSet
from observatory.tagging.model import load_model
from observatory.tagging.patterns import RULE_KEYS, Fail, rule_set
from observatory.tagging.tagger import Taxonomy

PACKAGED = "observatory/taxonomy.yaml"
_TOP_KEYS = {"version", "gate", "dimensions", "concepts", "ai_act", "model"}
_DIMENSION_KEYS = RULE_KEYS | {"combinations", "headings"}


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The packaged taxonomy (``None``) or the file at ``path``; ConfigError if it is invalid.

    Compiled once: a later call for the same, unchanged file returns the same Taxonomy."""
    if path is None:
        return _packaged()
    p = Path(path)
    try:
        stat = p.stat()
        key = (str(p), stat.st_mtime_ns, stat.st_size)
        if key not in _loaded:
            _loaded.clear()  # keep only the latest version of one file
            _loaded[key] = parse_taxonomy(p.read_text(encoding="utf-8"), str(p), p.parent)
    except FileNotFoundError:
        raise ConfigError("taxonomy file not found", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read taxonomy file: {exc}", path=str(p)) from None
    return _loaded[key]


_loaded: dict[tuple[str, int, int], Taxonomy] = {}  # compiled once per file version


@cache
def _packaged() -> Taxonomy:
    text = resources.files("observatory").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return parse_taxonomy(text, PACKAGED, Path(__file__).resolve().parents[1])


def parse_taxonomy(text: str, path: str = "taxonomy.yaml", base: Path | None = None) -> Taxonomy:
    """Validate and compile the text of a taxonomy.yaml; ``base`` is the folder a ``model``
    file is read from (default: the current one)."""
    data, tree = read_yaml(text, path)

    def fail(message: str, *where: str | int) -> ConfigError:
        return ConfigError(message, path=path, line=yaml_line(tree, where))

    if not isinstance(data, dict):
        raise fail("expected a mapping with 'version', 'gate' and 'dimensions'")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key {key!r} (expected {', '.join(sorted(_TOP_KEYS))})", key)
    if data.get("version", 1) != 1:
        raise fail(
            f"unsupported version {data['version']!r} (this release reads version 1)", "version"
        )
    if not isinstance(data.get("gate"), dict):
        raise fail("missing 'gate' (the patterns that decide whether a text is about AI)")
    gate = rule_set("gate", data["gate"], fail, ("gate",))
    if not gate.patterns:
        raise fail("the gate has no patterns, so no text would ever count as about AI", "gate")
    concepts = _concepts(data.get("concepts"), fail)
    dims = data.get("dimensions")
    if not isinstance(dims, dict) or not dims:
        raise fail("missing 'dimensions' (a mapping of dimension key to patterns)", "dimensions")
    for key in dims:
        if key not in KEYS:
            raise fail(f"unknown dimension {key!r} (known: {', '.join(KEYS)})", "dimensions", key)
    compiled: dict[str, RuleSet] = {}
    combinations: dict[str, tuple[tuple[RuleSet, ...], ...]] = {}
    headings: dict[str, RuleSet] = {}
    for key in (k for k in KEYS if k in dims):
        spec = dims[key] if dims[key] is not None else {}
        if not isinstance(spec, dict):
            raise fail(f"dimension {key!r}: expected a mapping with 'patterns'", "dimensions", key)
        where = ("dimensions", key)
        compiled[key] = rule_set(key, spec, fail, where, _DIMENSION_KEYS)
        combinations[key] = _combinations(key, spec.get("combinations"), concepts, fail, where)
        if spec.get("headings"):
            heads = {"patterns": spec["headings"]}
            headings[key] = rule_set(f"{key}.headings", heads, fail, (*where, "headings"))
    act = parse_act(data["ai_act"], fail) if data.get("ai_act") is not None else None
    model = None
    if data.get("model") is not None:
        if not isinstance(data["model"], str) or not data["model"].strip():
            raise fail("model: expected the path of a model file", "model")
        model = load_model((base or Path()) / data["model"], lambda m: fail(m, "model"))
    return Taxonomy(path, gate, compiled, combinations, headings, act, model, text)


def _concepts(spec: Any, fail: Fail) -> dict[str, RuleSet]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise fail("concepts: expected a mapping of concept name to patterns", "concepts")
    concepts = {}
    for name, rules in spec.items():
        if not isinstance(rules, dict):
            raise fail(f"concept {name!r}: expected a mapping with 'patterns'", "concepts", name)
        concepts[str(name)] = rule_set(str(name), rules, fail, ("concepts", name))
    return concepts


def _combinations(
    key: str, spec: Any, concepts: dict[str, RuleSet], fail: Fail, where: tuple[str, ...]
) -> tuple[tuple[RuleSet, ...], ...]:
    if spec is None:
        return ()
    where = (*where, "combinations")
    if not isinstance(spec, list) or not all(isinstance(c, list) and c for c in spec):
        raise fail(f"{key}.combinations: expected a list of lists of concept names", *where)
    compiled = []
    for index, names in enumerate(spec):
        for name in names:
            if name not in concepts:
                known = ", ".join(concepts) or "none defined"
                raise fail(
                    f"{key}.combinations: unknown concept {name!r} (known: {known})", *where, index
                )
        compiled.append(tuple(concepts[name] for name in names))
    return tuple(compiled)
