"""Alembic environment of the pressup session database.

Normally run through :func:`pressup.storage.upgrade` / :func:`~pressup.storage.downgrade` (or
``Store(migrate=True)``), which pass an open connection in ``config.attributes["connection"]``
already inside one write transaction: the whole migration commits or rolls back as one.
Run by the ``alembic`` command line instead (an ini file whose ``script_location`` points here
and whose ``sqlalchemy.url`` names the database), it opens its own connection the same way.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from pressup.storage.models import Base
from pressup.storage.store import make_engine, migration_connection

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: autogenerate emits batch operations, which copy
        # the table on SQLite and are plain ALTER TABLE elsewhere.
        render_as_batch=True,
        # On SQLite the store emits BEGIN itself, so DDL is transactional there too.
        transactional_ddl=True,
        compare_type=True,
    )


def run_offline() -> None:
    """Write the SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (or pass a connection) to run pressup migrations")
    engine = make_engine(url, pooled=False)
    try:
        with migration_connection(engine) as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
