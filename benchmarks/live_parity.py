"""Replay every complete corpus clip through the live coach; compare it with the offline analysis.

Usage::

    python benchmarks/live_parity.py [--corpus corpus] [--fps 9] [--protocol FILE] [NAME ...]

For each clip (``corpus/tracks/NAME.npz`` with its truth written; only the names given, when
some are) prints whether live and offline agree (same count of complete press-ups, every matched
hold within 0.3 s, the same fault codes per repetition) and, when not, what differs. ``--fps``
feeds only the frames nearest a regular grid at that rate (a slow laptop); the clip is then also
compared with the offline analysis of those same frames, which separates what the frame rate
changes from what the live pipeline changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pressup.analysis.run import analyze_track
from pressup.errors import PressupError
from pressup.live.replay import compare_live_offline, grid_frames, replay_live
from pressup.pose import PoseTrack, load_track
from pressup.protocol import load_spec

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--fps", type=float, default=None, help="pose frames per second fed live")
    ap.add_argument("--protocol", type=Path, default=None, help="protocol TOML (default: built-in)")
    ap.add_argument("names", nargs="*", help="clip names (or prefixes such as g004)")
    args = ap.parse_args()
    spec = load_spec(args.protocol)
    tracks = sorted(
        p
        for p in (args.corpus / "tracks").glob("*.npz")
        if (args.corpus / "truth" / f"{p.stem}.gt.json.gz").exists()
        and (not args.names or any(p.stem.startswith(n) for n in args.names))
    )
    agree = 0
    for path in tracks:
        track = load_track(path)
        try:
            analysis = analyze_track(track, spec)
        except PressupError as exc:
            print(f"{path.stem}: refused offline ({exc})")
            continue
        replay = replay_live(track, spec, args.fps)
        p = compare_live_offline(analysis, replay)
        agree += p.ok
        holds = " ".join(f"{d:+.2f}" for d in p.hold_diff_s)
        print(
            f"{path.stem}: {'agree' if p.ok else 'DIFFER'} count {p.count_offline}/"
            f"{p.count_live} (offline/live), hold live-offline [{holds}] s"
        )
        for why in p.reasons:
            print(f"    {why}")
        if args.fps is not None:
            idx = grid_frames(track.t_s, args.fps)
            same = PoseTrack(t_s=track.t_s[idx], data=track.data[idx], source=track.source)
            q = compare_live_offline(analyze_track(same, spec), replay)
            print(
                f"    vs offline on the same {args.fps:g} frames/s: "
                f"{'agree' if q.ok else '; '.join(q.reasons)}"
            )
    print(f"{agree}/{len(tracks)} clips agree" + (f" at {args.fps:g} frames/s" if args.fps else ""))
    return 0 if agree == len(tracks) else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
