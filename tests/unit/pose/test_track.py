"""The pose-track type: validation at the boundary and the track file round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pressup.errors import InputError, TrackFormatError
from pressup.pose import PoseTrack, TrackSource, load_track, open_track
from pressup.pose.backends import backend_for

SRC = TrackSource(backend="test", model="none", video=None, width=640, height=480, fps=30.0)


def _track(n: int = 5) -> PoseTrack:
    data = np.random.default_rng(0).uniform(0, 400, size=(n, 33, 4))
    data[:, :, 3] = 0.9
    return PoseTrack(t_s=np.arange(n) / 30.0, data=data, source=SRC)


def test_round_trip(tmp_path: Path) -> None:
    t = _track()
    p = t.save(tmp_path / "t.npz")
    back = load_track(p)
    assert back.source == t.source
    np.testing.assert_allclose(back.data, t.data, rtol=1e-6)
    np.testing.assert_array_equal(back.t_s, t.t_s)
    assert open_track(p).n_frames == 5


def test_save_adds_suffix(tmp_path: Path) -> None:
    assert _track().save(tmp_path / "t").suffix == ".npz"


@pytest.mark.parametrize(
    ("t_s", "shape", "needle"),
    [
        (np.arange(3.0), (3, 17, 4), "shape"),
        (np.arange(4.0), (3, 33, 4), "frames"),
        (np.array([0.0, 0.2, 0.1]), (3, 33, 4), "back in time"),
        (np.array([0.0, np.nan, 0.1]), (3, 33, 4), "finite"),
    ],
)
def test_malformed_tracks_are_rejected(
    t_s: np.ndarray, shape: tuple[int, ...], needle: str
) -> None:
    with pytest.raises(TrackFormatError, match=needle):
        PoseTrack(t_s=t_s, data=np.zeros(shape), source=SRC)


def test_nan_landmarks_are_allowed_but_infinity_is_not() -> None:
    d = np.zeros((2, 33, 4))
    d[0, :, :3] = np.nan
    PoseTrack(t_s=np.array([0.0, 0.1]), data=d, source=SRC)
    d[1, 0, 0] = np.inf
    with pytest.raises(TrackFormatError, match="infinity"):
        PoseTrack(t_s=np.array([0.0, 0.1]), data=d, source=SRC)


def test_not_a_track_file(tmp_path: Path) -> None:
    p = tmp_path / "x.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(TrackFormatError, match="expected a pressup track"):
        load_track(p)


def test_unknown_file_kind(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    with pytest.raises(InputError, match="expected a video or a pressup track"):
        backend_for(p)
    with pytest.raises(InputError, match="no such file"):
        backend_for(tmp_path / "missing.mp4")


def test_pose_options_name_their_tracking_or_refuse() -> None:
    from pressup.pose import PoseOptions

    assert PoseOptions().keyframe_tracking  # the default: the crop follows keyframes
    assert not PoseOptions(tracking="mediapipe").keyframe_tracking
    assert not PoseOptions(smooth_landmarks=True).keyframe_tracking  # MediaPipe's own filter
    with pytest.raises(InputError, match="tracking: expected one of keyframes, mediapipe"):
        PoseOptions(tracking="every")
