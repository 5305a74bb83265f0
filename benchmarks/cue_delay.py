"""How late the live coach speaks: from the true start of each press, top and lowering to its cue.

Usage::

    python benchmarks/cue_delay.py [--corpus corpus] [--fps 9 15 30] [--split dev|eval] [NAME ...]

Each complete corpus clip (``corpus/tracks/NAME.npz`` with ``corpus/truth/NAME.gt.json.gz``) is
replayed through the live session (:func:`pressup.live.replay.replay_live`) with frames delivered
at each rate (``--split``: only the clips of that split in ``corpus/split.json``; tune on
``dev``, report ``eval`` as it comes). For every true repetition the delay is measured from

* the start of the rise (``rise_start_s``) to the ``press`` cue ("Breathe out and press up"),
* the start of the hold (``top_start_s``) to the ``hold`` cue ("Hold it there"),
* the start of the lowering (``top_end_s``) to the ``lower`` cue ("Lower slowly"),

each the first such cue *released* (after the cue gate: one cue per 1.5 s, nothing stale) in a
window around the repetition. A cue that never came (dropped as stale, or the event not seen) is
counted as missed. ``hold_done`` ("now ... lower yourself slowly") asks for the lowering before it
starts and is not a reaction to it: repetitions where it was said are left out of the lowering
row. Also printed: the live hold minus the true hold of each repetition matched by time.
Nothing is tuned here; it only measures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from pressup.evaluation.truth import load_truth
from pressup.live.replay import LiveReplay, replay_live
from pressup.pose import load_track
from pressup.protocol import ProtocolSpec

REPO = Path(__file__).resolve().parents[1]
EVENTS = ("press", "top", "lowering")


def _first(replay: LiveReplay, ids: tuple[str, ...], lo: float, hi: float) -> tuple[str, float]:
    for t, c in replay.cues:
        if c.id in ids and lo <= t <= hi:
            return c.id, t
    return "", float("nan")


def measure(
    replay: LiveReplay, truth_path: Path
) -> tuple[dict[str, list[float]], dict[str, int], list[float]]:
    """Delays (seconds) per event, misses per event, and live - true hold per matched rep."""
    truth = load_truth(truth_path)
    delays: dict[str, list[float]] = {e: [] for e in EVENTS}
    missed = dict.fromkeys(EVENTS, 0)
    holds: list[float] = []
    for r in truth.reps:
        rise, top, top_end, down = r.rise_start_s, r.top_start_s, r.top_end_s, r.down_end_s
        if None in (rise, top, top_end, down) or not r.complete:
            continue
        assert rise is not None and top is not None and top_end is not None and down is not None
        for event, ids, t0, lo, hi in (
            ("press", ("press",), rise, rise - 1.0, top_end),
            ("top", ("hold",), top, rise, down),
            ("lowering", ("lower", "hold_done"), top_end, top, down + 2.0),
        ):
            cid, t = _first(replay, ids, lo, hi)
            if cid == "hold_done":
                continue
            if np.isfinite(t):
                delays[event].append(t - t0)
            else:
                missed[event] += 1
        live = [
            d for d in replay.reps if d.get("complete") and abs(float(d["start_s"]) - rise) < 2.0
        ]
        if live and r.hold_s is not None:
            holds.append(float(live[0]["hold_s"]) - r.hold_s)
    return delays, missed, holds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--fps", type=float, nargs="+", default=[9.0, 15.0, 30.0])
    ap.add_argument("--split", choices=("dev", "eval"), help="only the clips of this split")
    ap.add_argument("names", nargs="*", help="clip names (or prefixes such as g004)")
    args = ap.parse_args()
    spec = ProtocolSpec()
    split: dict[str, str] = json.loads((args.corpus / "split.json").read_text(encoding="utf-8"))
    tracks = sorted(
        p
        for p in (args.corpus / "tracks").glob("*.npz")
        if (args.corpus / "truth" / f"{p.stem}.gt.json.gz").exists()
        and (not args.names or any(p.stem.startswith(n) for n in args.names))
        and (args.split is None or split.get(p.stem) == args.split)
    )
    which = f" ({args.split} split)" if args.split else ""
    print(f"{len(tracks)} clips{which}; delay = cue released - true start (seconds)")
    print("| frames/s | event | n | median | 90th pct | max | missed |")
    print("|---|---|---|---|---|---|---|")
    hold_rows = []
    for fps in args.fps:
        delays: dict[str, list[float]] = {e: [] for e in EVENTS}
        missed = dict.fromkeys(EVENTS, 0)
        holds: list[float] = []
        for path in tracks:
            replay = replay_live(load_track(path), spec, fps)
            d, m, h = measure(replay, args.corpus / "truth" / f"{path.stem}.gt.json.gz")
            for e in EVENTS:
                delays[e].extend(d[e])
                missed[e] += m[e]
            holds.extend(h)
        for e in EVENTS:
            x = np.asarray(delays[e])
            stats = (
                f"{np.median(x):.2f} | {np.percentile(x, 90):.2f} | {x.max():.2f}"
                if x.size
                else "- | - | -"
            )
            print(f"| {fps:g} | {e} | {x.size} | {stats} | {missed[e]} |")
        a = np.abs(np.asarray(holds))
        hold_rows.append(
            f"| {fps:g} | {a.size} | {np.median(a):.2f} | {np.percentile(a, 90):.2f} | "
            f"{(a <= 0.5).mean() * 100:.0f} % |"
        )
    print()
    print("hold: |live - true| (seconds), complete repetitions matched by start")
    print("| frames/s | n | median | 90th pct | within 0.5 s |")
    print("|---|---|---|---|---|")
    print("\n".join(hold_rows))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
