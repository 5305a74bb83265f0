"""The pure streaming exercise engine: ``step(state, frame) -> (state, events)``.

The same engine runs offline (over a whole smoothed track) and live (frame by frame). The state
is an immutable :class:`EngineState`; ``step`` never mutates its inputs and has no side effects,
so any track can be replayed and any state inspected.

Phases of one repetition (see ``docs/engine.md``)::

    rest --(trunk rises past rise_start_deg)--> rising --(trunk still, high enough)--> top
    top --(trunk drops top_band_deg below its level)--> lowering --(trunk below down_deg)--> rest

Leaving the prone family of positions (plank, push-up, standing...) abandons a repetition.
A repetition is *complete* only when lying flat before it, the raised position and the return
to the floor were all seen.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from pressup.engine.events import Event, KinFrame
from pressup.protocol.spec import ProtocolSpec
from pressup.vocab import FAULT_CODES, AbandonReason, FaultCode, Label, Phase

_NAN = math.nan
_LIVE_FAULTS: tuple[FaultCode, ...] = (
    "elbows_locked",
    "neck_extended",
    "neck_flexed",
    "hips_lifted",
    "shoulders_shrugged",
)
_FAULT_POS = {c: i for i, c in enumerate(_LIVE_FAULTS)}
_NO_FAULTS: tuple[float, ...] = (_NAN,) * len(_LIVE_FAULTS)
_NO_ACTIVE: tuple[bool, ...] = (False,) * len(_LIVE_FAULTS)
_MAX_HIP_SHARE = 0.35  # trunk lengths of pelvis rise counted into the chest rise
_NEAR_TOP_DEG = 0.7  # degrees below the top's mean level that still count as holding
_FLOOR_BAND_DEG = 0.8  # degrees: this close to the starting level the trunk is back down
_MID_FALL_SHARE = 0.38  # share of a smooth (minimum-jerk) lowering spent from 80 % to 20 % down
MIN_NEUTRAL_FRAMES = 8  # hold frames needed to learn the neutral head line and shoulders
assert set(_LIVE_FAULTS) <= set(FAULT_CODES)


class Baselines(NamedTuple):
    """The person's own neutral, against which head and shoulder faults are judged.

    Attributes:
        neck_a_deg, neck_b: neutral neck angle (degrees) = ``neck_a_deg + neck_b * trunk_deg``.
        shrug_ref: typical ear-shoulder / shoulder-hip ratio at the top.
    NaN disables the corresponding fault. The engine learns them from the person's first hold
    of the set (see :meth:`Engine.step`), live and offline alike, unless given in advance.
    """

    neck_a_deg: float = _NAN
    neck_b: float = 0.0
    shrug_ref: float = _NAN


class RepDraft(NamedTuple):
    """The repetition under way. Times in seconds, angles in degrees."""

    number: int  # 1-based repetition number
    start_s: float
    seen_flat_before: bool
    start_level: float = 0.0  # resting trunk angle before the rise (degrees)
    top_confirmed: bool = False  # the hold's start is fixed (the top lasted settle time)
    lower_seen_deg: float = 0.0  # trunk descent seen frame to frame while lowering (degrees)
    top_start_s: float = _NAN
    top_end_s: float = _NAN
    peak_trunk_deg: float = -math.inf
    peak_rise_deg: float = -math.inf  # highest chest rise (see Engine.rise_deg)
    elbow_top_sum: float = 0.0  # sum of elbow_deg over the top frames where it was seen
    elbow_top_n: int = 0
    forearm_frames: int = 0  # frames at the top that looked like the sphinx (forearms down)
    hands_frames: int = 0  # frames at the top that looked like the hands variant
    faults: tuple[dict[str, Any], ...] = ()
    fall_hi_t: float = _NAN  # when the way down passed 80 % of the height (seconds)
    fall_lo_t: float = _NAN  # ... and 20 % of it
    neck_sum: float = 0.0  # sum of neck_deg - slope * trunk_deg over judged hold frames
    neck_n: int = 0
    shrug_sum: float = 0.0  # sum of shrug_ratio over judged hold frames
    shrug_n: int = 0
    #: time since the hold's start that did not count as holding (tracking lost or the frame
    #: not seen, off the top, a gap of half a second or more between frames); see held_s
    hold_paused_s: float = 0.0


class EngineState(NamedTuple):
    """Everything the engine remembers between frames."""

    phase: Phase = "start"  # start | rest | rising | top | lowering | settle | other
    label: str = "not_visible"  # per-frame position label (a vocab.Label) of the last frame
    t_s: float = _NAN
    prev_trunk: float = _NAN
    speed: float = 0.0  # trunk speed, degrees per second (+ = rising)
    rest_since: float = _NAN
    #: when the chest was first seen rising from this rest (see Engine._watch_onset), else NaN
    onset_t: float = _NAN
    rest_level: float = _NAN  # resting trunk angle (degrees), learned while lying still
    rest_hip: float = _NAN  # resting pelvis height (trunk lengths)
    rest_foot: float = _NAN  # knee-ankle-toe angle while lying (degrees; ~160 = feet flat)
    rest_thigh: float = _NAN  # thigh elevation while lying (degrees; 3-15 by camera and body)
    level: float = _NAN  # trunk level of the current top (degrees)
    top_base: float = _NAN  # trunk angle when the current top was entered (degrees)
    top_entry_t: float = _NAN  # when the current top was entered
    last_high_t: float = _NAN
    calm_t: float = _NAN  # last time the trunk was still (|speed| < calm_speed_deg_s)
    top_calm_t: float = _NAN  # first still moment of the current top
    top_sum: float = 0.0  # sum of the chest rise over the frames of the current top (degrees)
    top_n: int = 0
    near_t: float = _NAN  # last time the chest was near the top's mean level
    down_t: float = _NAN  # when the trunk got back below down_deg
    last_tracked_t: float = _NAN
    lost: bool = False
    rep: RepDraft | None = None
    reps_done: int = 0
    fault_since: tuple[float, ...] = _NO_FAULTS
    fault_active: tuple[bool, ...] = _NO_ACTIVE
    held_ticks: int = 0
    other_since: float = _NAN  # when frames started to look like another exercise
    set_done: bool = False
    neutral: Baselines = Baselines()  # the person's neutral head line and shoulder height


def _fresh_top(state: EngineState) -> EngineState:
    """Forget everything about a previous top (a new repetition starts)."""
    return state._replace(
        level=_NAN,
        top_base=_NAN,
        top_entry_t=_NAN,
        top_calm_t=_NAN,
        last_high_t=_NAN,
        top_sum=0.0,
        top_n=0,
        near_t=_NAN,
    )


#: the position label of each phase whose label does not depend on the variant
_PHASE_LABELS: dict[str, Label] = {
    "rest": "prone_flat",
    "rising": "rising",
    "lowering": "lowering",
    "settle": "prone_flat",
    "start": "prone_flat",
    "other": "other_pose",
}
_MAX_HOLD_GAP_S = 0.5  # a longer gap between frames does not count as holding


def _count_hold(before: EngineState, after: EngineState, tracked: bool) -> EngineState:
    """``after`` with the frame at ``after.t_s`` (``tracked``: the person was seen) counted
    into its repetition's hold: the time since the previous frame is held when the top is
    confirmed, the frame is at the top, seen and tracking not lost, and the frames are less
    than half a second apart; otherwise it is added to ``hold_paused_s``."""
    rep = after.rep
    if rep is None or not rep.top_confirmed:
        return after
    prev = before.rep if before.rep is not None and before.rep.number == rep.number else None
    dt = after.t_s - before.t_s if math.isfinite(before.t_s) else 0.0
    counts = after.phase == "top" and not after.lost and tracked and 0 < dt < _MAX_HOLD_GAP_S
    if prev is None or not prev.top_confirmed:
        # confirmed on this frame: the hold began a moment ago (at top_start_s), or, when this
        # frame does not count, nothing of it is held yet
        paused = 0.0 if counts else after.t_s - rep.top_start_s
    elif counts:
        return after
    else:
        paused = rep.hold_paused_s + dt
    return after._replace(rep=rep._replace(hold_paused_s=paused))


def hold_running(state: EngineState) -> bool:
    """Whether the hold is going on: a confirmed top, at the top, tracking not lost."""
    rep = state.rep
    return rep is not None and rep.top_confirmed and state.phase == "top" and not state.lost


def rising_seen(before: EngineState, after: EngineState) -> bool:
    """Whether the frame that made ``after`` from ``before`` first saw the chest rising from
    the rest (``onset_t``, see :meth:`Engine._watch_onset`)."""
    return math.isfinite(after.onset_t) and not math.isfinite(before.onset_t)


def held_s(state: EngineState, t_s: float | None = None) -> float:
    """Seconds the repetition under way has been held so far at ``t_s`` (default: the time of
    the state's last frame; a later time adds to the hold only while it is running, see
    :func:`hold_running`): the time since the confirmed start of the hold (``top_start_s``),
    less the time it was paused (``hold_paused_s``: tracking lost, off the top, gaps). 0 with
    no repetition or before the top is confirmed. The whole seconds of it are the
    ``hold_tick`` events' while nothing paused the hold."""
    rep = state.rep
    if rep is None or not rep.top_confirmed or not math.isfinite(rep.top_start_s):
        return 0.0
    t = state.t_s
    if t_s is not None and hold_running(state) and t_s > t:
        t = t_s
    return max(0.0, t - rep.top_start_s - rep.hold_paused_s)


