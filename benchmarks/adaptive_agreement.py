"""Adaptive sampling against the pose model on every frame: same answers? how much faster?

Usage::

    python benchmarks/adaptive_agreement.py [VIDEO_OR_FOLDER ...] [--tracks corpus/tracks]

* videos (default, under ``$PRESSUP_DATA`` or ``../shared/data``: the shared rendered clips
  and the shared real clips of press-ups): each is
  pose-tracked twice, every frame and adaptive (:mod:`pressup.pose.adaptive`), one after the
  other, both analysed with the default protocol, and compared with
  :func:`pressup.batch.agreement.compare` (identical counts, holds within 0.2 s, peak angles
  within 1 degree). Printed per clip: frames, share of frames posed, pose time of each (s),
  speed ratio (every-frame time / adaptive time), and the differences.
* ``--tracks FOLDER``: stored every-frame tracks (``.npz``); adaptive sampling is simulated
  (:func:`pressup.pose.adaptive.simulate`: the stored landmarks stand in for the model). The
  same comparison, no video needed; ``--noise PX`` adds a comparison of each track with itself
  plus Gaussian noise of that many pixels, to show how sensitive the answers are by themselves.
Timings are printed, never asserted (the machine is shared: read the medians).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from pressup.analysis.run import analyze_track
from pressup.batch.agreement import Agreement, compare
from pressup.errors import PressupError
from pressup.pose import PoseOptions, PoseTrack, load_track, open_track
from pressup.pose.adaptive import simulate
from pressup.pose.video import VIDEO_SUFFIXES
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


def run_tracks(folder: Path, noise_px: float) -> int:
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
        ad, frac = simulate(tr)
        fracs.append(frac)
        ag = compare(ref, analyze_track(ad, spec))
        ags.append(ag)
        extra = f"posed {frac:5.1%}"
        if noise_px > 0:
            d = tr.data.copy()
            d[:, :, :2] += rng.normal(0.0, noise_px, d[:, :, :2].shape)
            noisy.append(compare(ref, analyze_track(PoseTrack(tr.t_s, d, tr.source), spec)))
        print(_line(p.name, ag, extra), flush=True)
    print(f"tracks: {len(ags)}, median share posed {statistics.median(fracs):.1%}")
    print(
        f"adaptive (simulated): counts identical on {sum(a.count == a.count_ref for a in ags)}/"
        f"{len(ags)} tracks; all answers within tolerance on {sum(a.ok for a in ags)}; "
        + _rep_share(ags)
    )
    if noisy:
        print(
            f"every-frame + {noise_px} px noise: counts identical on "
            f"{sum(a.count == a.count_ref for a in noisy)}/{len(noisy)}; all answers within "
            f"tolerance on {sum(a.ok for a in noisy)}; " + _rep_share(noisy)
        )
    return 0


def run_videos(videos: list[Path]) -> int:
    spec = load_spec()
    ratios: list[float] = []
    ags: list[Agreement] = []
    for v in videos:
        try:
            t0 = time.perf_counter()
            full = open_track(v, PoseOptions(model="full"))
            t1 = time.perf_counter()
            fast = open_track(v, PoseOptions(model="full", adaptive=True))
            t2 = time.perf_counter()
        except PressupError as exc:
            print(_line(v.name, None, f"not tracked: {exc}"))
            continue
        ratio = (t1 - t0) / (t2 - t1)
        ratios.append(ratio)
        frac = fast.meta.get("sampling", {}).get("posed_fraction", float("nan"))
        extra = (
            f"{full.n_frames:5d} fr posed {frac:5.1%} every {t1 - t0:6.1f}s "
            f"adaptive {t2 - t1:6.1f}s x{ratio:4.2f}"
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
            f"clips: {len(ratios)}, speed ratio every-frame/adaptive "
            f"median {statistics.median(ratios):.2f}"
        )
    if ags:
        print(
            f"counts identical on {sum(a.count == a.count_ref for a in ags)}/{len(ags)} clips; "
            f"all answers within tolerance on {sum(a.ok for a in ags)}; " + _rep_share(ags)
        )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", type=Path, help="videos or folders of videos")
    ap.add_argument("--tracks", type=Path, help="folder of stored every-frame tracks (.npz)")
    ap.add_argument("--noise", type=float, default=0.0, help="with --tracks: noise check, px")
    args = ap.parse_args()
    if args.tracks is not None:
        return run_tracks(args.tracks, args.noise)
    videos = _videos(args.inputs or DEFAULT_INPUTS)
    if not videos:
        print("no videos found; pass VIDEO_OR_FOLDER (nothing measured)", file=sys.stderr)
        return 0
    return run_videos(videos)


if __name__ == "__main__":
    sys.exit(main())
