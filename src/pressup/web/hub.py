"""Live sessions, their connections, and writing them to the store as they happen.

One :class:`SessionHub` per app. A session lives in memory while it is used. What the live
sessions do (landmark frames, events, the cues sent, repetitions, the session row's stage and
count) is collected per session and written at least every :data:`FLUSH_S` seconds, every
session's part in one transaction (:func:`pressup.sessions.records.write_live`: a transaction
costs far more than its rows); ratings are written at once. A session not in memory (after a
server restart) is rebuilt by replaying its stored frames through a fresh
:class:`~pressup.live.LiveSession`: the engine is pure, so the replay reaches the same state;
its stored ratings and any stop are put back after the frames.
The rebuilt session knows its last stored frame (``seq``: its index in the stored track, and its
time): the ``welcome`` says so, and the resuming tab's frames must come after it (a frame stored
before and sent again is refused ``out_of_order``).

A new session takes its dose from :func:`pressup.sessions.plan.plan_session` (a clinician's
prescription, else the progression's decision after reviewing the stored history). When a set
ends (completed with its last rating in, stopped by a pain rule, or ended with the button) the
history is reviewed again and the decision for next time is sent to the page.

Every store call goes through the hub's :class:`~pressup.web.writer.StoreWriter`: one worker
thread, in order, off the event loop. A frame is answered at once (the engine runs in memory)
and its storage is queued; a call whose answer is needed (opening a session, storing a rating
or the feedback, the review) is awaited, and the page is told ``storage_unavailable`` while the
database cannot keep up. What is queued stays in memory until it is written; past
:data:`MAX_BACKLOG_FRAMES` unwritten frames new frames are refused (not acknowledged).

The hub knows nothing of the web framework: a connected tab is any :class:`Sender` (an object
with ``async send_text(str)``), and the exceptions that mean "this tab has gone" are given to
the constructor (the app passes the framework's disconnect error).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from pressup.errors import PressupError, StorageError
from pressup.live import Cue, LiveSession, LiveUpdate, landmarks_to_pixels
from pressup.protocol import ProtocolSpec
from pressup.safety.symptoms import (
    STOP_EVENT,
    Location,
    Response,
    classify,
    parse_location,
)
from pressup.sessions.plan import Review, plan_session, review, spec_from_dose
from pressup.sessions.records import SessionWrites, add_rating, list_symptoms, write_live
from pressup.sessions.store import Store
from pressup.web.messages import ErrorMessage, StorageBack, encode
from pressup.web.schemas import FrameIn, MessageError, Pain
from pressup.web.writer import ALARM_S, STALL_S, StoreWriter

log = logging.getLogger("pressup.web")
T = TypeVar("T")

#: What the live sessions did is handed to the writer at least this often (seconds): a frame
#: answered is in the database well within a second (``tests/integration/clinic/test_faults.py``).
#: 0.5 s, not 0.25: ``pressup serve`` has one hub per patient, so each flush is one session's
#: transaction, and at 0.25 s it wrote twice as many transactions as before the writes were
#: collected (0.62-0.73 ms of server CPU per frame instead of 0.46-0.50, ``docs/clinic.md``).
FLUSH_S = 0.5
#: ... or once a session holds this many frames (frames sent faster than real time).
MAX_HELD_FRAMES = 60
#: Unwritten landmark frames kept in memory while the database cannot be written (10 minutes
#: at 30 frames/s, about 30 MB); past it, new frames are refused.
MAX_BACKLOG_FRAMES = 18_000
#: How long closing the app waits for the queued writes (seconds).
CLOSE_WAIT_S = 10.0
#: How often, after telling tabs ``storage_unavailable``, the hub looks whether the writes go
#: on again (seconds).
BACK_POLL_S = 0.25


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
    #: What the session did since its writes were last handed to the writer.
    out: SessionWrites = field(default_factory=lambda: SessionWrites(""))
    source: Sender | None = None  # the tab whose camera feeds the session (the latest to say hello)
    dose: dict[str, Any] = field(default_factory=dict)  # as stored with the session
    rated: set[int] = field(default_factory=set)  # press-ups with a rating (or a skip) stored
    reviewed: bool = False  # the decision for next time was made after this set
    warned: int = 0  # the writer's outage the tabs were last told of (storage_unavailable)
    #: Rebuilt from the store and not fed since: ``last_seq``/``last_t`` are the last stored
    #: frame's (its index in the stored track and its time), kept for the tab that resumes it.
    restored: bool = False


class SessionHub:
    """The live sessions of one app.

    Args:
        spec: the protocol (thresholds, dose ladder, pain rules).
        store: where sessions are written as they happen.
        gone: further exceptions a :class:`Sender` raises when its tab has gone (besides
            ``RuntimeError`` and ``OSError``); such a tab is dropped by :meth:`broadcast`.
        alarm_s: how long the writes may make no progress before the tabs are told
            ``storage_unavailable`` (a write that fails is told at once).
        clock: seconds, for :data:`FLUSH_S` (``benchmarks/frame_cost.py`` gives the frames'
            own times, as it feeds them faster than real time).
    """

    def __init__(
        self,
        spec: ProtocolSpec,
        store: Store,
        gone: tuple[type[BaseException], ...] = (),
        alarm_s: float = ALARM_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.store = store
        self.writer = StoreWriter(expected=(MessageError, PressupError), stall_s=alarm_s)
        self.live: dict[str, Live] = {}
        self._gone: tuple[type[BaseException], ...] = (RuntimeError, OSError, *gone)
        self._told_down: set[Sender] = set()  # told storage_unavailable, not yet storage_back
        self._watcher: asyncio.Task[None] | None = None
        self.clock = clock
        self._dirty: dict[str, Live] = {}  # sessions with writes not yet handed to the writer
        self._flushed_at = self.clock()
        self._sweeper: asyncio.Task[None] | None = None

    # -- sessions ------------------------------------------------------------------------------
    async def open(
        self, session_id: str | None, client: str, tab: Sender | None = None
    ) -> tuple[Live, bool]:
        """Resume ``session_id`` (from memory or the store) or start a new session with the
        dose of :func:`~pressup.sessions.plan.plan_session` (``tab``: told while the store
        keeps it waiting)."""
        if session_id is not None and session_id in self.live:
            return self.live[session_id], True
        live, resumed = await self.stored(
            "opening a session", lambda: self._open(session_id, client), [tab] if tab else []
        )
        if live.id in self.live:  # another tab opened it meanwhile
            return self.live[live.id], True
        self.live[live.id] = live
        return live, resumed

    def _open(self, session_id: str | None, client: str) -> tuple[Live, bool]:
        """:meth:`open`'s store work (on the writer's thread)."""
        if session_id is not None:
            rec = self.store.get_session(session_id)
            if rec is None:
                raise MessageError("unknown_session", f"session {session_id} is not stored here")
            return self._replay(session_id, dict(rec.dose)), True
        plan = plan_session(self.store, self.spec)
        sid = self.store.create_session(
            client=client,
            dose=plan.dose,
            protocol=self.spec.summary(),
            target_reps=plan.spec.dose.target_reps,
        )
        return Live(sid, LiveSession(plan.spec, plan.variant), dose=plan.dose), False

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
            if track.n_frames:
                # the store keeps no frame numbers: the last stored frame's seq is its index
                live.last_seq = track.n_frames - 1
                live.last_t = float(track.t_s[-1])
                live.restored = True
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
    def on_frame(self, live: Live, msg: FrameIn) -> LiveUpdate:
        """Run one validated frame through the session and queue it for storage (each frame
        of a ``frames`` message too, one by one: a refused one raises alone)."""
        backlog = self.writer.frames_pending + live.out.n_frames
        if backlog >= MAX_BACKLOG_FRAMES:
            raise MessageError(
                "storage_unavailable",
                f"expected the database to keep up, but {backlog} frames wait to be written "
                f"({self.writer.trouble() or 'the database is slow'}); frame dropped",
                msg.seq,
            )
        if msg.seq <= live.last_seq or msg.t < live.last_t:
            raise MessageError(
                "out_of_order",
                f"expected seq > {live.last_seq} and t >= {live.last_t:.3f}, got seq {msg.seq} "
                f"and t {msg.t:.3f}; frame dropped",
                msg.seq,
            )
        lm = landmarks_to_pixels(msg.lm, msg.w, msg.h) if msg.lm is not None else None
        if lm is not None and not storable(lm):
            raise MessageError(
                "bad_value",
                f"frame {msg.seq}: expected landmarks that fit the stored track (finite float32 "
                "pixels, visibility 0..1), got values outside it; frame dropped",
                msg.seq,
            )
        live.last_seq, live.last_t = msg.seq, msg.t
        upd = live.session.on_frame(msg.t, msg.w, msg.h, lm, msg.light)
        out = self._out(live)
        out.t_s.append(msg.t)
        out.data.append(lm if lm is not None else _nan_frame())
        out.width, out.height = live.session.width, live.session.height
        self._write_update(live, upd, drop_ticks=True)
        if upd.events and any(e.kind in ("rep_completed", "set_completed") for e in upd.events):
            self._update_session(live)
        if self.clock() - self._flushed_at >= FLUSH_S or out.n_frames >= MAX_HELD_FRAMES:
            self.flush_all()
        elif self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return upd

    # -- ratings -------------------------------------------------------------------------------
    async def on_rating(
        self, live: Live, msg: Pain, stopped: Callable[[LiveUpdate], Awaitable[None]]
    ) -> tuple[LiveUpdate, Review | None]:
        """Apply the stop rules to a pain rating (and where the symptoms are) at once, store
        the rating, and review the history when this rating ends the set.

        The rules run in memory before the rating is written: a stop must not wait for the
        database. When the write is slow (the database locked or full), ``stopped`` is called
        with the stop at once, then the tabs are told ``storage_unavailable`` and this returns
        only once the rating is stored (so a ``saved`` reply means it is in the database).

        Returns:
            What the session did (a stop: event and cue; empty when it was handed to
            ``stopped`` already) and the decision for next time, when one was made now.
        """
        score = None if msg.skipped else msg.score
        place = parse_location(msg.location) if msg.location is not None else None
        t_s = live.last_t if live.last_t > 0 else None
        self.flush(live)  # what the session did before the rating is written before it
        written = self.writer.submit(
            f"pain rating {msg.rep}",
            lambda: add_rating(
                self.store,
                live.id,
                rep=msg.rep,
                pain=score,
                location=place if score is not None else None,
                t_s=t_s,
            ),
        )
        live.rated.add(msg.rep)
        upd = live.session.on_rating(msg.rep, score, place)
        if upd.events or upd.cues:
            self._write_update(live, upd)
        if upd.events:
            self._update_session(live, stage="done", ended=True)
        self.flush(live)
        fut = asyncio.wrap_future(written)
        done, _ = await asyncio.wait({fut}, timeout=STALL_S)
        if not done and (upd.events or upd.cues):
            await stopped(upd)  # the stop first: it does not wait for the database
            upd = LiveUpdate(status=upd.status, events=[], cues=[], reps=[])
        await self._wait(fut, f"pain rating {msg.rep}", live.clients)
        return upd, await self.review_if_over(live)

    async def review_if_over(self, live: Live) -> Review | None:
        """Decide the next dose once the set is over and its last rating is in (or skipped).

        A set is over when it is done (completed, stopped, or ended with the button); its last
        rating is the one after the last press-up (none is needed when no press-up was done or
        a rule stopped the set). Made once per session in memory, after every queued write.
        """
        s = live.session
        if live.reviewed or s.stage != "done":
            return None
        n = s.state.reps_done
        if s.stopped is None and n > 0 and not any(r >= n for r in live.rated):
            return None
        self.flush(live)
        live.reviewed = True
        return await self.stored("the review", lambda: review(self.store, self.spec), live.clients)

    async def response(self, live: Live) -> Response | None:
        """How the symptoms responded over this set (``None`` without a rating with a place
        both before the set and after a press-up)."""
        stored = await self.stored(
            "reading the symptoms", lambda: list_symptoms(self.store, live.id), live.clients
        )
        reports = [r.report() for r in stored]
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
        upd = live.session.end()
        self._write_update(live, upd, said=False)  # the reply to `end` carries no cues
        self._update_session(live, stage="done", ended=True)
        self.flush(live)

    async def feedback(self, live: Live, helpful: bool, comment: str | None) -> None:
        """Store the person's feedback after the set (awaited)."""
        await self.stored(
            "the feedback",
            lambda: self.store.add_feedback(live.id, helpful=helpful, comment=comment),
            live.clients,
        )

    def flush(self, live: Live) -> None:
        """Hand what this session did since the last time to the writer now (one transaction),
        ahead of anything queued after this call."""
        if self._dirty.pop(live.id, None) is not None:
            self._submit([live.out])
            live.out = SessionWrites(live.id)

    def flush_all(self) -> None:
        """Hand what every session did since the last time to the writer, as one transaction."""
        self._flushed_at = self.clock()
        if self._dirty:
            lives, self._dirty = list(self._dirty.values()), {}
            self._submit([live.out for live in lives])
            for live in lives:
                live.out = SessionWrites(live.id)

    def _submit(self, batch: list[SessionWrites]) -> None:
        frames = sum(w.n_frames for w in batch)
        what = (
            f"{frames} frames and the events of session {batch[0].session_id}"
            if len(batch) == 1
            else f"{frames} frames and the events of {len(batch)} sessions"
        )
        self.writer.submit(what, functools.partial(self._write_live, what, batch), frames=frames)

    def _write_live(self, what: str, batch: list[SessionWrites]) -> None:
        for problem in write_live(self.store, batch):
            log.error("storage: %s: left out: %s", what, problem)

    def _out(self, live: Live) -> SessionWrites:
        """The session's writes not yet handed to the writer (marked as having some)."""
        if live.id not in self._dirty:
            self._dirty[live.id] = live
            if live.out.session_id != live.id:
                live.out = SessionWrites(live.id)
        return live.out

    async def _sweep(self) -> None:
        """Flush every :data:`FLUSH_S` while frames have stopped coming (a frame flushes
        when it comes at least :data:`FLUSH_S` after the last flush)."""
        while self._dirty:
            await asyncio.sleep(FLUSH_S)
            if self.clock() - self._flushed_at >= FLUSH_S:
                self.flush_all()

    # -- storage -------------------------------------------------------------------------------
    def _write_update(
        self, live: Live, upd: LiveUpdate, *, drop_ticks: bool = False, said: bool = True
    ) -> None:
        """Queue what the session did: its events (``drop_ticks``: without ``hold_tick``), the
        cues the tabs are sent with it (``said``; at the time of the frame or rating answered)
        and the repetitions it finished or changed."""
        if not (upd.events or (said and upd.cues) or upd.reps):
            return
        out = self._out(live)
        out.events.extend(
            e.to_dict() for e in upd.events if not (drop_ticks and e.kind == "hold_tick")
        )
        if said and upd.cues:
            out.cues.extend(said_cues(upd.cues, live.last_t))
        out.reps.extend(upd.reps)

    def _update_session(self, live: Live, stage: str | None = None, ended: bool = False) -> None:
        """Queue the session row's stage and count (``ended``: the set is over)."""
        out = self._out(live)
        out.stage = stage or live.session.stage
        out.reps_done = live.session.state.reps_done
        out.ended = out.ended or ended

    async def stored(self, what: str, fn: Callable[[], T], tabs: Iterable[Sender]) -> T:
        """Run ``fn`` on the writer (after every write queued before it) and wait for it; the
        ``tabs`` are told ``storage_unavailable`` once while it is kept waiting."""
        return await self._wait(asyncio.wrap_future(self.writer.submit(what, fn)), what, tabs)

    async def _wait(self, fut: asyncio.Future[T], what: str, tabs: Iterable[Sender]) -> T:
        """Wait for a write queued on the writer, telling ``tabs`` once when it is kept
        waiting."""
        told = False
        while True:
            done, _ = await asyncio.wait({fut}, timeout=STALL_S)
            if done:
                return fut.result()
            trouble = self.writer.trouble()
            if trouble is not None and not told:
                told = True
                waiting = list(tabs)
                self._watch_until_back(waiting)
                await self._tell(waiting, self._unavailable(f"{what} waits: {trouble}"))

    def storage_warning(self, live: Live) -> str | None:
        """The ``storage_unavailable`` message for this session's tabs, once per spell of
        trouble (``None`` when the store keeps up or they were told already)."""
        trouble = self.writer.trouble()
        if trouble is None or live.warned == self.writer.outage:
            return None
        live.warned = self.writer.outage
        self._watch_until_back(live.clients)
        return self._unavailable(trouble)

    def _watch_until_back(self, tabs: Iterable[Sender]) -> None:
        """``tabs`` are being told ``storage_unavailable``: tell them ``storage_back`` once the
        writes go on again (a task on the event loop, at most one)."""
        self._told_down.update(tabs)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._until_back())

    async def _until_back(self) -> None:
        while self._told_down:
            await asyncio.sleep(BACK_POLL_S)
            if self.writer.trouble() is None:
                tabs, self._told_down = list(self._told_down), set()
                await self._tell(tabs, self._back())

    def _back(self) -> str:
        waiting = self.writer.frames_pending
        kept = f"{waiting} frames kept meanwhile are being written" if waiting else "all written"
        return encode(StorageBack(message=f"the database can be written again; {kept}"))

    def _unavailable(self, trouble: str) -> str:
        return encode(
            ErrorMessage(
                code="storage_unavailable",
                message=(
                    f"the database cannot be written now ({trouble}); "
                    f"{self.writer.frames_pending} frames and every rating are kept in memory "
                    "and written when it can"
                ),
                seq=None,
            )
        )

    async def _tell(self, tabs: list[Sender], payload: str) -> None:
        for ws in tabs:
            try:
                await ws.send_text(payload)
            except self._gone as exc:
                log.info("a tab left while being told of the storage: %s", exc)

    async def close(self) -> None:
        """Write every live session's pending frames and wait (at most
        :data:`CLOSE_WAIT_S`) for the queued writes; what cannot be written is logged."""
        self.flush_all()
        for task in (self._watcher, self._sweeper):
            if task is not None:
                task.cancel()
        await asyncio.to_thread(self.writer.close, CLOSE_WAIT_S)

    # -- tabs ----------------------------------------------------------------------------------
    def join(self, live: Live, ws: Sender) -> None:
        """A tab said hello: it shows the session and feeds it (:meth:`take_over`)."""
        live.clients.add(ws)
        self.take_over(live, ws)

    def take_over(self, live: Live, ws: Sender) -> None:
        """The tab that said hello last feeds the session; its frames count from ``seq`` 0,
        and their times must continue from the session's last time. The first tab to resume a
        session rebuilt from the store continues after the last stored frame instead (``seq``
        above its index in the stored track), so that frames stored before are refused when
        they are sent again."""
        live.source = ws
        if live.restored:
            live.restored = False
        else:
            live.last_seq = -1

    def close_client(self, live: Live, ws: Sender) -> None:
        """A tab left: write its frames; a session nobody shows any more leaves memory (it is
        rebuilt from the store if a tab comes back)."""
        live.clients.discard(ws)
        self._told_down.discard(ws)
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


