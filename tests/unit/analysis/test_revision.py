"""``ANALYSIS_REVISION`` is raised whenever the analysis changes.

Batch results are reused while their analysis revision is the current one
(:meth:`pressup.batch.job.Job.key`), so a change that moves any analysed value must raise
:data:`pressup.analysis.ANALYSIS_REVISION`. This test pins a digest of what the analysis gives
on nine committed corpus tracks (every frame, and with adaptive sampling simulated) to the
revision: counts, repetition times (ms), angles (0.01 degree), faults and frame labels, of
the every-frame analysis and of adaptive sampling with its second pass (simulated).

When it fails after a change that was meant to change the analysis: raise
``ANALYSIS_REVISION`` by one and add the digest this test prints under the new revision.
When the change was not meant to change the analysis, the change has a bug.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from pressup.analysis import ANALYSIS_REVISION
from pressup.analysis.run import analyze_track
from pressup.analysis.settle import simulate_settled
from pressup.pose.track import load_track
from pressup.protocol import load_spec

CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "tracks"
#: One clip in nine of the corpus: both variants, every fault kind, both sides, yaw.
CLIPS = sorted(CORPUS.glob("g*.npz"))[::9]

#: The digest of each revision's analysis of :data:`CLIPS`.
DIGESTS = {
    # keyframe tracking, the elbow at the top a mean (2026-12-06)
    1: "ec3bfd2f2a8c45d2606fd5ab9fa085bd948d63c8077ddba782700dfd195287c8",
    # 3 landmarks to agree on a change of speed at 19 frames/s or more
    2: "d9702668c185330f8bf10eae8b34f4c9ee310e2bb65a41dab480491b642dff8f",
    # adaptive sampling's second pass: the frames around each hold posed
    3: "cc08bbca43b9319e24c18e92ff48a99c11b1fe758b26ffbc3041d39d26319324",
}


def _r(x: float, step: float) -> Any:
    return None if not math.isfinite(x) else round(x / step)


def _summary(path: Path) -> dict[str, Any]:
    spec = load_spec(None)
    track = load_track(path)
    out: dict[str, Any] = {}
    every = analyze_track(track, spec)
    adaptive = simulate_settled(track, lambda t: analyze_track(t, spec))[1]
    for name, a in (("every", every), ("adaptive", adaptive)):
        out[name] = {
            "count": a.rep_count,
            "labels": hashlib.sha256("".join(a.frames.label).encode()).hexdigest(),
            "reps": [
                [
                    *(_r(v, 1e-3) for v in (r.start_s, r.top_start_s, r.top_end_s, r.end_s)),
                    _r(r.peak_trunk_deg, 1e-2),
                    _r(r.peak_elbow_deg, 1e-2),
                    r.variant,
                    sorted(f.code for f in r.faults),
                    r.complete,
                ]
                for r in a.reps
            ],
        }
    return out


@pytest.mark.skipif(len(CLIPS) < 9, reason="the corpus tracks are not in this checkout")
def test_the_analysis_is_the_one_of_its_revision() -> None:
    summary = {p.name: _summary(p) for p in CLIPS}
    digest = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()
    assert DIGESTS.get(ANALYSIS_REVISION) == digest, (
        f"the analysis of {len(CLIPS)} corpus tracks gives digest {digest}, not the one of "
        f"ANALYSIS_REVISION {ANALYSIS_REVISION}: when the change was meant, raise it and add "
        "this digest; else find why the analysis changed"
    )
