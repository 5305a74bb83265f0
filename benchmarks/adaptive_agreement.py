"""Adaptive sampling against the pose model on every frame: same answers? how much faster?

Usage::

    python benchmarks/adaptive_agreement.py [VIDEO_OR_FOLDER ...] [--tracks corpus/tracks]
                                            [--votes N] [--coarse-hz HZ]
                                            [--tracking keyframes|mediapipe]
                                            [--floor [--floor-px PX]]

* videos (default, under ``$PRESSUP_DATA`` or ``../shared/data``: the shared rendered clips
  and the shared real clips of press-ups): each is pose-tracked twice, every frame (with
  ``--tracking``, keyframe tracking by default, as ``pressup analyze``) and adaptive
  (:mod:`pressup.pose.adaptive`, with the second pass of :mod:`pressup.analysis.settle`, as
  ``pressup analyze --adaptive``), one after the other, both analysed with the default
  protocol, and compared with :func:`pressup.batch.agreement.compare` (identical counts,
  holds within 0.2 s, peak angles within 1 degree). Printed per clip: frames, share of
  frames posed, wall and CPU seconds of each, the CPU ratio (every-frame / adaptive), and the
  differences; then how many clips meet each target. ``--votes`` and ``--coarse-hz`` change
  :class:`pressup.pose.adaptive.AdaptiveConfig` from its defaults (for both runs: the
  keyframes are the same).
* ``--floor``: instead of adaptive sampling, the every-frame run again with one change too
  small to see: the region of interest MediaPipe crops frame 30 (with keyframe tracking, the
  keyframe at or before it) with, turned by one unit in the last place of its
  single-precision rotation (about 1e-7 radians), or moved by ``--floor-px`` pixels. How far
  the every-frame answers move from that alone is the floor under any agreement between two
  analyses that do not pose with the very same crops.
* ``--tracks FOLDER``: stored every-frame tracks (``.npz``); adaptive sampling is simulated
  (:func:`pressup.analysis.settle.simulate_settled`, with the second pass that poses the frames
  around each hold: the stored landmarks stand in for the model; for
  tracks made with keyframe tracking and the same keyframes this is exactly what adaptive
  sampling of the video gives). No video needed; ``--noise PX`` adds a comparison of each
  track with itself plus Gaussian noise of that many pixels, to show how sensitive the
  answers are by themselves.
Timings are printed, never asserted (the machine is shared: read the medians).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from pressup.analysis.run import analyze_track
from pressup.analysis.settle import settle, simulate_settled
from pressup.batch.agreement import ANGLE_TOLERANCE_DEG, HOLD_TOLERANCE_S, Agreement, compare
from pressup.errors import PressupError
from pressup.pose import PoseOptions, PoseTrack, load_track
from pressup.pose.adaptive import AdaptiveConfig, sample_adaptive
from pressup.pose.backends import TRACKING_MODES
from pressup.pose.mediapipe_backend import AdaptiveVideo, TrackedPose, _BgrTracker, track_video
from pressup.pose.video import VIDEO_SUFFIXES, iter_frames
from pressup.protocol import load_spec

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PRESSUP_DATA", str(REPO.parent / "shared" / "data")))
DEFAULT_INPUTS = [
    SHARED / "render",
    SHARED / "real" / "pressup_hands",
    SHARED / "real" / "sphinx_forearms",
    SHARED / "real" / "cobra_high_or_updog",
]


def _videos(inputs: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in inputs:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO_SUFFIXES))
        elif p.is_file():
            out.append(p)
    return out


def _line(name: str, ag: Agreement | None, extra: str) -> str:
    if ag is None:
        return f"{name:<58} {extra}"
    verdict = "same" if ag.ok else "DIFFERENT: " + "; ".join(ag.problems[:3])
    return (
        f"{name:<58} {extra} count {ag.count_ref}->{ag.count} "
        f"hold<= {ag.max_hold_diff_s:.2f}s angle<= {ag.max_angle_diff_deg:.1f}deg  {verdict}"
    )


def _rep_share(ags: list[Agreement]) -> str:
    same = sum(a.reps_within for a in ags)
    total = sum(a.reps_paired for a in ags)
    return f"{same}/{total} repetitions within the hold and angle tolerances"


def run_tracks(folder: Path, noise_px: float, cfg: AdaptiveConfig) -> int:
    spec = load_spec()
    ags: list[Agreement] = []
    noisy: list[Agreement] = []
    fracs: list[float] = []
    rng = np.random.default_rng(0)
    for p in sorted(folder.glob("*.npz")):
        tr = load_track(p)
        try:
            ref = analyze_track(tr, spec)
        except PressupError as exc:
            print(_line(p.name, None, f"every-frame analysis refused: {exc}"))
            continue
        _, got, frac = simulate_settled(tr, lambda t: analyze_track(t, spec), cfg)
        fracs.append(frac)
        ag = compare(ref, got)
        ags.append(ag)
        extra = f"posed {frac:5.1%}"
        if noise_px > 0:
            d = tr.data.copy()
            d[:, :, :2] += rng.normal(0.0, noise_px, d[:, :, :2].shape)
            noisy.append(compare(ref, analyze_track(PoseTrack(tr.t_s, d, tr.source), spec)))
        print(_line(p.name, ag, extra), flush=True)
    print(f"tracks: {len(ags)}, median share posed {statistics.median(fracs):.1%}")
    print("adaptive (simulated): " + _summary(ags))
    if noisy:
        print(
            f"every-frame + {noise_px} px noise: counts identical on "
            f"{sum(a.count == a.count_ref for a in noisy)}/{len(noisy)}; all answers within "
            f"tolerance on {sum(a.ok for a in noisy)}; " + _rep_share(noisy)
        )
    return 0


def _nudge(tp: TrackedPose, px: float, width: int) -> None:
    """Turn the ROI ``tp`` will crop with next by one unit in the last place of its rotation
    (``px == 0``) or move it right by ``px`` pixels."""
    roi = tp.state.roi
    if roi is None:
        return
    if px:
        tp.state.roi = dataclasses.replace(roi, x_center=roi.x_center + px / width)
    else:
        turned = np.nextafter(np.float32(roi.rotation), np.float32(10.0))
        tp.state.roi = dataclasses.replace(roi, rotation=float(turned))


class _Nudged(_BgrTracker):
    """A tracker whose ROI is nudged (:func:`_nudge`) just before frame ``at`` is posed."""

    def __init__(self, inner: TrackedPose, at: int, px: float, width: int) -> None:
        super().__init__(inner)
        self.at, self.px, self.width = at, px, width

    def pose(self, index: int, bgr: np.ndarray) -> np.ndarray:
        if index == self.at:
            _nudge(self.inner, self.px, self.width)
        return super().pose(index, bgr)


def perturbed_every_frame(
    video: Path, ref: PoseTrack, at: int, px: float, tracking: str = "keyframes"
) -> PoseTrack:
    """The every-frame track again (``tracking`` as :class:`PoseOptions`), with the ROI of
    frame ``at`` (a keyframe with keyframe tracking) turned by one unit in the last place
    (``px == 0``) or moved right by ``px`` pixels."""
    w, h = ref.source.width, ref.source.height
    if tracking == "keyframes":
        cfg = AdaptiveConfig()
        with TrackedPose(PoseOptions(model="full"), w, h) as tp:
            res = sample_adaptive(
                iter_frames(video, rgb=False),
                _Nudged(tp, at - at % cfg.stride(ref.source.fps), px, w),
                cfg.stride(ref.source.fps),
                cfg,
                pose_all=True,
            )
        return PoseTrack(ref.t_s, res.data, ref.source, dict(ref.meta))
    data = []
    with TrackedPose(PoseOptions(model="full"), w, h) as tp:
        for i, (_, rgb) in enumerate(iter_frames(video)):
            if i == at:
                _nudge(tp, px, w)
            data.append(tp.pose(i, rgb).astype(np.float32))
            tp.forget(i)
    return PoseTrack(ref.t_s, np.stack(data).astype(np.float64), ref.source, dict(ref.meta))


def _summary(ags: list[Agreement]) -> str:
    n = len(ags)
    return (
        f"counts identical on {sum(a.count == a.count_ref for a in ags)}/{n} clips; holds "
        f"within 0.2 s on {sum(a.max_hold_diff_s <= HOLD_TOLERANCE_S for a in ags)}/{n}; "
        f"angles within 1 degree on {sum(a.max_angle_diff_deg <= ANGLE_TOLERANCE_DEG for a in ags)}"
        f"/{n}; all answers within tolerance on {sum(a.ok for a in ags)}/{n}; " + _rep_share(ags)
    )


def _timed(fn: Callable[[], PoseTrack]) -> tuple[PoseTrack, float, float]:
    """``fn()``, its wall and CPU seconds."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def _adaptive(video: Path, cfg: AdaptiveConfig) -> PoseTrack:
    """The adaptive track as ``pressup analyze --adaptive`` makes it (with the second pass
    posing the frames around each hold, :mod:`pressup.analysis.settle`)."""
    spec = load_spec()
    sampled = AdaptiveVideo(video, PoseOptions(model="full", adaptive=True), None, cfg)
    track, _ = settle(sampled.track, lambda t: analyze_track(t, spec), sampled.pose_more)
    return track


