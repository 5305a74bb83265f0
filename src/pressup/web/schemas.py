"""Inbound messages of the live-coach WebSocket protocol, version 1 (see ``docs/protocol.md``).

Everything that arrives is validated here; a bad message becomes a :class:`MessageError`
with a code and a message that says what was expected and what arrived (sent back as
:class:`pressup.web.messages.ErrorMessage`). What the server sends is in
:mod:`pressup.web.messages`.

Camera frames come one per ``frame`` message or up to :data:`MAX_BATCH` in one ``frames``
message, whose frames are validated one by one (:class:`FrameItem`): a bad one is refused alone
(:class:`FramesIn` holds its :class:`MessageError`), the others are kept. Either way the hub
gets each frame as a :class:`FrameIn`.

Frames are most of the traffic, so they take a fast path first: one ``msgspec`` decode straight
into typed structs carrying every bound of the protocol (:class:`_FastFrame`,
:class:`_FastFrames`), and one NumPy conversion of each frame's landmarks. Anything the fast
path does not take whole (another message type, a bad value anywhere, NaN, a frame to refuse
inside a batch) goes through the reference path, the pydantic models below and the standard
``json`` module, which give the error its code and words. The fast path takes nothing the
reference path refuses (``tests/unit/web/test_schemas.py`` checks both on valid and mutated
frames).
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Final, Literal, NamedTuple, Optional, Union

import msgspec
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROTOCOL_VERSION: Final = 1
MAX_MESSAGE_BYTES = 65_536
#: Most frames in one ``frames`` message (a second at 30 frames/s).
MAX_BATCH = 30
N_LANDMARKS = 33
#: Deepest nesting of arrays and objects read (a frame needs 3: message, ``lm``, landmark).
MAX_DEPTH = 8
#: Largest ``seq`` (a day at 1000 frames/s) and ``t`` (seconds: a day).
MAX_SEQ = 86_400_000
MAX_T_S = 86_400.0
#: Bounds of a normalised landmark: x and y (MediaPipe gives 0..1, a little beyond near the
#: edges), z (relative depth, on the scale of x) and visibility (a probability).
XY_RANGE = (-1.0, 2.0)
Z_RANGE = (-10.0, 10.0)
VISIBILITY_RANGE = (0.0, 1.0)


class MessageError(Exception):
    """A refused message: ``code`` is one of the protocol's error codes, ``seq`` the refused
    frame's (or ``None``)."""

    def __init__(self, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.seq = seq


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    v: Literal[1]


class VideoSize(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    width: int = Field(ge=16, le=8192)
    height: int = Field(ge=16, le=8192)


def _storable(value: str | None) -> str | None:
    """Text the database can keep: PostgreSQL keeps no NUL character in text (it was a
    ``storage_unavailable`` there), so none is taken on any database."""
    if value is not None and "\x00" in value:
        raise ValueError("expected text without NUL characters, got one")
    return value


class Hello(_Msg):
    type: Literal["hello"]
    session: str | None = Field(default=None, max_length=64, pattern=r"^[0-9a-f]{32}$")
    client: str = Field(default="unknown", max_length=100)
    video: VideoSize | None = None

    _client = field_validator("client")(_storable)


class FrameItem(BaseModel):
    """One camera frame's fields: a ``frame`` message without ``v`` and ``type``, and each
    item of a ``frames`` message."""

    model_config = ConfigDict(extra="forbid", strict=True)
    seq: int = Field(ge=0, le=MAX_SEQ)
    t: float = Field(ge=0, le=MAX_T_S)
    w: int = Field(ge=16, le=8192)
    h: int = Field(ge=16, le=8192)
    lm: list[list[float]] | None
    light: float | None = Field(default=None, ge=0, le=1)

    @field_validator("lm")
    @classmethod
    def _landmarks(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is None:
            return v
        if len(v) != N_LANDMARKS:
            raise ValueError(f"expected {N_LANDMARKS} landmarks, got {len(v)}")
        for i, p in enumerate(v):
            if len(p) != 4:
                raise ValueError(
                    f"landmark {i}: expected [x, y, z, visibility], got {len(p)} numbers"
                )
            if not all(math.isfinite(c) for c in p):
                raise ValueError(f"landmark {i}: expected finite numbers, got {p}")
            if not all(XY_RANGE[0] <= c <= XY_RANGE[1] for c in p[:2]):
                raise ValueError(
                    f"landmark {i}: x and y are normalised, expected {XY_RANGE[0]:g}..."
                    f"{XY_RANGE[1]:g}, got {p[:2]}"
                )
            if not Z_RANGE[0] <= p[2] <= Z_RANGE[1]:
                raise ValueError(
                    f"landmark {i}: z is relative depth on the scale of x, expected "
                    f"{Z_RANGE[0]:g}..{Z_RANGE[1]:g}, got {p[2]}"
                )
            if not VISIBILITY_RANGE[0] <= p[3] <= VISIBILITY_RANGE[1]:
                raise ValueError(
                    f"landmark {i}: visibility is a probability, expected "
                    f"{VISIBILITY_RANGE[0]:g}..{VISIBILITY_RANGE[1]:g}, got {p[3]}"
                )
        return v


class Frame(FrameItem):
    v: Literal[1]
    type: Literal["frame"]


class Frames(_Msg):
    """Several frames in one message, in order; each item is validated alone
    (:class:`FrameItem`)."""

    type: Literal["frames"]
    frames: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class Pain(_Msg):
    """A pain rating 0..10 before the set (``rep`` 0) or after press-up ``rep``, with where the
    symptoms are felt (:data:`pressup.safety.symptoms.LOCATIONS`; optional)."""

    type: Literal["pain"]
    rep: int = Field(ge=0, le=100)
    score: int | None = Field(default=None, ge=0, le=10)
    skipped: bool = False
    location: Literal["none", "back", "buttock", "thigh", "below_knee", "foot"] | None = None


class Feedback(_Msg):
    type: Literal["feedback"]
    helpful: bool
    comment: str | None = Field(default=None, max_length=1000)

    _comment = field_validator("comment")(_storable)


class Control(_Msg):
    type: Literal["control"]
    action: Literal["pause", "resume", "end", "restart_setup"]


class Ping(_Msg):
    type: Literal["ping"]


class FrameIn(NamedTuple):
    """One validated camera frame as the hub takes it: ``lm`` ``(33, 4)`` normalised as
    MediaPipe gives them, or ``None`` (no person)."""

    seq: int
    t: float
    w: int
    h: int
    lm: Optional[npt.NDArray[np.float64]]
    light: Optional[float]

    @classmethod
    def of(cls, f: Any) -> FrameIn:
        """From a validated :class:`FrameItem` (or the fast path's struct)."""
        lm = np.array(f.lm, dtype=np.float64) if f.lm is not None else None
        return cls(f.seq, float(f.t), f.w, f.h, lm, f.light)


class FramesIn(NamedTuple):
    """A validated ``frames`` message: each item a frame, or why it was refused (in order)."""

    frames: list[Union[FrameIn, MessageError]]


Message = Union[Hello, FrameIn, FramesIn, Pain, Feedback, Control, Ping]
_BY_TYPE: dict[str, type[BaseModel]] = {
    "hello": Hello,
    "frame": Frame,
    "frames": Frames,
    "pain": Pain,
    "feedback": Feedback,
    "control": Control,
    "ping": Ping,
}


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


class _Constant:
    """``NaN``, ``Infinity`` or ``-Infinity`` where a number was read (not JSON: refused)."""

    def __init__(self, name: str) -> None:
        self.name = name


def _constant_in(obj: Any) -> str | None:
    """The first of ``NaN``, ``Infinity``, ``-Infinity`` read in ``obj``, or ``None``."""
    if isinstance(obj, _Constant):
        return obj.name
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ()
    for v in items:
        found = _constant_in(v)
        if found is not None:
            return found
    return None


def nesting_depth(raw: str | bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (brackets inside strings do not count)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return text.count("[") + text.count("{")  # cannot nest deeper than it has brackets
    depth = deepest = 0
    for ch in _BRACKETS.findall(_STRINGS.sub("", text)):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _check_size(raw: str | bytes) -> None:
    """Raises: MessageError: ``too_large`` past :data:`MAX_MESSAGE_BYTES` bytes."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise MessageError("too_large", f"expected at most {MAX_MESSAGE_BYTES} bytes, got {size}")


def _json_object(raw: str | bytes) -> tuple[Any, bool]:
    """The JSON value of ``raw`` (checked by :func:`_check_size` first), refused before
    parsing when it is nested deeper than :data:`MAX_DEPTH`; ``NaN`` and the infinities are
    read as :class:`_Constant` (the flag: whether any was read).

    Raises:
        MessageError: ``bad_json``.
    """
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise MessageError(
            "bad_json", f"expected arrays and objects nested at most {MAX_DEPTH} deep, got {depth}"
        )
    read: list[_Constant] = []

    def constant(name: str) -> _Constant:
        read.append(_Constant(name))
        return read[-1]

    try:
        return json.loads(raw, parse_constant=constant), bool(read)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MessageError("bad_json", f"expected one JSON object: {exc}") from None


# -- the fast path of camera frames -----------------------------------------------------------
_XY = Annotated[float, msgspec.Meta(ge=XY_RANGE[0], le=XY_RANGE[1])]
_Z = Annotated[float, msgspec.Meta(ge=Z_RANGE[0], le=Z_RANGE[1])]
_VIS = Annotated[float, msgspec.Meta(ge=VISIBILITY_RANGE[0], le=VISIBILITY_RANGE[1])]
_SIZE = Annotated[int, msgspec.Meta(ge=16, le=8192)]


class _FastItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """:class:`FrameItem` with the same bounds, for ``msgspec``."""

    seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)]
    t: Annotated[float, msgspec.Meta(ge=0, le=MAX_T_S)]
    w: _SIZE
    h: _SIZE
    lm: Optional[
        Annotated[
            list[tuple[_XY, _XY, _Z, _VIS]],
            msgspec.Meta(min_length=N_LANDMARKS, max_length=N_LANDMARKS),
        ]
    ]
    light: Optional[Annotated[float, msgspec.Meta(ge=0, le=1)]] = None


class _FastFrame(_FastItem, tag_field="type", tag="frame"):
    """:class:`Frame`."""

    v: Literal[1]


class _FastFrames(
    msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="type", tag="frames"
):
    """:class:`Frames` whose every frame is good."""

    v: Literal[1]
    frames: Annotated[list[_FastItem], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


_FAST = msgspec.json.Decoder(Union[_FastFrame, _FastFrames])


def _fast(raw: str | bytes) -> FrameIn | FramesIn | None:
    """A ``frame`` or ``frames`` message with nothing to refuse in it, or ``None``. (Its
    size is checked before; the types bound its nesting.)"""
    try:
        msg = _FAST.decode(raw)
    except msgspec.MsgspecError:
        return None
    if isinstance(msg, _FastFrame):
        return FrameIn.of(msg)
    return FramesIn([FrameIn.of(f) for f in msg.frames])


# -- the reference path ----------------------------------------------------------------------
def _schema_error(kind: str, exc: ValidationError, seq: int | None) -> MessageError:
    err = exc.errors()[0]
    where = ".".join(str(x) for x in err.get("loc", ())) or kind
    got = err.get("input")
    shown = json.dumps(got)[:80] if not isinstance(got, (dict, list)) else type(got).__name__
    return MessageError("bad_schema", f"{kind}.{where}: {err.get('msg')} (got {shown})", seq)


def _seq_of(obj: Any) -> int | None:
    seq = obj.get("seq") if isinstance(obj, dict) else None
    return seq if isinstance(seq, int) else None


def _frame_item(i: int, item: Any, constants: bool) -> FrameIn | MessageError:
    """Item ``i`` of a ``frames`` message, validated alone (or why it is refused);
    ``constants``: the message holds a ``NaN`` or an infinity somewhere."""
    seq = _seq_of(item)
    constant = _constant_in(item) if constants else None
    if constant is not None:
        return MessageError(
            "bad_value", f"frames.{i}: expected finite numbers, got {constant}", seq
        )
    try:
        return FrameIn.of(FrameItem.model_validate(item))
    except ValidationError as exc:
        return _schema_error(f"frames.{i}", exc, seq)


def _refuse_constants(obj: Any) -> None:
    """Raises: MessageError: ``bad_value`` for ``NaN`` or an infinity in ``obj`` (for a
    ``frames`` message: outside its frames; those are refused one by one)."""
    if (
        isinstance(obj, dict)
        and obj.get("type") == "frames"
        and isinstance(obj.get("frames"), list)
    ):
        obj = {k: v for k, v in obj.items() if k != "frames"}
    constant = _constant_in(obj)
    if constant is not None:
        raise MessageError("bad_value", f"expected finite numbers, got {constant}")


def parse_message(raw: str | bytes, *, fast: bool = True) -> Message:
    """Validate one raw WebSocket message (camera frames by the fast path when they can;
    ``fast=False``: by the reference path only, for the tests that compare both).

    Raises:
        MessageError: ``too_large``, ``bad_json``, ``bad_value`` or ``bad_schema``.
    """
    _check_size(raw)
    quick = _fast(raw) if fast else None
    if quick is not None:
        return quick
    obj, constants = _json_object(raw)
    if constants:
        _refuse_constants(obj)
    if not isinstance(obj, dict):
        raise MessageError("bad_schema", f"expected a JSON object, got {type(obj).__name__}")
    seq = _seq_of(obj)
    if obj.get("v") != PROTOCOL_VERSION:
        raise MessageError(
            "bad_schema",
            f"v: expected protocol version {PROTOCOL_VERSION}, got {obj.get('v')!r}",
            seq,
        )
    kind = obj.get("type")
    model = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise MessageError(
            "bad_schema", f"type: expected one of {', '.join(_BY_TYPE)}, got {kind!r}", seq
        )
    try:
        msg = model.model_validate(obj)
    except ValidationError as exc:
        raise _schema_error(str(kind), exc, seq) from None
    if isinstance(msg, Frame):
        return FrameIn.of(msg)
    if isinstance(msg, Frames):
        return FramesIn([_frame_item(i, x, constants) for i, x in enumerate(msg.frames)])
    return msg  # type: ignore[return-value]
