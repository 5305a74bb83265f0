"""Inbound messages of the live-coach WebSocket protocol, version 1 (see ``docs/protocol.md``).

Everything that arrives is validated here; a bad message becomes a :class:`MessageError`
with a code and a message that says what was expected and what arrived (sent back as
:class:`pressup.web.messages.ErrorMessage`). What the server sends is in
:mod:`pressup.web.messages`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROTOCOL_VERSION: Final = 1
MAX_MESSAGE_BYTES = 65_536
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


class Frame(_Msg):
    type: Literal["frame"]
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


Message = Union[Hello, Frame, Pain, Feedback, Control, Ping]
_BY_TYPE: dict[str, type[BaseModel]] = {
    "hello": Hello,
    "frame": Frame,
    "pain": Pain,
    "feedback": Feedback,
    "control": Control,
    "ping": Ping,
}


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _reject_constant(name: str) -> float:
    raise MessageError("bad_value", f"expected finite numbers, got {name}")


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


def _json_object(raw: str | bytes) -> Any:
    """The JSON value of ``raw``, refused before parsing when it is larger than
    :data:`MAX_MESSAGE_BYTES` bytes or nested deeper than :data:`MAX_DEPTH`.

    Raises:
        MessageError: ``too_large`` or ``bad_json``.
    """
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise MessageError("too_large", f"expected at most {MAX_MESSAGE_BYTES} bytes, got {size}")
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise MessageError(
            "bad_json", f"expected arrays and objects nested at most {MAX_DEPTH} deep, got {depth}"
        )
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except MessageError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MessageError("bad_json", f"expected one JSON object: {exc}") from None


def parse_message(raw: str | bytes) -> Message:
    """Validate one raw WebSocket message.

    Raises:
        MessageError: ``too_large``, ``bad_json``, ``bad_value`` or ``bad_schema``.
    """
    obj = _json_object(raw)
    if not isinstance(obj, dict):
        raise MessageError("bad_schema", f"expected a JSON object, got {type(obj).__name__}")
    seq = obj.get("seq") if isinstance(obj.get("seq"), int) else None
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
        return model.model_validate(obj)  # type: ignore[return-value]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ())) or kind
        got = err.get("input")
        shown = json.dumps(got)[:80] if not isinstance(got, (dict, list)) else type(got).__name__
        raise MessageError(
            "bad_schema", f"{kind}.{where}: {err.get('msg')} (got {shown})", seq
        ) from None
