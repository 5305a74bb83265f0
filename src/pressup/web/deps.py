"""What the routes need, as typed FastAPI dependencies.

:func:`pressup.web.app.create_app` puts the app's parts on ``app.state`` (``settings``,
``store``, ``spec``, ``hub``, ``timer``); a route asks for one by annotating a parameter with
its alias, e.g. ``store: StoreDep``. :data:`Authorized` checks the per-launch token
(``?token=``; HTTP 403 when it is missing or wrong) and :data:`JsonBody` reads a request's body
as one JSON object. The WebSocket and the app's middleware use :func:`token_ok` and
:func:`origin_ok` directly (they answer a refusal their own way).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Optional

from fastapi import Depends, HTTPException, Query, Request
from starlette.requests import HTTPConnection

from pressup.protocol import ProtocolSpec
from pressup.sessions.store import Store
from pressup.web.hub import SessionHub
from pressup.web.schemas import nesting_depth
from pressup.web.settings import Settings
from pressup.web.timing import ReplyTimer

#: Largest request body read (bytes); the screening answers are a few hundred.
MAX_BODY_BYTES = 16_384
#: Deepest nesting of arrays and objects read in a request body (the screening answers need 3).
MAX_BODY_DEPTH = 8
#: How long an HTTP route waits for the live sessions' queued writes before it reads (seconds).
SETTLE_S = 1.0


def same_secret(given: str | None, secret: str) -> bool:
    """Is ``given`` the secret ``secret`` (compared in constant time; ``None``: no)?"""
    if given is None:
        return False
    # bytes: compare_digest refuses a str with non-ASCII characters (TypeError)
    return secrets.compare_digest(
        given.encode("utf-8", "surrogatepass"), secret.encode("utf-8", "surrogatepass")
    )


def token_ok(token: str | None, settings: Settings) -> bool:
    """Is ``token`` the per-launch token (compared in constant time)?"""
    return same_secret(token, settings.token)


def origin_ok(origin: str | None, settings: Settings) -> bool:
    """Is ``origin`` the app's own page?"""
    return origin is not None and origin in settings.allowed_origins()


# -- the app's parts (HTTPConnection: the same for HTTP routes and the WebSocket) ---------------


async def _settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


async def _store(conn: HTTPConnection) -> Store:
    """The store, for an HTTP route after the live sessions' queued writes (waiting at most
    :data:`SETTLE_S`), so that a page read after the set shows what the coach acknowledged."""
    store: Store = conn.app.state.store
    if conn.scope["type"] == "http":
        hub: SessionHub = conn.app.state.hub
        await hub.writer.idle(SETTLE_S)
    return store


async def _spec(conn: HTTPConnection) -> ProtocolSpec:
    spec: ProtocolSpec = conn.app.state.spec
    return spec


async def _hub(conn: HTTPConnection) -> SessionHub:
    hub: SessionHub = conn.app.state.hub
    return hub


async def _timer(conn: HTTPConnection) -> ReplyTimer | None:
    timer: ReplyTimer | None = conn.app.state.timer
    return timer


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]
SpecDep = Annotated[ProtocolSpec, Depends(_spec)]
HubDep = Annotated[SessionHub, Depends(_hub)]
#: The reply timer, or ``None`` when ``Settings.timing`` is off.
TimerDep = Annotated[Optional[ReplyTimer], Depends(_timer)]


# -- checks -------------------------------------------------------------------------------------


async def require_token(settings: SettingsDep, token: Optional[str] = Query(default=None)) -> None:
    """Refuse (HTTP 403) a request without the per-launch ``?token=``."""
    if not token_ok(token, settings):
        raise HTTPException(status_code=403, detail="missing or wrong token")


#: Put on a route as ``_: Authorized``: the request must carry the per-launch token.
Authorized = Annotated[None, Depends(require_token)]


async def json_object(request: Request) -> dict[str, Any]:
    """A request's body as one JSON object of at most :data:`MAX_BODY_BYTES`.

    Raises:
        HTTPException: 413 when too large, 422 when not JSON or not an object.
    """
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail=f"body over {MAX_BODY_BYTES} bytes")
    depth = nesting_depth(raw)
    if depth > MAX_BODY_DEPTH:
        raise HTTPException(
            status_code=422,
            detail=f"body: expected JSON nested at most {MAX_BODY_DEPTH} deep, got {depth}",
        )
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HTTPException(status_code=422, detail=f"body: expected JSON ({exc})") from None
    if not isinstance(data, dict):
        raise HTTPException(
            status_code=422, detail=f"body: expected a JSON object, got {type(data).__name__}"
        )
    return data


#: A request's body as one JSON object (declare it after :data:`Authorized`: the token is
#: checked before the body is read).
JsonBody = Annotated[dict[str, Any], Depends(json_object)]


def _with_nul(pairs: Iterable[tuple[str, object]]) -> str | None:
    """The name of the first of ``pairs`` whose name or text holds a NUL character."""
    for name, value in pairs:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return name
    return None


def _json_texts(value: Any, where: str) -> Iterator[tuple[str, object]]:
    """Every key and text of a parsed JSON value, each with its dotted place."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{where}.{key}", key
            yield from _json_texts(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _json_texts(inner, f"{where}.{i}")
    else:
        yield where, value


async def _body_with_nul(request: Request) -> str | None:
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return _with_nul((f"body.{k}", v) for k, v in form.multi_items())
    raw = await request.body() if "json" in kind else b""
    if b"\\u0000" not in raw or nesting_depth(raw) > MAX_BODY_DEPTH:
        return None  # no escaped NUL (a raw one is not JSON), or the route refuses it
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None  # the route answers a malformed body itself
    return _with_nul(_json_texts(data, "body"))


async def no_nul_characters(conn: HTTPConnection) -> None:
    """Refuse (HTTP 422) a NUL character in the path, the query, or a field of a form or JSON
    body: PostgreSQL keeps none in text (it was a server error there) and no field of
    pressup's needs one. (An app-wide dependency of both apps; not the WebSocket's messages,
    nor the page token ``?token=``: it is only compared with the secret, and a wrong one is
    refused with 403 by the route's own check.)
    """
    if not isinstance(conn, Request):
        return
    query = ((f"query.{k}", v) for k, v in conn.query_params.multi_items() if k != "token")
    found = _with_nul((f"path.{k}", v) for k, v in conn.path_params.items()) or _with_nul(query)
    found = found or await _body_with_nul(conn)
    if found is not None:
        raise HTTPException(
            status_code=422,
            detail=f"{found[:80]}: expected text without NUL characters, got one",
        )


__all__ = [
    "MAX_BODY_BYTES",
    "Authorized",
    "HubDep",
    "JsonBody",
    "SettingsDep",
    "SpecDep",
    "StoreDep",
    "TimerDep",
    "json_object",
    "no_nul_characters",
    "origin_ok",
    "require_token",
    "same_secret",
    "token_ok",
]
