"""What the analysis could judge: never praise a measure that was not seen."""

from __future__ import annotations

from pressup.analysis.run import analyze_track
from pressup.pose.track import LANDMARK_INDEX
from pressup.protocol import load_spec
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = load_spec()


def _reps(n: int) -> list[RepScript]:
    return [RepScript("hands", press_s=2.0, hold_s=6.0, lower_s=2.5, rest_s=3.0) for _ in range(n)]


def test_head_and_shoulders_are_judged_after_the_first_hold() -> None:
    track, _ = make_session(SessionScript(reps=_reps(3), noise_px=0.5, seed=3))
    judged = analyze_track(track, SPEC).view["judged"]
    assert judged == {"reps": 3, "elbows": 3, "hips": 3, "head": 2, "shoulders": 2}


def test_one_press_up_cannot_judge_the_head() -> None:
    track, _ = make_session(SessionScript(reps=_reps(1), seed=4))
    judged = analyze_track(track, SPEC).view["judged"]
    assert judged["reps"] == 1
    assert judged["head"] == 0 and judged["shoulders"] == 0
    assert judged["elbows"] == 1


def test_a_hidden_face_is_not_judged() -> None:
    track, _ = make_session(SessionScript(reps=_reps(3), seed=5))
    data = track.data.copy()
    for name in ("nose", "left_ear", "right_ear", "left_eye", "right_eye"):
        data[:, LANDMARK_INDEX[name], 3] = 0.0  # never seen
    hidden = track.__class__(t_s=track.t_s, data=data, source=track.source, meta=track.meta)
    judged = analyze_track(hidden, SPEC).view["judged"]
    assert judged["reps"] == 3
    assert judged["head"] == 0 and judged["shoulders"] == 0
