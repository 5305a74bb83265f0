"""Live vs offline parity: a track replayed through the live coach (set-up and start checks, One
Euro smoothing, the same engine) finds the same press-ups as the offline analysis (zero-phase
smoothing): the same count, every matched hold within 0.3 s, the same fault codes on every
matched repetition (all of them, ``short_hold`` and ``fast_lowering`` included).

Known answers on synthetic sessions first, then every complete clip of the rendered corpus
(``corpus/tracks/NAME.npz`` with its ``corpus/truth/NAME.gt.json.gz``; skipped when there is
none)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pressup.analysis.run import analyze_track
from pressup.live import LiveSession
from pressup.live.replay import (
    HOLD_TOLERANCE_S,
    browser_landmarks,
    compare_live_offline,
    grid_frames,
    replay_live,
)
from pressup.pose import load_track
from pressup.pose.track import LANDMARK_INDEX
from pressup.protocol import ProtocolSpec
from pressup.synthetic import RepScript, SessionScript, make_session
from support import REPO

SPEC = ProtocolSpec()
CORPUS = REPO / "corpus"


def _corpus_tracks() -> list[Path]:
    """Complete clips only: a track whose truth is written too (the build writes the track
    first, so a track without truth may still be being written)."""
    tracks = CORPUS / "tracks"
    if not tracks.is_dir():
        return []
    return sorted(
        p for p in tracks.glob("*.npz") if (CORPUS / "truth" / f"{p.stem}.gt.json.gz").exists()
    )


def _explain(parity: object) -> str:
    return "\n".join(getattr(parity, "reasons", []))


# -- known answers -------------------------------------------------------------------------------
def _five_reps() -> SessionScript:
    # more press-ups than the dose's 3, with faults the offline analysis finds
    reps = [
        RepScript("forearms", 2.0, 10.0, 2.5, 4.0),
        RepScript("forearms", 2.0, 10.0, 0.6, 4.0),  # fast lowering
        RepScript("hands", 2.0, 10.0, 2.5, 4.0, faults=("hips_lifted",)),
        RepScript("hands", 2.0, 4.0, 2.5, 4.0),  # short hold
        RepScript("forearms", 2.0, 10.0, 2.5, 4.0),
    ]
    return SessionScript(reps=reps, noise_px=0.5, seed=3)


def test_replay_sees_every_press_up_past_the_target_and_agrees_with_offline() -> None:
    track, truth = make_session(_five_reps())
    analysis = analyze_track(track, SPEC)
    replay = replay_live(track, SPEC)
    parity = compare_live_offline(analysis, replay)
    assert SPEC.dose.target_reps == 3
    assert truth.rep_count == analysis.rep_count == replay.count == 5
    assert parity.ok, _explain(parity)
    assert len(parity.matched) == 5 and all(abs(d) <= HOLD_TOLERANCE_S for d in parity.hold_diff_s)
    # the live set would have ended after the third press-up; the replay kept going
    assert truth.reps[2].top_end_s < replay.set_completed_s < truth.reps[3].start_s
    assert [s for _, s in replay.stages if s == "done"] == []
    assert replay.exercise_from_s < truth.reps[0].start_s  # the first press was seen from lying
    # the known answers: holds near the scripted ones, the scripted timing faults found
    for d, want in zip(replay.reps, truth.reps):
        assert abs(d["hold_s"] - want.hold_s) < 1.0
    codes = [{f["code"] for f in d["faults"]} for d in replay.reps]
    assert "fast_lowering" in codes[1] and "short_hold" in codes[3]
    assert "hips_lifted" in codes[2]
    texts = [c.text for _, c in replay.cues if c.id == "rep_done"]
    assert [t.split(".")[0] for t in texts] == [f"That's {n} of 3" for n in range(1, 6)]


def test_replay_at_a_slow_laptop_rate_feeds_the_nearest_frames() -> None:
    track, truth = make_session(
        SessionScript(reps=[RepScript("forearms", 2.0, 10.0, 2.5, 4.0)] * 2, noise_px=0.5)
    )
    for fps in (9.0, 15.0):
        replay = replay_live(track, SPEC, fps=fps)
        assert replay.frames_fed == pytest.approx(track.duration_s * fps + 1, abs=1)
        assert replay.count == truth.rep_count == 2


def test_grid_frames_picks_the_frame_nearest_each_grid_time() -> None:
    t = np.array([0.0, 0.03, 0.07, 0.1, 0.13, 0.2, 0.23, 0.27, 0.3])
    assert grid_frames(t, 10.0).tolist() == [0, 3, 5, 8]
    assert grid_frames(np.array([0.0]), 9.0).tolist() == [0]
    with pytest.raises(ValueError):
        grid_frames(t, 0.0)


def test_frames_go_in_as_the_browser_sends_them() -> None:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 5.0, 2.5, 2.0)]))
    row = track.data[10]
    packed = browser_landmarks(row, track.source.width, track.source.height)
    assert packed is not None and len(packed) == 33
    assert all(-1.0 <= p[0] <= 2.0 and 0.0 <= p[3] <= 1.0 for p in packed)
    assert browser_landmarks(np.full((33, 4), np.nan), 640, 480) is None


def test_a_press_soon_after_lying_down_is_counted_from_the_floor() -> None:
    # the rendered clips lie still for only 1.5-2.5 s before the first press: the frames since
    # the camera checks passed are replayed when the set starts, so the first press counts
    script = SessionScript(
        reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)] * 2, start_rest_s=1.5, noise_px=0.5
    )
    track, truth = make_session(script)
    replay = replay_live(track, SPEC)
    assert replay.count == truth.rep_count == 2
    assert all(d["complete"] for d in replay.reps)


def test_a_hand_hidden_beside_the_head_does_not_hold_up_the_camera_check() -> None:
    track, truth = make_session(
        SessionScript(reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)] * 2, noise_px=0.5)
    )
    data = track.data.copy()
    data[:, LANDMARK_INDEX["left_wrist"], 3] = 0.3  # the near hand hidden: low visibility
    hidden = type(track)(t_s=track.t_s, data=data, source=track.source)
    replay = replay_live(hidden, SPEC)
    assert any(s == "exercise" for _, s in replay.stages)
    assert replay.count == truth.rep_count == 2


def test_a_raised_or_turned_camera_the_analysis_corrects_passes_the_set_up() -> None:
    # the floor line tilts 20 degrees in the picture: offline corrects it (limit 35), so live
    # must not refuse it
    script = SessionScript(
        reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)] * 2, camera_roll_deg=20.0, noise_px=0.5
    )
    track, truth = make_session(script)
    replay = replay_live(track, SPEC)
    parity = compare_live_offline(analyze_track(track, SPEC), replay)
    assert replay.count == truth.rep_count == 2
    assert parity.ok, _explain(parity)


def test_hands_beside_the_head_pass_the_start_check_but_far_ahead_do_not() -> None:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)]))
    s = LiveSession(SPEC)
    s.width, s.height = track.source.width, track.source.height
    lm = track.data[:30].copy()  # lying still, head at the image left (side "left")
    sh = lm[:, LANDMARK_INDEX["left_shoulder"], :2]
    hp = lm[:, LANDMARK_INDEX["left_hip"], :2]
    trunk = float(np.median(np.linalg.norm(sh - hp, axis=1)))

    def hands(ahead: float) -> bool:
        moved = lm.copy()
        wrist = LANDMARK_INDEX["left_wrist"]
        moved[:, wrist, 0] = sh[:, 0] - ahead * trunk  # the head is to the left
        return next(c["ok"] for c in s.start_checks(moved) if c["id"] == "hands")

    assert hands(0.0) and hands(0.6) and hands(-0.3)
    assert not hands(1.0) and not hands(-0.7)


def test_a_bent_elbow_passes_the_forearm_check_when_the_forearm_looks_steep() -> None:
    # from a raised, turned camera a forearm lying on the floor can look steep in the picture;
    # the bent elbow still says the person rests on the forearms. A straight, propped arm fails.
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)]))
    s = LiveSession(SPEC)
    s.width, s.height = track.source.width, track.source.height
    lm = track.data[:30].copy()
    sh = lm[:, LANDMARK_INDEX["left_shoulder"], :2]
    hp = lm[:, LANDMARK_INDEX["left_hip"], :2]
    trunk = float(np.median(np.linalg.norm(sh - hp, axis=1)))

    def forearms(elbow: tuple[float, float], wrist: tuple[float, float]) -> bool:
        moved = lm.copy()  # offsets in trunk lengths: x towards the feet, y down the picture
        for name, (dx, dy) in (("left_elbow", elbow), ("left_wrist", wrist)):
            moved[:, LANDMARK_INDEX[name], 0] = sh[:, 0] + dx * trunk
            moved[:, LANDMARK_INDEX[name], 1] = sh[:, 1] + dy * trunk
        return next(c["ok"] for c in s.start_checks(moved) if c["id"] == "forearms")

    assert forearms((0.1, 0.5), (-0.05, 0.1))  # steep forearm (about 70 deg), elbow bent
    assert not forearms((0.0, 0.4), (0.0, 0.8))  # a straight arm propped under the shoulder


def test_ending_while_up_reports_the_press_up_as_not_counted() -> None:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 10.0, 2.5, 3.0)] * 2))
    # rep 2: press 20.5-22.5 s, hold 22.5-32.5 s; the recording stops mid-way through the hold
    cut = track.slice(0, int(np.searchsorted(track.t_s, 27.0)))
    replay = replay_live(cut, SPEC)
    assert [d["complete"] for d in replay.reps] == [True, False]
    assert replay.reps[-1]["not_counted"] == "ended_up"
    assert "not_counted:ended_up" in [c.id for _, c in replay.cues]
    parity = compare_live_offline(analyze_track(cut, SPEC), replay)
    assert parity.ok, _explain(parity)


def test_compare_names_what_differs() -> None:
    track, _ = make_session(_five_reps())
    analysis = analyze_track(track, SPEC)
    replay = replay_live(track, SPEC)
    replay.reps[1] = dict(replay.reps[1], hold_s=replay.reps[1]["hold_s"] + 1.0)
    replay.reps[2] = dict(replay.reps[2], faults=[])
    del replay.reps[4]
    p = compare_live_offline(analysis, replay)
    assert not p.ok and p.count_offline == 5 and p.count_live == 4
    text = _explain(p)
    assert "count 5 offline, 4 live" in text
    assert "offline #2): hold" in text and "live (+1.0" in text
    assert "hips_lifted" in text
    assert "not seen live" in text


# -- the rendered corpus -------------------------------------------------------------------------
TRACKS = _corpus_tracks()

#: Corpus clips where live and offline are known to differ today, and why (see
#: ``python benchmarks/live_parity.py`` and docs/accuracy.md). Any other clip that starts to
#: differ fails the test; a listed clip that starts to agree passes (the mark is not strict).
#: Which clips sit on these edges moves with sub-pixel changes of the landmarks: MediaPipe's
#: own tracking with one crop turned by 1e-7 rad gave 67/80 agreeing clips, moved by half a
#: pixel 72/80, with other clips in the list (docs/bulk.md); these are today's (69/80).
KNOWN_DIFFERENCES: dict[str, str] = {
    "g002": "head limit borderline: live finds the chin dropped on the second press-up",
    "g008": "the hold's end on a hips-lifted press-up: 0.4 s apart",
    "g014": "the second hold's end after a chin drop: 0.47 s apart",
    "g017": "the live filter keeps a pause on the way up: its hold starts 0.3-0.7 s earlier",
    "g018": "head limit borderline: offline finds the head tipped back on the third press-up",
    "g031": "the live start check: on this clip the hands and the forearms checks pass in "
    "turn, never together, so the set never begins (the older landmarks passed once, at 11 s)",
    "g037": "the hold's start after a slow rise: 0.47 s apart",
    "g053": "the hold's end on a hips-lifted press-up: 0.4 s apart",
    "g059": "a one-frame tracking glitch at the start of a small press: live restarts the rep",
    "g068": "a 20 s hold's end on a slow sag: 1.9 s apart",
    "g075": "the first hold's end on a slow sag: 1.7 s apart",
    "g079": "lowerings near the fast-lowering limit and a hold's end on a slow sag",
}


def _corpus_param(p: Path) -> object:
    reason = KNOWN_DIFFERENCES.get(p.stem[:4])
    if reason is None:
        return p
    return pytest.param(p, marks=pytest.mark.xfail(reason=reason, strict=False))


@pytest.mark.parametrize(
    "path",
    [_corpus_param(p) for p in TRACKS]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no complete corpus clip"))],
    ids=[p.stem[:4] for p in TRACKS] or ["none"],
)
def test_live_replay_matches_offline_on_the_corpus(path: Path) -> None:
    track = load_track(path)
    analysis = analyze_track(track, SPEC)  # no corpus clip may be refused
    replay = replay_live(track, SPEC)
    parity = compare_live_offline(analysis, replay)
    assert math.isfinite(replay.exercise_from_s), f"{path.stem}: the live set never began"
    assert parity.count_live == parity.count_offline, _explain(parity)
    assert all(abs(d) <= HOLD_TOLERANCE_S for d in parity.hold_diff_s), _explain(parity)
    assert parity.faults_live == parity.faults_offline, _explain(parity)
    assert parity.ok, _explain(parity)
