"""Validation of the inbound messages (``pressup.web.schemas``), camera frames above all."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from pressup.web.schemas import MAX_BATCH, FrameIn, FramesIn, MessageError, parse_message


def _frame(seq: int = 0, **more: Any) -> dict[str, Any]:
    lm = [[0.1 + i / 100, 0.5 - i / 200, -0.25 + i / 300, 0.9] for i in range(33)]
    return {
        "v": 1,
        "type": "frame",
        "seq": seq,
        "t": seq / 30,
        "w": 640,
        "h": 480,
        "lm": lm,
        **more,
    }


def _item(seq: int = 0, **more: Any) -> dict[str, Any]:
    return {k: v for k, v in _frame(seq, **more).items() if k not in ("v", "type")}


def _batch(items: list[Any]) -> str:
    return json.dumps({"v": 1, "type": "frames", "frames": items})


def _refused(raw: str) -> MessageError:
    with pytest.raises(MessageError) as exc:
        parse_message(raw)
    return exc.value


def test_a_frame_comes_out_with_its_landmarks_as_an_array() -> None:
    msg = parse_message(json.dumps(_frame(7, light=0.5)))
    assert isinstance(msg, FrameIn)
    assert (msg.seq, msg.t, msg.w, msg.h, msg.light) == (7, 7 / 30, 640, 480, 0.5)
    assert isinstance(msg.lm, np.ndarray) and msg.lm.shape == (33, 4)
    assert msg.lm.tolist() == _frame()["lm"]
    assert parse_message(json.dumps(_frame(lm=None))).lm is None  # type: ignore[union-attr]


def test_each_frame_of_a_batch_is_the_frame_alone() -> None:
    msg = parse_message(_batch([_item(0), _item(1, light=0.2), _item(2, lm=None)]))
    assert isinstance(msg, FramesIn)
    alone = [parse_message(json.dumps(_frame(1, light=0.2)))]
    assert [f.seq for f in msg.frames] == [0, 1, 2]  # type: ignore[union-attr]
    got = msg.frames[1]
    assert isinstance(got, FrameIn) and isinstance(alone[0], FrameIn)
    assert got._replace(lm=None) == alone[0]._replace(lm=None)
    assert np.array_equal(got.lm, alone[0].lm)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "code", "words"),
    [
        ({"seq": -1}, "bad_schema", "frames.1.seq"),
        ({"w": "640"}, "bad_schema", "frames.1.w"),
        ({"lm": [[0.5, 0.5, 0.0, 1.0]] * 32}, "bad_schema", "expected 33 landmarks"),
        ({"lm": [[0.5, 0.5, 11.0, 1.0]] * 33}, "bad_schema", "z is relative depth"),
        ({"extra": 1}, "bad_schema", "frames.1.extra"),
        ({"light": 1.5}, "bad_schema", "frames.1.light"),
    ],
)
def test_a_bad_frame_in_a_batch_is_refused_alone_with_its_seq(
    bad: dict[str, Any], code: str, words: str
) -> None:
    msg = parse_message(_batch([_item(0), {**_item(1), **bad}, _item(2)]))
    assert isinstance(msg, FramesIn)
    first, refused, last = msg.frames
    assert isinstance(first, FrameIn) and isinstance(last, FrameIn)
    assert isinstance(refused, MessageError)
    assert refused.code == code and words in refused.message, refused.message
    assert refused.seq == bad.get("seq", 1)


def test_nan_in_one_frame_of_a_batch_refuses_that_frame_only() -> None:
    raw = _batch([_item(0), _item(1), _item(2)])
    at = raw.index("0.9", raw.index('"seq": 1'))
    msg = parse_message(raw[:at] + "NaN" + raw[at + 3 :])
    assert isinstance(msg, FramesIn)
    kinds = [(type(f).__name__, getattr(f, "code", None), f.seq) for f in msg.frames]
    assert kinds == [("FrameIn", None, 0), ("MessageError", "bad_value", 1), ("FrameIn", None, 2)]
    # NaN outside the frames, or in a single frame: the whole message is refused
    assert _refused(json.dumps(_frame()).replace('"t": 0.0', '"t": NaN')).code == "bad_value"
    outside = '{"v": 1, "type": "frames", "x": Infinity, "frames": []}'
    assert _refused(outside).code == "bad_value"


@pytest.mark.parametrize("n", [0, MAX_BATCH + 1])
def test_an_empty_or_too_long_batch_is_refused_whole(n: int) -> None:
    err = _refused(_batch([_item(i) for i in range(n)]))
    assert err.code == "bad_schema" and err.seq is None and "frames.frames" in err.message


@pytest.mark.parametrize(
    "msg",
    [
        {"v": 1, "type": "frames", "frames": "x"},
        {"v": 1, "type": "frames", "frames": [], "seq": 1},
        {"v": 2, "type": "frames", "frames": [_item()]},
        {"v": 1, "type": "frames"},
    ],
)
def test_a_batch_that_is_not_one_is_refused_whole(msg: dict[str, Any]) -> None:
    assert _refused(json.dumps(msg)).code == "bad_schema"


def test_items_that_are_not_frames_are_refused_without_a_seq() -> None:
    msg = parse_message(_batch([7, None, [1], _item(3)]))
    assert isinstance(msg, FramesIn)
    errors = msg.frames[:3]
    assert all(isinstance(e, MessageError) and e.seq is None for e in errors)
    assert isinstance(msg.frames[3], FrameIn)


# -- the fast path takes what the reference path takes, and nothing else --------------------------
EDGES: list[Any] = [
    -1.0, 2.0, -1.0000000001, 2.0000000001, 0, 1, 10.0, -10.0, 10.000001, -10.000001, 50.0, -12.0,
    1e300, -1e300, 1e39,
    "0.5", None, True, False, [], {}, [0.5], 10**30,
]  # fmt: skip
FIELD_VALUES: dict[str, list[Any]] = {
    "seq": [0, 86_400_000, 86_400_001, -1, 2.0, True, "3", None, 10**40],
    "t": [0, 0.0, 86_400, 86_400.0001, -0.0, -0.001, 5, "1.0", None, True, 1e400],
    "w": [16, 8192, 15, 8193, 640.0, False, "640", None],
    "h": [16, 8192, 15, 8193, 480.5, None],
    "light": [0, 1, 0.5, 1.01, -0.1, None, "x", True],
    "lm": [None, [], [[0.5, 0.5, 0.0, 1.0]] * 32, [[0.5, 0.5, 0.0, 1.0]] * 34, "x", 3, {}],
    "v": [1, 1.0, True, 2, None],
    "type": ["frame", "frames", "Frame", None],
}


def _outcome(raw: str, fast: bool) -> Any:
    try:
        msg = parse_message(raw, fast=fast)
    except MessageError as exc:
        return ("refused", exc.code, exc.message, exc.seq)
    return _plain(msg)


def _plain(msg: Any) -> Any:
    if isinstance(msg, FramesIn):
        return [_plain(f) for f in msg.frames]
    if isinstance(msg, MessageError):
        return ("refused", msg.code, msg.message, msg.seq)
    if isinstance(msg, FrameIn):
        lm = None if msg.lm is None else msg.lm.tolist()
        return (msg.seq, msg.t, msg.w, msg.h, lm, msg.light, type(msg.t), type(msg.light))
    return msg


def _mutations() -> list[str]:
    rng = random.Random(5)
    out = [json.dumps(_frame()), json.dumps(_frame(3, light=0.25))]
    for key, values in FIELD_VALUES.items():
        out += [json.dumps({**_frame(2), key: v}) for v in values]
    for _ in range(300):
        f = _frame(rng.randrange(100))
        f["lm"][rng.randrange(33)][rng.randrange(4)] = rng.choice(EDGES)
        out.append(json.dumps(f))
    out.append(json.dumps(_frame())[:-1] + ', "seq": -5}')  # a key twice
    out.append(json.dumps(_frame())[:-1] + ', "extra": 1}')
    out.append(json.dumps({k: v for k, v in _frame().items() if k != "lm"}))
    return out


@pytest.mark.parametrize("batch", [False, True])
def test_the_fast_path_agrees_with_the_reference_path(batch: bool) -> None:
    raws = _mutations()
    if batch:  # each mutated frame in the middle of a batch, and batches of good ones
        raws = [
            _batch([_item(0), {k: v for k, v in json.loads(r).items() if k not in ("v", "type")}])
            for r in raws
            if r.startswith("{")
        ] + [_batch([_item(i) for i in range(n)]) for n in (1, 2, MAX_BATCH)]
    kinds: set[str] = set()
    for raw in raws:
        fast, reference = _outcome(raw, True), _outcome(raw, False)
        assert fast == reference, raw[:300]
        for one in fast if isinstance(fast, list) else [fast]:
            kinds.add(one[0] if one[0] == "refused" else "taken")
    assert kinds == {"refused", "taken"}  # both kinds were tried


def test_good_frames_never_reach_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def reference(raw: Any) -> Any:
        raise AssertionError("the reference path was used")

    monkeypatch.setattr("pressup.web.schemas._json_object", reference)
    assert isinstance(parse_message(json.dumps(_frame(light=0.3))), FrameIn)
    assert isinstance(parse_message(_batch([_item(i) for i in range(MAX_BATCH)])), FramesIn)
    with pytest.raises(AssertionError):  # anything else goes there
        parse_message(json.dumps({"v": 1, "type": "ping"}))
