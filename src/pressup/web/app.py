"""The local web app of the live coach (FastAPI).

Routes:

* ``GET /`` - the coach page (static; it reads the launch token from its own URL);
* ``GET /static/...`` - the page's own ES modules and styles;
* ``GET /vendor/pose/...`` - the ``@mediapipe/pose`` runtime and models, served locally;
* ``GET /api/health`` - liveness and whether the pose assets are installed;
* ``GET /api/sessions``, ``GET /api/sessions/{id}`` - stored sessions (token required);
* ``GET /history``, ``GET /sessions/{id}/report`` - the history page and one stored
  session's report, HTML (token required; :mod:`pressup.report.history`);
* ``GET /api/timing`` - only with ``Settings.timing`` (``PRESSUP_TIMING=1``): how long frame
  replies took inside the server (token required; ``&reset=1`` starts afresh);
* ``GET /screen``, ``/api/screening...``, ``GET /api/gate`` - the safety screening
  (:mod:`pressup.web.screening`);
* ``GET /progress``, ``GET /api/progress``, ``POST``/``DELETE /api/prescription`` - the dose in
  force, the next dose and a clinician's prescription (:mod:`pressup.web.progress`);
* ``WS /ws`` - the message protocol of ``docs/protocol.md``; with
  ``Settings.require_screening`` a ``hello`` is refused (``screening_required``) while the
  screening gate is closed.

Only the app's own page may talk to it: every WebSocket and every API call must carry the
per-launch token, and the WebSocket's ``Origin`` must be the app's own origin.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from pressup.protocol import ProtocolSpec, load_spec
from pressup.safety.symptoms import STOP_EVENT
from pressup.storage import Store
from pressup.storage.safety import list_symptoms
from pressup.web.exports import exports_router
from pressup.web.hub import SessionHub, dumps, review_message, update_message
from pressup.web.progress import progress_router
from pressup.web.schemas import (
    PROTOCOL_VERSION,
    Control,
    Feedback,
    Frame,
    Hello,
    MessageError,
    Pain,
    Ping,
    parse_message,
)
from pressup.web.screening import gate_now, screening_router
from pressup.web.settings import Settings

log = logging.getLogger("pressup.web")
STATIC = Path(__file__).parent / "static"


class ReplyTimer:
    """Opt-in: time from a ``frame`` message received to its ``update`` reply sent.

    Measured with :func:`time.perf_counter_ns` from right after ``receive_text()`` returns to
    right after ``send_text()`` of the reply returns (validation, engine, storage and the send;
    not the time the message waited before the handler ran). Keeps the last :attr:`capacity`
    samples in a ring buffer; nothing is recorded unless ``Settings.timing`` is on.
    """

    capacity = 1 << 18

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.samples: list[int] = [0] * self.capacity
        self.count = 0

    def add(self, ns: int) -> None:
        self.samples[self.count % self.capacity] = ns
        self.count += 1

    def summary(self) -> dict[str, Any]:
        kept = sorted(self.samples[: min(self.count, self.capacity)])

        def pct(q: float) -> float | None:
            return kept[min(len(kept) - 1, int(q * len(kept)))] / 1e6 if kept else None

        return {
            "count": self.count,
            "window": len(kept),
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": kept[-1] / 1e6 if kept else None,
        }


def _origin_ok(origin: str | None, settings: Settings) -> bool:
    return origin is not None and origin in settings.allowed_origins()


def create_app(
    settings: Settings, store: Store | None = None, spec: ProtocolSpec | None = None
) -> FastAPI:
    """Build the app. ``store`` defaults to :class:`Store` at ``settings.database_url``."""
    store = store or Store(settings.database_url)
    spec = spec or load_spec(settings.protocol_path)
    hub = SessionHub(spec, store)
    app = FastAPI(title="pressup coach", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.hub = hub
    app.state.store = store
    timer = ReplyTimer() if settings.timing else None
    app.state.timer = timer

    def require_token(token: str | None) -> None:
        if token is None or not secrets.compare_digest(token, settings.token):
            raise HTTPException(status_code=403, detail="missing or wrong token")

    @app.middleware("http")
    async def guard_state_changes(request: Request, call_next: Any) -> Any:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            token = request.query_params.get("token") or request.headers.get("x-pressup-token")
            if (
                not _origin_ok(origin, settings)
                or token is None
                or not secrets.compare_digest(token, settings.token)
            ):
                return JSONResponse({"detail": "forbidden"}, status_code=403)
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response

    app.include_router(screening_router(store, spec, require_token, settings.require_screening))
    app.include_router(exports_router(store, require_token))
    app.include_router(progress_router(store, spec, require_token))

    @app.get("/")
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        assets = settings.pose_assets_dir
        return {
            "ok": True,
            "protocol": PROTOCOL_VERSION,
            "pose_assets": bool(assets and (assets / "pose.js").is_file()),
        }

    @app.get("/api/sessions")
    async def sessions(token: str | None = Query(default=None)) -> list[dict[str, Any]]:
        require_token(token)
        return [_public(r) for r in store.list_sessions()]

    @app.get("/api/sessions/{session_id}")
    async def session(session_id: str, token: str | None = Query(default=None)) -> dict[str, Any]:
        require_token(token)
        rec = store.get_session(session_id)
        if rec is None:
            raise HTTPException(status_code=404, detail=f"no session {session_id}")
        stops = [e for e in store.list_events(session_id) if e.get("kind") == STOP_EVENT]
        return {
            **_public(rec),
            "reps": store.list_reps(session_id),
            "pain": store.list_pain(session_id),
            "symptoms": [
                {"rep": r.rep, "pain": r.pain, "location": r.location}
                for r in list_symptoms(store, session_id)
            ],
            "stopped": (
                {"reason": stops[-1].get("reason"), "rules": stops[-1].get("rules") or []}
                if stops
                else None
            ),
        }

    @app.get("/history", response_class=HTMLResponse)
    def history_page(token: str | None = Query(default=None)) -> HTMLResponse:
        require_token(token)
        from urllib.parse import quote

        from pressup.report.history import render_history

        def link(sid: str) -> str:
            return f"/sessions/{quote(sid)}/report?token={quote(settings.token)}"

        html = render_history(
            store,
            spec,
            report_link=link,
            progress_link=f"/progress?token={quote(settings.token)}",
            export_token=settings.token,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/sessions/{session_id}/report", response_class=HTMLResponse)
    def session_report_page(
        session_id: str, token: str | None = Query(default=None)
    ) -> HTMLResponse:
        require_token(token)
        from pressup.errors import PressupError
        from pressup.report.history import session_report

        if store.get_session(session_id) is None:
            raise HTTPException(status_code=404, detail=f"no session {session_id}")
        try:
            html = session_report(store, session_id, spec)
        except PressupError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/api/timing")
    async def timing(
        token: str | None = Query(default=None), reset: bool = Query(default=False)
    ) -> dict[str, Any]:
        require_token(token)
        if timer is None:
            raise HTTPException(status_code=404, detail="timing is off (set PRESSUP_TIMING=1)")
        out = timer.summary()
        if reset:
            timer.reset()
        return out

    @app.websocket("/ws")
    async def ws_endpoint(ws: WebSocket) -> None:
        token = ws.query_params.get("token")
        if (
            token is None
            or not secrets.compare_digest(token, settings.token)
            or not _origin_ok(ws.headers.get("origin"), settings)
        ):
            await ws.close(code=1008)
            return
        await ws.accept()
        live = None
        try:
            while True:
                raw = await ws.receive_text()
                t0 = time.perf_counter_ns() if timer is not None else 0
                try:
                    msg = parse_message(raw)
                    if isinstance(msg, Hello):
                        if settings.require_screening:
                            closed = gate_now(store, spec)
                            if not closed.allowed:
                                raise MessageError("screening_required", closed.reason)
                        if live is not None:
                            hub.close_client(live, ws)
                        live, resumed = hub.open(
                            msg.session or ws.query_params.get("session"), msg.client
                        )
                        live.clients.add(ws)
                        hub.take_over(live, ws)
                        await ws.send_text(
                            dumps(
                                {
                                    "v": PROTOCOL_VERSION,
                                    "type": "welcome",
                                    "session": live.id,
                                    "resumed": resumed,
                                    "dose": live.dose,
                                    "status": live.session.status(),
                                    "last_seq": live.last_seq,
                                    "last_t": max(live.last_t, 0.0),
                                }
                            )
                        )
                        continue
                    if isinstance(msg, Ping):
                        await ws.send_text(json.dumps({"v": PROTOCOL_VERSION, "type": "pong"}))
                        continue
                    if live is None:
                        raise MessageError("no_hello", "expected a hello message first")
                    if isinstance(msg, Frame):
                        if live.source is not ws:
                            raise MessageError(
                                "other_tab",
                                "another tab of this session is sending the camera now; "
                                "this tab only shows it",
                                msg.seq,
                            )
                        upd = hub.on_frame(live, msg)
                        payload = dumps(update_message(msg.seq, upd))
                        await ws.send_text(payload)
                        if timer is not None:
                            timer.add(time.perf_counter_ns() - t0)
                        if len(live.clients) > 1:
                            await hub.broadcast(live, payload, exclude=ws)
                        if upd.events and live.session.stage == "done":
                            rv = hub.review_if_over(live)
                            if rv is not None:
                                await hub.broadcast(
                                    live, dumps(review_message(rv, hub.response(live)))
                                )
                    elif isinstance(msg, Pain):
                        upd, rv = hub.on_rating(live, msg)
                        await ws.send_text(
                            json.dumps(
                                {
                                    "v": PROTOCOL_VERSION,
                                    "type": "saved",
                                    "what": "pain",
                                    "rep": msg.rep,
                                }
                            )
                        )
                        if upd.events or upd.cues:
                            await hub.broadcast(live, dumps(update_message(live.last_seq, upd)))
                        if rv is not None:
                            await hub.broadcast(live, dumps(review_message(rv, hub.response(live))))
                    elif isinstance(msg, Feedback):
                        store.add_feedback(live.id, helpful=msg.helpful, comment=msg.comment)
                        await ws.send_text(
                            json.dumps({"v": PROTOCOL_VERSION, "type": "saved", "what": "feedback"})
                        )
                    elif isinstance(msg, Control):
                        _control(hub, live, msg.action)
                        await ws.send_text(
                            dumps(
                                {
                                    "v": PROTOCOL_VERSION,
                                    "type": "saved",
                                    "what": "control",
                                    "status": live.session.status(),
                                }
                            )
                        )
                        if msg.action == "end":
                            rv = hub.review_if_over(live)
                            if rv is not None:
                                await hub.broadcast(
                                    live, dumps(review_message(rv, hub.response(live)))
                                )
                except MessageError as exc:
                    await ws.send_text(json.dumps(exc.to_dict()))
        except WebSocketDisconnect:
            log.info("client left session %s", live.id if live else "-")
        finally:
            if live is not None:
                hub.close_client(live, ws)

    if settings.pose_assets_dir is not None and settings.pose_assets_dir.is_dir():
        app.mount("/vendor/pose", StaticFiles(directory=settings.pose_assets_dir), name="pose")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _control(hub: SessionHub, live: Any, action: str) -> None:
    s = live.session
    if action == "pause":
        s.set_paused(True)
    elif action == "resume":
        s.set_paused(False)
    elif action == "restart_setup":
        s.restart_setup()
    elif action == "end":
        # a press-up still under way is stored as not counted (ended_up), not dropped
        upd = s.end()
        if upd.events:
            hub.store.add_events(live.id, [e.to_dict() for e in upd.events])
        for rep in upd.reps:
            hub.store.upsert_rep(live.id, rep)
        hub.flush(live)
        hub.store.update_session(live.id, stage="done", reps_done=s.state.reps_done, ended=True)


def _public(rec: Any) -> dict[str, Any]:
    d = dict(rec.__dict__)
    for k, v in list(d.items()):
        if hasattr(v, "isoformat"):
            d[k] = v.isoformat()
    return d
