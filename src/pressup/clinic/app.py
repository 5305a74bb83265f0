"""``pressup serve``: one pressup server for many patients and their physiotherapists.

:func:`create_clinic_app` builds a FastAPI app from

* the clinic's routers (:mod:`pressup.clinic.routes`: health, sign-in, one's own account,
  clinician, admin, patient);
* the personal coach's own routes for a signed-in patient (:mod:`pressup.clinic.coach_bridge`);
* the coach page's static files and the pose runtime;

behind the outer guard the coach has too (:class:`~pressup.web.guard.OuterGuard`: the
``Host`` allow-list of ``PRESSUP_ALLOWED_HOSTS``, the request body counted as it streams, the
security headers and ``Cache-Control: no-store`` on every reply, errors included), with
:func:`~pressup.clinic.auth.csrf_guard` (sign-in and CSRF token instead of the coach's
per-launch token) before every route and an access log of one JSON line per request. All
state is in the database (accounts, sign-ins, login attempts, the audit log, every patient's
data); a worker keeps only the live coaching sessions it is running, and
those are rebuilt from the database when a patient's tab reconnects to another worker.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from pressup.clinic import coach_bridge
from pressup.clinic.auth import Passwords, SignInRequired, csrf_guard
from pressup.clinic.routes import (
    account,
    admin,
    clinician,
    health,
    patient,
    second_factor,
    signin,
)
from pressup.clinic.settings import ClinicSettings
from pressup.protocol import ProtocolSpec, load_spec
from pressup.sessions.store import Store
from pressup.web import failures
from pressup.web.app import STATIC
from pressup.web.deps import no_nul_characters
from pressup.web.guard import OuterGuard
from pressup.web.openapi import refusals

log = logging.getLogger("pressup.clinic")
ROUTERS = (health, signin, second_factor, account, clinician, admin, patient)


async def access_log(request: Request, call_next: Any) -> Response:
    """One JSON log line per request (no query string: it may carry a page token)."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    request.state.request_id = request_id  # for an error reply that names it
    t0 = time.perf_counter()
    response: Response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    auth = getattr(request.state, "auth", None)
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - t0) * 1000, 1),
            "account_id": auth.account.id if auth is not None else None,
        },
    )
    return response


async def _sign_in_first(request: Request, _exc: Exception) -> Response:
    html = "text/html" in request.headers.get("accept", "")
    if request.method == "GET" and html:
        return RedirectResponse("/login", status_code=303)
    return JSONResponse({"detail": "sign in first"}, status_code=401)


def create_clinic_app(
    settings: ClinicSettings, store: Store | None = None, spec: ProtocolSpec | None = None
) -> FastAPI:
    """Build the app. ``store`` defaults to one on ``settings.database_url`` (migrated when
    ``settings.migrate_on_start``; otherwise it must already be at the newest revision)."""
    store = store or Store(settings.database_url, migrate=settings.migrate_on_start)
    spec = spec or load_spec(settings.protocol)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="pressup clinic",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        # on every route: the guard's Host allow-list and body limit, a NUL character, the
        # database unavailable
        responses=refusals(400, 413, 422, 503),
        dependencies=[Depends(no_nul_characters)],
    )
    app.state.clinic_settings = settings
    app.state.store = store
    app.state.spec = spec
    app.state.passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    failures.install(app)  # 503 (and 500) in plain words, never the database's address
    app.middleware("http")(csrf_guard)
    app.middleware("http")(access_log)
    app.add_middleware(OuterGuard, allowed_hosts=settings.host_names)  # outermost: added last
    for module in ROUTERS:
        app.include_router(module.router)
    coach_bridge.install(app, spec, store, alarm_s=settings.storage_alarm_s, timing=settings.timing)
    if settings.pose_assets is not None and settings.pose_assets.is_dir():
        app.mount("/vendor/pose", StaticFiles(directory=settings.pose_assets), name="pose")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    return app


class NoQueryStrings(logging.Filter):
    """Cut the query string from the paths in uvicorn's own log lines (the WebSocket handshake
    on ``uvicorn.error``, the request line on ``uvicorn.access``): it may hold a page token
    (``/ws?token=...`` is the sign-in's CSRF token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.partition("?")[0] if isinstance(a, str) and a.startswith("/") else a
                for a in record.args
            )
        return True


def from_environment() -> FastAPI:
    """The app of one uvicorn worker, from the ``PRESSUP_*`` variables (``pressup serve``
    sets them from its options before the workers start)."""
    from pressup.clinic.logs import configure

    settings = ClinicSettings()  # type: ignore[call-arg]  # database_url comes from the env
    configure(settings.log_level)
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
            logger.addFilter(NoQueryStrings())
    return create_clinic_app(settings)


def all_routes(app: FastAPI) -> list[Any]:
    """The app's routes with included routers opened up (FastAPI keeps them nested)."""
    out: list[Any] = []
    stack = list(app.routes)
    while stack:
        route = stack.pop(0)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            stack[0:0] = list(inner.routes)
        else:
            out.append(route)
    return out


__all__ = ["NoQueryStrings", "access_log", "all_routes", "create_clinic_app", "from_environment"]
