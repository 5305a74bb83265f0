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
per-launch token, and the WebSocket's ``Origin`` must be the app's own origin. Every
state-changing request (not ``GET``, ``HEAD`` or ``OPTIONS``) needs both, checked by
:func:`guard_state_changes` before any route runs; every reply carries ``nosniff``,
``no-referrer`` and ``same-origin`` headers. The routes get the app's parts through the typed
dependencies of :mod:`pressup.web.deps`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from pressup.protocol import ProtocolSpec, load_spec
from pressup.sessions.store import Store
from pressup.web.deps import origin_ok, token_ok
from pressup.web.hub import SessionHub
from pressup.web.routes import coach, exports, progress, screening, sessions, ws
from pressup.web.settings import Settings
from pressup.web.timing import ReplyTimer

STATIC = Path(__file__).parent / "static"
ROUTERS = (screening, exports, progress, coach, sessions, ws)


async def guard_state_changes(request: Request, call_next: Any) -> Any:
    """Refuse (403) a state-changing request without the app's ``Origin`` and token; add the
    security headers to every reply."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        settings: Settings = request.app.state.settings
        token = request.query_params.get("token") or request.headers.get("x-pressup-token")
        if not origin_ok(request.headers.get("origin"), settings) or not token_ok(token, settings):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def create_app(
    settings: Settings, store: Store | None = None, spec: ProtocolSpec | None = None
) -> FastAPI:
    """Build the app. ``store`` defaults to :class:`Store` at ``settings.database_url``."""
    store = store or Store(settings.database_url)
    spec = spec or load_spec(settings.protocol_path)
    app = FastAPI(title="pressup coach", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = store
    app.state.spec = spec
    app.state.hub = SessionHub(spec, store, gone=ws.DISCONNECTED)
    app.state.timer = ReplyTimer() if settings.timing else None
    app.middleware("http")(guard_state_changes)
    for module in ROUTERS:
        app.include_router(module.router)
    if settings.pose_assets_dir is not None and settings.pose_assets_dir.is_dir():
        app.mount("/vendor/pose", StaticFiles(directory=settings.pose_assets_dir), name="pose")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


__all__ = ["ReplyTimer", "create_app", "guard_state_changes"]
