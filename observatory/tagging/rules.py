"""Read, validate and compile a taxonomy.yaml into a ``Taxonomy``; the packaged one or a user's.

Each pattern compiles to its own regular expression: a space in it matches any run of whitespace
or hyphens, it must end (and, checked at match time, start) at a word boundary, and all but the
``case_sensitive`` ones are lower-cased to run on the lower-cased text. The longest literal every
match must contain is kept as a cheap pre-test (see ``match.Pattern``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from observatory.config import read_yaml, yaml_line
from observatory.dimensions import KEYS
from observatory.errors import ConfigError
from observatory.tagging.match import Pattern, RuleSet, Taxonomy

PACKAGED = "observatory/taxonomy.yaml"
_RULE_KEYS = {"patterns", "case_sensitive", "exclude"}
_TOP_KEYS = {"version", "gate", "dimensions"}
_SPACE = "(?:\\s|-)+"  # a space in a pattern: any run of whitespace or hyphens


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
            _loaded[key] = parse_taxonomy(p.read_text(encoding="utf-8"), str(p))
    except FileNotFoundError:
        raise ConfigError("taxonomy file not found", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read taxonomy file: {exc}", path=str(p)) from None
    return _loaded[key]


_loaded: dict[tuple[str, int, int], Taxonomy] = {}  # compiled once per file version


@cache
def _packaged() -> Taxonomy:
    text = resources.files("observatory").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return parse_taxonomy(text, PACKAGED)


def parse_taxonomy(text: str, path: str = "taxonomy.yaml") -> Taxonomy:
    """Validate and compile the text of a taxonomy.yaml."""
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
    gate = _rule_set("gate", data["gate"], _RULE_KEYS, fail, ("gate",))
    if not gate.patterns:
        raise fail("the gate has no patterns, so no text would ever count as about AI", "gate")
    dims = data.get("dimensions")
    if not isinstance(dims, dict) or not dims:
        raise fail("missing 'dimensions' (a mapping of dimension key to patterns)", "dimensions")
    for key in dims:
        if key not in KEYS:
            raise fail(f"unknown dimension {key!r} (known: {', '.join(KEYS)})", "dimensions", key)
    compiled: dict[str, RuleSet] = {}
    for key in (k for k in KEYS if k in dims):
        spec = dims[key] if dims[key] is not None else {}
        if not isinstance(spec, dict):
            raise fail(f"dimension {key!r}: expected a mapping with 'patterns'", "dimensions", key)
        compiled[key] = _rule_set(key, spec, _RULE_KEYS, fail, ("dimensions", key))
    return Taxonomy(path=path, gate=gate, dimensions=compiled)


def _rule_set(
    name: str, spec: dict[str, Any], allowed: set[str], fail: Any, where: tuple[str, ...]
) -> RuleSet:
    for key in spec:
        if key not in allowed:
            raise fail(
                f"{name}: unknown key {key!r} (expected {', '.join(sorted(allowed))})", *where, key
            )
    lists: dict[str, list[str]] = {}
    for key in sorted(_RULE_KEYS):
        value = spec.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"{name}.{key}: expected a list of non-empty strings", *where, key)
        lists[key] = value
    compiled: dict[str, list[Pattern]] = {}
    for key, folded in (("patterns", True), ("case_sensitive", False), ("exclude", True)):
        compiled[key] = []
        for index, source in enumerate(lists[key]):
            try:
                pattern = _pattern(source, folded=folded)
            except re.error as exc:
                raise fail(
                    f"{name}.{key}: pattern {source!r} is not a valid regular expression: {exc}",
                    *where,
                    key,
                    index,
                ) from None
            if pattern.regex.fullmatch(""):
                raise fail(
                    f"{name}.{key}: pattern {source!r} matches the empty text", *where, key, index
                )
            compiled[key].append(pattern)
    return RuleSet(
        name, (*compiled["patterns"], *compiled["case_sensitive"]), tuple(compiled["exclude"])
    )


def _phrase(pattern: str) -> str:
    return pattern.strip().replace(" ", _SPACE)


def _fold(pattern: str) -> str:
    """Lower-case the letters of a pattern, not its escapes (\\S must stay \\S)."""
    return re.sub(r"\\.|[^\\]+", lambda m: m[0] if m[0][0] == "\\" else m[0].lower(), pattern)


def _pattern(source: str, *, folded: bool) -> Pattern:
    regex = _phrase(_fold(source) if folded else source)
    return Pattern(
        source,
        re.compile(f"(?:{regex})(?!\\w)"),
        _required_literal(source).lower() if folded else _required_literal(source),
        folded,
    )


def _required_literal(pattern: str) -> str:
    """The longest run of letters and digits every match must contain ("" if none is sure):
    taken outside groups and classes, dropping a character a quantifier makes optional."""
    runs: list[str] = []
    run, depth, i = "", 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "|" and depth == 0:
            return ""  # top-level alternatives share no required text
        if char == "\\":
            i += 1
        elif char == "[":
            i = pattern.find("]", i + 2)  # "[]...]" keeps its first "]"
            if i < 0:
                return ""
        elif char in "?*{" and depth == 0:
            run = run[:-1]
            if char == "{":
                i = pattern.find("}", i)
                if i < 0:
                    return ""
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and (char.isalnum() or char == "&"):
            run += char
            i += 1
            continue
        runs.append(run)
        run = ""
        i += 1
    runs.append(run)
    return max(runs, key=len)
