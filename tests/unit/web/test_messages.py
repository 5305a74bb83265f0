"""What the server sends (``pressup.web.messages``): the replies to frames, written without the
models, are the models' own JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from pressup.live import LiveSession, LiveUpdate
from pressup.protocol import ProtocolSpec
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.messages import (
    ErrorMessage,
    Update,
    Updates,
    encode,
    update_text,
    updates_text,
)


def _updates() -> list[LiveUpdate]:
    """Every frame's update of a synthetic set of two press-ups, frame by frame."""
    reps = [RepScript("forearms", 2.0, 6.0, 2.5, 3.0) for _ in range(2)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    s = LiveSession(ProtocolSpec())
    w, h = track.source.width, track.source.height
    out = []
    for i in range(track.n_frames):
        row = track.data[i]
        out.append(s.on_frame(float(track.t_s[i]), w, h, row if np.isfinite(row[0, 0]) else None))
    out.append(s.end())
    return out


def _same(text: str, model_text: str) -> None:
    """The same JSON, keys in the same order."""
    ours, theirs = json.loads(text), json.loads(model_text)
    assert ours == theirs
    assert list(ours) == list(theirs)


def test_update_text_is_the_update_model() -> None:
    ups = _updates()
    assert any(u.events for u in ups) and any(u.cues for u in ups)
    assert any(e.kind == "hold_tick" for u in ups for e in u.events)  # left out of both
    for seq, upd in enumerate(ups):
        _same(update_text(seq, upd), encode(Update.of(seq, upd)))


def test_updates_text_is_the_updates_model_and_merges_in_order() -> None:
    ups = _updates()
    status = {"stage": "setup"}
    for start in range(0, len(ups), 4):
        answered = [(start + k, u) for k, u in enumerate(ups[start : start + 4])]
        text = updates_text(answered, status)
        _same(text, encode(Updates.of(answered, status)))
        msg = json.loads(text)
        assert msg["seqs"] == [seq for seq, _ in answered]
        assert msg["status"] == json.loads(update_text(*answered[-1]))["status"]
        singles = [json.loads(update_text(seq, u)) for seq, u in answered]
        assert msg["events"] == [e for one in singles for e in one["events"]]
        assert msg["cues"] == [c for one in singles for c in one["cues"]]
    empty = json.loads(updates_text([], status))
    assert (empty["seqs"], empty["status"], empty["events"], empty["cues"]) == ([], status, [], [])


def test_non_finite_and_numpy_numbers_are_written_as_json() -> None:
    odd: dict[str, Any] = {
        "a": math.nan,
        "b": np.float64(1.5),
        "c": np.int64(3),
        "d": (1, math.inf),
    }
    upd = LiveUpdate(status=odd)
    msg = json.loads(update_text(7, upd))
    assert msg["status"] == {"a": None, "b": 1.5, "c": 3, "d": [1, None]}
    assert json.loads(encode(ErrorMessage(code="x", message="é \u2028", seq=None)))["message"] == (
        "é \u2028"
    )
