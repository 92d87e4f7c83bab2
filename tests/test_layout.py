"""The folder listing stays the architecture: few top-level parts, small modules, short
functions, and no two top-level parts that import each other."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "observatory"
MAX_PARTS, MAX_MODULE_LINES, MAX_FUNCTION_LINES = 18, 300, 50


def modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.relative_to(PACKAGE).parts:
            yield path


def top_level_parts() -> list[str]:
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if p.name != "__init__.py"
        and ((p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists()))
    )


def test_the_listing_is_short() -> None:
    assert len(top_level_parts()) <= MAX_PARTS, top_level_parts()


def test_modules_are_small_and_functions_short() -> None:
    too_long = []
    for path in modules():
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{where}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{where}:{node.lineno} {node.name}(): {length} lines")
    assert too_long == []


def imported_parts(path: Path) -> set[str]:
    """The other top-level parts that the module at *path* imports (lazy imports included)."""
    parts = set(top_level_parts())
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            bits = name.split(".")
            if bits[0] == "observatory" and len(bits) > 1:
                for candidate in (bits[1], bits[1] + ".py"):
                    if candidate in parts:
                        found.add(candidate.removesuffix(".py"))
    return found


def test_no_two_top_level_parts_import_each_other() -> None:
    edges: dict[str, set[str]] = {}
    for path in modules():
        me = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        edges.setdefault(me, set()).update(imported_parts(path) - {me})
    cycles = sorted(
        f"{a} <-> {b}"
        for a, targets in edges.items()
        for b in targets
        if a < b and a in edges.get(b, ())
    )
    assert cycles == []
