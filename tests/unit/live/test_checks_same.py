"""The live checks made cheaper give the same answers: their own median
(``pressup.kinematics.geometry.median``/``nanmedian``, cheaper than numpy's on one-second
windows) gives numpy's numbers on random arrays, and the set-up and start-position checks
(which also compute only the five features they judge), the view and whole live sessions of
recorded corpus tracks and synthetic sessions are the same as with numpy's median and every
feature computed (the code before)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pressup.kinematics.features as features_module
import pressup.live.session as session_module
from pressup.kinematics import compute_features, estimate_view
from pressup.kinematics.geometry import median, nanmedian
from pressup.live import LiveSession
from pressup.pose.track import PoseTrack, load_track
from pressup.protocol import load_spec
from pressup.synthetic import RepScript, SessionScript, make_session

CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "tracks"
SPEC = load_spec(None)


def _np_median(x: Any) -> float:
    return float(np.median(x)) if np.asarray(x).size else math.nan


def _np_nanmedian(x: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmedian(x)) if np.asarray(x).size else math.nan


def _every_feature(*args: Any, names: Any = None) -> dict[str, np.ndarray]:
    return compute_features(*args)


@contextmanager
def as_before() -> Iterator[None]:
    """The code as it was: numpy's median and nanmedian where the checks take one, and every
    feature computed for the start-position checks."""
    saved = [
        (m, n, getattr(m, n))
        for m in (features_module, session_module)
        for n in ("median", "nanmedian")
    ]
    saved.append((session_module, "compute_features", session_module.compute_features))
    for m, n, _ in saved:
        fake = {"median": _np_median, "nanmedian": _np_nanmedian}.get(n, _every_feature)
        setattr(m, n, fake)
    try:
        yield
    finally:
        for m, n, f in saved:
            setattr(m, n, f)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 29, 30, 31, 600])
def test_median_and_nanmedian_are_numpys(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(50):
        x = rng.normal(0, 100, size=n)
        if n > 1:
            x[rng.integers(0, n, size=rng.integers(0, n))] = np.nan
            x[rng.integers(0, n)] = rng.choice([np.inf, -np.inf, 0.0, x[0]])
        assert _same(median(x), _np_median(x)), x
        assert _same(nanmedian(x), _np_nanmedian(x)), x
    assert math.isnan(median(np.array([]))) and math.isnan(nanmedian(np.full(3, np.nan)))


def _tracks() -> list[PoseTrack]:
    paths = sorted(CORPUS.glob("*.npz"))
    assert paths, f"expected corpus tracks in {CORPUS}"
    tracks = [load_track(p) for p in paths[::8]]  # 10 of the 80, every kind of fault
    for seed, side in ((1, "left"), (2, "right")):
        script = SessionScript(
            reps=[RepScript("forearms", 2.0, 11.0, 2.5, 3.0)] * 2,
            noise_px=2.0,
            seed=seed,
            side=side,
            dropouts=[(0.5, 0.9)],
        )
        tracks.append(make_session(script)[0])
    return tracks


def _windows(track: PoseTrack) -> Iterator[np.ndarray]:
    """One-second windows, every 0.2 s, as the live checks see them."""
    for end in range(30, track.n_frames, 6):
        yield track.data[end - 30 : end]


def _checks(track: PoseTrack) -> list[Any]:
    s = LiveSession(SPEC)
    s.width, s.height = track.source.width, track.source.height
    out: list[Any] = []
    for lm in _windows(track):
        out.append(s.setup_checks(lm))
        out.append(s.start_checks(lm))
    try:
        out.append(estimate_view(track, SPEC.tracking))
    except Exception as exc:  # the same refusal either way
        out.append(repr(exc))
    return out


def _live(track: PoseTrack) -> list[Any]:
    s = LiveSession(SPEC)
    w, h = track.source.width, track.source.height
    out = []
    for i in range(track.n_frames):
        row = track.data[i]
        upd = s.on_frame(float(track.t_s[i]), w, h, row if np.isfinite(row[0, 0]) else None)
        out.append((upd.status, [e.to_dict() for e in upd.events], [c.id for c in upd.cues]))
    return out


def test_the_checks_and_the_view_are_the_same_as_before() -> None:
    tracks = _tracks()
    new = [_checks(t) for t in tracks]
    with as_before():
        old = [_checks(t) for t in tracks]
    checks = [c for per in new for c in per if isinstance(c, list)]
    assert any(all(c["ok"] for c in cs) for cs in checks)  # passing ones are compared too
    assert any(not all(c["ok"] for c in cs) for cs in checks)
    assert new == old


def test_the_features_asked_for_are_those_of_every_feature() -> None:
    names = session_module._START_ANGLES
    compared = 0
    for track in _tracks():
        s = LiveSession(SPEC)
        s.width, s.height = track.source.width, track.source.height
        try:
            view = estimate_view(track, SPEC.tracking)
        except Exception:  # a refused view: nothing to compute features with
            continue
        args = (track.data, s.width, s.height, view, SPEC.tracking)
        every, some = compute_features(*args), compute_features(*args, names=names)
        assert list(some) == [n for n in every if n in names] + ["tracked"]
        for k, v in some.items():
            np.testing.assert_array_equal(v, every[k])
        compared += 1
    assert compared >= 5


def test_whole_live_sessions_are_the_same_as_before() -> None:
    tracks = _tracks()[::3]
    new = [_live(t) for t in tracks]
    with as_before():
        old = [_live(t) for t in tracks]
    assert any(st["stage"] == "exercise" for per in new for st, _, _ in per)
    assert repr(new) == repr(old)  # repr: NaN equal to NaN
