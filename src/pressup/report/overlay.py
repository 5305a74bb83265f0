"""The overlay video: the source video with the skeleton, position, rep count and hold timer.

Frames are streamed one at a time from :func:`pressup.pose.video.iter_frames` and written with
OpenCV's ``mp4v`` codec, so memory use does not grow with the video's length. Frame ``i`` of the
video is drawn with frame ``i`` of the :class:`~pressup.pose.track.PoseTrack`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pressup.analysis.result import Analysis, Fault, Segment
from pressup.errors import InputError, PressupError
from pressup.pose.track import LANDMARK_INDEX, PoseTrack
from pressup.pose.video import iter_frames, probe
from pressup.report.plots import protocol_number
from pressup.wording import fault_wording, label_wording

#: Landmarks below this visibility (0..1) are not drawn.
MIN_VISIBILITY = 0.3

_LEFT_RGB = (255, 170, 40)
_RIGHT_RGB = (60, 180, 255)
_MID_RGB = (240, 240, 240)
_TEXT_RGB = (255, 255, 255)
_HOLD_RGB = (120, 230, 120)
_CUE_RGB = (255, 200, 80)


def _pairs(names: Sequence[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((LANDMARK_INDEX[a], LANDMARK_INDEX[b]) for a, b in names)


#: Bones drawn for each side, as landmark index pairs (ear-shoulder shows the neck line).
_SIDE_BONES: dict[str, tuple[tuple[int, int], ...]] = {
    side: _pairs(
        [
            (f"{side}_ear", f"{side}_shoulder"),
            (f"{side}_shoulder", f"{side}_elbow"),
            (f"{side}_elbow", f"{side}_wrist"),
            (f"{side}_wrist", f"{side}_index"),
            (f"{side}_shoulder", f"{side}_hip"),
            (f"{side}_hip", f"{side}_knee"),
            (f"{side}_knee", f"{side}_ankle"),
            (f"{side}_ankle", f"{side}_heel"),
            (f"{side}_heel", f"{side}_foot_index"),
            (f"{side}_ankle", f"{side}_foot_index"),
        ]
    )
    for side in ("left", "right")
}
_MID_BONES = _pairs([("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")])
_JOINTS = tuple(
    LANDMARK_INDEX[f"{side}_{part}"]
    for side in ("left", "right")
    for part in ("ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)


@dataclass(frozen=True)
class _Timeline:
    """Lookups from a time (seconds) to what the overlay shows."""

    seg_starts: list[float]
    segments: list[Segment]
    rep_ends: list[float]
    holds: list[tuple[float, float]]
    faults: list[Fault]
    target_hold_s: float | None

    @classmethod
    def of(cls, analysis: Analysis) -> _Timeline:
        segs = sorted(analysis.segments, key=lambda s: s.start_s)
        reps = [r for r in analysis.reps if r.complete and math.isfinite(r.end_s)]
        holds = sorted(
            (float(r.top_start_s), float(r.top_end_s))
            for r in analysis.reps
            if math.isfinite(r.top_start_s) and math.isfinite(r.top_end_s)
        )
        return cls(
            seg_starts=[float(s.start_s) for s in segs],
            segments=segs,
            rep_ends=sorted(float(r.end_s) for r in reps),
            holds=holds,
            faults=[f for f in analysis.faults if math.isfinite(f.start_s)],
            target_hold_s=protocol_number(analysis.protocol, "target_hold_s"),
        )

    def label_at(self, t: float) -> str | None:
        i = bisect.bisect_right(self.seg_starts, t) - 1
        if i >= 0 and t < self.segments[i].end_s:
            return self.segments[i].label
        return None

    def reps_done_at(self, t: float) -> int:
        return bisect.bisect_right(self.rep_ends, t)

    def hold_elapsed_at(self, t: float) -> float | None:
        for start, end in self.holds:
            if start <= t < end:
                return t - start
        return None

    def cues_at(self, t: float) -> list[str]:
        codes: list[str] = []
        for f in self.faults:
            if f.start_s <= t <= f.end_s and f.code not in codes:
                codes.append(f.code)
        return [fault_wording(c).cue for c in codes]


def _ascii(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only."""
    return text.replace("\u2014", "-").encode("ascii", "replace").decode("ascii")


