"""Cues in time, never stale: the selection rule (:mod:`pressup.live.cues`) and a set whose start
check passes late, replayed through the live session."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pressup.live.cues import MIN_GAP_S, Cue, CueGate, CuePriority, Moment, rank, select
from pressup.live.replay import replay_live
from pressup.pose.track import LANDMARK_INDEX, PoseTrack
from pressup.protocol import ProtocolSpec
from pressup.synthetic import RepScript, SessionScript, Truth, make_session

SPEC = ProtocolSpec()
P = CuePriority


def _cue(
    cid: str, prio: CuePriority, t: float = 0.0, phases: tuple[str, ...] = (), **kw: object
) -> Cue:
    return Cue(cid, cid, "info", prio, t_s=t, phases=frozenset(phases), **kw)  # type: ignore[arg-type]


# -- the rule ------------------------------------------------------------------------------------
def test_the_priority_order_is_safety_count_phase_form() -> None:
    assert sorted([P.FORM, P.PHASE, P.SAFETY, P.COUNT]) == [P.SAFETY, P.COUNT, P.PHASE, P.FORM]
    assert P.SAFETY.outranks(P.COUNT) and P.COUNT.outranks(P.PHASE) and P.PHASE.outranks(P.FORM)
    assert not P.FORM.outranks(P.PHASE)


def test_only_the_most_important_current_cue_is_chosen() -> None:
    now = Moment("top", attempt=1)
    press = _cue("press", P.PHASE, 1.0, ("rising",), attempt=1)  # over: already at the top
    hold = _cue("hold", P.PHASE, 2.0, ("top",), attempt=1)
    form = _cue("form", P.FORM, 2.0, ("rising", "top", "lowering"), attempt=1)
    old_count = _cue("rep_done", P.COUNT, 0.5, ("rest",), attempt=0)  # about the last rest
    assert select([press, form, hold, old_count], now, 2.0) == hold
    assert select([press, old_count], now, 2.0) is None
    # the same priority: the newest first, then the first produced
    a, b = _cue("a", P.COUNT, 1.0), _cue("b", P.COUNT, 2.0)
    c = _cue("c", P.COUNT, 2.0)
    assert rank([a, b, c]) == [b, c, a]
    # a countdown number is true for its second only
    three = _cue("count3", P.COUNT, 5.0, ("top",), until_s=6.0)
    assert three.is_current(Moment("top"), 5.9) and not three.is_current(Moment("top"), 6.1)


def test_the_gate_spaces_cues_drops_stale_ones_and_lets_safety_through() -> None:
    gate = CueGate()
    rest1 = Moment("rest", 1)
    done = _cue("rep_done", P.COUNT, 10.0, ("rest",), attempt=1)
    pain = _cue("pain", P.PHASE, 10.0, ("rest",), attempt=1)
    form = _cue("form", P.FORM, 9.0, ("lowering",), attempt=1)  # its moment is over
    assert gate.release(10.0, [pain, form, done], rest1) == [done]
    assert gate.waiting == pain  # the runner-up, still true, waits in the one slot
    assert gate.release(11.0, [], rest1) == []  # too soon
    assert gate.release(11.5, [], rest1) == [pain]
    assert gate.waiting is None
    # a waiting cue whose moment passes is dropped, not said late
    ready = _cue("ready", P.PHASE, 12.0, ("rest",), attempt=1)
    assert gate.release(12.0, [ready], rest1) == []
    assert gate.waiting == ready
    assert gate.release(13.5, [], Moment("rising", 2)) == []
    assert gate.waiting is None
    # safety always passes, at once, and counts in the spacing
    lost = Cue("lost", "I can't see you.", "safety", P.SAFETY, t_s=14.0)
    press = _cue("press", P.PHASE, 14.0, ("rising",), attempt=2)
    assert gate.release(14.0, [press, lost], Moment("rising", 2)) == [lost]
    assert gate.release(15.0, [], Moment("rising", 2)) == []
    assert gate.release(15.5, [], Moment("rising", 2)) == [press]
    again = Cue("stopped", "Stop.", "safety", P.SAFETY)
    assert gate.release(15.6, [again], Moment("done", 2)) == [again]


def test_a_newer_or_more_important_cue_replaces_the_waiting_one() -> None:
    gate = CueGate()
    top = Moment("top", 1)
    assert gate.release(0.0, [_cue("hold", P.PHASE, 0.0, ("top",))], top)
    five = _cue("count5", P.COUNT, 0.5, ("top",), until_s=1.5)
    form = _cue("form", P.FORM, 0.6, ("top",))
    gate.release(0.5, [five], top)
    gate.release(0.6, [form], top)
    assert gate.waiting == five  # a form cue does not push a count out
    three = _cue("count3", P.COUNT, 1.4, ("top",), until_s=2.4)
    gate.release(1.4, [three], top)
    assert gate.release(1.5, [], top) == [three]


# -- a set whose start check passes late ----------------------------------------------------------
#: What each cue is about, by the truth's phases (independent of the cue's own ``phases``).
TRUTH_PHASES: dict[str, tuple[str, ...]] = {
    "press": ("rising",),
    "hold": ("top",),
    "count10": ("top",),
    "count5": ("top",),
    "count3": ("top",),
    "hold_done": ("top", "lowering"),
    "lower": ("lowering",),
    "rep_done": ("rest",),
    "set_done": ("rest",),
    "pain": ("rest",),
    "ready": ("rest",),
    "start": ("rest",),
}
#: The camera sees a change of phase some frames after it happens (the engine's confirmation
#: times at 9 frames/s): a cue about the phase just over may be released this long after it.
DETECTION_S = 1.0


def _truth_spans(truth: Truth, attempt: int, phase: str) -> tuple[float, float]:
    """When ``phase`` of press-up ``attempt`` (rest: the rest after it) really was (seconds)."""
    reps = truth.reps
    if phase == "rest":
        start = reps[attempt - 1].end_s if attempt > 0 else 0.0
        end = reps[attempt].start_s if attempt < len(reps) else math.inf
        return start, end
    r = reps[attempt - 1]
    return {
        "rising": (r.start_s, r.top_start_s),
        "top": (r.top_start_s, r.top_end_s),
        "lowering": (r.top_end_s, r.end_s),
    }[phase]


def _late_start_check() -> tuple[PoseTrack, Truth]:
    """Three press-ups; the head is held up (start check ``head`` failing) for the first 13 s,
    during which the first press-up is done whole."""
    reps = [RepScript("forearms", 2.0, 5.0, 2.5, 4.0) for _ in range(3)]
    track, truth = make_session(SessionScript(reps=reps, start_rest_s=2.0, noise_px=0.5, seed=1))
    data = track.data.copy()
    side = "left"
    sh = data[:, LANDMARK_INDEX[f"{side}_shoulder"], :2]
    hp = data[:, LANDMARK_INDEX[f"{side}_hip"], :2]
    trunk = float(np.nanmedian(np.linalg.norm(sh - hp, axis=1)))
    late = track.t_s < 13.0
    data[late, 0:11, 1] -= 0.8 * trunk  # the face landmarks well above the shoulder
    assert truth.reps[0].end_s < 13.0
    return PoseTrack(t_s=track.t_s, data=data, source=track.source), truth


@pytest.mark.parametrize("fps", [None, 15.0, 9.0])
def test_a_late_start_check_gives_one_cue_at_a_time_and_nothing_stale(fps: float | None) -> None:
    track, truth = _late_start_check()
    replay = replay_live(track, SPEC, fps)
    assert replay.count == 3  # the press-up done while the check was failing still counts
    began = next(t for t, s in replay.stages if s not in ("setup", "start_check"))
    assert began > truth.reps[0].end_s
    spoken = [(t, c) for t, c in replay.cues if c.speak and c.priority is not P.SAFETY]
    assert spoken and any(c.id == "rep_done" for _, c in spoken)
    # the update that started the set carried one cue (it used to carry 9)
    assert len([c for t, c in replay.cues if t == began]) <= 1
    # at most one spoken cue per 1.5 s
    times = [t for t, _ in spoken]
    gaps = np.diff(times)
    assert gaps.size and gaps.min() >= MIN_GAP_S - 1e-6, list(zip(times, gaps))
    # nothing about a phase already over when it is released
    checked = 0
    for t, c in spoken:
        if c.id.startswith(("start_check:", "setup:")):
            assert t < began
            continue
        phases = TRUTH_PHASES.get(
            c.id, ("rising", "top", "lowering") if c.id.startswith("form:") else ()
        )
        assert phases, c.id
        assert c.attempt is not None
        spans = [_truth_spans(truth, c.attempt, p) for p in phases]
        assert any(a - DETECTION_S <= t <= b + DETECTION_S for a, b in spans), (t, c.id, spans)
        checked += 1
    assert checked >= 10
    # the press cue of a press-up is never said once the person is at the top
    for t, c in spoken:
        if c.id == "press":
            assert t < truth.reps[c.attempt - 1].top_start_s + 0.5  # type: ignore[operator]


def test_the_same_cue_is_never_queued_twice() -> None:
    """A runner-up with the id of the cue just released is dropped; a cue made again replaces
    the one waiting with its id, even when the waiting one is newer."""
    gate = CueGate()
    rising = Moment("rising", 1)
    early = _cue("press", P.PHASE, 5.0, ("rest", "rising"))
    again = _cue("press", P.PHASE, 4.8, ("rising",), attempt=1)
    assert gate.release(5.0, [early, again], rising) == [early]
    assert gate.waiting is None
    gate = CueGate()
    gate.release(4.0, [_cue("rep_done", P.COUNT, 4.0)], rising)
    gate.release(5.0, [early], rising)
    assert gate.waiting == early
    gate.release(5.2, [again], rising)
    assert gate.waiting == again
    assert gate.release(4.0 + MIN_GAP_S, [], rising) == [again]
