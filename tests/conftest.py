from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sitesrv import FixtureSite


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    server = FixtureSite().start()
    try:
        yield server
    finally:
        server.stop()
