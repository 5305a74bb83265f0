"""What a user is told when the database fails (both apps: ``pressup coach`` and ``pressup
serve``): never its address, its user or the driver's words, which go to the server's log.

* The database cannot be used now (:class:`~pressup.errors.StorageUnavailableError`: the
  server does not answer or refuses connections, a SQLite file locked past its busy timeout, a
  full disk): HTTP 503 with ``Retry-After`` and ``{"detail": "storage_unavailable: ..."}``; a
  WebSocket upgrade is refused the same way (the outer guard turns the close code
  :data:`TRY_AGAIN_LATER` before accepting into the 503).
* The database refused a statement (any other :class:`~pressup.errors.DatabaseError`): HTTP
  500 saying so, with the request's id to find the log line.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from pressup.errors import DatabaseError, PressupError, StorageUnavailableError

log = logging.getLogger("pressup.web")

#: Seconds a client is asked to wait before trying again (``Retry-After``).
RETRY_AFTER_S = 5
#: WebSocket close code "Try Again Later" (RFC 6455 registry): a refused upgrade becomes 503.
TRY_AGAIN_LATER = 1013
#: WebSocket close code "Internal Error": a refused upgrade becomes 500.
INTERNAL_ERROR = 1011


def shown(exc: PressupError) -> str:
    """What a user may read of ``exc``: a database failure's plain words, else its message."""
    return exc.public if isinstance(exc, DatabaseError) else str(exc)


def unavailable_reply(exc: StorageUnavailableError) -> JSONResponse:
    """HTTP 503: the database cannot be used now; try again in :data:`RETRY_AFTER_S` s."""
    return JSONResponse(
        {"detail": f"storage_unavailable: {exc.public}; please try again in a few seconds"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _request_id(conn: HTTPConnection) -> str:
    """The request's id (the clinic's access log keeps it in the request's state)."""
    given = getattr(conn.state, "request_id", None) or conn.headers.get("x-request-id", "")
    return str(given)[:64] or "-"


async def storage_unavailable(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    """The handler of :class:`StorageUnavailableError` (a route or a dependency, run in a
    worker thread, found the database unusable)."""
    assert isinstance(exc, StorageUnavailableError)
    log.warning("database unavailable during %s: %s", conn.url.path, exc)
    if isinstance(conn, WebSocket):
        await conn.close(code=TRY_AGAIN_LATER, reason=f"storage_unavailable: {exc.public}")
        return None
    return unavailable_reply(exc)


async def database_failed(conn: HTTPConnection, exc: Exception) -> JSONResponse | None:
    """The handler of any other :class:`DatabaseError`: logged in full, answered in plain
    words (500)."""
    assert isinstance(exc, DatabaseError)
    rid = _request_id(conn)
    log.error("database error during %s (request %s): %s", conn.url.path, rid, exc, exc_info=exc)
    if isinstance(conn, WebSocket):
        await conn.close(code=INTERNAL_ERROR, reason=exc.public)
        return None
    return JSONResponse(
        {"detail": f"{exc.public}; the error is logged (request {rid})"}, status_code=500
    )


def install(app: FastAPI) -> None:
    """Answer database failures in plain words on ``app`` (see the module docstring)."""
    # one handler for both kinds of connection (Starlette types them apart)
    app.add_exception_handler(StorageUnavailableError, storage_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(DatabaseError, database_failed)  # type: ignore[arg-type]


__all__ = [
    "INTERNAL_ERROR",
    "RETRY_AFTER_S",
    "TRY_AGAIN_LATER",
    "database_failed",
    "install",
    "shown",
    "storage_unavailable",
    "unavailable_reply",
]
