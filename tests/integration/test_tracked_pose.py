"""The pose graph with its tracking state in Python gives MediaPipe's every-frame landmarks,
bit for bit, and its state can be saved and restored (real MediaPipe, shared clip).

Slow and needs the shared data (``$PRESSUP_DATA``, default ``../shared/data``): run with
``pytest -m slow tests/integration/test_tracked_pose.py``.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from pressup.pose import PoseOptions
from pressup.pose.mediapipe_backend import BlazePoseStream, TrackedPose
from pressup.pose.video import iter_frames, probe
from support import shared_data_root

pytestmark = [pytest.mark.slow, pytest.mark.data]

CLIP = "render/s03_heavy_man_hands_left_floor.mp4"
FRAMES = 150  # five seconds: lying still, then the first press


def _clip_path() -> Path:
    """The shared clip; the test is skipped when the shared data is not there."""
    path = shared_data_root() / CLIP
    if not path.is_file():
        pytest.skip(f"no shared clip at {path}")
    return path


def _clip() -> list[np.ndarray]:
    return [rgb for _, rgb in islice(iter_frames(_clip_path()), FRAMES)]


def test_tracked_pose_equals_the_legacy_graph_on_every_frame() -> None:
    frames = _clip()
    info = probe(shared_data_root() / CLIP)
    opts = PoseOptions(model="full")
    with (
        BlazePoseStream(opts, info.width, info.height) as legacy,
        TrackedPose(opts, info.width, info.height) as tracked,
    ):
        for i, rgb in enumerate(frames):
            want = legacy.process(rgb)
            got = tracked.pose(i, rgb)
            assert np.array_equal(want, got, equal_nan=True), f"frame {i} differs"
            tracked.forget(i)


def test_a_restored_state_poses_the_same_frames_the_same_way() -> None:
    frames = _clip()
    info = probe(shared_data_root() / CLIP)
    with TrackedPose(PoseOptions(model="full"), info.width, info.height) as tracked:
        for i in range(100):
            tracked.pose(i, frames[i])
        saved = tracked.snapshot()
        first = [tracked.pose(i, frames[i]) for i in range(100, 110)]
        tracked.restore(saved)
        again = [tracked.pose(i, frames[i]) for i in range(100, 110)]
        assert all(np.array_equal(a, b) for a, b in zip(first, again))
        # skipping frames 100..103 poses frame 104 from another state: a (slightly) other answer
        tracked.restore(saved)
        skipped = tracked.pose(104, frames[104])
        assert not np.array_equal(skipped, first[4])
        assert np.nanmedian(np.abs(skipped[:, :2] - first[4][:, :2])) < 5.0


def test_adaptive_sampling_poses_the_every_frame_landmarks_bit_for_bit() -> None:
    """Keyframe tracking (the default): the frames adaptive sampling poses get exactly the
    landmarks the every-frame run gives them; only the interpolated ones differ."""
    from pressup.pose.adaptive import AdaptiveConfig, sample_adaptive
    from pressup.pose.mediapipe_backend import _BgrTracker

    frames = _clip()
    info = probe(shared_data_root() / CLIP)
    cfg = AdaptiveConfig()
    bgr = [np.ascontiguousarray(rgb[:, :, ::-1]) for rgb in frames]
    runs = []
    for pose_all in (True, False):
        with TrackedPose(PoseOptions(model="full"), info.width, info.height) as tracked:
            runs.append(
                sample_adaptive(
                    ((i / info.fps, f) for i, f in enumerate(bgr)),
                    _BgrTracker(tracked),
                    cfg.stride(info.fps),
                    cfg,
                    pose_all=pose_all,
                )
            )
    every, adaptive = runs
    assert every.posed.all() and 0 < adaptive.posed.sum() < len(frames)
    posed = adaptive.posed
    assert np.array_equal(every.data[posed], adaptive.data[posed], equal_nan=True)
    assert not np.array_equal(every.data[~posed], adaptive.data[~posed], equal_nan=True)


def test_the_second_pass_poses_the_every_frame_landmarks_bit_for_bit() -> None:
    """``pressup analyze --adaptive`` (adaptive sampling, then the frames around each hold
    posed from the states kept, the video read again): every frame it posed has the
    every-frame landmarks; its answers are the every-frame ones on this clip."""
    from pressup.analysis.run import analyze_track
    from pressup.analysis.settle import settle
    from pressup.batch.agreement import compare
    from pressup.pose.mediapipe_backend import AdaptiveVideo, track_video
    from pressup.protocol import load_spec

    path = _clip_path()
    spec = load_spec()
    every = track_video(path, PoseOptions(model="full"))
    sampled = AdaptiveVideo(path, PoseOptions(model="full", adaptive=True))
    first = int(sampled.posed.sum())
    track, analysis = settle(sampled.track, lambda t: analyze_track(t, spec), sampled.pose_more)
    sampling = track.meta["sampling"]
    posed = sampled.posed
    assert sampling["posed_for_holds"] > 0 and sampling["posed_fraction"] < 0.6
    assert posed.sum() == first + sampling["posed_for_holds"]
    assert np.array_equal(
        every.data[posed].astype(np.float32), track.data[posed].astype(np.float32), equal_nan=True
    )
    assert compare(analyze_track(every, spec), analysis).ok
