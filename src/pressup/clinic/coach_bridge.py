"""The personal coach's pages, API and WebSocket, served to a signed-in patient.

The clinic does not copy the coach: it registers the coach's own routes (those a patient may
use, :data:`PATIENT_ROUTES`) with one more dependency (:func:`patient_guard`: a signed-in
patient, and an audit entry), and overrides the coach's dependencies
(:mod:`pressup.web.deps`) so that

* the store is the patient's :class:`~pressup.sessions.clinic.PatientStore`;
* the live-session hub is the patient's own (:class:`PatientHubs`), writing to that store;
* the "per-launch token" the page carries in its URL is the sign-in's CSRF token, and the
  page's origin is the public origin.

A patient's own screening may not carry an approval (:func:`no_self_approval`). Left out:
the clinician's actions (``POST /api/screening/approval``, ``POST``/``DELETE
/api/prescription``: a patient neither approves their own screening nor prescribes) and the
coach's own health route (the clinic has ``/healthz``). The reply timing (``GET
/api/timing``) is there only with ``PRESSUP_TIMING=1``: each worker times its own replies and
answers with its figures and its process id (``benchmarks/load_ws.py`` asks until it has heard
from every worker, with ``samples=1`` for the samples themselves, and merges them).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Request, WebSocketException
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import HTTPConnection

from pressup.clinic.auth import Auth, audit, base_store, clinic_settings, clinic_spec, current_auth
from pressup.protocol import ProtocolSpec
from pressup.sessions.clinic import PatientStore, patient_store
from pressup.sessions.store import Store
from pressup.web import deps
from pressup.web.deps import same_secret
from pressup.web.hub import SessionHub
from pressup.web.openapi import refusals
from pressup.web.routes import coach, exports, progress, screening, sessions, ws
from pressup.web.settings import Settings
from pressup.web.timing import ReplyTimer
from pressup.web.writer import ALARM_S

#: The coach's reply timing, registered only with ``PRESSUP_TIMING=1``.
TIMING_ROUTE = ("GET", "/api/timing")
#: (method, path) of the coach's routes a patient uses ("WS" for the WebSocket).
PATIENT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/static/words.js"),
        ("GET", "/api/sessions"),
        ("GET", "/api/sessions/{session_id}"),
        ("GET", "/history"),
        ("GET", "/sessions/{session_id}/report"),
        ("GET", "/screen"),
        ("GET", "/api/screening/questions"),
        ("POST", "/api/screening"),
        ("GET", "/api/gate"),
        ("GET", "/progress"),
        ("GET", "/api/progress"),
        ("GET", "/export/{table}.{fmt}"),
        ("GET", "/export/fhir"),
        ("GET", "/export/trc"),
        ("WS", "/ws"),
    }
)
#: The coach's page shells and word list read no health data (no audit entry for them).
_NOT_AUDITED = frozenset({"/static/words.js", "/screen", "/progress"})


@dataclass
class PageSettings(Settings):
    """The coach's settings for one signed-in patient: their CSRF token is the page's token
    and the public origin is the page's origin."""

    public_origin: str = ""

    def allowed_origins(self) -> set[str]:
        return {self.public_origin}


@dataclass
class PatientHubs:
    """One :class:`SessionHub` per patient, each writing to that patient's store. A hub keeps
    the live sessions of this worker; a session resumed on another worker is rebuilt from the
    database (the hub's replay), so no state is kept only here."""

    spec: ProtocolSpec
    store: Store
    alarm_s: float = ALARM_S  # see SessionHub

    def __post_init__(self) -> None:
        self._hubs: dict[int, SessionHub] = {}
        self._lock = threading.Lock()

    def hub(self, store: PatientStore) -> SessionHub:
        with self._lock:
            found = self._hubs.get(store.patient_id)
            if found is None:
                found = SessionHub(self.spec, store, gone=ws.DISCONNECTED, alarm_s=self.alarm_s)
                self._hubs[store.patient_id] = found
            return found

    def forget(self, patient_id: int) -> None:
        with self._lock:
            self._hubs.pop(patient_id, None)


def _refuse(conn: HTTPConnection, status: int, detail: str) -> Exception:
    if conn.scope["type"] == "websocket":
        return WebSocketException(code=1008, reason=detail)
    return HTTPException(status_code=status, detail=detail)


def _patient(conn: HTTPConnection) -> Auth:
    auth = current_auth(conn)
    if auth is None:
        raise _refuse(conn, 401, "sign in first")
    if auth.account.role != "patient":
        raise _refuse(conn, 403, f"this needs a patient account; you are a {auth.account.role}")
    return auth


