from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sitesrv import FixtureSite


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    server = FixtureSite().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Tests on the real corpus skip on a machine without ../shared; in CI that would hide them."""
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if os.environ.get("CI") and not corpus.is_dir():
        raise pytest.UsageError(f"CI expects the shared corpus beside the checkout: {corpus}")
