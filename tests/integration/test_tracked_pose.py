"""The pose graph with its tracking state in Python gives MediaPipe's every-frame landmarks,
bit for bit, and its state can be saved and restored (real MediaPipe, shared clip).

Slow and needs the shared data (``$PRESSUP_DATA``, default ``../shared/data``): run with
``pytest -m slow tests/integration/test_tracked_pose.py``.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest

from pressup.pose import PoseOptions
from pressup.pose.mediapipe_backend import BlazePoseStream, TrackedPose
from pressup.pose.video import iter_frames, probe
from support import shared_data_root

pytestmark = [pytest.mark.slow, pytest.mark.data]

CLIP = "render/s03_heavy_man_hands_left_floor.mp4"
FRAMES = 150  # five seconds: lying still, then the first press


def _clip() -> list[np.ndarray]:
    path = shared_data_root() / CLIP
    if not path.is_file():
        pytest.skip(f"no shared clip at {path}")
    return [rgb for _, rgb in islice(iter_frames(path), FRAMES)]


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