def patient_guard(conn: HTTPConnection) -> None:
    """A signed-in patient (401/403 otherwise); the request is written to the audit log."""
    auth = _patient(conn)
    route = conn.scope.get("route")
    path = getattr(route, "path", conn.url.path)
    if path not in _NOT_AUDITED:
        method = "WS" if conn.scope["type"] == "websocket" else conn.scope.get("method", "GET")
        audit(conn, auth.account, f"{method} {path}", auth.account)


async def no_self_approval(request: Request) -> None:
    """A patient's own screening carries no clinician's approval (403): in the clinic only a
    clinician approves, from their own account (``/clinic/patients/.../review``)."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return  # the coach's route answers a malformed body itself (422)
    if isinstance(data, dict) and data.get("approval") is not None:
        raise HTTPException(
            status_code=403,
            detail="approval: expected none (your clinician approves a screening in the "
            "clinic), got one",
        )


#: Further checks on single coach routes.
EXTRA_GUARDS: dict[tuple[str, str], list[Any]] = {
    ("POST", "/api/screening"): [Depends(no_self_approval)],
}


def _store(conn: HTTPConnection) -> Store:
    return patient_store(base_store(conn), _patient(conn).account)


def _hub(conn: HTTPConnection) -> SessionHub:
    hubs: PatientHubs = conn.app.state.hubs
    return hubs.hub(patient_store(base_store(conn), _patient(conn).account))


def _settings(conn: HTTPConnection) -> Settings:
    auth = _patient(conn)
    cs = clinic_settings(conn)
    return PageSettings(
        host="clinic",
        port=0,
        token=auth.session.csrf_token,
        database_url=cs.database_url,
        pose_assets_dir=cs.pose_assets,
        protocol_path=cs.protocol,
        timing=False,
        require_screening=cs.require_screening,
        public_origin=cs.public_origin,
    )


def _spec(conn: HTTPConnection) -> ProtocolSpec:
    return clinic_spec(conn)


def _timer(conn: HTTPConnection) -> ReplyTimer | None:
    timer: ReplyTimer | None = conn.app.state.timer
    return timer


def _token(conn: HTTPConnection, token: Optional[str] = Query(default=None)) -> None:
    auth = _patient(conn)
    if not same_secret(token, auth.session.csrf_token):
        raise _refuse(conn, 403, "missing or wrong token")


def _key(route: Any) -> tuple[str, str] | None:
    if isinstance(route, APIWebSocketRoute):
        return "WS", route.path
    if isinstance(route, APIRoute):
        methods = sorted(set(route.methods or ()) - {"HEAD"})
        return (methods[0], route.path) if len(methods) == 1 else None
    return None


def install(
    app: FastAPI,
    spec: ProtocolSpec,
    store: Store,
    *,
    alarm_s: float = ALARM_S,
    timing: bool = False,
) -> None:
    """Register the coach's patient routes on ``app`` and point the coach's dependencies at
    the signed-in patient (``alarm_s``: see :class:`~pressup.web.hub.SessionHub`; ``timing``:
    time the frame replies and serve ``GET /api/timing``)."""
    app.state.hubs = PatientHubs(spec, store, alarm_s)
    app.state.timer = ReplyTimer() if timing else None
    routes = PATIENT_ROUTES | ({TIMING_ROUTE} if timing else set())
    overrides: dict[Any, Any] = {
        deps._store: _store,
        deps._hub: _hub,
        deps._settings: _settings,
        deps._spec: _spec,
        deps._timer: _timer,
        deps.require_token: _token,
    }
    app.dependency_overrides.update(overrides)
    guard = [Depends(patient_guard)]
    for module in (coach, sessions, screening, progress, exports, ws):
        for route in module.router.routes:
            key = _key(route)
            if key is None or key not in routes:
                continue
            if isinstance(route, APIWebSocketRoute):
                app.add_api_websocket_route(
                    route.path, route.endpoint, name=route.name, dependencies=guard
                )
            else:
                assert isinstance(route, APIRoute)
                app.add_api_route(
                    route.path,
                    route.endpoint,
                    methods=list(route.methods or ()),
                    response_class=route.response_class,
                    status_code=route.status_code,
                    responses={**route.responses, **refusals(401, 403)},
                    openapi_extra=route.openapi_extra,
                    name=route.name,
                    dependencies=guard + EXTRA_GUARDS.get(key, []),
                )


__all__ = ["PATIENT_ROUTES", "PageSettings", "PatientHubs", "install", "patient_guard"]
