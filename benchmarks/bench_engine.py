"""Cost per frame of the pure streaming engine, of per-frame features, and of offline analysis.

Usage::

    python benchmarks/bench_engine.py [--repeats 7] [--loops N] [--target-s 2.0] [--seed 0]

A synthetic session of 5 press-ups (30 fps, 1 px landmark noise) is built once; its features
are computed and smoothed once, as the offline analysis does, and turned into engine frames.
Then, each in its own timing loop:

* ``engine.step``: ``Engine(spec).step(state, frame)`` over every frame, the whole
  track replayed ``--loops`` times per repeat (by default enough for about ``--target-s``
  seconds in all). The engine learns the neutral from the first hold, as ``analyze_track`` does,
  so the head and shoulder faults are live.
* ``compute_features``: called on one frame at a time (``data[i:i+1]``), as the live coach
  will do.
* ``analyze_track``: the whole offline analysis of the track, divided by its frame count.

Figures are the median and the minimum over ``--repeats`` repeats. Timings are printed, never
asserted: other processes may share the machine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable

from pressup.analysis.run import (
    analyze_track,
    iter_frames,
    run_engine,
    smoothed_features,
)
from pressup.engine import Engine, KinFrame
from pressup.kinematics import compute_features, estimate_view
from pressup.kinematics.features import frame_features
from pressup.protocol import load_spec
from pressup.synthetic import RepScript, SessionScript, make_session

ENGINE_TARGET_US = 20.0


def _session(seed: int) -> SessionScript:
    return SessionScript(
        reps=[
            RepScript("hands", press_s=1.5, hold_s=5.0, lower_s=2.0, rest_s=3.0),
            RepScript("hands", press_s=1.2, hold_s=4.0, lower_s=1.5, rest_s=2.0),
            RepScript(
                "hands", press_s=1.5, hold_s=5.0, lower_s=2.0, rest_s=3.0, faults=("neck_extended",)
            ),
            RepScript("forearms", press_s=1.0, hold_s=6.0, lower_s=1.5, rest_s=2.0),
            RepScript(
                "hands", press_s=1.5, hold_s=4.0, lower_s=0.6, rest_s=2.0, faults=("hips_lifted",)
            ),
        ],
        noise_px=1.0,
        seed=seed,
    )


def _repeat(fn: Callable[[], float], repeats: int) -> list[float]:
    """Run ``fn`` (which returns the seconds it measured) ``repeats`` times."""
    return [fn() for _ in range(repeats)]


def _line(name: str, per_frame_us: list[float], target: str = "") -> str:
    med = statistics.median(per_frame_us)
    return f"  {name:<34} median {med:9.2f} µs/frame   min {min(per_frame_us):9.2f} µs/frame" + (
        f"   {target}" if target else ""
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats of each measure")
    ap.add_argument(
        "--loops", type=int, default=0, help="track replays per engine repeat (0 = auto)"
    )
    ap.add_argument(
        "--target-s", type=float, default=2.0, help="total engine timing time when --loops is 0"
    )
    ap.add_argument("--seed", type=int, default=0, help="noise seed of the synthetic session")
    args = ap.parse_args()
    repeats = max(1, args.repeats)

    spec = load_spec()
    track, truth = make_session(_session(args.seed))
    n = track.n_frames
    view = estimate_view(track, spec.tracking)
    feats = smoothed_features(track, view, spec)
    frames: list[KinFrame] = list(iter_frames(track.t_s, feats))
    engine = Engine(spec)

    # sanity: the pass finds the scripted reps
    final = engine.initial()
    for fr in frames:
        final, _ = engine.step(final, fr)
    baselines = final.neutral
    _, events = run_engine(engine, iter(frames), track.duration_s)
    found = sum(e.kind == "rep_completed" for e in events)

    print(f"python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    print(
        f"session: {n} frames, {track.duration_s:.1f} s at {track.source.fps:g} fps, "
        f"{truth.rep_count} scripted reps, {found} complete reps found, {len(events)} events"
    )
    print(
        f"baselines: neck_a={baselines.neck_a_deg:.2f} deg, neck_b={baselines.neck_b:.2f}, "
        f"shrug_ref={baselines.shrug_ref:.4f}"
    )

    step = engine.step
    initial = engine.initial

    def one_pass() -> float:
        t0 = time.perf_counter()
        state = initial()
        for f in frames:
            state, _ = step(state, f)
        return time.perf_counter() - t0

    one_pass()  # warm-up
    loops = args.loops
    if loops <= 0:
        probe_s = min(one_pass() for _ in range(3))
        loops = max(1, round(args.target_s / (repeats * probe_s)))

    def engine_run() -> float:
        return sum(one_pass() for _ in range(loops))

    eng_us = [s / (loops * n) * 1e6 for s in _repeat(engine_run, repeats)]

    data, w, h, tracking = track.data, track.source.width, track.source.height, spec.tracking
    slices = [data[i : i + 1] for i in range(n)]

    def features_run() -> float:
        t0 = time.perf_counter()
        for one in slices:
            compute_features(one, w, h, view, tracking)
        return time.perf_counter() - t0

    features_run()  # warm-up
    feat_us = [s / n * 1e6 for s in _repeat(features_run, repeats)]

    def frame_features_run() -> float:
        t0 = time.perf_counter()
        for i in range(n):
            frame_features(data[i], w, h, view, tracking)
        return time.perf_counter() - t0

    frame_features_run()  # warm-up
    frame_us = [s / n * 1e6 for s in _repeat(frame_features_run, repeats)]

    def analyze_run() -> float:
        t0 = time.perf_counter()
        analyze_track(track, spec)
        return time.perf_counter() - t0

    analyze_run()  # warm-up
    ana_us = [s / n * 1e6 for s in _repeat(analyze_run, repeats)]

    med = statistics.median(eng_us)
    verdict = "OK" if med <= ENGINE_TARGET_US else "ABOVE TARGET"
    print(
        f"timing: {repeats} repeats each; engine: {loops} track replays per repeat "
        f"({loops * n} steps per repeat)"
    )
    print(_line("engine.step", eng_us, f"target <= {ENGINE_TARGET_US:g} µs/frame: {verdict}"))
    print(_line("compute_features (one frame)", feat_us))
    print(_line("frame_features (live path)", frame_us))
    print(_line("analyze_track (whole track)", ana_us))
    live_us = med + statistics.median(frame_us)
    print(
        f"  live budget (features + engine)    median {live_us:9.2f} µs/frame "
        f"= {live_us / (1e6 / 30) * 100:.2f} % of a 30 fps frame"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
