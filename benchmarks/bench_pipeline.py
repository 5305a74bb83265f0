"""Whole-pipeline frames per second against bare MediaPipe on the same clip, in the same run.

Usage::

    python benchmarks/bench_pipeline.py [--video PATH] [--repeats 3] [--profile] [--lockstep]
                                        [--adaptive [--votes N] [--coarse-hz HZ]] [--one-core]

* *bare*: OpenCV decode + ``cv2.cvtColor`` (BGR -> RGB) + MediaPipe
  ``solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False,
  enable_segmentation=False).process()`` on every frame, nothing else.
* *pipeline*: what ``pressup analyze`` does: ``open_track(video, PoseOptions(model="full"))``
  (the same MediaPipe settings), ``analyze_track(track, load_spec())``, then writing
  ``analysis.json``, ``frames.csv`` and ``report.html`` to a temporary folder (timed apart).

* *adaptive* (``--adaptive``): the pipeline with ``PoseOptions(model="full", adaptive=True)``
  (:mod:`pressup.pose.adaptive`: the pose model only where movement needs it), run after the
  other two in each round; printed with the share of frames the model ran on, its ratio to
  bare (target >= 2.0; in wall time and in this process's CPU time, steadier when other work
  shares the machine) and whether its count, holds and peak angles agree with the
  every-frame pipeline's (:func:`pressup.batch.agreement.compare`). ``--votes`` and
  ``--coarse-hz`` change :class:`pressup.pose.adaptive.AdaptiveConfig` from its defaults.

``--one-core`` pins this process (MediaPipe's threads included) to one CPU before anything
runs, so every mode is measured on one core, as the targets are stated.

Runs are interleaved (bare, pipeline, bare, pipeline, ...) so both see the same machine
noise. Printed: per-run fps, the median ratio pipeline fps / bare fps (target >= 0.95), the
pipeline breakdown (pose, analysis, writing) and the peak resident memory. ``--profile`` adds
one cProfile'd pipeline run (top 15 by cumulative time).

Whole runs last tens of seconds, and on a shared machine the load changes within that time, so
the run-to-run ratio can move by +-10 % with no code change. ``--lockstep`` adds one pass that
alternates the two pose paths frame by frame (bare: ``cap.read`` + ``cvtColor`` +
``Pose.process``; pressup: ``pressup.pose.video.iter_frames`` + ``BlazePoseStream.process``,
two separate MediaPipe graphs, the order swapped every frame), which shares the noise far more
closely and shows what each step costs per frame. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import mediapipe as mp

from pressup.analysis.io import write_folder
from pressup.analysis.run import analyze_track
from pressup.analysis.settle import settle
from pressup.pose import PoseOptions, open_track
from pressup.pose.adaptive import AdaptiveConfig
from pressup.pose.mediapipe_backend import AdaptiveVideo
from pressup.protocol import ProtocolSpec, load_spec
from pressup.report import write_report

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PRESSUP_DATA", str(REPO.parent / "shared" / "data")))
DEFAULT_VIDEO = SHARED / "render" / "s01_slim_woman_hands_left.mp4"
TARGET_RATIO = 0.95
ADAPTIVE_TARGET_RATIO = 2.0


def bare_run(video: Path) -> dict[str, float]:
    """OpenCV decode + colour conversion + MediaPipe Pose on every frame."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(video))
    pose = mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=1,
        smooth_landmarks=False,
        enable_segmentation=False,
    )
    n = 0
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            n += 1
    finally:
        pose.close()
        cap.release()
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"frames": n, "total_s": total, "fps": n / total, "cpu_s": cpu}


def pipeline_run(
    video: Path, out_dir: Path, spec: ProtocolSpec, adaptive: AdaptiveConfig | None = None
) -> dict[str, Any]:
    """open_track + analyze_track (the measure), then the three output files (timed apart).

    ``spec`` is the default protocol, loaded once up front (reading it takes about a
    millisecond) so that every run judges with the same spec. ``adaptive``: adaptive sampling
    with this configuration (None: every frame, as ``pressup analyze``).
    """
    c0 = time.process_time()
    t0 = time.perf_counter()
    if adaptive is None:
        track = open_track(video, PoseOptions(model="full"))
        t1 = time.perf_counter()
        analysis = analyze_track(track, spec)
    else:  # as pressup analyze --adaptive: the second pass's analyses count as pose time
        sampled = AdaptiveVideo(video, PoseOptions(model="full", adaptive=True), None, adaptive)
        track, _ = settle(sampled.track, lambda t: analyze_track(t, spec), sampled.pose_more)
        t1 = time.perf_counter()
        analysis = analyze_track(track, spec)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    write_folder(analysis, out_dir, events=False, report=write_report)
    t3 = time.perf_counter()
    n = track.n_frames
    return {
        "frames": n,
        "width": track.source.width,
        "height": track.source.height,
        "reps": analysis.rep_count,
        "pose_s": t1 - t0,
        "analysis_s": t2 - t1,
        "write_s": t3 - t2,
        "total_s": t2 - t0,
        "fps": n / (t2 - t0),
        "fps_with_write": n / (t3 - t0),
        "analysis": analysis,
        "cpu_s": cpu,
        "posed": float(track.meta.get("sampling", {}).get("posed_fraction", 1.0)),
    }


