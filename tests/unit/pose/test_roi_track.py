"""MediaPipe's tracking state in Python (:mod:`pressup.pose.roi_track`): the ROI from the
auxiliary points, the One Euro filter's behaviour, and state copies that do not alias.

That these steps match MediaPipe bit for bit is checked against the real graph in
``tests/integration/test_tracked_pose.py`` (needs the shared clips)."""

from __future__ import annotations

import math

import numpy as np

from pressup.pose.roi_track import ROI_SCALE, RoiTracker, frame_time_ns, roi_from_aux


def _aux(cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    """Normalised auxiliary points: the centre and the scale point."""
    return np.array([[cx, cy, 0.0], [sx, sy, 0.0]], dtype=np.float32)


def test_roi_is_a_square_around_the_centre_point_enlarged() -> None:
    # 640x480; centre (320, 240) px, scale point 100 px to the right: box side 200 px
    roi = roi_from_aux(_aux(0.5, 0.5, 420 / 640, 0.5), 640, 480)
    assert math.isclose(roi.x_center, 0.5, abs_tol=1e-7)
    assert math.isclose(roi.y_center, 0.5, abs_tol=1e-7)
    assert math.isclose(roi.width * 640, 200 * ROI_SCALE, rel_tol=1e-6)
    assert math.isclose(roi.height * 480, 200 * ROI_SCALE, rel_tol=1e-6)
    # the scale point to the right of the centre: the crop is turned by 90 degrees
    assert math.isclose(roi.rotation, math.pi / 2, abs_tol=1e-6)
    up = roi_from_aux(_aux(0.5, 0.5, 0.5, 140 / 480), 640, 480)  # scale point above
    assert math.isclose(up.rotation, 0.0, abs_tol=1e-6)


def test_the_filter_starts_at_the_first_value_and_follows_slowly_when_still() -> None:
    tr = RoiTracker(640, 480)
    assert tr.roi is None
    a = _aux(0.5, 0.5, 420 / 640, 0.5)
    tr.update(frame_time_ns(0), a)
    first = tr.roi
    assert first == roi_from_aux(a, 640, 480)
    # a one-pixel step of both points: the filter (min cut-off 0.01 Hz at rest, faster with
    # speed) moves part of the way, not all of it
    b = _aux(321 / 640, 0.5, 421 / 640, 0.5)
    tr.update(frame_time_ns(1), b)
    assert tr.roi is not None and first is not None
    moved = (tr.roi.x_center - first.x_center) * 640
    assert 0.0 < moved < 1.0
    # the same input again: the filter keeps closing in on it, slowly (16 s time constant)
    for i in range(2, 200):
        tr.update(frame_time_ns(i), b)
    later = (tr.roi.x_center - first.x_center) * 640
    assert moved < later < 1.0


def test_a_skipped_frame_counts_as_time_for_the_filter() -> None:
    """Frames skipped between two updates make a longer time step: the filter moves further
    than for one frame (MediaPipe's filter takes its rate from the timestamps)."""
    a, b = _aux(0.5, 0.5, 420 / 640, 0.5), _aux(330 / 640, 0.5, 430 / 640, 0.5)
    one, four = RoiTracker(640, 480), RoiTracker(640, 480)
    for tr, t in ((one, frame_time_ns(1)), (four, frame_time_ns(4))):
        tr.update(frame_time_ns(0), a)
        tr.update(t, b)
    assert one.roi is not None and four.roi is not None
    assert 0.5 < one.roi.x_center < four.roi.x_center < 330 / 640


def test_copies_are_independent_and_lost_resets() -> None:
    tr = RoiTracker(640, 480)
    tr.update(frame_time_ns(0), _aux(0.5, 0.5, 420 / 640, 0.5))
    saved = tr.copy()
    tr.update(frame_time_ns(1), _aux(0.6, 0.5, 520 / 640, 0.5))
    assert saved.roi != tr.roi
    again = saved.copy()
    again.update(frame_time_ns(1), _aux(0.6, 0.5, 520 / 640, 0.5))
    assert again.roi == tr.roi  # the copy carried the whole filter state
    tr.lost()
    assert tr.roi is None and tr.filters is None
    tr.update(frame_time_ns(2), _aux(0.3, 0.5, 420 / 640, 0.5))
    assert tr.roi == roi_from_aux(_aux(0.3, 0.5, 420 / 640, 0.5), 640, 480)  # fresh start
    assert frame_time_ns(0) == 33_333_000 and frame_time_ns(2) == 99_999_000
