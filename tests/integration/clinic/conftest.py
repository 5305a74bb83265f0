"""The clinic's server tests run on SQLite and on a real PostgreSQL.

PostgreSQL: ``PRESSUP_TEST_POSTGRES_URL`` when set (each test module gets its own database
on that server), else a throw-away cluster started once for the run
(:mod:`support.pg`). Without either the PostgreSQL cases skip, unless
``PRESSUP_REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets it): then they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.clinic import World, build_world
from support.pg import find_initdb, fresh_database, throwaway_postgres

#: SQLite in the default suite; PostgreSQL under the ``postgres`` mark (``make test-postgres``).
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL URL whose server lets us create databases."""
    given = os.environ.get("PRESSUP_TEST_POSTGRES_URL", "")
    if given:
        yield given
        return
    if find_initdb() is None:
        if os.environ.get("PRESSUP_REQUIRE_POSTGRES") == "1":
            pytest.fail("PRESSUP_REQUIRE_POSTGRES=1 but no initdb and no PRESSUP_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL is not installed (no initdb) and PRESSUP_TEST_POSTGRES_URL unset")
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clinic.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return fresh_database(server)


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A new database for one test module, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('clinic') / 'clinic.db'}"
    return fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    """One clinic per backend for a whole test module (the tests must not change who is in
    it; tests that do build their own)."""
    w = build_world(module_database_url)
    yield w
    w.store.close()
