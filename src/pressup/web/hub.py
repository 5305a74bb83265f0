"""Live sessions, their connections, and writing them to the store as they happen.

One :class:`SessionHub` per app. A session lives in memory while it is used; its landmark
frames are written in chunks of at most :data:`CHUNK_S` seconds, events, repetitions and ratings
at once. A session not in memory (after a server restart) is rebuilt by replaying its stored
frames through a fresh :class:`~pressup.live.LiveSession`: the engine is pure, so the replay
reaches the same state.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from fastapi import WebSocketDisconnect

from pressup.errors import StorageError
from pressup.live import LiveSession, LiveUpdate, landmarks_to_pixels
from pressup.protocol import ProtocolSpec
from pressup.storage import Store
from pressup.web.schemas import PROTOCOL_VERSION, Frame, MessageError

log = logging.getLogger("pressup.web")

CHUNK_S = 1.0  # landmark frames are flushed to the store at least this often (seconds)


class Sender(Protocol):
    async def send_text(self, data: str) -> None: ...


@dataclass
class Live:
    """One session in memory."""

    id: str
    session: LiveSession
    clients: set[Any] = field(default_factory=set)
    last_seq: int = -1
    last_t: float = -math.inf
    pending_t: list[float] = field(default_factory=list)
    pending_lm: list[npt.NDArray[np.float64]] = field(default_factory=list)
    pending_since: float = field(default_factory=time.monotonic)
    source: Any = None  # the tab whose camera feeds the session (the latest to say hello)


class SessionHub:
    def __init__(self, spec: ProtocolSpec, store: Store) -> None:
        self.spec = spec
        self.store = store
        self.live: dict[str, Live] = {}

    def dose(self) -> dict[str, Any]:
        d = self.spec.dose
        return {
            "target_reps": d.target_reps,
            "target_hold_s": d.target_hold_s,
            "min_lowering_s": d.min_lowering_s,
            "variant": d.variant,
            "rest_between_reps_s": d.rest_between_reps_s,
        }

    # -- sessions ------------------------------------------------------------------------------
    def open(self, session_id: str | None, client: str) -> tuple[Live, bool]:
        """Resume ``session_id`` (from memory or the store) or start a new session."""
        if session_id is not None:
            if session_id in self.live:
                return self.live[session_id], True
            rec = self.store.get_session(session_id)
            if rec is None:
                raise MessageError("unknown_session", f"session {session_id} is not stored here")
            live = Live(session_id, self._replay(session_id))
            self.live[session_id] = live
            return live, True
        sid = self.store.create_session(
            client=client,
            dose=self.dose(),
            protocol=self.spec.summary(),
            target_reps=self.spec.dose.target_reps,
        )
        live = Live(sid, LiveSession(self.spec))
        self.live[sid] = live
        return live, False

    def _replay(self, session_id: str) -> LiveSession:
        s = LiveSession(self.spec)
        try:
            track = self.store.load_track(session_id)
        except StorageError as exc:
            log.info("session %s has no frames to replay: %s", session_id, exc)
            return s
        for i in range(track.n_frames):
            row = track.data[i]
            s.on_frame(
                float(track.t_s[i]),
                track.source.width,
                track.source.height,
                row if np.isfinite(row[0, 0]) else None,
            )
        return s

    # -- frames --------------------------------------------------------------------------------
    def on_frame(self, live: Live, msg: Frame) -> LiveUpdate:
        """Run one validated frame through the session and queue it for storage."""
        if msg.seq <= live.last_seq or msg.t < live.last_t:
            raise MessageError(
                "out_of_order",
                f"expected seq > {live.last_seq} and t >= {live.last_t:.3f}, got seq {msg.seq} "
                f"and t {msg.t:.3f}; frame dropped",
                msg.seq,
            )
        live.last_seq, live.last_t = msg.seq, msg.t
        lm = landmarks_to_pixels(msg.lm, msg.w, msg.h) if msg.lm is not None else None
        upd = live.session.on_frame(msg.t, msg.w, msg.h, lm, msg.light)
        row = lm if lm is not None else _nan_frame()
        live.pending_t.append(msg.t)
        live.pending_lm.append(row)
        if upd.events:
            self.store.add_events(
                live.id, [e.to_dict() for e in upd.events if e.kind != "hold_tick"]
            )
        for rep in upd.reps:
            self.store.upsert_rep(live.id, rep)
        if upd.events and any(e.kind in ("rep_completed", "set_completed") for e in upd.events):
            self.store.update_session(
                live.id, stage=live.session.stage, reps_done=live.session.state.reps_done
            )
        if time.monotonic() - live.pending_since >= CHUNK_S or len(live.pending_t) >= 60:
            self.flush(live)
        return upd

    def flush(self, live: Live) -> None:
        """Write the queued landmark frames as one chunk."""
        if live.pending_t:
            self.store.append_frames(
                live.id,
                np.asarray(live.pending_t),
                np.stack(live.pending_lm),
                width=live.session.width,
                height=live.session.height,
            )
            live.pending_t, live.pending_lm = [], []
        live.pending_since = time.monotonic()

    def take_over(self, live: Live, ws: Any) -> None:
        """The tab that said hello last feeds the session; its frames count from ``seq`` 0,
        and their times must continue from the session's last time."""
        live.source = ws
        live.last_seq = -1

    def close_client(self, live: Live, ws: Any) -> None:
        """A tab left: write its frames; a session nobody shows any more leaves memory (it is
        rebuilt from the store if a tab comes back)."""
        live.clients.discard(ws)
        if live.source is ws:
            live.source = None
        self.flush(live)
        if not live.clients:
            self.live.pop(live.id, None)

    async def broadcast(self, live: Live, payload: str, exclude: Any = None) -> None:
        """Send to the session's other tabs (the sender gets its reply directly)."""
        for ws in list(live.clients):
            if ws is exclude:
                continue
            try:
                await ws.send_text(payload)
            except (RuntimeError, OSError, WebSocketDisconnect) as exc:
                log.info("dropping a vanished tab of session %s: %s", live.id, exc)
                live.clients.discard(ws)


def _finite(obj: Any) -> Any:
    """NaN and infinity become null (JSON has no NaN; browsers refuse it)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: dict[str, Any]) -> str:
    """Serialise a server message as strict JSON."""
    return json.dumps(_finite(obj), allow_nan=False)


def update_message(seq: int, upd: LiveUpdate) -> dict[str, Any]:
    return {
        "v": PROTOCOL_VERSION,
        "type": "update",
        "seq": seq,
        "status": upd.status,
        "events": [e.to_dict() for e in upd.events if e.kind != "hold_tick"],
        "cues": [c.to_dict() for c in upd.cues],
    }


def _nan_frame() -> npt.NDArray[np.float64]:
    f = np.full((33, 4), np.nan)
    f[:, 3] = 0.0
    return f
