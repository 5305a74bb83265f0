"""Frames read back by index (:func:`pressup.pose.video.iter_frames_at`) are the frames
:func:`~pressup.pose.video.iter_frames` reads, with the same indices."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pressup.pose.video import iter_frames, iter_frames_at


def _video(path: Path, n: int) -> Path:
    """An ``n``-frame 64x48 video whose frames all differ (a square moving by 2 px a frame)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (64, 48))  # type: ignore[attr-defined]
    for i in range(n):
        frame = np.full((48, 64, 3), 40, dtype=np.uint8)
        frame[10:20, 2 * i : 2 * i + 10] = 220
        writer.write(frame)
    writer.release()
    return path


def test_frames_read_by_index_are_the_frames_read_in_order(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.avi", 25)
    every = [f for _, f in iter_frames(video, rgb=False)]
    assert len(every) == 25
    wanted = {0, 3, 4, 24, 99}  # 99: past the end, not there
    got = list(iter_frames_at(video, wanted))
    assert [i for i, _ in got] == [0, 3, 4, 24]
    assert all(np.array_equal(f, every[i]) for i, f in got)
    assert not np.array_equal(every[3], every[4])  # the frames differ, so the index is checked
    assert list(iter_frames_at(video, set())) == []