def lockstep_run(video: Path) -> dict[str, float]:
    """Bare and pressup pose paths alternated frame by frame; mean milliseconds per frame."""
    from pressup.pose.mediapipe_backend import BlazePoseStream
    from pressup.pose.video import iter_frames, probe

    pc = time.perf_counter
    info = probe(video)
    cap = cv2.VideoCapture(str(video))
    pose = mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=1,
        smooth_landmarks=False,
        enable_segmentation=False,
    )
    stream = BlazePoseStream(PoseOptions(model="full"), info.width, info.height)
    frames = iter_frames(video)
    acc = dict.fromkeys(("bare_decode", "bare_pose", "pressup_decode", "pressup_pose"), 0.0)

    def bare_step() -> bool:
        t0 = pc()
        ok, bgr = cap.read()
        if not ok:
            return False
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        t1 = pc()
        pose.process(rgb)
        acc["bare_decode"] += t1 - t0
        acc["bare_pose"] += pc() - t1
        return True

    def pressup_step() -> bool:
        t0 = pc()
        item = next(frames, None)
        if item is None:
            return False
        t1 = pc()
        stream.process(item[1])
        acc["pressup_decode"] += t1 - t0
        acc["pressup_pose"] += pc() - t1
        return True

    n = 0
    try:
        while True:
            steps = (bare_step, pressup_step) if n % 2 == 0 else (pressup_step, bare_step)
            if not (steps[0]() and steps[1]()):
                break
            n += 1
    finally:
        pose.close()
        stream.close()
        cap.release()
    out = {k: v / max(n, 1) * 1e3 for k, v in acc.items()}
    out["frames"] = n
    return out


