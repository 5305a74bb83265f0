"""The local web app of the live coach (FastAPI), built from the routers of
:mod:`pressup.web.routes`.

Routes:

* ``GET /`` - the coach page (static; it reads the launch token from its own URL);
  ``GET /api/health`` - liveness and whether the pose assets are installed
  (:mod:`~pressup.web.routes.coach`);
* ``GET /static/...`` - the page's own ES modules and styles;
* ``GET /vendor/pose/...`` - the ``@mediapipe/pose`` runtime and models, served locally;
* ``GET /api/sessions``, ``GET /api/sessions/{id}``, ``GET /history``,
  ``GET /sessions/{id}/report`` and (with ``Settings.timing``) ``GET /api/timing`` - stored
  sessions, the history page, one session's report, the reply timing
  (:mod:`~pressup.web.routes.sessions`);
* ``GET /screen``, ``/api/screening...``, ``GET /api/gate`` - the safety screening
  (:mod:`~pressup.web.routes.screening`);
* ``GET /progress``, ``GET /api/progress``, ``POST``/``DELETE /api/prescription`` - the dose in
  force, the next dose and a clinician's prescription (:mod:`~pressup.web.routes.progress`);
* ``GET /export/...`` - the downloads (:mod:`~pressup.web.routes.exports`);
* ``WS /ws`` - the message protocol of ``docs/protocol.md`` (:mod:`~pressup.web.routes.ws`).

Only the app's own page may talk to it: every WebSocket and every API call must carry the
per-launch token, and the WebSocket's ``Origin`` must be the app's own origin. The
:class:`~pressup.web.guard.Guard` middleware runs before any route: the ``Host`` allow-list,
the token and ``Origin`` of every state-changing request (not ``GET``, ``HEAD`` or
``OPTIONS``), the body size (counted as it streams), and the security headers on every reply,
errors included. The routes get the app's parts through the typed
dependencies of :mod:`pressup.web.deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from pressup.protocol import ProtocolSpec, load_spec
from pressup.sessions.store import Store
from pressup.web import failures
from pressup.web.deps import no_nul_characters
from pressup.web.guard import Guard
from pressup.web.hub import SessionHub
from pressup.web.openapi import refusals
from pressup.web.routes import coach, exports, progress, screening, sessions, ws
from pressup.web.settings import Settings
from pressup.web.timing import ReplyTimer

STATIC = Path(__file__).parent / "static"
#: Largest WebSocket message the server reads (uvicorn's ``ws_max_size``; it closes the socket,
#: code 1009, above it). Messages over :data:`pressup.web.schemas.MAX_MESSAGE_BYTES` are read
#: only to be answered with ``too_large``.
WS_MAX_SIZE = 16 * 1024 * 1024
ROUTERS = (screening, exports, progress, coach, sessions, ws)


def create_app(
    settings: Settings, store: Store | None = None, spec: ProtocolSpec | None = None
) -> FastAPI:
    """Build the app. ``store`` defaults to :class:`Store` at ``settings.database_url``."""
    store = store or Store(settings.database_url)
    spec = spec or load_spec(settings.protocol_path)
    hub = SessionHub(spec, store, gone=ws.DISCONNECTED, alarm_s=settings.storage_alarm_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.close()  # the queued writes, before the process ends

    app = FastAPI(
        title="pressup coach",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        # on every route: the guard's Host allow-list and body limit, a NUL character, the
        # database unavailable
        responses=refusals(400, 413, 422, 503),
        dependencies=[Depends(no_nul_characters)],
    )
    app.state.settings = settings
    app.state.store = store
    app.state.spec = spec
    app.state.hub = hub
    app.state.timer = ReplyTimer() if settings.timing else None
    app.add_middleware(Guard, settings=settings)
    failures.install(app)  # 503 (and 500) in plain words, never the database's address
    for module in ROUTERS:
        app.include_router(module.router)
    if settings.pose_assets_dir is not None and settings.pose_assets_dir.is_dir():
        app.mount("/vendor/pose", StaticFiles(directory=settings.pose_assets_dir), name="pose")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


__all__ = ["WS_MAX_SIZE", "ReplyTimer", "create_app"]
