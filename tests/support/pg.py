"""A throw-away PostgreSQL cluster for the tests (and ``scripts/pg-throwaway``).

:func:`throwaway_postgres` runs ``initdb`` in a temporary folder, starts the server on a
unix socket only (no TCP port is opened) and yields a SQLAlchemy URL of a fresh database;
at the end the server is stopped and the folder removed. ``initdb`` refuses to run as root, so
as root the cluster is made and run by the unprivileged user ``nobody`` (``runuser``).

:func:`find_initdb` is ``None`` when PostgreSQL's server binaries are not installed; the
tests then skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


def find_initdb() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None``."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for pattern in SEARCH:
        for folder in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
                return folder
    return None


def _as_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(_as_user(argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{what}: expected exit 0, got {done.returncode}: {done.stderr.strip()[-800:]}"
        )


@contextmanager
def throwaway_postgres(database: str = "pressup") -> Iterator[str]:
    """Start a throw-away cluster and yield ``postgresql+psycopg://`` URL of ``database``.

    Raises:
        RuntimeError: PostgreSQL is not installed, or a step failed (with its stderr).
    """
    bindir = find_initdb()
    if bindir is None:
        raise RuntimeError("initdb: expected PostgreSQL's server binaries, found none")
    root = Path(tempfile.mkdtemp(prefix="pressup-pg-"))
    os.chmod(root, 0o755)
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        shutil.chown(sock, "nobody")
    port = "5432"
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            "initdb",
        )
        options = (
            f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "30",
                "start",
            ],
            "pg_ctl start",
        )
        started = True
        _run(
            [
                str(bindir / "createdb") if (bindir / "createdb").is_file() else "createdb",
                "-h",
                str(sock),
                "-p",
                port,
                "-U",
                "postgres",
                database,
            ],
            "createdb",
        )
        yield f"postgresql+psycopg://postgres@/{database}?host={sock}&port={port}"
    finally:
        if started:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                "pg_ctl stop",
            )
        shutil.rmtree(root, ignore_errors=False)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server of ``server_url``; its URL."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def refusing_connections(url: str) -> Iterator[None]:
    """The database of ``url`` refuses every connection meanwhile (``ALLOW_CONNECTIONS
    false``) and the connections open to it are ended: to its users it is down, as if its
    server were stopped, while the other databases of the server go on."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = sa.create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )

    def allow(yes: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(yes).lower()}'))
            if not yes:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

    allow(False)
    try:
        yield
    finally:
        allow(True)
        admin.dispose()


def main(argv: list[str]) -> int:
    """``pg-throwaway [COMMAND ...]``: run COMMAND with ``PRESSUP_TEST_POSTGRES_URL`` set to a
    throw-away database (without a command: print the URL and wait for Enter)."""
    with throwaway_postgres() as url:
        if not argv:
            print(url, flush=True)
            input("PostgreSQL is up; press Enter to stop it and remove its files. ")
            return 0
        env = {**os.environ, "PRESSUP_TEST_POSTGRES_URL": url}
        return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
