"""Batch throughput: videos per hour for a folder of mixed clips, the sequential loop against a
local Ray with 1 and with 2 worker processes.

Usage::

    python benchmarks/bench_batch.py [VIDEO_OR_FOLDER ...] [--rounds 1] [--adaptive]

Default clips (under ``$PRESSUP_DATA`` or ``../shared/data``): the shared real clips of
``real/other`` and ``real/pressup_hands/abdurehmanasif__v4.mp4`` (press-ups, other exercises,
320x240 to 1920x1080, 59 to 571 frames), as a clinic's folder would mix them.

Each round runs, one after the other and each into a fresh output folder (nothing reused):

* *sequential*: :func:`pressup.batch.run.run_batch` with ``runner="local"``: one video after
  the other in this process (the loop ``pressup analyze a.mp4 b.mp4 ...`` runs);
* *ray-1*, *ray-2*: the same batch on a local Ray started with 1 and with 2 CPUs (that many
  worker processes at once); Ray's start-up is timed apart and included in the figure.

Printed per run: wall seconds, videos per hour, frames per second (frames analysed / wall),
and the statuses; then the median videos per hour of each mode over the rounds. The pose
model runs on every frame (the batch default); ``--adaptive`` measures adaptive sampling.
Timings are printed, never asserted: the machine is shared, read the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pressup.batch.inputs import expand_inputs
from pressup.batch.run import BatchOptions, run_batch
from pressup.protocol import load_spec

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PRESSUP_DATA", str(REPO.parent / "shared" / "data")))
DEFAULT_INPUTS = [
    SHARED / "real" / "other",
    SHARED / "real" / "pressup_hands" / "abdurehmanasif__v4.mp4",
]


def one_run(mode: str, videos: list[Path], adaptive: bool) -> dict[str, Any]:
    """One batch over ``videos`` in ``mode`` (sequential, ray-1, ray-2); wall figures."""
    spec = load_spec()
    startup = 0.0
    if mode.startswith("ray"):
        import ray

        t = time.perf_counter()
        ray.init(
            num_cpus=int(mode.split("-")[1]),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
        startup = time.perf_counter() - t
    options = BatchOptions(
        adaptive=adaptive,
        runner="ray" if mode.startswith("ray") else "local",
        workers=int(mode.split("-")[1]) if mode.startswith("ray") else None,
    )
    with tempfile.TemporaryDirectory(prefix="pressup-bench-batch-") as tmp:
        t = time.perf_counter()
        res = run_batch(videos, Path(tmp), spec, options)
        wall = time.perf_counter() - t + startup
    if mode.startswith("ray"):
        import ray

        ray.shutdown()
    frames = sum(int(r.get("frames") or 0) for r in res.records)
    return {
        "mode": mode,
        "wall_s": wall,
        "startup_s": startup,
        "videos_per_h": len(videos) / wall * 3600,
        "frames_per_s": frames / wall,
        "statuses": {s: res.count(s) for s in ("ok", "failed", "error", "crashed")},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", help="videos, folders or patterns")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of the three modes")
    ap.add_argument("--adaptive", action="store_true", help="adaptive pose sampling")
    ap.add_argument(
        "--modes", default="sequential,ray-1,ray-2", help="comma-separated, in round order"
    )
    args = ap.parse_args()
    inputs = args.inputs or [str(p) for p in DEFAULT_INPUTS if p.exists()]
    if not inputs:
        print("no clips found; pass VIDEO_OR_FOLDER (nothing measured)", file=sys.stderr)
        return 0
    videos = expand_inputs(inputs)
    print(
        f"{len(videos)} clips, {sum(v.stat().st_size for v in videos) / 1e6:.1f} MB; "
        f"cpus {os.cpu_count()}, load average before "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; sampling {'adaptive' if args.adaptive else 'every-frame'}"
    )
    modes = args.modes.split(",")
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for i in range(max(1, args.rounds)):
        for m in modes:
            r = one_run(m, videos, args.adaptive)
            runs[m].append(r)
            said = ", ".join(f"{n} {s}" for s, n in r["statuses"].items() if n)
            print(
                f"  round {i + 1} {m:<10} {r['wall_s']:7.1f} s (Ray start {r['startup_s']:4.1f} s)"
                f"  {r['videos_per_h']:7.0f} videos/h  {r['frames_per_s']:6.1f} frames/s  {said}",
                flush=True,
            )
    print("median videos per hour:")
    for m in modes:
        vph = statistics.median(r["videos_per_h"] for r in runs[m])
        fps = statistics.median(r["frames_per_s"] for r in runs[m])
        print(f"  {m:<10} {vph:7.0f} videos/h  {fps:6.1f} frames/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