def said_cues(cues: Iterable[Cue], t_s: float) -> list[dict[str, Any]]:
    """The cues of one reply as they are stored (``t_s``: the time of the frame or rating it
    answers; ``None`` before any frame)."""
    when = t_s if math.isfinite(t_s) else None
    return [
        {
            "t_s": when,
            "cue": c.id,
            "kind": c.kind,
            "priority": int(c.priority),
            "text": c.text,
            "speak": c.speak,
        }
        for c in cues
    ]


def storable(lm: npt.NDArray[np.float64]) -> bool:
    """Would one frame of pixel landmarks pass the store's track checks (float32 finite,
    visibility 0..1)? A frame that would not is refused alone, before it is queued, so that it
    cannot make the chunk it would join (and every later one) fail. (NaN compares false.)"""
    return bool(((lm >= _STORABLE_LO) & (lm <= _STORABLE_HI)).all())


_F32_MAX = float(np.finfo(np.float32).max)
#: Per channel (x, y, z, visibility), the lowest and highest values :func:`storable` accepts.
_STORABLE_LO = np.array([-_F32_MAX, -_F32_MAX, -_F32_MAX, 0.0])
_STORABLE_HI = np.array([_F32_MAX, _F32_MAX, _F32_MAX, 1.0])


def _nan_frame() -> npt.NDArray[np.float64]:
    f = np.full((33, 4), np.nan)
    f[:, 3] = 0.0
    return f
