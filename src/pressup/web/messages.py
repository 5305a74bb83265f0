"""What the server sends over the WebSocket (protocol version 1, see ``docs/protocol.md``).

Every outbound message is one pydantic model here, written with :func:`encode`
(``model_dump()``, then strict JSON by ``msgspec``: NaN and infinity become ``null``). The fields
are declared in the order they go on the wire; a field that may be ``null`` is always sent. The
replies to camera frames, sent for every frame, skip the model: :func:`update_text` and
:func:`updates_text` write the same JSON from plain dicts (a test checks they agree).

* :class:`Welcome` - reply to ``hello``;
* :class:`Pong` - reply to ``ping``;
* :class:`Update` - reply to every ``frame`` (and, after a rating that stops the set, to every
  tab);
* :class:`Updates` - reply to every ``frames`` message (several frames);
* :class:`SavedPain`, :class:`SavedFeedback`, :class:`SavedControl` - a rating, feedback or a
  button press was stored;
* :class:`ReviewMessage` - the decision for next time, once the set is over;
* :class:`ErrorMessage` - a message was refused (:class:`~pressup.web.schemas.MessageError`),
  or the database cannot be written now (``storage_unavailable``);
* :class:`StorageBack` - it can be written again.

The inbound messages are in :mod:`pressup.web.schemas`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Optional, Union

import msgspec
import numpy as np
from pydantic import BaseModel, ConfigDict

from pressup.live import LiveUpdate
from pressup.safety.progression import Action, Source, Variant
from pressup.safety.symptoms import RESPONSE_WORDS, Response
from pressup.sessions.plan import Review
from pressup.web.schemas import PROTOCOL_VERSION, MessageError

#: A JSON number kept as it was given (an ``int`` stays an ``int``: ``10``, not ``10.0``).
Number = Union[int, float]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Welcome(_Out):
    """Reply to ``hello``: the session opened or resumed, its dose and status, and where its
    frames stand (a resuming tab continues after ``last_seq`` and ``last_t``)."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["welcome"] = "welcome"
    session: str
    resumed: bool
    dose: dict[str, Any]
    status: dict[str, Any]
    last_seq: int
    last_t: Number


class Pong(_Out):
    """Reply to ``ping``."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["pong"] = "pong"


class Update(_Out):
    """What a frame (or a rating that stopped the set) did: status, engine events, cues."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["update"] = "update"
    seq: int
    status: dict[str, Any]
    events: list[dict[str, Any]]
    cues: list[dict[str, Any]]

    @classmethod
    def of(cls, seq: int, upd: LiveUpdate) -> Update:
        """``upd`` as answer to frame ``seq`` (the engine's ``hold_tick`` events stay home)."""
        return cls(
            seq=seq,
            status=upd.status,
            events=_events(upd),
            cues=[c.to_dict() for c in upd.cues],
        )


