"""``pressup serve`` (the clinic: many patients and their physiotherapists, on PostgreSQL),
``pressup db upgrade|current`` and ``pressup accounts add-admin``.

The personal ``pressup coach`` is unchanged: one person, SQLite, no accounts.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from pressup.cli.common import err, fail, out
from pressup.errors import InputError, PressupError

db_app = typer.Typer(no_args_is_help=True, help="The database's schema (Alembic migrations).")
accounts_app = typer.Typer(no_args_is_help=True, help="The clinic's accounts.")

SERVE_DB_HELP = (
    "SQLAlchemy URL of the clinic's database, e.g. postgresql+psycopg://user:pass@host/pressup "
    "(default: PRESSUP_DATABASE_URL)"
)


def _url(database: Optional[str]) -> str:
    url = database or os.environ.get("PRESSUP_DATABASE_URL", "")
    if not url:
        raise fail(
            InputError("database: expected --database URL or PRESSUP_DATABASE_URL, got neither")
        )
    return url


def _stderr_for_workers() -> None:
    """Point descriptor 2 back at the real stderr: ``pressup`` sends it to the null device
    (:func:`~pressup.cli.common.quiet_native_logs`, for MediaPipe's noise), and the worker
    processes, which run no MediaPipe, write their JSON log lines to it."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return  # stderr is not a file (a test runner captures it): the workers keep theirs
    if fd != 2:
        os.dup2(fd, 2)


def serve(
    database: Optional[str] = typer.Option(None, "--database", help=SERVE_DB_HELP),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="interface to bind (a reverse proxy in front)"
    ),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes"),
    public_origin: Optional[str] = typer.Option(
        None, "--public-origin", help="the address people open (default: PRESSUP_PUBLIC_ORIGIN)"
    ),
    migrate: bool = typer.Option(
        True, "--migrate/--no-migrate", help="bring the schema up to date before starting"
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="proxies whose X-Forwarded-For/-Proto headers are believed",
    ),
) -> None:
    """Serve the clinic: accounts, the physiotherapist's pages and the coach for each patient."""
    import uvicorn

    from pressup.clinic.logs import uvicorn_log_config
    from pressup.clinic.settings import ClinicSettings
    from pressup.sessions.clinic import safe_url, upgrade

    url = _url(database)
    os.environ["PRESSUP_DATABASE_URL"] = url
    os.environ["PRESSUP_BIND_HOST"] = host  # the workers answer to the address they are bound to
    if public_origin:
        os.environ["PRESSUP_PUBLIC_ORIGIN"] = public_origin
    try:
        settings = ClinicSettings()  # type: ignore[call-arg]  # from the environment
    except ValueError as exc:
        raise fail(InputError(f"settings: {exc}")) from None
    try:
        if migrate:
            upgrade(url)  # once, here, before the workers start
    except PressupError as exc:
        raise fail(exc) from None
    os.environ["PRESSUP_MIGRATE_ON_START"] = "0"
    _stderr_for_workers()
    out.print(
        f"pressup serve: {workers} worker(s) on {host}:{port}, database {safe_url(url)}, "
        f"public origin {settings.public_origin}"
    )
    uvicorn.run(
        "pressup.clinic.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=uvicorn_log_config(settings.log_level),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        ws_max_size=1 << 17,
        access_log=False,  # pressup's own request log leaves out query strings (page tokens)
    )


@db_app.command("upgrade")
def db_upgrade(
    database: Optional[str] = typer.Option(None, "--database", help=SERVE_DB_HELP),
    revision: str = typer.Option("head", "--revision", help="target revision"),
) -> None:
    """Run the migrations up to ``--revision`` (default: the newest)."""
    from pressup.sessions.clinic import safe_url, schema_state, upgrade

    url = _url(database)
    try:
        upgrade(url, revision)
        current, head = schema_state(url)
    except PressupError as exc:
        raise fail(exc) from None
    out.print(f"{safe_url(url)}: schema at revision {current} (newest {head})")


@db_app.command("current")
def db_current(
    database: Optional[str] = typer.Option(None, "--database", help=SERVE_DB_HELP),
) -> None:
    """Print the schema revision of the database and the newest one."""
    from pressup.sessions.clinic import safe_url, schema_state

    url = _url(database)
    try:
        current, head = schema_state(url)
    except PressupError as exc:
        raise fail(exc) from None
    out.print(f"{safe_url(url)}: schema at revision {current} (newest {head})")
    if current != head:
        raise typer.Exit(1)


@accounts_app.command("add-admin")
def add_admin(
    username: str = typer.Argument(..., help="lower-case user name"),
    display_name: str = typer.Option("", "--name", help="name shown (default: the user name)"),
    also_clinician: bool = typer.Option(False, "--clinician", help="may also treat patients"),
    database: Optional[str] = typer.Option(None, "--database", help=SERVE_DB_HELP),
) -> None:
    """Create an admin account (the first one; later ones from the admin page). The password
    is asked for (or read from PRESSUP_ADMIN_PASSWORD)."""
    from pressup.clinic.auth import Passwords
    from pressup.clinic.settings import ClinicSettings
    from pressup.sessions.clinic import create_account
    from pressup.sessions.store import open_store

    url = _url(database)
    os.environ["PRESSUP_DATABASE_URL"] = url
    password = os.environ.get("PRESSUP_ADMIN_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    problem = Passwords.check_new(password, password)
    if problem is not None:
        raise fail(InputError(f"password: {problem}"))
    settings = ClinicSettings()  # type: ignore[call-arg]
    pw = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost)
    try:
        with open_store(url) as store:
            account = create_account(
                store,
                username=username,
                display_name=display_name or username,
                role="admin",
                also_clinician=also_clinician,
                password_hash=pw.hash(password),
            )
    except PressupError as exc:
        raise fail(exc) from None
    err.print(f"admin {account.username} created (id {account.id})")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db`` and ``accounts`` to ``app``."""
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(accounts_app, name="accounts")


__all__ = ["register", "serve"]
