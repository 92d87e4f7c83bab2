"""Each package's ``__all__`` is exactly its public names (httpx's test_exported_members)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import observatory

PACKAGES = sorted(
    name
    for _, name, is_package in pkgutil.walk_packages(observatory.__path__, "observatory.")
    if is_package and ".migrations" not in name
)


@pytest.mark.parametrize("name", ["observatory", *PACKAGES])
def test_all_is_exactly_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)  # submodules are reached by their path
        and attr != "annotations"  # from __future__ import annotations
    }
    assert set(getattr(package, "__all__", ())) == public, name
