"""``WS /ws``: the live coach's message protocol (``docs/protocol.md``).

The upgrade is refused (close code 1008) unless the URL carries the per-launch token and the
``Origin`` is the app's own page. Each text frame is validated
(:func:`pressup.web.schemas.parse_message`) and handed to one small handler per message type
(:class:`Connection`); a refused message (a binary frame, bad JSON, a bad field) gets an
``error`` reply and the connection goes on. Storage never runs here: the hub queues it on its
writer, and what must be stored before the reply (a rating, the feedback) is awaited without
blocking the other tabs.
The handlers ask the :class:`~pressup.web.hub.SessionHub` to do the work (run the engine,
store, review) and send the replies of :mod:`pressup.web.messages`.

With ``Settings.require_screening`` a ``hello`` is refused (``screening_required``) while the
screening gate is closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from pressup.errors import PressupError, StorageError
from pressup.live import LiveUpdate
from pressup.protocol import ProtocolSpec
from pressup.sessions.plan import Review
from pressup.sessions.store import Store
from pressup.web.deps import HubDep, SettingsDep, SpecDep, StoreDep, TimerDep, origin_ok, token_ok
from pressup.web.failures import shown
from pressup.web.hub import CLOSE_WAIT_S, Live, SessionHub
from pressup.web.messages import (
    ErrorMessage,
    Outbound,
    Pong,
    ReviewMessage,
    SavedControl,
    SavedFeedback,
    SavedPain,
    Update,
    Welcome,
    encode,
    update_text,
    updates_text,
)
from pressup.web.routes.screening import gate_now
from pressup.web.schemas import (
    Control,
    Feedback,
    FrameIn,
    FramesIn,
    Hello,
    Message,
    MessageError,
    Pain,
    Ping,
    parse_message,
)
from pressup.web.settings import Settings
from pressup.web.timing import ReplyTimer

log = logging.getLogger("pressup.web")
router = APIRouter()

#: What the framework raises when a tab has gone (handed to the hub, which knows no framework).
DISCONNECTED: tuple[type[BaseException], ...] = (WebSocketDisconnect,)


@dataclass
class Connection:
    """One WebSocket: the session it shows (after ``hello``) and a handler per message."""

    ws: WebSocket
    hub: SessionHub
    settings: Settings
    store: Store
    spec: ProtocolSpec
    timer: ReplyTimer | None
    live: Live | None = None

    @property
    def session_id(self) -> str:
        return self.live.id if self.live is not None else "-"

    async def send(self, msg: Outbound) -> None:
        await self.ws.send_text(encode(msg))

    async def handle(self, msg: Message, t0: int) -> None:
        """Answer one validated message (``t0``: when it arrived, for the reply timer)."""
        if isinstance(msg, Hello):
            await self.hello(msg)
        elif isinstance(msg, Ping):
            await self.send(Pong())
        elif self.live is None:
            raise MessageError("no_hello", "expected a hello message first")
        elif isinstance(msg, FrameIn):
            await self.frame(self.live, msg, t0)
        elif isinstance(msg, FramesIn):
            await self.frames(self.live, msg, t0)
        elif isinstance(msg, Pain):
            await self.pain(self.live, msg)
        elif isinstance(msg, Feedback):
            await self.hub.feedback(self.live, msg.helpful, msg.comment)
            await self.send(SavedFeedback())
        elif isinstance(msg, Control):
            await self.control(self.live, msg)

    async def hello(self, msg: Hello) -> None:
        """Open or resume a session; this tab now feeds it."""
        if self.settings.require_screening:
            closed = await self.hub.stored(
                "the screening gate", lambda: gate_now(self.store, self.spec), [self.ws]
            )
            if not closed.allowed:
                raise MessageError("screening_required", closed.reason)
        if self.live is not None:
            self.hub.close_client(self.live, self.ws)
        live, resumed = await self.hub.open(
            msg.session or self.ws.query_params.get("session"), msg.client, self.ws
        )
        self.live = live
        self.hub.join(live, self.ws)
        await self.send(
            Welcome(
                session=live.id,
                resumed=resumed,
                dose=live.dose,
                status=live.session.status(),
                last_seq=live.last_seq,
                last_t=max(live.last_t, 0.0),
            )
        )

    def _feeds(self, live: Live, seq: int | None) -> None:
        """Raises: MessageError: ``other_tab`` when another tab feeds the session."""
        if live.source is not self.ws:
            raise MessageError(
                "other_tab",
                "another tab of this session is sending the camera now; this tab only shows it",
                seq,
            )

    async def frame(self, live: Live, msg: FrameIn, t0: int) -> None:
        """Run a frame through the session; answer it, show it in the other tabs, and send the
        review when the frame ended the set."""
        self._feeds(live, msg.seq)
        upd = self.hub.on_frame(live, msg)
        await self._answered(live, update_text(msg.seq, upd), bool(upd.events), t0)

    async def frames(self, live: Live, msg: FramesIn, t0: int) -> None:
        """Run several frames through the session, in order, each alone: a refused one gets
        its ``error`` (with its ``seq``) and the others go on; then one ``updates`` answers
        the frames taken."""
        self._feeds(live, None)
        answered: list[tuple[int, LiveUpdate]] = []
        for item in msg.frames:
            if isinstance(item, MessageError):
                await self.send(ErrorMessage.of(item))
                continue
            try:
                answered.append((item.seq, self.hub.on_frame(live, item)))
            except MessageError as exc:
                await self.send(ErrorMessage.of(exc))
        payload = updates_text(answered, live.session.status())
        await self._answered(live, payload, any(u.events for _, u in answered), t0)

    async def _answered(self, live: Live, payload: str, events: bool, t0: int) -> None:
        """Send the reply to frames; show it in the other tabs, tell them of storage trouble,
        and send the review when these frames ended the set."""
        await self.ws.send_text(payload)
        if self.timer is not None:
            self.timer.add(time.perf_counter_ns() - t0)
        if len(live.clients) > 1:
            await self.hub.broadcast(live, payload, exclude=self.ws)
        warning = self.hub.storage_warning(live)
        if warning is not None:
            await self.hub.broadcast(live, warning)
        if events and live.session.stage == "done":
            await self.review(live, await self.hub.review_if_over(live))

    async def pain(self, live: Live, msg: Pain) -> None:
        """Store a rating; a stop it caused and the review go to every tab."""

        async def stopped(upd: LiveUpdate) -> None:
            await self.hub.broadcast(live, encode(Update.of(live.last_seq, upd)))

        upd, rv = await self.hub.on_rating(live, msg, stopped)
        await self.send(SavedPain(rep=msg.rep))
        if upd.events or upd.cues:
            await stopped(upd)
        await self.review(live, rv)

    async def control(self, live: Live, msg: Control) -> None:
        """Apply a button; after ``end`` the review goes to every tab."""
        self.hub.control(live, msg.action)
        await self.send(SavedControl(status=live.session.status()))
        if msg.action == "end":
            await self.review(live, await self.hub.review_if_over(live))

    async def review(self, live: Live, rv: Review | None) -> None:
        """Send the decision for next time (if one was made now) to every tab."""
        if rv is not None:
            response = await self.hub.response(live)
            await self.hub.broadcast(live, encode(ReviewMessage.of(rv, response)))

    async def close(self) -> None:
        """The tab left: queue its frames and wait (a while) for the writes to finish."""
        if self.live is not None:
            self.hub.close_client(self.live, self.ws)
            await self.hub.writer.idle(CLOSE_WAIT_S)


def text_of(event: Mapping[str, Any]) -> str:
    """The text of one received WebSocket message.

    Raises:
        MessageError: ``bad_json`` for a binary frame (the protocol is JSON in text frames).
    """
    text = event.get("text")
    if isinstance(text, str):
        return text
    data = event.get("bytes")
    size = len(data) if isinstance(data, (bytes, bytearray)) else 0
    raise MessageError(
        "bad_json", f"expected one JSON object in a text frame, got a binary frame of {size} bytes"
    )


def _allowed(ws: WebSocket, settings: Settings) -> bool:
    """The per-launch token in the URL and the app's own ``Origin``."""
    return token_ok(ws.query_params.get("token"), settings) and origin_ok(
        ws.headers.get("origin"), settings
    )


@router.websocket("/ws")
async def ws_endpoint(
    ws: WebSocket,
    settings: SettingsDep,
    hub: HubDep,
    store: StoreDep,
    spec: SpecDep,
    timer: TimerDep,
) -> None:
    if not _allowed(ws, settings):
        await ws.close(code=1008)
        return
    await ws.accept()
    conn = Connection(ws, hub, settings, store, spec, timer)
    try:
        while True:
            event = await ws.receive()
            if event["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(event.get("code", 1000), event.get("reason"))
            t0 = time.perf_counter_ns() if timer is not None else 0
            try:
                await conn.handle(parse_message(text_of(event)), t0)
            except MessageError as exc:
                await conn.send(ErrorMessage.of(exc))
            except PressupError as exc:  # the store refused what the message carried
                log.warning("a message of session %s was not stored: %s", conn.session_id, exc)
                code = "storage_unavailable" if isinstance(exc, StorageError) else "bad_value"
                await conn.send(ErrorMessage(code=code, message=shown(exc), seq=None))
    except WebSocketDisconnect:
        log.info("client left session %s", conn.session_id)
    finally:
        await conn.close()


__all__ = ["DISCONNECTED", "Connection", "router"]
