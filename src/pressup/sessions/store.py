"""The session store as the shells see it: open it, and the record of one stored session.

The CLI and the web open the store through :func:`open_store` (or :class:`Store`) and never
import :mod:`pressup.storage` themselves; everything they read and write goes through the
modules of :mod:`pressup.sessions`.
"""

from __future__ import annotations

from pressup.storage import DATABASE_URL_ENV, REP_KEYS, SessionRecord, Store, default_database_url


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store at ``url`` (default :func:`default_database_url`).

    Raises:
        StorageError: the database cannot be opened or migrated.
    """
    return Store(url)


__all__ = [
    "DATABASE_URL_ENV",
    "REP_KEYS",
    "SessionRecord",
    "Store",
    "default_database_url",
    "open_store",
]