def _new_level(state: EngineState, level: float, t: float) -> EngineState:
    """The hold goes on at a new level (after a gap, or stopped part-way down): the top's level,
    mean and last moments near it start again from here."""
    return state._replace(
        level=level, top_base=level, last_high_t=t, top_sum=0.0, top_n=0, near_t=t
    )


class Engine:
    """Binds a protocol spec and baselines; ``step`` and ``finish`` are pure functions of state."""

    def __init__(self, spec: ProtocolSpec, baselines: Baselines | None = None) -> None:
        self.spec = spec
        self.baselines = baselines or Baselines()
        p = spec.positions
        self._max_rest = p.max_rest_deg
        self._rise = p.rise_start_deg
        self._down = p.down_deg
        self._band = p.top_band_deg
        self._still = p.top_max_speed_deg_s
        self._min_peak = p.min_peak_trunk_deg
        self._calm = p.calm_speed_deg_s
        self._onset = p.rise_onset_deg
        self._onset_speed = p.rise_onset_speed_deg_s
        self._min_pos = p.min_position_s
        self._settle_s = 1.5
        self._lost_after = spec.tracking.lost_after_s
        self._min_fault = spec.faults.min_duration_s

    def initial(self) -> EngineState:
        return EngineState(neutral=self.baselines)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def rise_deg(state: EngineState, f: KinFrame) -> float:
        """How far the chest has risen, as a trunk angle in degrees: the trunk angle, plus the
        angle the pelvis's own rise adds to the shoulders' height when the hips leave the floor.

        This, not the trunk angle alone, drives the repetition: a press-up lifts the shoulders
        whatever the pelvis does, while the hip->shoulder line flattens when the hips rise with
        it (the hips-lifted fault on the forearms). With the pelvis on the floor it is the trunk
        angle. The pelvis's share is capped at 0.35 trunk lengths (about 20 degrees), so that
        one misplaced hip cannot fake a press-up.
        """
        lift = f.hip_height - state.rest_hip
        if not (lift > 0.0):
            return f.trunk_deg
        return f.trunk_deg + math.degrees(math.asin(min(lift, _MAX_HIP_SHARE)))

    def _hip_lift(self, state: EngineState, f: KinFrame) -> float:
        """Pelvis height above its resting level, in trunk lengths (NaN if unknown)."""
        return f.hip_height - state.rest_hip

    def _on_forearms(self, f: KinFrame) -> bool | None:
        """True when the forearm rests on the floor (sphinx), None when it cannot be seen.

        The forearm's own slope decides (flat on the floor vs. standing up on the hand); the
        elbow angle is the fallback when the wrist->elbow line is not seen.
        """
        p = self.spec.positions
        if math.isfinite(f.forearm_deg):
            return f.forearm_deg <= p.forearms_max_forearm_deg
        if math.isfinite(f.elbow_deg):
            return f.elbow_deg <= p.forearms_max_elbow_deg
        return None

    def _variant_label(self, f: KinFrame, rep: RepDraft | None, hip_lift: float) -> Label:
        p = self.spec.positions
        on_forearms = self._on_forearms(f)
        if on_forearms is None:
            if rep is not None and (rep.forearm_frames or rep.hands_frames):
                on_forearms = rep.forearm_frames > rep.hands_frames
            else:
                on_forearms = self.spec.dose.variant == "forearms"
        if on_forearms:
            return "sphinx"
        if hip_lift > p.updog_hip_lift and f.elbow_deg >= p.updog_min_elbow_deg:
            return "updog"
        return "pressup_hands"

    def _feet_flat(self, state: EngineState, f: KinFrame) -> bool:
        """True when the tops of the feet rest on the floor (the prone press-up), False when
        the toes are tucked under (standing on them) or the feet are not seen.

        The feet as they were while lying before count first (a person about to plank or push
        up tucks the toes while still lying; in a press-up they stay flat): once they were flat,
        only a clearly tucked foot (20 degrees past the limit) counts as tucked.
        """
        tucked = self.spec.positions.toes_tucked_max_foot_deg
        if math.isfinite(state.rest_foot) and state.rest_foot >= tucked:
            return not (f.foot_deg < tucked - 20.0)
        return f.foot_deg >= tucked

    def _other_reason(self, state: EngineState, f: KinFrame) -> AbandonReason | None:
        """Why this frame is not the prone press-up family, or None when it is.

        Decided by what holds the body up: the pelvis and thighs on the floor (or the pelvis
        lifted with the tops of the feet still down, the hips-lifted fault), the forearms or
        hands beside the chest. Reasons: ``upright`` (sitting, kneeling up, standing),
        ``kneeling`` (all fours, downward dog), ``arms_overhead`` (swimmer, superman),
        ``plank`` (on the toes or knees with the body straight: plank, push-up, knee push-up).
        """
        p = self.spec.positions
        if f.trunk_deg > p.max_trunk_deg:
            return "upright"
        if f.thigh_deg > p.max_thigh_deg:
            return "kneeling"  # kneeling, all fours, downward dog
        if (
            f.elbow_ahead > p.arms_overhead_elbow_ahead
            or f.wrist_ahead > p.arms_overhead_wrist_ahead
        ):
            return "arms_overhead"
        if f.thigh_deg > p.straight_body_thigh_deg and abs(f.hip_ext_deg) < p.straight_body_hip_deg:
            return "plank"  # thighs raised with the body in one straight line: knee plank
        feet_flat = self._feet_flat(state, f)
        if not feet_flat and self._hip_lift(state, f) > p.on_toes_hip_lift:
            return "plank"  # the pelvis up on tucked toes: plank, push-up
        # the thighs' rise above their lying angle (the hip joint lies higher than the knee)
        thigh_rise = f.thigh_deg - (state.rest_thigh if math.isfinite(state.rest_thigh) else 0.0)
        legs_up = f.shin_deg > p.max_shin_deg or (
            f.trunk_deg >= p.min_peak_trunk_deg
            and thigh_rise > p.legs_with_body_ratio * f.trunk_deg
        )
        if not legs_up:
            return None
        # the legs rise with the body: on the toes it is a plank or push-up; with the tops of
        # the feet on the floor, a press-up whose hips have left the floor
        if not feet_flat:
            return "plank"  # toes tucked, or the feet not seen: do not count it
        if self._on_forearms(f) or f.hip_ext_deg > p.straight_body_hip_deg:
            return None  # on the forearms, or on the hands with the back arched
        return "plank"  # straight body on the hands

    def _fault_conditions(
        self, state: EngineState, f: KinFrame, phase: Phase, hip_lift: float
    ) -> tuple[bool, ...]:
        lim = self.spec.faults
        b = state.neutral
        top = phase == "top"
        moving = phase in ("rising", "top", "lowering")
        neck_dev = _NAN
        if top and math.isfinite(b.neck_a_deg) and math.isfinite(f.neck_deg):
            neck_dev = self.head_line(f) - b.neck_a_deg
        return (
            top and f.elbow_deg >= lim.elbows_locked_deg,
            neck_dev > lim.neck_extended_deg,
            neck_dev < -lim.neck_flexed_deg,
            moving and hip_lift > lim.hips_lifted,
            top and math.isfinite(b.shrug_ref) and f.shrug_ratio < lim.shrug_fraction * b.shrug_ref,
        )

    def _close_faults(
        self, state: EngineState, t: float, events: list[Event]
    ) -> tuple[EngineState, tuple[dict[str, Any], ...]]:
        """End every active fault at time ``t``; return the closed ones."""
        closed: list[dict[str, Any]] = []
        rep_idx = state.rep.number if state.rep else None
        for i, code in enumerate(_LIVE_FAULTS):
            if state.fault_active[i]:
                fault = {"code": code, "start_s": state.fault_since[i], "end_s": t}
                events.append(Event(t, "fault_ended", rep_idx, dict(fault)))
                closed.append(fault)
        return state._replace(fault_since=_NO_FAULTS, fault_active=_NO_ACTIVE), tuple(closed)

    def _rep_dict(self, rep: RepDraft, end_s: float, complete: bool) -> dict[str, Any]:
        top_start = rep.top_start_s
        top_end = rep.top_end_s if math.isfinite(rep.top_end_s) else end_s
        if not math.isfinite(top_start):
            top_start = top_end
        variant = "forearms" if rep.forearm_frames > rep.hands_frames else "hands"
        return {
            "index": rep.number,
            "start_s": rep.start_s,
            "top_start_s": top_start,
            "top_end_s": top_end,
            "end_s": end_s,
            "press_s": top_start - rep.start_s,
            "hold_s": top_end - top_start,
            "lower_s": end_s - top_end,
            "variant": variant,
            "peak_trunk_deg": rep.peak_trunk_deg if math.isfinite(rep.peak_trunk_deg) else _NAN,
            # the elbow held at the top: its mean over the top's frames. Not the largest value:
            # that follows the landmarks' noise (it read 4 to 13 degrees straighter than the
            # true elbow over the development clips) and moves with sub-pixel changes
            "peak_elbow_deg": rep.elbow_top_sum / rep.elbow_top_n if rep.elbow_top_n else _NAN,
            "faults": [dict(f, rep=rep.number) for f in rep.faults],
            "complete": complete,
        }

    # -- the step --------------------------------------------------------------------------
    def step(self, state: EngineState, f: KinFrame) -> tuple[EngineState, list[Event]]:
        """Advance by one frame. Pure: returns a new state and the events of this frame."""
        new, events = self._advance(state, f)
        return _count_hold(state, new, f.tracked), events

    def _advance(self, state: EngineState, f: KinFrame) -> tuple[EngineState, list[Event]]:
        """One frame through the state machine (``step`` adds the hold bookkeeping)."""
        events: list[Event] = []
        t = f.t_s
        if not f.tracked or not math.isfinite(f.trunk_deg):
            return self._untracked(state, t, events)
        real = f
        f = f._replace(trunk_deg=self.rise_deg(state, f))  # the state machine follows the chest
        if state.lost:
            state = self._regained(state, f, events)
        state, dt, drop = self._track_motion(state, f)

        other = self._other_reason(state, real)
        if other is not None:
            return self._other_pose(state, other, t, events)
        if not math.isnan(state.other_since):
            state = state._replace(other_since=_NAN)
        if state.rep is not None and state.phase in ("top", "lowering", "settle"):
            gap = dt if math.isfinite(dt) and dt < 0.5 else 0.0
            state = state._replace(rep=self._fall_times(state.rep, t, f.trunk_deg, drop, gap))
        state, events = self._phase_step(state, f, events, real)
        if state.rep is not None:
            state = state._replace(rep=self._rep_stats(state, real, f.trunk_deg, drop))
            state, events = self._faults(state, real, events)
        label = _PHASE_LABELS.get(state.phase)
        if label is None:
            label = self._variant_label(real, state.rep, self._hip_lift(state, real))
        return self._relabel(state, label, t, events)

    def _regained(self, state: EngineState, f: KinFrame, events: list[Event]) -> EngineState:
        """The first judgeable frame after tracking was lost (``f`` carries the chest rise)."""
        t = f.t_s
        events.append(Event(t, "tracking_regained"))
        state = state._replace(lost=False)
        rep = state.rep
        if (
            rep is not None
            and state.phase in ("top", "lowering", "settle")
            and f.trunk_deg < self._down_level(rep)
        ):
            # back on the floor: the way down went unseen during the gap. The press-up closes
            # (it does not count: its lowering was not seen), its hold ended when the person was
            # last seen, and the next press-up starts from here.
            if not math.isfinite(rep.top_end_s):
                rep = rep._replace(top_end_s=state.last_tracked_t)
            state, _ = self._complete(state._replace(rep=rep), t, f.trunk_deg, events)
            return state
        back_up = (
            state.phase == "lowering"
            and state.rep is not None
            and f.trunk_deg >= state.level - self._band
        )
        if state.phase == "top" or back_up:
            # back from a gap during the hold (or still up after a lowering that had only
            # just begun): the hold goes on, its level re-read from here
            state = _new_level(state._replace(phase="top"), f.trunk_deg, t)._replace(calm_t=t)
        return state

    def _track_motion(self, state: EngineState, f: KinFrame) -> tuple[EngineState, float, float]:
        """Follow the chest's speed (degrees per second, smoothed) and its last still moment.

        Returns the new state, the time since the last tracked frame (seconds, NaN for the
        first) and the chest's drop since the previous frame (degrees, 0 when rising or after
        a gap of half a second or more).
        """
        t = f.t_s
        dt = t - state.last_tracked_t if math.isfinite(state.last_tracked_t) else _NAN
        speed = state.speed
        if math.isfinite(state.prev_trunk) and dt > 0 and dt < 0.5:
            v = (f.trunk_deg - state.prev_trunk) / dt
            speed = 0.7 * speed + 0.3 * v
        elif not (dt < 0.5):
            speed = 0.0
        drop = 0.0
        if math.isfinite(state.prev_trunk) and dt < 0.5:
            drop = max(0.0, state.prev_trunk - f.trunk_deg)
        state = state._replace(t_s=t, prev_trunk=f.trunk_deg, speed=speed, last_tracked_t=t)
        if abs(speed) < self._calm:
            state = state._replace(calm_t=t)
        return state, dt, drop

    def _other_pose(
        self, state: EngineState, other: AbandonReason, t: float, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        """A frame that is not the prone family (``other``: why): once it has lasted
        ``min_position_s`` (seconds), the repetition under way is abandoned."""
        if math.isnan(state.other_since):
            state = state._replace(other_since=t)
        if state.phase != "other" and t - state.other_since < self._min_pos:
            return state, events  # a brief glitch: wait before calling it another pose
        abandoned = state.rep
        if abandoned is not None:
            state, _ = self._close_faults(state, t, events)
            data = {"reason": "left the prone position", "code": other}
            events.append(Event(t, "rep_abandoned", abandoned.number, data))
            state = state._replace(rep=None)
        state = state._replace(phase="other", rest_since=_NAN)
        return self._relabel(state, "other_pose", t, events, {"reason": other})

    def _phase_step(
        self, state: EngineState, f: KinFrame, events: list[Event], real: KinFrame
    ) -> tuple[EngineState, list[Event]]:
        """The rule of the current phase (``f`` carries the chest rise, ``real`` the frame)."""
        phase = state.phase
        if phase in ("start", "other", "rest"):
            return self._rest_or_rise(state, f, events, real)
        if phase == "rising":
            return self._rising(state, f, events)
        if phase == "top":
            return self._top(state, f, events)
        if phase == "lowering":
            return self._lowering(state, f, events)
        return self._settle(state, f, events)  # back on the floor, waiting for it to rest

    def _rep_stats(self, state: EngineState, real: KinFrame, rise: float, drop: float) -> RepDraft:
        """The repetition under way with this frame counted into its running statistics:
        descent seen (degrees of ``drop``), peaks (trunk and chest ``rise`` in degrees, elbow),
        the variant's frames at the top and, once the top is confirmed, the hold's sums."""
        rep = state.rep
        assert rep is not None
        upd: dict[str, Any] = {}
        if drop and state.phase in ("lowering", "settle"):
            upd["lower_seen_deg"] = rep.lower_seen_deg + drop
        if real.trunk_deg > rep.peak_trunk_deg:
            upd["peak_trunk_deg"] = real.trunk_deg
        if rise > rep.peak_rise_deg:
            upd["peak_rise_deg"] = rise
        if state.phase == "top":
            on_forearms = self._on_forearms(real)
            if on_forearms is not None:
                key = "forearm_frames" if on_forearms else "hands_frames"
                upd[key] = getattr(rep, key) + 1
            if math.isfinite(real.elbow_deg):
                upd["elbow_top_sum"] = rep.elbow_top_sum + real.elbow_deg
                upd["elbow_top_n"] = rep.elbow_top_n + 1
            if rep.top_confirmed:
                upd.update(self._hold_sums(rep, real))
        return rep._replace(**upd) if upd else rep

    def _relabel(
        self,
        state: EngineState,
        label: str,
        t: float,
        events: list[Event],
        extra: dict[str, Any] | None = None,
    ) -> tuple[EngineState, list[Event]]:
        if label != state.label:
            data = {"label": label, **(extra or {})}
            events.append(Event(t, "position", state.rep.number if state.rep else None, data))
            state = state._replace(label=label)
        return state, events

    def _untracked(
        self, state: EngineState, t: float, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        state = state._replace(t_s=t)
        since = state.last_tracked_t
        if not state.lost and (not math.isfinite(since) or t - since >= self._lost_after):
            state, closed = self._close_faults(state, since if math.isfinite(since) else t, events)
            if state.rep is not None and closed:
                state = state._replace(rep=state.rep._replace(faults=state.rep.faults + closed))
            events.append(Event(t, "tracking_lost", state.rep.number if state.rep else None))
            state = state._replace(lost=True, prev_trunk=_NAN, speed=0.0)
        return self._relabel(state, "not_visible", t, events)

    def _rest_or_rise(
        self, state: EngineState, f: KinFrame, events: list[Event], real: KinFrame
    ) -> tuple[EngineState, list[Event]]:
        """``f`` carries the chest rise as its trunk angle (see :meth:`rise_deg`), ``real`` the
        measured frame."""
        if state.phase == "rest":
            if f.trunk_deg <= state.rest_level + self._rise:
                return self._follow_rest(self._watch_onset(state, f), f), events
            return self._press_starts(state, f.t_s, events)
        return self._open(state, f, events)

    def _watch_onset(self, state: EngineState, f: KinFrame) -> EngineState:
        """While resting: note when the chest (``f``'s trunk angle, degrees) is first seen
        rising from a rest of at least ``min_position_s`` -- ``rise_onset_deg`` above the
        resting level and faster than ``rise_onset_speed_deg_s`` -- as ``onset_t``; forget it
        once the chest is back within ``rise_onset_deg`` of that level. The repetition itself
        starts at ``rise_start_deg`` as before: this only lets the coach react sooner."""
        if f.trunk_deg <= state.rest_level + self._onset:
            return state._replace(onset_t=_NAN) if math.isfinite(state.onset_t) else state
        if (
            math.isnan(state.onset_t)
            and state.speed > self._onset_speed
            and f.t_s - state.rest_since >= self._min_pos
        ):
            return state._replace(onset_t=f.t_s)
        return state

    def _follow_rest(self, state: EngineState, f: KinFrame) -> EngineState:
        """Lying still: follow the resting trunk level (degrees) quickly in the first half
        second, then slowly; while the trunk is still, the resting thigh and foot angles
        (degrees) and pelvis height (trunk lengths) too."""
        t = f.t_s
        alpha = 0.2 if t - state.rest_since < 0.5 else 0.05
        upd: dict[str, Any] = {
            "rest_level": state.rest_level + alpha * (f.trunk_deg - state.rest_level)
        }
        if abs(state.speed) < self._calm:
            for key, value in (
                ("rest_thigh", f.thigh_deg),
                ("rest_foot", f.foot_deg),
                ("rest_hip", f.hip_height),
            ):
                if math.isfinite(value):
                    old = getattr(state, key)
                    upd[key] = value if math.isnan(old) else old + alpha * (value - old)
        return state._replace(**upd)

    def _press_starts(
        self, state: EngineState, t: float, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        """The trunk rose above the resting level at ``t`` (seconds): a press-up starts, timed
        at the last still moment of the rest."""
        flat_ok = math.isfinite(state.rest_since) and t - state.rest_since >= self._min_pos
        start = t
        if math.isfinite(state.calm_t):
            start = max(state.calm_t, state.rest_since)
        rep = RepDraft(
            number=state.reps_done + 1,
            start_s=start,
            seen_flat_before=flat_ok,
            start_level=state.rest_level,
        )
        events.append(Event(start, "rep_started", rep.number))
        return _fresh_top(state._replace(phase="rising", rep=rep, onset_t=_NAN)), events

    def _open(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        """At the start of the stream, or back from another pose: lying still low enough is
        resting; already up is a repetition seen in part (``f`` carries the chest rise)."""
        t, trunk = f.t_s, f.trunk_deg
        if trunk < self._max_rest and abs(state.speed) < self._still:
            hip = f.hip_height if math.isfinite(f.hip_height) else state.rest_hip
            return state._replace(
                phase="rest", rest_since=t, rest_level=trunk, rest_hip=hip
            ), events
        if trunk >= self._max_rest:
            level = state.rest_level if math.isfinite(state.rest_level) else 0.0
            rep = RepDraft(
                number=state.reps_done + 1, start_s=t, seen_flat_before=False, start_level=level
            )
            events.append(Event(t, "rep_started", rep.number))
            state = _fresh_top(state._replace(phase="rising", rep=rep))
            if abs(state.speed) < self._still and trunk >= self._min_peak:
                return self._enter_top(state, f, events)
        return state, events

    def _down_level(self, rep: RepDraft) -> float:
        """Trunk angle (degrees) below which a lowering counts as back on the floor."""
        amp = max(rep.peak_rise_deg - rep.start_level, 0.0)
        return rep.start_level + max(self._down, 0.2 * amp)

    def _enter_top(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        rep = state.rep
        assert rep is not None
        if not rep.top_confirmed:
            rep = rep._replace(top_start_s=f.t_s)  # provisional until the top lasts
        return (
            state._replace(
                phase="top",
                rep=rep,
                level=f.trunk_deg,
                top_base=f.trunk_deg,
                top_entry_t=f.t_s,
                last_high_t=f.t_s,
                top_calm_t=_NAN,
            ),
            events,
        )

    def _confirm_top(self, state: EngineState, events: list[Event]) -> EngineState:
        """The top has lasted: fix the hold's start at its first still moment."""
        rep = state.rep
        assert rep is not None
        start = state.top_calm_t if math.isfinite(state.top_calm_t) else state.top_entry_t
        rep = rep._replace(top_start_s=start, top_confirmed=True)
        events.append(Event(start, "top_reached", rep.number))
        return state._replace(rep=rep)

    def _rising(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        trunk = f.trunk_deg
        rep = state.rep
        assert rep is not None
        if trunk < rep.start_level + self._down:
            events.append(
                Event(
                    f.t_s,
                    "rep_abandoned",
                    rep.number,
                    {"reason": "went back down without a hold", "code": "no_hold"},
                )
            )
            state, _ = self._close_faults(state, f.t_s, events)
            return state._replace(phase="rest", rep=None, rest_since=f.t_s), events
        if abs(state.speed) < self._still and trunk >= self._min_peak:
            return self._enter_top(state, f, events)
        peak = max(rep.peak_rise_deg, trunk)
        if trunk < peak - self._band and state.speed < 0 and peak >= self._min_peak:
            # came down from a peak without stopping: a hold of (almost) no time
            if not rep.top_confirmed:
                rep = rep._replace(top_start_s=state.t_s)
            return self._start_lowering(state._replace(rep=rep), f, events)
        return state, events

    def _top(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        t, trunk = f.t_s, f.trunk_deg
        rep = state.rep
        assert rep is not None
        level = state.level
        if trunk > state.top_base + self._band:
            # still rising (a pause on the way up, or from the forearms up onto the hands);
            # a pause shorter than the settle time was not a hold
            if not rep.top_confirmed:
                rep = rep._replace(top_start_s=_NAN)
            return state._replace(phase="rising", rep=rep), events
        level = trunk if trunk > level else level + 0.02 * (trunk - level)
        top_sum, top_n = state.top_sum + trunk, state.top_n + 1
        upd: dict[str, Any] = {"level": level, "top_sum": top_sum, "top_n": top_n}
        if trunk >= level - 0.5:
            upd["last_high_t"] = t
        if trunk >= top_sum / top_n - _NEAR_TOP_DEG:
            upd["near_t"] = t
        if math.isnan(state.top_calm_t) and abs(state.speed) < self._calm:
            upd["top_calm_t"] = t
        state = state._replace(**upd)
        if trunk < level - self._band and state.speed <= 0:
            return self._start_lowering(state, f, events)
        if not rep.top_confirmed:
            if t - state.top_entry_t < self._settle_s:
                return state, events
            state = self._confirm_top(state, events)
            rep = state.rep
            assert rep is not None
        held = int(t - rep.top_start_s)
        if held > state.held_ticks:
            events.append(Event(t, "hold_tick", rep.number, {"held_s": held}))
            state = state._replace(held_ticks=held)
        return state, events

    def head_line(self, f: KinFrame) -> float:
        """The head's line against the neutral model, in degrees (+ = tipped back):
        ``neck_deg - neck_trunk_slope * trunk_deg`` (a neutral head tips back about
        ``neck_trunk_slope`` degrees per degree of trunk elevation). Measuring it against the
        chest rise instead, when the hips lift, found no more faults on the development clips.
        """
        return f.neck_deg - self.spec.faults.neck_trunk_slope * f.trunk_deg

    def _hold_sums(self, rep: RepDraft, f: KinFrame) -> dict[str, Any]:
        """The hold frame ``f`` added to the repetition's head and shoulder sums."""
        upd: dict[str, Any] = {}
        neck = self.head_line(f)
        if math.isfinite(neck):
            upd["neck_sum"] = rep.neck_sum + neck
            upd["neck_n"] = rep.neck_n + 1
        if math.isfinite(f.shrug_ratio):
            upd["shrug_sum"] = rep.shrug_sum + f.shrug_ratio
            upd["shrug_n"] = rep.shrug_n + 1
        return upd

    def _learn_neutral(self, state: EngineState, rep: RepDraft) -> EngineState:
        """After the first hold long enough to judge (``MIN_NEUTRAL_FRAMES`` frames), its mean
        head line and shoulder height become the person's neutral for the rest of the set."""
        b = state.neutral
        slope = self.spec.faults.neck_trunk_slope
        neck_a, shrug = b.neck_a_deg, b.shrug_ref
        if math.isnan(neck_a) and rep.neck_n >= MIN_NEUTRAL_FRAMES:
            neck_a = rep.neck_sum / rep.neck_n
        if math.isnan(shrug) and rep.shrug_n >= MIN_NEUTRAL_FRAMES:
            shrug = rep.shrug_sum / rep.shrug_n
        if neck_a is b.neck_a_deg and shrug is b.shrug_ref:
            return state
        return state._replace(neutral=Baselines(neck_a_deg=neck_a, neck_b=slope, shrug_ref=shrug))

    def _start_lowering(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        rep = state.rep
        assert rep is not None
        state = self._learn_neutral(state, rep)
        # the hold ended at its last still moment while still near the top level
        # the hold ended at the last moment the chest was near the top's mean level, or at its
        # last still moment, whichever came first (a top that overshot and settled lower is
        # still the hold); without either, at the last moment near its highest point
        top_end = state.last_high_t if math.isfinite(state.last_high_t) else f.t_s
        ends = [
            x for x in (state.near_t, state.calm_t) if math.isfinite(x) and rep.top_start_s <= x
        ]
        if ends:
            top_end = min(ends)
        if not rep.top_confirmed:
            if math.isfinite(state.top_calm_t) and state.top_calm_t <= top_end:
                rep = rep._replace(top_start_s=state.top_calm_t)
            rep = rep._replace(top_confirmed=True)
            events.append(Event(rep.top_start_s, "top_reached", rep.number))
        # the way down from the top level to here was seen already (within the top band)
        seen = max(0.0, state.level - f.trunk_deg) if math.isfinite(state.level) else 0.0
        rep = rep._replace(top_end_s=top_end, lower_seen_deg=rep.lower_seen_deg + seen)
        hold = top_end - rep.top_start_s
        events.append(Event(top_end, "hold_ended", rep.number, {"hold_s": hold}))
        events.append(Event(top_end, "lowering_started", rep.number))
        return state._replace(phase="lowering", rep=rep, held_ticks=0), events

    def _lowering(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        t, trunk = f.t_s, f.trunk_deg
        rep = state.rep
        assert rep is not None
        if trunk < self._down_level(rep):
            state = state._replace(phase="settle", down_t=t)
            quick = self._quick_drop(rep, t) and trunk <= rep.start_level + _FLOOR_BAND_DEG
            if abs(state.speed) < self._calm or quick:
                return self._complete(state, t, trunk, events)
            return state, events
        if (
            abs(state.speed) < self._still * 0.5
            and trunk >= self._min_peak
            and t - rep.top_end_s > 1.0
        ):
            # stopped part-way down: a lower hold (the top continues at a lower level)
            return _new_level(state._replace(phase="top"), trunk, t), events
        return state, events

    def _fall_times(self, rep: RepDraft, t: float, x: float, drop: float, dt: float) -> RepDraft:
        """Note when the way down passes 80 % and 20 % of the height, interpolated between
        frames (``drop``: how far the chest fell since the last frame, degrees, ``dt`` seconds
        ago). A breath that brings the chest back above 80 % during the hold clears them."""
        amp = rep.peak_rise_deg - rep.start_level
        if not (amp > 0):
            return rep
        hi = rep.start_level + 0.8 * amp
        lo = rep.start_level + 0.2 * amp
        if x > hi:
            if math.isfinite(rep.fall_hi_t):
                return rep._replace(fall_hi_t=_NAN, fall_lo_t=_NAN)
            return rep

        def cross(level: float) -> float:
            prev = x + drop
            if drop > 0 and prev > level and dt > 0:
                return t - dt * (level - x) / drop
            return t

        if math.isnan(rep.fall_hi_t):
            rep = rep._replace(fall_hi_t=cross(hi))
        if x <= lo and math.isnan(rep.fall_lo_t):
            rep = rep._replace(fall_lo_t=cross(lo))
        return rep

    def _quick_drop(self, rep: RepDraft, t: float) -> bool:
        """The lowering under way is still short: under 1.2 times the quickest good lowering."""
        return t - rep.top_end_s < 1.2 * self.spec.dose.min_lowering_s

    def _settle(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        t = f.t_s
        rep = state.rep
        assert rep is not None
        # back on the floor: still, rising again, or (a quick drop, which reaches the floor
        # before its speed dies away) back within _FLOOR_BAND_DEG of the level it started from
        if (
            abs(state.speed) < self._calm
            or state.speed > self._still
            or (self._quick_drop(rep, t) and f.trunk_deg <= rep.start_level + _FLOOR_BAND_DEG)
        ):
            return self._complete(state, t, f.trunk_deg, events)
        if t - state.down_t > 1.0:
            return self._complete(state, state.down_t, f.trunk_deg, events)
        return state, events

    def _complete(
        self, state: EngineState, t: float, trunk: float, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        """The trunk is back on the floor at ``t``: close the repetition."""
        rep = state.rep
        assert rep is not None
        state, closed = self._close_faults(state, t, events)
        rep = rep._replace(faults=rep.faults + closed)
        hold = rep.top_end_s - rep.top_start_s
        if hold < self.spec.faults.short_hold_fraction * self.spec.dose.target_hold_s:
            fault = {"code": "short_hold", "start_s": rep.top_start_s, "end_s": rep.top_end_s}
            events.append(Event(rep.top_end_s, "fault_started", rep.number, {"code": "short_hold"}))
            events.append(Event(rep.top_end_s, "fault_ended", rep.number, dict(fault)))
            rep = rep._replace(faults=(*rep.faults, fault))
        lower = t - rep.top_end_s
        # too fast: judged on the middle of the way down (80 % to 20 % of the height), where the
        # speed is measured best; a steady lowering of min_lowering_s spends _MID_FALL_SHARE of
        # its time there. Without both crossings seen, on the whole lowering.
        if math.isfinite(rep.fall_hi_t) and math.isfinite(rep.fall_lo_t):
            fast = rep.fall_lo_t - rep.fall_hi_t < _MID_FALL_SHARE * self.spec.dose.min_lowering_s
        else:
            fast = lower < self.spec.dose.min_lowering_s
        if fast:
            fault = {"code": "fast_lowering", "start_s": rep.top_end_s, "end_s": t}
            events.append(
                Event(rep.top_end_s, "fault_started", rep.number, {"code": "fast_lowering"})
            )
            events.append(Event(t, "fault_ended", rep.number, dict(fault)))
            rep = rep._replace(faults=(*rep.faults, fault))
        # the lowering must have been seen for at least half of its way down (not hidden by a
        # cut or a close-up)
        amp = rep.peak_rise_deg - rep.start_level
        complete = (
            rep.seen_flat_before
            and math.isfinite(rep.top_start_s)
            and rep.lower_seen_deg >= 0.5 * amp
        )
        d = self._rep_dict(rep, t, complete)
        if not complete:
            # why it does not count, for the coach and the report
            d["not_counted"] = (
                "not_from_floor"
                if not rep.seen_flat_before
                else "no_hold"
                if not math.isfinite(rep.top_start_s)
                else "lowering_not_seen"
            )
        done = state.reps_done + (1 if complete else 0)
        events.append(Event(t, "rep_completed" if complete else "rep_unfinished", rep.number, d))
        state = state._replace(
            phase="rest", rep=None, reps_done=done, rest_since=t, rest_level=trunk
        )
        if complete and done >= self.spec.dose.target_reps and not state.set_done:
            events.append(Event(t, "set_completed", None, {"reps": done}))
            state = state._replace(set_done=True)
        return state, events

    def _faults(
        self, state: EngineState, f: KinFrame, events: list[Event]
    ) -> tuple[EngineState, list[Event]]:
        """Start and end form faults on frame ``f``."""
        phase = state.phase
        if phase == "top" and not (state.rep is not None and state.rep.top_confirmed):
            phase = "rising"  # judge the head, shoulders and elbows only once the hold is on
        conds = self._fault_conditions(state, f, phase, self._hip_lift(state, f))
        since = list(state.fault_since)
        active = list(state.fault_active)
        changed = False
        rep = state.rep
        closed: list[dict[str, Any]] = []
        for i, on in enumerate(conds):
            if on:
                if math.isnan(since[i]):
                    since[i] = f.t_s
                    changed = True
                if not active[i] and f.t_s - since[i] >= self._min_fault:
                    active[i] = True
                    changed = True
                    events.append(
                        Event(
                            since[i],
                            "fault_started",
                            rep.number if rep else None,
                            {"code": _LIVE_FAULTS[i]},
                        )
                    )
            elif not math.isnan(since[i]):
                if active[i]:
                    fault = {"code": _LIVE_FAULTS[i], "start_s": since[i], "end_s": f.t_s}
                    events.append(
                        Event(f.t_s, "fault_ended", rep.number if rep else None, dict(fault))
                    )
                    closed.append(fault)
                since[i] = _NAN
                active[i] = False
                changed = True
        if changed:
            state = state._replace(fault_since=tuple(since), fault_active=tuple(active))
            if closed and rep is not None:
                state = state._replace(rep=rep._replace(faults=rep.faults + tuple(closed)))
        return state, events

    def finish(self, state: EngineState, t_end: float) -> tuple[EngineState, list[Event]]:
        """Close the stream at ``t_end`` seconds: end open faults, report an unfinished rep."""
        events: list[Event] = []
        state, closed = self._close_faults(state, t_end, events)
        rep = state.rep
        if rep is not None:
            rep = rep._replace(faults=rep.faults + closed)
            if not math.isfinite(rep.top_end_s) and math.isfinite(rep.top_start_s):
                rep = rep._replace(top_end_s=t_end)
            d = self._rep_dict(rep, t_end, False)
            d["end_s"] = _NAN
            d["lower_s"] = _NAN
            d["not_counted"] = "ended_up"  # the recording or the set ended before the lowering
            events.append(Event(t_end, "rep_unfinished", rep.number, d))
            state = state._replace(rep=None)
        return state, events