def draw_skeleton(
    frame: npt.NDArray[np.uint8],
    landmarks: npt.NDArray[np.float64],
    scale_xy: tuple[float, float] = (1.0, 1.0),
) -> None:
    """Draw bones and joints of one ``(33, 4)`` landmark frame onto the RGB ``frame`` in place.

    Landmark ``x_px, y_px`` are pixels of the track's upright frame, multiplied by ``scale_xy``
    to reach ``frame``'s pixels. Missing (NaN) or low-visibility landmarks are skipped.
    """
    h, w = frame.shape[:2]
    thick = max(1, round(min(h, w) / 200))
    pts = landmarks[:, :2] * np.asarray(scale_xy, dtype=np.float64)
    ok = np.isfinite(pts).all(axis=1) & (landmarks[:, 3] >= MIN_VISIBILITY)

    def p(i: int) -> tuple[int, int]:
        return round(float(pts[i, 0])), round(float(pts[i, 1]))

    for bones, colour in (
        (_SIDE_BONES["left"], _LEFT_RGB),
        (_SIDE_BONES["right"], _RIGHT_RGB),
        (_MID_BONES, _MID_RGB),
    ):
        for a, b in bones:
            if ok[a] and ok[b]:
                cv2.line(frame, p(a), p(b), colour, thick, cv2.LINE_AA)
    for j in _JOINTS:
        if ok[j]:
            cv2.circle(frame, p(j), thick + 1, _MID_RGB, -1, cv2.LINE_AA)


