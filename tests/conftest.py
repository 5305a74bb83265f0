"""Shared test set-up.

The suite is split as the package is layered: ``tests/unit/<package>/`` tests one module of
``src/pressup/<package>/`` with synthetic data; ``tests/integration/`` tests flows across
packages (the CLI, the web app, the browser, the corpus). Helpers shared by several test
modules live in ``tests/support/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client of the live coach's app, built from the test module's ``settings``."""
    with TestClient(create_app(settings), base_url=LOCAL) as c:
        yield c
