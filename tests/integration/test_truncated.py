"""A video that cannot be read to its end is analysed as far as it goes, and says where."""

from __future__ import annotations

from pressup.analysis.run import analyze_track
from pressup.pose.mediapipe_backend import ends_early
from pressup.protocol import load_spec
from pressup.synthetic import RepScript, SessionScript, make_session


def test_ends_early_only_when_frames_are_missing() -> None:
    assert ends_early(300, 300, 30.0, 9.967) is None
    assert ends_early(299, 300, 30.0, 9.933) is None  # one frame short: a rounding count
    early = ends_early(150, 300, 30.0, 4.967)
    assert early == {
        "decoded_frames": 150,
        "announced_frames": 300,
        "stopped_at_s": 5.0,
        "announced_s": 10.0,
    }
    assert ends_early(0, 300, 30.0, 0.0) == {
        "decoded_frames": 0,
        "announced_frames": 300,
        "stopped_at_s": 0.0,
        "announced_s": 10.0,
    }


def test_the_analysis_says_where_the_video_stopped() -> None:
    track, _ = make_session(SessionScript(reps=[RepScript("hands", 2.0, 4.0, 2.5, 2.0)]))
    track.meta["ends_early"] = ends_early(track.n_frames, 2 * track.n_frames, 30.0, 12.0)
    view = analyze_track(track, load_spec()).view
    assert view["warnings"] and "could only be read up to 12.0 s" in view["warnings"][0]
    track.meta.pop("ends_early")
    assert "warnings" not in analyze_track(track, load_spec()).view
