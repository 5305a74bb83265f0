"""The repetition's elbow angle (``peak_elbow_deg``) against the true elbow during the true hold.

Usage::

    python benchmarks/elbow_at_top.py [--corpus corpus]

For every corpus clip whose complete repetitions pressup counts exactly, each repetition's
``peak_elbow_deg`` (the mean over the top's frames) is compared with the mean of the true
camera-side elbow angle over the true hold (from the generator's ground truth). Printed per
split (dev / eval) and variant (forearms / hands): repetitions, mean absolute error, median
absolute error and bias (pressup minus truth), in degrees. No video or MediaPipe needed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

import numpy as np

from pressup.analysis.run import analyze_track
from pressup.errors import PressupError
from pressup.evaluation.corpus import load_corpus
from pressup.evaluation.truth import load_truth
from pressup.pose import load_track
from pressup.protocol import load_spec

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    args = ap.parse_args()
    spec = load_spec()
    diffs: dict[tuple[str, str], list[float]] = {}
    for clip in load_corpus(args.corpus):
        try:
            analysis = analyze_track(load_track(clip.track_path), spec)
        except PressupError as exc:
            print(f"{clip.name}: refused ({exc})", file=sys.stderr)
            continue
        truth = load_truth(clip.truth_path)
        frames = truth.frames
        true_reps = [r for r in truth.reps if r.complete]
        if frames is None or len(true_reps) != len(analysis.reps):
            continue  # repetitions cannot be paired one to one
        for rep, true in zip(analysis.reps, true_reps):
            if true.top_start_s is None or true.top_end_s is None:
                continue
            sel = (frames.t_s >= true.top_start_s) & (frames.t_s <= true.top_end_s)
            elbow = frames.angles["elbow_deg"][sel]
            if not np.isfinite(elbow).any() or not math.isfinite(rep.peak_elbow_deg):
                continue
            key = (clip.split, true.variant)
            diffs.setdefault(key, []).append(rep.peak_elbow_deg - float(np.nanmean(elbow)))
    for (split, variant), d in sorted(diffs.items()):
        a = [abs(x) for x in d]
        print(
            f"{split:<4} {variant:<9} reps {len(d):3d}  MAE {statistics.mean(a):5.2f}  "
            f"median |d| {statistics.median(a):5.2f}  bias {statistics.mean(d):+6.2f} (degrees)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
