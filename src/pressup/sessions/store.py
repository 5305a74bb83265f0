"""The session store as the shells see it: open it, and find one stored session.

The CLI and the web open the store through :func:`open_store` (or :class:`Store`, whose
methods keep each session as it happens: state, events, repetitions, pain ratings, feedback
and landmark frames) and never import :mod:`pressup.storage` themselves; what is stored beside
the sessions goes through :mod:`pressup.sessions.records`, a session's outcome through
:mod:`pressup.sessions.outcome`.
"""

from __future__ import annotations

from pressup.errors import RecordNotFoundError
from pressup.storage import DATABASE_URL_ENV, REP_KEYS, SessionRecord, Store, default_database_url


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store at ``url`` (default :func:`default_database_url`).

    Raises:
        StorageError: the database cannot be opened or migrated.
    """
    return Store(url)


def require_session(store: Store, session_id: str) -> SessionRecord:
    """The stored session ``session_id``.

    Raises:
        StorageError: no session has this id.
    """
    record = store.get_session(session_id)
    if record is None:
        raise RecordNotFoundError(f"no session with id {session_id!r} in the database")
    return record


__all__ = [
    "DATABASE_URL_ENV",
    "REP_KEYS",
    "SessionRecord",
    "Store",
    "default_database_url",
    "open_store",
    "require_session",
]