def _rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: ru_maxrss is KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="clip to process")
    ap.add_argument("--repeats", type=int, default=3, help="bare/pipeline pairs (interleaved)")
    ap.add_argument("--profile", action="store_true", help="add one cProfile'd pipeline run")
    ap.add_argument(
        "--lockstep", action="store_true", help="add one frame-by-frame alternated pose pass"
    )
    ap.add_argument(
        "--adaptive", action="store_true", help="add an adaptive-sampling pipeline run per round"
    )
    ap.add_argument("--votes", type=int, default=AdaptiveConfig.votes, help="adaptive: votes")
    ap.add_argument(
        "--coarse-hz", type=float, default=AdaptiveConfig.coarse_hz, help="adaptive: keyframes/s"
    )
    ap.add_argument("--one-core", action="store_true", help="pin this process to one CPU")
    args = ap.parse_args()
    if args.one_core:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        print(f"pinned to CPU {core} (MediaPipe's threads included)")
    acfg = AdaptiveConfig(coarse_hz=args.coarse_hz, votes=args.votes)
    video: Path = args.video
    if not video.is_file():
        print(f"no video at {video}; pass --video PATH (nothing measured)", file=sys.stderr)
        return 0  # not an error: `make bench` runs on machines without the shared data
    repeats = max(1, args.repeats)
    t0 = time.perf_counter()
    spec = load_spec()
    spec_ms = (time.perf_counter() - t0) * 1e3

    print(f"clip: {video} ({video.stat().st_size / 1e6:.2f} MB)")
    print(
        f"cpus: {os.cpu_count()}, load average before: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    bare: list[dict[str, float]] = []
    pipe: list[dict[str, Any]] = []
    adapt: list[dict[str, Any]] = []
    rss_after_bare = 0.0
    with tempfile.TemporaryDirectory(prefix="pressup-bench-") as tmp:
        out_dir = Path(tmp)
        for i in range(repeats):
            b = bare_run(video)
            bare.append(b)
            if i == 0:
                rss_after_bare = _rss_mib()
            print(
                f"  run {i + 1} bare      {b['frames']:5d} frames  {b['fps']:6.2f} fps", flush=True
            )
            p = pipeline_run(video, out_dir, spec)
            pipe.append(p)
            print(
                f"  run {i + 1} pipeline  {p['frames']:5d} frames  {p['fps']:6.2f} fps "
                f"(pose {p['pose_s']:.2f} s, analysis {p['analysis_s']:.3f} s, "
                f"writing {p['write_s']:.3f} s; {p['fps_with_write']:.2f} fps with writing)  "
                f"ratio {p['fps'] / b['fps']:.3f}",
                flush=True,
            )
            if args.adaptive:
                a = pipeline_run(video, out_dir, spec, adaptive=acfg)
                adapt.append(a)
                print(
                    f"  run {i + 1} adaptive  {a['frames']:5d} frames  {a['fps']:6.2f} fps "
                    f"(pose {a['pose_s']:.2f} s, model on {a['posed']:.1%} of frames)  "
                    f"ratio to bare {a['fps'] / b['fps']:.3f}; "
                    f"CPU s bare {b['cpu_s']:.1f} every-frame {p['cpu_s']:.1f} "
                    f"adaptive {a['cpu_s']:.1f}",
                    flush=True,
                )
        rss_end = _rss_mib()
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            pipeline_run(video, out_dir, spec)
            prof.disable()
    lock = lockstep_run(video) if args.lockstep else None

    p0 = pipe[0]
    if any(b["frames"] != p0["frames"] for b in bare):
        print("warning: bare and pipeline decoded different frame counts", file=sys.stderr)
    ratios = [p["fps"] / b["fps"] for b, p in zip(bare, pipe)]
    ratios_w = [p["fps_with_write"] / b["fps"] for b, p in zip(bare, pipe)]
    med = statistics.median(ratios)
    print(
        f"clip: {p0['frames']} frames, {p0['width']}x{p0['height']}, "
        f"{p0['reps']} complete reps found"
    )
    print(
        f"bare MediaPipe fps:   median {statistics.median(b['fps'] for b in bare):6.2f}   "
        + " ".join(f"{b['fps']:.2f}" for b in bare)
    )
    print(
        f"pipeline fps:         median {statistics.median(p['fps'] for p in pipe):6.2f}   "
        + " ".join(f"{p['fps']:.2f}" for p in pipe)
        + "   (pose + analysis)"
    )
    verdict = "OK" if med >= TARGET_RATIO else "BELOW TARGET"
    print(
        f"ratio pipeline/bare:  median {med:.3f}   "
        + " ".join(f"{r:.3f}" for r in ratios)
        + f"   target >= {TARGET_RATIO}: {verdict}"
    )
    print(
        f"ratio incl. writing:  median {statistics.median(ratios_w):.3f}   "
        + " ".join(f"{r:.3f}" for r in ratios_w)
    )

    def med_of(key: str) -> float:
        return statistics.median(p[key] for p in pipe)

    n = p0["frames"]
    print("pipeline breakdown (median over runs):")
    for key, name in (("pose_s", "pose"), ("analysis_s", "analysis"), ("write_s", "writing")):
        s = med_of(key)
        print(f"  {name:<9} {s:8.3f} s  {s / n * 1e3:7.3f} ms/frame")
    print(f"  (load_spec, once up front: {spec_ms:.1f} ms)")
    print(f"peak RSS: {rss_after_bare:.0f} MiB after the first bare run, {rss_end:.0f} MiB at end")

    if adapt:
        from pressup.batch.agreement import compare

        ar = [a["fps"] / b["fps"] for b, a in zip(bare, adapt)]
        amed = statistics.median(ar)
        print(
            f"adaptive: {acfg}; the model ran on {adapt[0]['posed']:.1%} of frames; "
            f"CPU seconds bare {statistics.median(b['cpu_s'] for b in bare):.1f}, "
            f"adaptive {statistics.median(a['cpu_s'] for a in adapt):.1f} (medians)"
        )
        ok = "OK" if amed >= ADAPTIVE_TARGET_RATIO else "BELOW TARGET"
        print(
            f"adaptive fps:         median {statistics.median(a['fps'] for a in adapt):6.2f}   "
            + " ".join(f"{a['fps']:.2f}" for a in adapt)
        )
        print(
            f"ratio adaptive/bare:  median {amed:.3f}   "
            + " ".join(f"{r:.3f}" for r in ar)
            + f"   target >= {ADAPTIVE_TARGET_RATIO}: {ok}"
        )
        cr = [b["cpu_s"] / a["cpu_s"] for b, a in zip(bare, adapt)]
        print(
            f"CPU-time ratio bare/adaptive: median {statistics.median(cr):.3f}   "
            + " ".join(f"{r:.3f}" for r in cr)
            + "   (CPU seconds of this process: steadier than wall time on a shared machine)"
        )
        ag = compare(p0["analysis"], adapt[0]["analysis"])
        verdict = "same answers" if ag.ok else "DIFFERENT: " + "; ".join(ag.problems)
        print(
            f"adaptive vs every-frame: count {ag.count_ref}->{ag.count}, hold diff <= "
            f"{ag.max_hold_diff_s:.2f} s, peak angle diff <= {ag.max_angle_diff_deg:.1f} deg: "
            + verdict
        )

    if lock is not None:
        bare_ms = lock["bare_decode"] + lock["bare_pose"]
        ours_ms = lock["pressup_decode"] + lock["pressup_pose"]
        print(
            f"lockstep pass ({lock['frames']:.0f} frames, paths alternated every frame), ms/frame:"
        )
        print(
            f"  bare:    decode+cvtColor {lock['bare_decode']:6.3f}   "
            f"Pose.process {lock['bare_pose']:7.3f}   total {bare_ms:7.3f}"
        )
        print(
            f"  pressup: iter_frames     {lock['pressup_decode']:6.3f}   "
            f"stream.process {lock['pressup_pose']:5.3f}   total {ours_ms:7.3f}"
        )
        print(f"  ratio bare/pressup time (= pressup/bare fps): {bare_ms / ours_ms:.3f}")

    if args.profile:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(15)
        print("cProfile of one pipeline run, top 15 by cumulative time:")
        print(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
