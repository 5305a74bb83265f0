"""How much of the pose model can adaptive sampling skip, and what does it cost in answers?

Usage::

    python benchmarks/adaptive_frontier.py [--tracks corpus/tracks ...] [--markdown FILE]

For each folder of stored every-frame tracks (``.npz``: by default the committed scenario
corpus, and the shared clips' tracks cached by ``benchmarks/evaluate_shared.py`` when given),
for each setting of :class:`pressup.pose.adaptive.AdaptiveConfig` in :data:`SETTINGS`, adaptive
sampling is simulated (:func:`pressup.pose.adaptive.simulate`) and its analysis compared with
the every-frame one (:func:`pressup.batch.agreement.compare`: identical counts, holds within
0.2 s, peak angles within 1 degree). Printed per setting, part of the corpus (development
or evaluation, ``corpus/split.json``) and frame rate: the median share of
frames posed, the speed-up it predicts, and how many clips meet every target.

The settings are compared on the first pass alone (:func:`pressup.pose.adaptive.simulate`):
the second pass around the holds (:mod:`pressup.analysis.settle`) adds 1 to 2 points of
frames posed to any of them and mends some of their misses.

Two rows give the floor under any such comparison: the every-frame track plus Gaussian noise
of 0.3 and 1 pixel (MediaPipe's own jitter on a still person is about a pixel): how often the
every-frame answers stay within the tolerances with a change far smaller than the model's
own noise.

The simulation is exact only for tracks made with the same keyframes as the setting (the
default setting, for the committed corpus tracks): another setting carries the model's crop
over other frames, and so moves the landmarks of the every-frame run too, by about what a
half-pixel change of the crop moves them (``docs/bulk.md``). The speed-up is predicted as
``0.93 / share posed``: the ratio the four clips timed with ``benchmarks/bench_pipeline.py
--adaptive --one-core`` showed against their share posed (0.90-0.94: decoding every frame and
keeping the tracker's states cost the rest). Timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pressup.analysis.result import Analysis
from pressup.analysis.run import analyze_track
from pressup.batch.agreement import Agreement, compare
from pressup.errors import PressupError
from pressup.pose.adaptive import AdaptiveConfig, simulate
from pressup.pose.track import PoseTrack, load_track
from pressup.protocol import load_spec

ROOT = Path(__file__).resolve().parents[1]
#: Wall-time ratio over share posed seen on the timed clips (bench_pipeline --adaptive).
SPEED_PER_SHARE = 0.93

#: The settings compared: the default, then cheaper ones. At a lower keyframe rate the
#: thresholds are scaled with the keyframe interval (speed: linearly; change of speed: with
#: its square), so that they ask for the same movement per second.
SETTINGS: dict[str, AdaptiveConfig] = {
    "default: 7.5 Hz, 3 votes (1 below 19 fps)": AdaptiveConfig(),
    "7.5 Hz, 1 vote (the default before)": AdaptiveConfig(votes=1),
    "7.5 Hz, 2 votes at every rate": AdaptiveConfig(votes=2, votes_dense=2),
    "7.5 Hz, 3 votes at every rate": AdaptiveConfig(votes_dense=3),
    "5 Hz, 1 vote": AdaptiveConfig(coarse_hz=5.0, speed=0.375, accel=0.135, votes=1),
    "5 Hz, 2 votes": AdaptiveConfig(
        coarse_hz=5.0, speed=0.375, accel=0.135, votes=2, votes_dense=2
    ),
    "3.75 Hz, 1 vote": AdaptiveConfig(coarse_hz=3.75, speed=0.5, accel=0.24, votes=1),
}
NOISE_PX = (0.3, 1.0)


@dataclass
class Row:
    label: str
    fps: str
    shares: list[float]
    ags: list[Agreement]

    def cells(self) -> list[str]:
        n = len(self.ags)
        share = statistics.median(self.shares) if self.shares else float("nan")
        reps = sum(a.reps_within for a in self.ags)
        paired = sum(a.reps_paired for a in self.ags)
        return [
            self.label,
            self.fps,
            f"{share:.0%}" if self.shares else "100%",
            f"{SPEED_PER_SHARE / share:.2f}x" if self.shares else "-",
            f"{sum(a.count == a.count_ref for a in self.ags)}/{n}",
            f"{sum(a.ok for a in self.ags)}/{n}",
            f"{reps}/{paired}",
        ]


HEAD = [
    "setting",
    "part, fps",
    "posed (median)",
    "predicted speed-up",
    "counts",
    "all targets",
    "reps",
]


def _split(folder: Path) -> dict[str, str]:
    """The corpus' development/evaluation split (``corpus/split.json``) of the clips of
    ``folder``; empty for other folders."""
    path = folder.parent / "split.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _group(track: PoseTrack, part: str | None) -> str:
    fps = "< 20" if track.source.fps < 20 else ">= 20"
    return f"{part} {fps}" if part else fps


def _load(folder: Path) -> list[tuple[Path, PoseTrack, Analysis]]:
    spec = load_spec()
    out = []
    for p in sorted(folder.glob("*.npz")):
        tr = load_track(p)
        try:
            out.append((p, tr, analyze_track(tr, spec)))
        except PressupError as exc:
            print(f"  {p.name}: every-frame analysis refused ({exc}); left out")
    return out


def frontier(folder: Path) -> list[Row]:
    spec = load_spec()
    split = _split(folder)
    clips = [(_group(tr, split.get(p.stem)), tr, ref) for p, tr, ref in _load(folder)]
    groups = sorted({g for g, _, _ in clips})
    rows: list[Row] = []
    rng = np.random.default_rng(0)
    for label, cfg in SETTINGS.items():
        by: dict[str, Row] = {g: Row(label, g, [], []) for g in groups}
        for g, tr, ref in clips:
            ad, share = simulate(tr, cfg)
            row = by[g]
            row.shares.append(share)
            row.ags.append(compare(ref, analyze_track(ad, spec)))
        rows.extend(by.values())
        print(f"  {label}: done", flush=True)
    for px in NOISE_PX:
        by = {g: Row(f"every frame + {px:g} px noise", g, [], []) for g in groups}
        for g, tr, ref in clips:
            d = tr.data.copy()
            d[:, :, :2] += rng.normal(0.0, px, d[:, :, :2].shape)
            noisy = PoseTrack(tr.t_s, d, tr.source, meta=dict(tr.meta))
            by[g].ags.append(compare(ref, analyze_track(noisy, spec)))
        rows.extend(by.values())
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=Path, nargs="+", default=[ROOT / "corpus" / "tracks"])
    ap.add_argument("--markdown", type=Path, help="also write the tables here")
    args = ap.parse_args()
    parts = []
    for folder in args.tracks:
        print(f"{folder}:", flush=True)
        t = table(frontier(folder))
        print(t)
        parts.append(f"### {folder.name}\n\n{t}\n")
    if args.markdown:
        args.markdown.write_text("\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