def _draw_text_block(
    frame: npt.NDArray[np.uint8],
    lines: Sequence[tuple[str, tuple[int, int, int]]],
    top: bool,
) -> None:
    """Write ``lines`` on a darkened band at the top or bottom of ``frame`` (in place)."""
    if not lines:
        return
    h, w = frame.shape[:2]
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = max(0.4, min(h, w) / 600.0)
    margin = max(2, round(8 * scale))
    thick = max(1, round(scale * 1.6))
    room = w - 2 * margin

    def width(text: str) -> int:
        return int(cv2.getTextSize(text, font, scale, thick)[0][0])

    # Wrap long lines at spaces (portrait videos are narrow); shrink only if a word is too wide.
    wrapped: list[tuple[str, tuple[int, int, int]]] = []
    for text, colour in lines:
        text = _ascii(text)
        if width(text) <= room:
            wrapped.append((text, colour))
            continue
        current = ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and width(trial) > room:
                wrapped.append((current, colour))
                current = word
            else:
                current = trial
        wrapped.append((current, colour))
    widest = max(width(t) for t, _ in wrapped)
    if widest > room:
        scale *= room / widest
        thick = max(1, round(scale * 1.6))
    lines = wrapped
    (_, th), base = cv2.getTextSize("Ag", font, scale, thick)
    line_h = th + base + max(2, round(6 * scale))
    band = min(h, line_h * len(lines) + max(2, round(6 * scale)))
    rows = slice(0, band) if top else slice(h - band, h)
    roi = frame[rows]
    roi[:] = (roi.astype(np.uint16) * 2 // 5).astype(np.uint8)
    y0 = 0 if top else h - band
    for k, (text, colour) in enumerate(lines):
        y = y0 + (k + 1) * line_h - base
        cv2.putText(
            frame,
            text,
            (margin, y),
            font,
            scale,
            colour,
            thick,
            cv2.LINE_AA,
        )


#: The overlay is a WebM file with VP8 video: every browser plays it, and OpenCV's own FFmpeg
#: carries the encoder (its MPEG-4 Part 2 ``.mp4`` does not play in browsers).
OVERLAY_SUFFIX = ".webm"
_OVERLAY_FOURCC = "VP80"


def check_overlay_path(out: Path) -> Path:
    """Validate an overlay file name before any work: a ``.webm`` name in a folder that exists
    or can be made, which can be written.

    Raises:
        InputError: the name does not end in ``.webm``, its folder cannot be created, or the
            file cannot be written there.
    """
    out = Path(out)
    if out.suffix.lower() != OVERLAY_SUFFIX:
        raise InputError(
            f"--overlay {out}: expected a file name ending in {OVERLAY_SUFFIX} (the overlay is "
            f"WebM video, which browsers play), got {out.suffix or 'no extension'!r}"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--overlay {out}: cannot create its folder ({exc.strerror})") from exc
    existed = out.exists()
    try:
        with out.open("ab"):  # can it be written? (found now, not after the analysis)
            pass
    except OSError as exc:
        raise InputError(
            f"--overlay {out}: expected a file that can be written, got {exc.strerror or exc}"
        ) from exc
    if not existed:
        out.unlink()
    return out


def _header(
    timeline: _Timeline, label: str | None, t: float
) -> list[tuple[str, tuple[int, int, int]]]:
    """The lines at the top of a frame at ``t`` seconds: the position and the press-ups done,
    and the hold timer (seconds, with the target) while a rep is held at the top."""
    header = [
        (
            f"{label_wording(label).name if label else '-'}   Reps: {timeline.reps_done_at(t)}",
            _TEXT_RGB,
        )
    ]
    held = timeline.hold_elapsed_at(t)
    if held is not None:
        target = timeline.target_hold_s
        reached = target is not None and held >= target
        text = f"Hold {held:.1f} s" + (f" / {target:g} s" if target is not None else "")
        header.append((text, _HOLD_RGB if reached else _TEXT_RGB))
    return header


def _open_writer(out: Path, fps: float, w: int, h: int) -> cv2.VideoWriter:
    """A WebM (VP8) writer of ``w`` x ``h`` pixel frames at ``fps``.

    Raises:
        PressupError: it cannot be opened.
    """
    fourcc = cv2.VideoWriter.fourcc(*_OVERLAY_FOURCC)
    writer = cv2.VideoWriter(str(out), fourcc, float(fps), (w, h))
    if not writer.isOpened():
        raise PressupError(f"{out}: could not open a WebM writer ({w}x{h} at {fps:g} fps)")
    return writer


def write_overlay(
    video: Path,
    track: PoseTrack,
    analysis: Analysis,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write ``out`` (WebM, VP8): ``video`` with skeleton, position, reps and hold timer.

    Each frame shows the skeleton of ``track`` (same frame index), the current position label,
    the number of completed press-ups so far, a hold timer in seconds while a rep is held at
    the top (with the protocol's target), and short cues for faults active at that moment.
    ``progress(done, total)`` is called after every frame (``total`` is the track's frame
    count, or the container's announced count when the track is empty).

    Raises:
        InputError: ``video`` is missing or not a readable video, or ``out`` is not a ``.webm``
            name (see :func:`check_overlay_path`).
        PressupError: the output file cannot be written.
    """
    video = Path(video)
    out = check_overlay_path(Path(out))
    info = probe(video)
    timeline = _Timeline.of(analysis)
    n_track = track.n_frames
    total = n_track if n_track else info.frame_count
    frame_labels = analysis.frames.label if len(analysis.frames.label) == n_track else None
    out.parent.mkdir(parents=True, exist_ok=True)

    writer: cv2.VideoWriter | None = None
    written = 0
    try:
        for i, (t_video, rgb) in enumerate(iter_frames(video)):
            h, w = rgb.shape[:2]
            if writer is None:
                writer = _open_writer(out, info.fps, w, h)
            frame = np.ascontiguousarray(rgb)
            t = float(track.t_s[i]) if i < n_track else float(t_video)
            if i < n_track:
                scale = (w / track.source.width, h / track.source.height)
                draw_skeleton(frame, track.data[i], scale)
            label = frame_labels[i] if frame_labels is not None else timeline.label_at(t)
            _draw_text_block(frame, _header(timeline, label, t), top=True)
            _draw_text_block(frame, [(c, _CUE_RGB) for c in timeline.cues_at(t)[:2]], top=False)

            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            written += 1
            if progress is not None:
                progress(written, max(total, written))
    finally:
        if writer is not None:
            writer.release()
    return out
