"""The live session and the coach script, replayed frame by frame over synthetic sessions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from pressup.engine import Event, held_s
from pressup.live import Coach, LiveSession
from pressup.live.cues import Moment
from pressup.live.session import landmarks_to_pixels
from pressup.protocol import ProtocolSpec
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = ProtocolSpec()


def _on_frame(s: LiveSession, track: Any, i: int) -> Any:
    """Feed frame ``i`` of a synthetic ``track`` to ``s`` (no landmarks where no one is seen)."""
    row = track.data[i]
    return s.on_frame(
        float(track.t_s[i]),
        track.source.width,
        track.source.height,
        row if np.isfinite(row[0, 0]) else None,
    )


def _replay(script: SessionScript, step: int = 2):  # type: ignore[no-untyped-def]
    """Feed every ``step``-th frame (15 frames/s: a browser's pace) to a LiveSession."""
    track, truth = make_session(script)
    s = LiveSession(SPEC)
    stages, cues, events = [], [], []
    for i in range(0, track.n_frames, step):
        u = _on_frame(s, track, i)
        stages.append(u.status["stage"])
        cues.extend((float(track.t_s[i]), c) for c in u.cues)
        events.extend(u.events)
    return s, truth, stages, cues, events


def _reps(n: int, **kw: object) -> list[RepScript]:
    return [
        RepScript("forearms" if i % 2 == 0 else "hands", 2.0, 11.0, 2.5, 4.0, **kw)  # type: ignore[arg-type]
        for i in range(n)
    ]


def test_a_guided_set_counts_every_rep_and_ends_itself() -> None:
    s, truth, stages, cues, events = _replay(SessionScript(reps=_reps(3), noise_px=0.5))
    assert s.state.reps_done == truth.rep_count == 3
    assert stages[0] == "setup"
    assert "exercise" in stages and stages[-1] == "done"
    ids = [c.id for _, c in cues]
    assert ids.count("press") == 3
    assert ids.count("hold") == 3
    assert ids.count("rep_done") == 3
    assert ids.count("set_done") == 1
    assert ids.index("start") < ids.index("press")
    # the countdown (10, 5, 3: numbers 1.5 s apart at least) reaches 3 before the "lower
    # slowly" breath cue of each rep
    for rep_start in [i for i, x in enumerate(ids) if x == "press"]:
        after = ids[rep_start:]
        assert after.index("count5") < after.index("count3") < after.index("hold_done")
    texts = [c.text for _, c in cues if c.id == "rep_done"]
    assert texts == ["That's 1 of 3.", "That's 2 of 3.", "That's 3 of 3."]
    assert sum(e.kind == "set_completed" for e in events) == 1


def test_hold_timer_pauses_when_tracking_is_lost() -> None:
    reps = [RepScript("forearms", 2.0, 12.0, 2.5, 4.0)]
    track, _ = make_session(SessionScript(reps=reps, dropouts=[(9.0, 11.0)]))
    s = LiveSession(SPEC)
    held: list[tuple[float, float, bool]] = []
    for i in range(track.n_frames):
        row = track.data[i]
        u = s.on_frame(float(track.t_s[i]), 960, 540, row if np.isfinite(row[0, 0]) else None)
        if u.status["hold"]:
            held.append(
                (float(track.t_s[i]), u.status["hold"]["held_s"], u.status["hold"]["running"])
            )
    during = [h for t, h, _ in held if 9.6 <= t <= 11.0]
    assert during and max(during) - min(during) < 0.2  # frozen while unseen
    assert any(not running for _, _, running in held)
    end = max(h for _, h, _ in held)
    # the hold lasted 12 s, of which 2 s unseen: the timer counts only what it saw
    assert 8.5 <= end <= 11.5  # (hold start and end are each found within about half a second)


def test_the_hold_timer_is_the_engine_s_and_keeps_the_old_live_timer_s_values() -> None:
    """The live session keeps no timer of its own: its hold is :func:`held_s` of the engine
    state, which gives what the former live timer (reimplemented here) gave, gaps included."""
    reps = [RepScript("forearms", 2.0, 12.0, 2.5, 4.0), RepScript("hands", 2.0, 9.0, 2.5, 4.0)]
    track, _ = make_session(SessionScript(reps=reps, dropouts=[(9.0, 11.0), (24.0, 24.4)]))
    s = LiveSession(SPEC)
    old, last_t, compared = 0.0, math.nan, 0
    for i in range(0, track.n_frames, 2):
        t = float(track.t_s[i])
        row = track.data[i]
        before = s.state
        u = s.on_frame(t, 960, 540, row if np.isfinite(row[0, 0]) else None)
        if s.stage != "exercise" or s.state is before:
            continue
        # the former LiveSession._held_s
        dt = t - last_t if math.isfinite(last_t) else 0.0
        last_t = t
        rep, st = s.state.rep, s.state
        at_top = rep is not None and st.phase == "top" and not st.lost
        if rep is None or rep.number != (before.rep.number if before.rep else None):
            old = 0.0
        elif at_top and np.isfinite(row[0, 0]) and 0 < dt < 0.5 and rep.top_confirmed:
            if not (before.rep and before.rep.top_confirmed):
                old = max(0.0, t - rep.top_start_s)
            else:
                old += dt
        if u.status["hold"]:
            assert u.status["hold"]["held_s"] == round(held_s(s.state), 1)
            assert held_s(s.state) == pytest.approx(old, abs=1e-6)
            compared += 1
    assert compared > 100
    assert not hasattr(s, "_held_s")


def test_camera_assistant_names_the_problem() -> None:
    track, _ = make_session(SessionScript(reps=_reps(1)))
    s = LiveSession(SPEC)
    # a head-on view: both shoulders far apart
    data = track.data.copy()
    data[:, 12, 0] = data[:, 11, 0] + 200.0
    for i in range(40):
        u = s.on_frame(i / 30.0, 960, 540, data[i])
    failing = [c["id"] for c in u.status["checks"] if not c["ok"]]
    assert u.status["stage"] == "setup"
    assert "camera_side" in failing


def test_nobody_in_view_keeps_the_set_up_screen() -> None:
    s = LiveSession(SPEC)
    for i in range(30):
        u = s.on_frame(i / 30.0, 640, 480, None)
    assert u.status["stage"] == "setup"
    assert [c["id"] for c in u.status["checks"]] == ["person"]
    assert u.cues == [] or u.cues[0].kind == "info"


def test_form_cues_come_one_at_a_time_by_priority_with_cooldown() -> None:
    coach = Coach(SPEC)
    ev = [
        Event(10.0, "fault_started", 1, {"code": "shoulders_shrugged"}),
        Event(10.0, "fault_started", 1, {"code": "hips_lifted"}),
    ]
    cues = coach.on_events(10.0, ev, 0.0)
    assert [c.id for c in cues] == ["form:hips_lifted"]
    # within the cooldown nothing more is said
    cues = coach.on_events(12.0, [Event(12.0, "fault_started", 1, {"code": "neck_flexed"})], 0.0)
    assert cues == []
    # after it, a different fault may be said; the same one not again in this rep
    cues = coach.on_events(25.0, [Event(25.0, "fault_started", 1, {"code": "hips_lifted"})], 0.0)
    assert cues == []
    cues = coach.on_events(26.0, [Event(26.0, "fault_started", 1, {"code": "neck_flexed"})], 0.0)
    assert [c.id for c in cues] == ["form:neck_flexed"]


def test_landmarks_to_pixels() -> None:
    lm = [[0.5, 0.25, -0.1, 1.2]] * 33
    px = landmarks_to_pixels(lm, 640, 480)
    assert px.shape == (33, 4)
    assert px[0, 0] == pytest.approx(320.0)
    assert px[0, 1] == pytest.approx(120.0)
    assert px[0, 2] == pytest.approx(-64.0)
    assert px[0, 3] == 1.0  # visibility clipped to 0..1
    assert not math.isnan(px.sum())


# -- pain ratings and the stop rules -------------------------------------------------------------
def test_a_rating_that_breaks_a_rule_stops_the_set_at_once() -> None:
    script = SessionScript(reps=_reps(3), noise_px=0.5)
    track, _ = make_session(script)
    s = LiveSession(SPEC, variant="forearms")
    assert s.on_rating(0, 2, "back").events == []
    stopped = None
    for i in range(0, track.n_frames, 2):
        row = track.data[i]
        s.on_frame(float(track.t_s[i]), track.source.width, track.source.height, row)
        if s.state.reps_done == 1 and stopped is None:
            assert s.on_rating(1, 3, "back").events == []  # one point up: carry on
            stopped = s.on_rating(1, 4, "back")  # re-rated two points up: stop
    assert stopped is not None
    [event] = stopped.events
    assert (event.kind, event.rep, event.data["rules"]) == ("set_stopped", 1, ["pain_rise"])
    [cue] = stopped.cues
    assert cue.kind == "safety" and "Lower yourself down slowly" in cue.text
    # the rest of the recording changes nothing: the set stays stopped after one press-up
    assert s.stage == "done" and s.state.reps_done == 1
    assert s.status()["stopped"]["rules"] == ["pain_rise"]


def test_a_rule_after_the_last_press_up_is_said_but_stops_nothing() -> None:
    s, *_ = _replay(SessionScript(reps=_reps(3), noise_px=0.5))
    assert s.stage == "done" and s.state.reps_done == 3
    s.on_rating(0, 1, "back")
    upd = s.on_rating(3, 3, "thigh")
    assert upd.events == [] and s.stopped is None
    [cue] = upd.cues
    assert cue.id == "after_set" and "symptoms spread further down the leg" in cue.text


def test_the_coach_names_the_variant_and_dose_at_the_start() -> None:
    from dataclasses import replace

    spec = replace(SPEC, dose=replace(SPEC.dose, target_reps=4, target_hold_s=12.0))
    s = LiveSession(spec, variant="hands_straight")
    [cue] = s.coach.on_start()
    assert "4 press-ups on your hands, elbows straight but not locked" in cue.text
    assert "12 seconds" in cue.text


# -- nothing abandoned silently ------------------------------------------------------------------
def _rep_dict(n: int, not_counted: str) -> dict[str, object]:
    return {"index": n, "complete": False, "not_counted": not_counted, "faults": []}


def test_a_press_up_given_up_for_another_shape_is_said_once_in_plain_words() -> None:
    coach = Coach(SPEC)
    # the engine gives the repetition up and reports the new position in the same frame
    ev = [
        Event(5.0, "rep_abandoned", 1, {"reason": "left the prone position", "code": "plank"}),
        Event(5.0, "position", None, {"label": "other_pose", "reason": "plank"}),
    ]
    [cue] = coach.on_events(5.0, ev, 0.0)
    assert cue.id == "not_counted:plank"
    assert cue.text == (
        "That looked like a plank, so it didn't count. For this exercise keep your hips and "
        "thighs on the floor."
    )
    # the same sentence is not said again within 10 s, and is after that
    assert coach.on_events(9.0, ev, 0.0) == []
    assert [c.id for c in coach.on_events(15.5, ev, 0.0)] == ["not_counted:plank"]


def test_another_shape_mid_set_is_named_and_not_repeated_at_every_flicker() -> None:
    coach = Coach(SPEC)
    over = [Event(3.0, "position", None, {"label": "other_pose", "reason": "arms_overhead"})]
    [cue] = coach.on_events(3.0, over, 0.0)
    assert cue.text == "Your arms are reaching overhead: bring your hands back beside your chest."
    flat = [Event(4.0, "position", None, {"label": "prone_flat"})]
    assert coach.on_events(4.0, flat, 0.0) == []
    assert coach.on_events(5.0, over, 0.0) == []  # back again 2 s later: not said twice
    kneel = [Event(6.0, "position", None, {"label": "other_pose", "reason": "kneeling"})]
    assert [c.id for c in coach.on_events(6.0, kneel, 0.0)] == ["pose:kneeling"]


def test_every_reason_a_press_up_does_not_count_has_its_own_sentence() -> None:
    coach = Coach(SPEC)
    said = {}
    for i, code in enumerate(("not_from_floor", "no_hold", "lowering_not_seen", "ended_up")):
        t = 20.0 * i
        [cue] = coach.on_events(t, [Event(t, "rep_unfinished", 1, _rep_dict(1, code))], 0.0)
        said[code] = cue.text
    assert said["lowering_not_seen"] == (
        "I lost sight of you as you came down, so that one didn't count."
    )
    assert len(set(said.values())) == 4 and all("didn't count" in s for s in said.values())
    t = 100.0
    for code in ("no_hold", "upright", "kneeling", "arms_overhead"):
        ev = [Event(t, "rep_abandoned", 1, {"reason": "x", "code": code})]
        [cue] = coach.on_events(t, ev, 0.0)
        assert cue.id == f"not_counted:{code}" and "didn't count" in cue.text
        t += 20.0


def test_a_forearm_plank_mid_set_is_not_counted_and_the_coach_says_why() -> None:
    from pressup.negatives import forearm_plank

    track = forearm_plank()
    s = LiveSession(SPEC)
    cues, events = [], []
    for i in range(track.n_frames):
        u = _on_frame(s, track, i)
        cues.extend((float(track.t_s[i]), c) for c in u.cues)
        events.extend(u.events)
    abandoned = [e for e in events if e.kind == "rep_abandoned"]
    assert abandoned and s.state.reps_done == 0
    said = [(t, c) for t, c in cues if c.id.startswith("not_counted:")]
    assert said and all("plank" in c.text for _, c in said)
    # every give-up is said (within the 1.5 s spacing of cues), unless the same sentence was
    # said less than 10 s before
    for e in abandoned:
        assert any(-1.5 - 0.1 <= e.t_s - t < 10.0 + 0.1 for t, _ in said)
    assert not any(c.id.startswith("pose:") for _, c in cues)  # said once, as "didn't count"


def test_getting_into_place_is_not_told_off_when_the_set_starts() -> None:
    # kneeling on all fours, then down to lying: the frames since the camera checks passed are
    # replayed when the start position is held; what happened while getting down is stored but
    # not said (it is over)
    from pressup.negatives import get_down_from_all_fours

    track = get_down_from_all_fours()
    s = LiveSession(SPEC)
    cues, events = [], []
    for i in range(track.n_frames):
        u = s.on_frame(float(track.t_s[i]), track.source.width, track.source.height, track.data[i])
        cues.extend(c.id for c in u.cues)
        events.extend(u.events)
    assert s.stage == "exercise" and "start" in cues
    assert any(e.kind == "position" and (e.data or {}).get("label") == "other_pose" for e in events)
    assert not [c for c in cues if c.startswith(("pose:", "not_counted:"))]


# -- the posture done against the plan -----------------------------------------------------------
def _done(n: int, variant: str) -> list[Event]:
    return [Event(10.0 * n, "rep_completed", n, {"index": n, "variant": variant, "faults": []})]


def test_a_press_up_in_another_posture_than_planned_is_said_once_a_set_after_its_count() -> None:
    coach = Coach(SPEC, planned="forearms")
    rest = SPEC.dose.rest_between_reps_s
    cues = coach.on_events(10.0, _done(1, "hands"), 0.0)
    # after the count, before the pain question (the runner-up the gate sends 1.5 s later)
    assert [c.id for c in cues] == ["rep_done", "posture", "pain"]
    assert cues[1].text == (
        "You went up on your hands; today's plan is on the forearms: stay on the forearms."
    )
    assert cues[1].priority.name == "COUNT" and cues[1].phases == frozenset({"rest"})
    assert [c.id for c in coach.on_events(10.0 + rest, [], 0.0)] == ["ready"]
    # a second press-up on the hands: not said again in this set
    coach.on_events(20.0, _done(2, "hands"), 0.0)
    assert [c.id for c in coach.on_events(20.0 + rest, [], 0.0)] == ["ready"]


def test_the_reverse_posture_change_and_no_plan_no_word() -> None:
    rest = SPEC.dose.rest_between_reps_s
    coach = Coach(SPEC, planned="hands")
    [_, said, _] = coach.on_events(10.0, _done(1, "forearms"), 0.0)
    assert said.text == (
        "You went up on your forearms; today's plan is on the hands: stay on the hands."
    )
    # back on the plan's posture: nothing to say
    coach = Coach(SPEC, planned="forearms")
    coach.on_events(10.0, _done(1, "forearms"), 0.0)
    assert [c.id for c in coach.on_events(10.0 + rest, [], 0.0)] == ["ready"]
    # no plan known (a recording replayed without one): the posture is not checked
    coach = Coach(SPEC)
    coach.on_events(10.0, _done(1, "hands"), 0.0)
    assert [c.id for c in coach.on_events(10.0 + rest, [], 0.0)] == ["ready"]


def test_a_live_set_planned_on_the_forearms_says_the_hands_once_through_the_gate() -> None:
    reps = [RepScript(v, 2.0, 11.0, 2.5, 12.0) for v in ("forearms", "hands", "hands")]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    s = LiveSession(SPEC, variant="forearms")
    said = []
    for i in range(0, track.n_frames, 2):
        u = _on_frame(s, track, i)
        said.extend(u.cues)
    posture = [c for c in said if c.id == "posture"]
    assert [c.text for c in posture] == [
        "You went up on your hands; today's plan is on the forearms: stay on the forearms."
    ]
    assert [r["variant"] for r in s.reps] == ["forearms", "hands", "hands"]


def _started(rep: int, t: float) -> Event:
    return Event(t, "rep_started", rep)


def test_the_press_cue_comes_when_the_rise_is_seen_and_is_not_said_twice() -> None:
    coach = Coach(SPEC)
    early = coach.on_rise_seen(1, 2.4)
    assert [c.id for c in early] == ["press"] and early[0].t_s == 2.4
    assert early[0].is_current(Moment("rising", 1), 2.5)  # the rise seen: the next attempt
    assert not early[0].is_current(Moment("rest", 0), 2.6)  # back down: it was a twitch
    coach.on_released(early)
    assert coach.on_events(2.6, [_started(1, 2.2)], 0.0) == []  # said already
    # not released yet when the press-up starts: its own press cue comes
    coach.on_rise_seen(2, 12.4)
    cues = coach.on_events(12.6, [_started(2, 12.2)], 0.0)
    assert [c.id for c in cues] == ["press"] and cues[0].attempt == coach.attempt
    # no rise seen: the press-up's own cue, as before
    assert [c.id for c in coach.on_events(22.6, [_started(3, 22.2)], 0.0)] == ["press"]
    # a rise seen and said that came to nothing: the next press-up's cue is said again
    coach.on_released(coach.on_rise_seen(4, 30.0))
    assert [c.id for c in coach.on_events(40.0, [_started(4, 39.8)], 0.0)] == ["press"]


def test_the_hold_cue_is_asked_again_on_the_next_top_when_it_was_not_released() -> None:
    coach = Coach(SPEC)
    coach.on_events(1.0, [_started(1, 1.0)], 0.0)
    first = coach.on_top_entered(1, 2.0)
    assert [c.id for c in first] == ["hold"]
    again = coach.on_top_entered(1, 2.6)  # the first was dropped: the trunk went on rising
    assert [c.id for c in again] == ["hold"]
    coach.on_released(again)
    assert coach.on_top_entered(1, 3.5) == []