def run_videos(videos: list[Path], cfg: AdaptiveConfig, floor: float | None, tracking: str) -> int:
    spec = load_spec()
    ratios: list[float] = []
    ags: list[Agreement] = []
    for v in videos:
        try:
            every = PoseOptions(model="full", tracking=tracking)
            full, w_full, c_full = _timed(partial(track_video, v, every, None, cfg))
            if floor is None:
                fast, w_fast, c_fast = _timed(partial(_adaptive, v, cfg))
            else:
                fast, w_fast, c_fast = _timed(
                    partial(perturbed_every_frame, v, full, 30, floor, tracking)
                )
        except PressupError as exc:
            print(_line(v.name, None, f"not tracked: {exc}"))
            continue
        ratio = c_full / c_fast
        ratios.append(ratio)
        frac = fast.meta.get("sampling", {}).get("posed_fraction", 1.0)
        extra = (
            f"{full.n_frames:5d} fr posed {frac:5.1%} every {w_full:5.1f}s/{c_full:5.1f}s cpu "
            f"other {w_fast:5.1f}s/{c_fast:5.1f}s cpu x{ratio:4.2f}"
        )
        try:
            ref = analyze_track(full, spec)
        except PressupError as exc:
            print(_line(v.name, None, extra + f" every-frame analysis refused: {exc}"))
            continue
        try:
            got = analyze_track(fast, spec)
        except PressupError as exc:
            print(_line(v.name, None, extra + f" ADAPTIVE analysis refused: {exc}"))
            continue
        ag = compare(ref, got)
        ags.append(ag)
        print(_line(v.name, ag, extra), flush=True)
    if ratios:
        print(
            f"clips: {len(ratios)}, CPU-time ratio every-frame/other "
            f"median {statistics.median(ratios):.2f} (not interleaved: read bench_pipeline.py)"
        )
    if ags:
        what = "adaptive" if floor is None else f"every frame with one ROI changed ({floor} px)"
        print(f"{what}: " + _summary(ags))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", type=Path, help="videos or folders of videos")
    ap.add_argument("--tracks", type=Path, help="folder of stored every-frame tracks (.npz)")
    ap.add_argument("--noise", type=float, default=0.0, help="with --tracks: noise check, px")
    ap.add_argument("--votes", type=int, default=AdaptiveConfig.votes, help="adaptive: votes")
    ap.add_argument(
        "--coarse-hz", type=float, default=AdaptiveConfig.coarse_hz, help="adaptive: keyframes/s"
    )
    ap.add_argument(
        "--tracking",
        choices=TRACKING_MODES,
        default="keyframes",
        help="the every-frame run's tracking (PoseOptions.tracking)",
    )
    ap.add_argument("--floor", action="store_true", help="every frame with one ROI changed")
    ap.add_argument("--floor-px", type=float, default=0.0, help="with --floor: move it by PX")
    args = ap.parse_args()
    cfg = AdaptiveConfig(coarse_hz=args.coarse_hz, votes=args.votes)
    if args.tracks is not None:
        return run_tracks(args.tracks, args.noise, cfg)
    videos = _videos(args.inputs or DEFAULT_INPUTS)
    if not videos:
        print("no videos found; pass VIDEO_OR_FOLDER (nothing measured)", file=sys.stderr)
        return 0
    return run_videos(videos, cfg, args.floor_px if args.floor else None, args.tracking)


if __name__ == "__main__":
    sys.exit(main())