class Updates(_Out):
    """What the frames of one ``frames`` message did: the ``seqs`` answered (in order; a
    refused frame is left out, its ``error`` sent before), the status after the last of them,
    and their engine events and cues, in order."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["updates"] = "updates"
    seqs: list[int]
    status: dict[str, Any]
    events: list[dict[str, Any]]
    cues: list[dict[str, Any]]

    @classmethod
    def of(cls, answered: Sequence[tuple[int, LiveUpdate]], status: dict[str, Any]) -> Updates:
        """The updates ``answered`` (``(seq, update)`` in order); ``status``: the session's
        when none was answered (every frame refused)."""
        return cls(**_merged(answered, status))


def _events(upd: LiveUpdate) -> list[dict[str, Any]]:
    """The events of ``upd`` that go to the page (the engine's ``hold_tick`` stays home)."""
    return [e.to_dict() for e in upd.events if e.kind != "hold_tick"]


def _merged(answered: Sequence[tuple[int, LiveUpdate]], status: dict[str, Any]) -> dict[str, Any]:
    return {
        "seqs": [seq for seq, _ in answered],
        "status": answered[-1][1].status if answered else status,
        "events": [e for _, u in answered for e in _events(u)],
        "cues": [c.to_dict() for _, u in answered for c in u.cues],
    }


class SavedPain(_Out):
    """A pain rating (``rep`` 0: before the set) was stored."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["saved"] = "saved"
    what: Literal["pain"] = "pain"
    rep: int


class SavedFeedback(_Out):
    """The feedback after the set was stored."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["saved"] = "saved"
    what: Literal["feedback"] = "feedback"


class SavedControl(_Out):
    """A button (pause, resume, end, restart set-up) was applied; the status after it."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["saved"] = "saved"
    what: Literal["control"] = "control"
    status: dict[str, Any]


class ReviewMessage(_Out):
    """The decision for next time, with how the symptoms responded over the set (``null``
    when not known). ``response`` and ``response_words`` come first on the wire."""

    response: Optional[Response]
    response_words: Optional[str]
    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["review"] = "review"
    action: Action
    variant: Variant
    target_reps: int
    target_hold_s: Number
    target_peak_trunk_deg: Optional[Number]
    source: Source
    words: str
    reason: str
    advice: list[str]

    @classmethod
    def of(cls, rv: Review, response: Response | None = None) -> ReviewMessage:
        d = rv.decision
        return cls(
            response=response,
            response_words=RESPONSE_WORDS[response] if response is not None else None,
            action=d.action,
            variant=d.variant,
            target_reps=d.target_reps,
            target_hold_s=d.target_hold_s,
            target_peak_trunk_deg=d.target_peak_trunk_deg,
            source=d.source,
            words=d.words(),
            reason=d.reason,
            advice=list(d.advice),
        )


class ErrorMessage(_Out):
    """A refused message: ``code`` is one of the protocol's error codes; ``seq`` is the
    refused frame's, or ``null``."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["error"] = "error"
    code: str
    message: str
    seq: Optional[int]

    @classmethod
    def of(cls, exc: MessageError) -> ErrorMessage:
        return cls(code=exc.code, message=exc.message, seq=exc.seq)


class StorageBack(_Out):
    """The database can be written again, after a ``storage_unavailable`` notice (sent once
    per spell of trouble to the tabs told of it)."""

    v: Literal[1] = PROTOCOL_VERSION
    type: Literal["storage_back"] = "storage_back"
    message: str


Outbound = Union[
    Welcome,
    Pong,
    Update,
    Updates,
    SavedPain,
    SavedFeedback,
    SavedControl,
    ReviewMessage,
    ErrorMessage,
    StorageBack,
]


def _plain(obj: Any) -> Any:
    """A NumPy scalar as the Python number it holds (for the JSON encoder)."""
    if isinstance(obj, np.generic):
        return obj.item()
    # msgspec's enc_hook contract: NotImplementedError for a type it should refuse (it then
    # raises its own error naming the type)
    raise NotImplementedError(f"cannot write {type(obj).__name__} as JSON")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain)


def dumps(obj: dict[str, Any]) -> str:
    """Serialise a server message as strict JSON (NaN and infinity become ``null``)."""
    return _ENCODER.encode(obj).decode()


def encode(msg: Outbound) -> str:
    """One outbound message as the text frame sent."""
    return dumps(msg.model_dump())


def update_text(seq: int, upd: LiveUpdate) -> str:
    """``encode(Update.of(seq, upd))``, without building the model (the reply to a frame)."""
    return dumps(
        {
            "v": PROTOCOL_VERSION,
            "type": "update",
            "seq": seq,
            "status": upd.status,
            "events": _events(upd),
            "cues": [c.to_dict() for c in upd.cues],
        }
    )


def updates_text(answered: Sequence[tuple[int, LiveUpdate]], status: dict[str, Any]) -> str:
    """``encode(Updates.of(answered, status))``, without building the model."""
    return dumps({"v": PROTOCOL_VERSION, "type": "updates", **_merged(answered, status)})


__all__ = [
    "ErrorMessage",
    "Number",
    "Outbound",
    "Pong",
    "ReviewMessage",
    "SavedControl",
    "SavedFeedback",
    "SavedPain",
    "StorageBack",
    "Update",
    "Updates",
    "Welcome",
    "dumps",
    "encode",
    "update_text",
    "updates_text",
]
