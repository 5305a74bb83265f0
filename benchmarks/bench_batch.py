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
CPU seconds per video (this process and, with Ray, every process it started: Ray's own and
its workers, read from ``/proc`` just before Ray shuts down; Linux only), the load average
when the run began, and the statuses; then the median videos per hour of each mode over the
rounds, Ray with one worker against the loop, and the scaling from one to two workers. The
pose model runs on every frame (the batch default); ``--adaptive`` measures adaptive
sampling. Timings are printed, never asserted: the machine is shared, read the medians and
the load averages beside them.
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


def _descendants_cpu_s() -> float:
    """CPU seconds (user + system, with their reaped children's) of every living process
    started from this one, read from ``/proc``; 0 where there is no ``/proc``."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2 :].split()
        parent[int(d.name)] = int(f[1])
        cpu[int(d.name)] = sum(int(x) for x in f[11:15]) / tick
    me, total = os.getpid(), 0.0
    for pid in cpu:
        p = parent.get(pid)
        while p is not None and p not in (0, 1, me):
            p = parent.get(p)
        if p == me and pid != me:
            total += cpu[pid]
    return total


def one_run(mode: str, videos: list[Path], adaptive: bool) -> dict[str, Any]:
    """One batch over ``videos`` in ``mode`` (sequential, ray-1, ray-2); wall figures."""
    spec = load_spec()
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
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
    cpu = time.process_time() - cpu0
    if mode.startswith("ray"):
        import ray

        cpu += _descendants_cpu_s()
        ray.shutdown()
    frames = sum(int(r.get("frames") or 0) for r in res.records)
    return {
        "mode": mode,
        "wall_s": wall,
        "cpu_per_video_s": cpu / max(1, len(videos)),
        "load": load,
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
                f"  {r['videos_per_h']:7.0f} videos/h  {r['frames_per_s']:6.1f} frames/s  "
                f"{r['cpu_per_video_s']:5.1f} CPU s/video  load {r['load']:4.1f}  {said}",
                flush=True,
            )
    print("median videos per hour:")
    vph = {m: statistics.median(r["videos_per_h"] for r in runs[m]) for m in modes}
    for m in modes:
        fps = statistics.median(r["frames_per_s"] for r in runs[m])
        cpu = statistics.median(r["cpu_per_video_s"] for r in runs[m])
        print(f"  {m:<10} {vph[m]:7.0f} videos/h  {fps:6.1f} frames/s  {cpu:5.1f} CPU s/video")
    if "sequential" in vph and "ray-1" in vph:
        print(f"local Ray, 1 worker / sequential loop: x{vph['ray-1'] / vph['sequential']:.2f}")
    if "ray-1" in vph and "ray-2" in vph:
        print(
            f"scaling from 1 to 2 worker processes: x{vph['ray-2'] / vph['ray-1']:.2f} "
            f"(on {os.cpu_count()} CPUs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
