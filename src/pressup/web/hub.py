"""Live sessions, their connections, and writing them to the store as they happen.

One :class:`SessionHub` per app. A session lives in memory while it is used; its landmark
frames are written in chunks of at most :data:`CHUNK_S` seconds, events, repetitions and ratings
at once. A session not in memory (after a server restart) is rebuilt by replaying its stored
frames through a fresh :class:`~pressup.live.LiveSession`: the engine is pure, so the replay
reaches the same state; its stored ratings and any stop are put back after the frames.

A new session takes its dose from :func:`pressup.sessions.plan.plan_session` (a clinician's
prescription, else the progression's decision after reviewing the stored history). When a set
ends (completed with its last rating in, stopped by a pain rule, or ended with the button) the
history is reviewed again and the decision for next time is sent to the page.

The hub knows nothing of the web framework: a connected tab is any :class:`Sender` (an object
with ``async send_text(str)``), and the exceptions that mean "this tab has gone" are given to
the constructor (the app passes the framework's disconnect error).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from pressup.errors import StorageError
from pressup.live import LiveSession, LiveUpdate, landmarks_to_pixels
from pressup.protocol import ProtocolSpec
from pressup.safety.symptoms import (
    STOP_EVENT,
    Location,
    Response,
    classify,
    parse_location,
)
from pressup.sessions.plan import Review, plan_session, review, spec_from_dose
from pressup.sessions.records import add_rating, list_symptoms
from pressup.sessions.store import Store
from pressup.web.schemas import Frame, MessageError, Pain

log = logging.getLogger("pressup.web")

CHUNK_S = 1.0  # landmark frames are flushed to the store at least this often (seconds)


class Sender(Protocol):
    """A connected tab, as the hub sees it."""

    async def send_text(self, data: str) -> None: ...


@dataclass
class Live:
    """One session in memory."""

    id: str
    session: LiveSession
    clients: set[Sender] = field(default_factory=set)
    last_seq: int = -1
    last_t: float = -math.inf
    pending_t: list[float] = field(default_factory=list)
    pending_lm: list[npt.NDArray[np.float64]] = field(default_factory=list)
    pending_since: float = field(default_factory=time.monotonic)
    source: Sender | None = None  # the tab whose camera feeds the session (the latest to say hello)
    dose: dict[str, Any] = field(default_factory=dict)  # as stored with the session
    rated: set[int] = field(default_factory=set)  # press-ups with a rating (or a skip) stored
    reviewed: bool = False  # the decision for next time was made after this set


class SessionHub:
    """The live sessions of one app.

    Args:
        spec: the protocol (thresholds, dose ladder, pain rules).
        store: where sessions are written as they happen.
        gone: further exceptions a :class:`Sender` raises when its tab has gone (besides
            ``RuntimeError`` and ``OSError``); such a tab is dropped by :meth:`broadcast`.
    """

    def __init__(
        self,
        spec: ProtocolSpec,
        store: Store,
        gone: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.spec = spec
        self.store = store
        self.live: dict[str, Live] = {}
        self._gone: tuple[type[BaseException], ...] = (RuntimeError, OSError, *gone)

    # -- sessions ------------------------------------------------------------------------------
    def open(self, session_id: str | None, client: str) -> tuple[Live, bool]:
        """Resume ``session_id`` (from memory or the store) or start a new session with the
        dose of :func:`~pressup.sessions.plan.plan_session`."""
        if session_id is not None:
            if session_id in self.live:
                return self.live[session_id], True
            rec = self.store.get_session(session_id)
            if rec is None:
                raise MessageError("unknown_session", f"session {session_id} is not stored here")
            live = self._replay(session_id, dict(rec.dose))
            self.live[session_id] = live
            return live, True
        plan = plan_session(self.store, self.spec)
        sid = self.store.create_session(
            client=client,
            dose=plan.dose,
            protocol=self.spec.summary(),
            target_reps=plan.spec.dose.target_reps,
        )
        live = Live(sid, LiveSession(plan.spec, plan.variant), dose=plan.dose)
        self.live[sid] = live
        return live, False

    def _replay(self, session_id: str, dose: dict[str, Any]) -> Live:
        spec, variant = spec_from_dose(self.spec, dose)
        s = LiveSession(spec, variant)
        live = Live(session_id, s, dose=dose)
        try:
            track = self.store.load_track(session_id)
        except StorageError as exc:
            log.info("session %s has no frames to replay: %s", session_id, exc)
        else:
            for i in range(track.n_frames):
                row = track.data[i]
                s.on_frame(
                    float(track.t_s[i]),
                    track.source.width,
                    track.source.height,
                    row if np.isfinite(row[0, 0]) else None,
                )
        places: dict[int, Location] = {
            r.rep: parse_location(r.location) for r in list_symptoms(self.store, session_id)
        }
        ratings: dict[int, tuple[int, Location | None]] = {}
        for p in self.store.list_pain(session_id):
            live.rated.add(int(p["rep"]))
            if p["score"] is not None:
                ratings[int(p["rep"])] = (int(p["score"]), places.get(int(p["rep"])))
        stops = [e for e in self.store.list_events(session_id) if e.get("kind") == STOP_EVENT]
        stopped = (
            {
                "reason": str(stops[-1].get("reason", "")),
                "rules": list(stops[-1].get("rules") or []),
            }
            if stops
            else None
        )
        s.restore(ratings, stopped)
        return live

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

    # -- ratings -------------------------------------------------------------------------------
    def on_rating(self, live: Live, msg: Pain) -> tuple[LiveUpdate, Review | None]:
        """Store a pain rating (and where the symptoms are), apply the stop rules, and review
        the history when this rating ends the set.

        Returns:
            What the session did (a stop: event and cue) and the decision for next time, when
            one was made now.
        """
        score = None if msg.skipped else msg.score
        place = parse_location(msg.location) if msg.location is not None else None
        add_rating(
            self.store,
            live.id,
            rep=msg.rep,
            pain=score,
            location=place if score is not None else None,
            t_s=live.last_t if live.last_t > 0 else None,
        )
        live.rated.add(msg.rep)
        upd = live.session.on_rating(msg.rep, score, place)
        if upd.events:
            self.store.add_events(live.id, [e.to_dict() for e in upd.events])
            self.flush(live)
            self.store.update_session(
                live.id, stage="done", reps_done=live.session.state.reps_done, ended=True
            )
        return upd, self.review_if_over(live)

    def review_if_over(self, live: Live) -> Review | None:
        """Decide the next dose once the set is over and its last rating is in (or skipped).

        A set is over when it is done (completed, stopped, or ended with the button); its last
        rating is the one after the last press-up (none is needed when no press-up was done or
        a rule stopped the set). Made once per session in memory.
        """
        s = live.session
        if live.reviewed or s.stage != "done":
            return None
        n = s.state.reps_done
        if s.stopped is None and n > 0 and not any(r >= n for r in live.rated):
            return None
        self.flush(live)
        live.reviewed = True
        return review(self.store, self.spec)

    def response(self, live: Live) -> Response | None:
        """How the symptoms responded over this set (``None`` without a rating with a place
        both before the set and after a press-up)."""
        reports = [r.report() for r in list_symptoms(self.store, live.id)]
        if not (any(r.rep == 0 for r in reports) and any(r.rep > 0 for r in reports)):
            return None
        return classify(reports)

    # -- buttons and feedback ------------------------------------------------------------------
    def control(self, live: Live, action: str) -> None:
        """Apply a button of the page: ``pause``, ``resume``, ``restart_setup`` or ``end``."""
        s = live.session
        if action == "pause":
            s.set_paused(True)
        elif action == "resume":
            s.set_paused(False)
        elif action == "restart_setup":
            s.restart_setup()
        elif action == "end":
            self.end(live)

    def end(self, live: Live) -> None:
        """End the set now (the ``end`` button): a press-up still under way is stored as not
        counted (``ended_up``), not dropped; the session is stored as done."""
        s = live.session
        upd = s.end()
        if upd.events:
            self.store.add_events(live.id, [e.to_dict() for e in upd.events])
        for rep in upd.reps:
            self.store.upsert_rep(live.id, rep)
        self.flush(live)
        self.store.update_session(live.id, stage="done", reps_done=s.state.reps_done, ended=True)

    def feedback(self, live: Live, helpful: bool, comment: str | None) -> None:
        """Store the person's feedback after the set."""
        self.store.add_feedback(live.id, helpful=helpful, comment=comment)

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

    # -- tabs ----------------------------------------------------------------------------------
    def join(self, live: Live, ws: Sender) -> None:
        """A tab said hello: it shows the session and feeds it (:meth:`take_over`)."""
        live.clients.add(ws)
        self.take_over(live, ws)

    def take_over(self, live: Live, ws: Sender) -> None:
        """The tab that said hello last feeds the session; its frames count from ``seq`` 0,
        and their times must continue from the session's last time."""
        live.source = ws
        live.last_seq = -1

    def close_client(self, live: Live, ws: Sender) -> None:
        """A tab left: write its frames; a session nobody shows any more leaves memory (it is
        rebuilt from the store if a tab comes back)."""
        live.clients.discard(ws)
        if live.source is ws:
            live.source = None
        self.flush(live)
        if not live.clients:
            self.live.pop(live.id, None)

    async def broadcast(self, live: Live, payload: str, exclude: Sender | None = None) -> None:
        """Send to every tab of the session but ``exclude`` (e.g. the sender of a frame, which
        gets its reply directly)."""
        for ws in list(live.clients):
            if ws is exclude:
                continue
            try:
                await ws.send_text(payload)
            except self._gone as exc:
                log.info("dropping a vanished tab of session %s: %s", live.id, exc)
                live.clients.discard(ws)


def _nan_frame() -> npt.NDArray[np.float64]:
    f = np.full((33, 4), np.nan)
    f[:, 3] = 0.0
    return f
