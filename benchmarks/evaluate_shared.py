"""Analyse every clip in the shared data folder and score it against its ground truth.

Usage::

    python benchmarks/evaluate_shared.py [--data ../shared/data] [--model full]
                                         [--tracking keyframes|mediapipe]
                                         [--cache ~/.cache/pressup/tracks] [--out out/eval]
                                         [--markdown docs/accuracy.md]

Pose tracks are cached per model and tracking (MediaPipe is the slow part); the analysis and
scoring are re-run every time. Nothing from the data folder is copied into the repository: only the
scores are written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from pressup.analysis.io import write_folder
from pressup.analysis.run import analyze_track
from pressup.batch.job import TRACKING
from pressup.errors import PressupError
from pressup.evaluation import evaluate, format_details, format_table, summarise
from pressup.pose import PoseOptions, load_track, open_track
from pressup.pose.backends import TRACKING_MODES
from pressup.protocol import load_spec

REPO = Path(__file__).resolve().parents[1]


def _cache_key(video: Path, model: str, tracking: str) -> str:
    st = video.stat()
    # MediaPipe's own tracking keeps the key tracks were cached under before keyframe tracking
    how = model if tracking == "mediapipe" else f"{model}|{TRACKING}"
    h = hashlib.sha1(f"{video.resolve()}|{st.st_size}|{st.st_mtime_ns}|{how}".encode())
    return f"{video.stem}-{h.hexdigest()[:10]}.npz"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("PRESSUP_DATA", REPO.parent / "shared" / "data")),
    )
    ap.add_argument("--model", default="full")
    ap.add_argument(
        "--tracking",
        choices=TRACKING_MODES,
        default="keyframes",
        help="how the pose model's crop follows the person (PoseOptions.tracking)",
    )
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "pressup" / "tracks")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "eval")
    ap.add_argument("--markdown", type=Path, default=None, help="e.g. docs/accuracy-details.md")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"no shared data at {args.data}; nothing to evaluate", file=sys.stderr)
        return 2
    videos = sorted(args.data.glob("real/*/*.mp4")) + sorted(args.data.glob("render/*.mp4"))
    spec = load_spec()
    cache = args.cache / args.model
    cache.mkdir(parents=True, exist_ok=True)
    pose_s = 0.0
    for v in videos:
        cached = cache / _cache_key(v, args.model, args.tracking)
        if cached.exists():
            track = load_track(cached)
        else:
            t0 = time.perf_counter()
            track = open_track(v, PoseOptions(model=args.model, tracking=args.tracking))
            pose_s += time.perf_counter() - t0
            track.save(cached)
        d = args.out / v.stem
        d.mkdir(parents=True, exist_ok=True)
        for stale in ("analysis.json", "frames.csv", "error.json"):
            (d / stale).unlink(missing_ok=True)
        try:
            a = analyze_track(track, spec)
        except PressupError as exc:
            (d / "error.json").write_text(json.dumps({"input": str(v), "message": str(exc)}) + "\n")
            print(f"{v.name}: refused: {exc}", file=sys.stderr)
            continue
        write_folder(a, d, events=False)
        print(f"{v.name}: {a.rep_count} reps", file=sys.stderr)
    labels = [args.data / "real" / "labels", args.data / "render"]
    scores = evaluate(args.out, labels)
    summary = summarise(scores)
    text = format_table(scores, summary) + "\n\n" + format_details(summary)
    print(text)
    if args.markdown:
        head = (
            "# Accuracy on the shared clips: full tables\n\n"
            f"Produced by `python benchmarks/evaluate_shared.py --model {args.model} "
            f"--markdown {args.markdown}` (pose model: BlazePose {args.model}, "
            "MediaPipe 0.10.21; default protocol).\n\n"
        )
        args.markdown.write_text(head + text + "\n")
    if pose_s:
        print(f"(pose estimation took {pose_s:.0f} s for uncached clips)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
