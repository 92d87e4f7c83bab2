"""Compile the rule sets of a taxonomy.yaml: lists of phrase patterns -> ``RuleSet``.

Each pattern compiles to its own regular expression: a space in it matches any run of whitespace
or hyphens, it must end (and, checked at match time, start) at a word boundary, and all but the
``case_sensitive`` ones are lower-cased to run on the lower-cased text. The longest literal every
match must contain is kept as a cheap pre-test (see ``match.Pattern``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from observatory.errors import ConfigError
from observatory.tagging.match import Pattern, RuleSet

RULE_KEYS = frozenset({"patterns", "case_sensitive", "exclude"})
_SPACE = "(?:\\s|-)+"  # a space in a pattern: any run of whitespace or hyphens
Fail = Callable[..., ConfigError]  # message, *where (keys and indexes) -> the error to raise


def rule_set(
    name: str,
    spec: dict[str, Any],
    fail: Fail,
    where: tuple[str | int, ...],
    allowed: frozenset[str] = RULE_KEYS,
) -> RuleSet:
    """Compile one mapping of ``patterns``, ``case_sensitive`` and ``exclude`` lists."""
    for key in spec:
        if key not in allowed:
            raise fail(
                f"{name}: unknown key {key!r} (expected {', '.join(sorted(allowed))})", *where, key
            )
    lists: dict[str, list[str]] = {}
    for key in sorted(RULE_KEYS):
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
