#!/usr/bin/env python3
"""Render the scenario grid and keep, in the repository, only what is small.

For each ``corpus/scenarios/NAME.json`` that has no ``corpus/tracks/NAME.npz`` yet:

1. render ``NAME.mp4`` and ``NAME.gt.json`` with the shared generator (``--tool``, default
   ``../shared/tools/render``; its own Python with ``--render-python``) into ``--work``
   (outside the repository; the videos stay there);
2. run pressup's MediaPipe backend over the video, exactly as ``pressup analyze`` does, and save
   the landmark track as ``corpus/tracks/NAME.npz`` (``pressup.track/1``);
3. keep the ground truth without its per-frame landmark arrays (``lm2d``, ``lm3d``, ``kp2d``) as
   ``corpus/truth/NAME.gt.json.gz``: phases, repetitions, faults, camera and every true angle.

Resumable (a clip whose track exists is skipped) and parallel (``--jobs``, two by default: the
renderer takes about one core per job)::

    .venv/bin/python corpus/build.py --render-python /path/to/venv-render/bin/python

``--retrack`` tracks every clip again (when the pose layer changed), keeping its truth file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRACKS = HERE / "tracks"
TRUTH = HERE / "truth"
_DROP = ("lm2d", "lm3d", "kp2d")


def trim_truth(src: Path, dst: Path) -> None:
    """Write the generator's ground truth without per-frame landmark arrays, gzip-compressed."""
    obj = json.loads(src.read_text())
    for f in obj.get("frames", []):
        for k in _DROP:
            f.pop(k, None)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(dst, "wt", compresslevel=9) as fh:
        json.dump(obj, fh, separators=(",", ":"))


def build_one(
    scenario: Path, tool: Path, render_python: str, work: Path, retrack: bool = False
) -> str:
    name = scenario.stem
    track_path = TRACKS / f"{name}.npz"
    truth_path = TRUTH / f"{name}.gt.json.gz"
    if track_path.exists() and truth_path.exists() and not retrack:
        return f"{name}: done before"
    t0 = time.time()
    video = work / f"{name}.mp4"
    gt = work / f"{name}.gt.json"
    if not (video.exists() and gt.exists()):
        env = dict(os.environ, PYOPENGL_PLATFORM="osmesa", OMP_NUM_THREADS="1")
        log = work / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as fh:
            proc = subprocess.run(
                [render_python, "generate.py", str(scenario), "--out", str(work)],
                cwd=tool,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if proc.returncode != 0:
            return f"{name}: render FAILED (see {log})"
    t1 = time.time()
    from pressup.pose.backends import PoseOptions, open_track

    track = open_track(video, PoseOptions())
    track.save(track_path)
    if not truth_path.exists():  # kept as it is when only re-tracking
        trim_truth(gt, truth_path)
    return f"{name}: rendered in {t1 - t0:.0f} s, tracked in {time.time() - t1:.0f} s"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("scenarios", nargs="*", type=Path, help="default: corpus/scenarios/*.json")
    ap.add_argument("--tool", type=Path, default=ROOT.parent / "shared" / "tools" / "render")
    ap.add_argument("--render-python", default=os.environ.get("PRESSUP_RENDER_PYTHON", "python"))
    ap.add_argument(
        "--work", type=Path, default=Path.home() / ".cache" / "pressup" / "corpus-render"
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--retrack",
        action="store_true",
        help="track every clip again (its video in --work, rendered if missing); truth kept",
    )
    args = ap.parse_args()
    files = args.scenarios or sorted((HERE / "scenarios").glob("*.json"))
    args.work.mkdir(parents=True, exist_ok=True)
    todo = [f.resolve() for f in files]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futs = [
            pool.submit(
                build_one,
                f,
                args.tool.resolve(),
                args.render_python,
                args.work.resolve(),
                args.retrack,
            )
            for f in todo
        ]
        for n, fut in enumerate(as_completed(futs), 1):
            print(f"[{n}/{len(futs)}] {fut.result()}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
