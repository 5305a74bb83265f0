"""One live coaching session: landmarks in, status, engine events and cues out.

:class:`LiveSession` has no I/O. The web layer feeds it validated frames and stores what it
returns. Stages::

    setup ──camera checks pass──► start_check ──start position held──► exercise ──► done
                                                       (rest and pain are shown between reps)

* **setup**: the camera assistant. From the last second of frames: a person is seen, the whole
  body is in the picture, the camera is at the side (not in front), level, at a sensible
  distance, and the room is bright enough.
* **start_check**: lying face down, forearms on the floor beside the trunk, hands in line with
  the shoulders, forehead down. Says what is off.
* **exercise**: the view geometry is fixed from the frames of lying still, then every frame goes
  through causal smoothing (One Euro) and the same :class:`~pressup.engine.Engine` as offline.
  The frames seen since the camera checks passed are replayed first, so a press that starts
  early is still counted.

The hold timer runs only while the engine is at the top of a press-up and the person is tracked.

Cues go out through a :class:`~pressup.live.cues.CueGate` (every path: frames, ratings, stop,
end): of the cues a frame produces (or the replay at the start of the set), only the most
important one still true of the present (:meth:`LiveSession.moment`) is sent, at most one every
1.5 s; safety cues always pass; a cue whose moment is over is dropped.

The set ends at ``set_completed`` (unless ``continue_after_set``, for replaying recordings, see
:mod:`pressup.live.replay`), by a stop rule, or by :meth:`LiveSession.end`, which, like the end of
a track offline, reports a press-up still under way as not counted (``ended_up``).

Pain ratings (:meth:`LiveSession.on_rating`) come before the set (press-up 0) and after each
press-up, with where the symptoms are felt. The stop rules of the protocol's ``[pain]`` section
(:func:`pressup.safety.symptoms.check_rating`) are applied to each: when one fires during the
set, the set stops at once (stage ``done``), a ``set_stopped`` event carries the reason, and the
coach says why.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.engine import Engine, EngineState, Event, KinFrame, held_s
from pressup.engine.core import rising_seen
from pressup.errors import PressupError
from pressup.kinematics import FEATURES, OneEuro, compute_features, detect_side, estimate_view
from pressup.kinematics.features import ViewGeometry, frame_features
from pressup.kinematics.geometry import median, nanmedian
from pressup.live.coach import Coach
from pressup.live.cues import Cue, CueGate, Moment
from pressup.pose.track import LANDMARK_INDEX, PoseTrack, TrackSource
from pressup.protocol import ProtocolSpec
from pressup.protocol.spec import Tracking
from pressup.safety.progression import VARIANT_WORDS, Variant
from pressup.safety.symptoms import (
    STOP_EVENT,
    Location,
    Stop,
    SymptomReport,
    check_rating,
)

Array = npt.NDArray[np.float64]

STABLE_S = 0.7  # a stage's checks must hold this long (seconds) before moving on
WINDOW_S = 1.0  # set-up checks look at this much recent history (seconds)
MAX_BUFFER_S = 120.0  # frames kept for calibration and replay (seconds)
CHECK_EVERY_S = 0.2  # set-up and start-position checks are judged this often (seconds)
#: the camera is level enough when the floor line tilts less than the analysis's own limit
#: (``tracking.max_floor_tilt_deg``) minus this margin (degrees): a raised or turned camera whose
#: tilt the view geometry corrects passes, and a view that passes is never refused at the start
LEVEL_MARGIN_DEG = 10.0
#: start position: the wrist from this far behind the shoulder to this far ahead of it, along the
#: body (trunk lengths): hands beside the chest, the shoulders or the head
HANDS_BEHIND = 0.45
HANDS_AHEAD = 0.8
#: the features whose medians the start-position checks judge
_START_ANGLES = ("trunk_deg", "shin_deg", "thigh_deg", "forearm_deg", "elbow_deg")


@dataclass
class LiveUpdate:
    """What one frame produced."""

    status: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)  # finished reps (to store)


def _check(cid: str, ok: bool, message: str) -> dict[str, Any]:
    return {"id": cid, "ok": bool(ok), "message": message}


def _whole_body_check(
    lm: Array, side: str, width: int, height: int, tracking: Tracking
) -> dict[str, Any]:
    """``whole_body``: on 80 % of the frames ``lm`` ``(n, 33, 4)`` (pixels) the near side's
    shoulder, hip, knee, ankle, ear and wrist are inside the picture and, but for the wrist,
    seen."""
    names = [f"{side}_{p}" for p in ("shoulder", "hip", "knee", "ankle", "ear", "wrist")]
    pts = lm[:, [LANDMARK_INDEX[n] for n in names], :]
    inside = (
        (pts[..., 0] > 0.01 * width)
        & (pts[..., 0] < 0.99 * width)
        & (pts[..., 1] > 0.01 * height)
        & (pts[..., 1] < 0.99 * height)
    )
    # the wrist need only be inside the picture: a hand beside the head is often hidden by
    # it (low visibility), which moving the camera would not change
    seen = pts[..., :-1, 3] >= tracking.min_visibility
    whole = (inside.all(axis=1) & seen.all(axis=1)).mean() >= 0.8
    return _check(
        "whole_body",
        whole,
        "Your whole body should be in the picture, from head to feet. Move the camera "
        "further away or turn it.",
    )


def _camera_checks(lm: Array, side: str, width: int, tracking: Tracking) -> list[dict[str, Any]]:
    """``camera_side`` (shoulder spread under 0.6 trunk lengths), ``camera_level`` (floor line
    tilted less than ``tracking.max_floor_tilt_deg`` less :data:`LEVEL_MARGIN_DEG`, degrees) and
    ``distance`` (ear to ankle 40-97 % of the picture's ``width``) over frames ``lm``
    ``(n, 33, 4)`` (pixels) where a person was found."""

    def part(name: str) -> Array:
        return lm[:, LANDMARK_INDEX[name], :2]

    hp, sh = part(f"{side}_hip"), part(f"{side}_shoulder")
    trunk = float(median(np.linalg.norm(sh - hp, axis=1)))
    spread = float(
        median(np.linalg.norm(part("left_shoulder") - part("right_shoulder"), axis=1))
    ) / max(trunk, 1e-6)
    ank = part(f"{side}_ankle")
    v = part(f"{side}_wrist") - ank
    tilt = float(np.degrees(np.arctan2(-median(v[:, 1]), abs(median(v[:, 0])))))
    span = float(median(np.abs(lm[:, LANDMARK_INDEX[f"{side}_ear"], 0] - ank[:, 0])))
    frac = span / max(width, 1)
    if frac < 0.4:
        msg, ok = "Move the camera a little closer, about 2 metres from you.", False
    elif frac > 0.97:
        msg, ok = "Move the camera further away, 2 to 3 metres from you.", False
    else:
        msg, ok = "The camera distance is good.", True
    return [
        _check(
            "camera_side",
            spread < 0.6,
            "Put the camera at your side, level with you, not in front of you or behind.",
        ),
        _check(
            "camera_level",
            abs(tilt) < tracking.max_floor_tilt_deg - LEVEL_MARGIN_DEG,
            "Put the camera at floor level and upright, pointing straight at your side.",
        ),
        _check("distance", ok, msg),
    ]


class LiveSession:
    """The live pipeline for one person (see the module docstring)."""

    def __init__(
        self,
        spec: ProtocolSpec,
        variant: Variant | None = None,
        *,
        continue_after_set: bool = False,
    ) -> None:
        """``spec``: the protocol with this session's dose; ``variant``: the rung of the
        progression ladder (its words are said at the start), if known.

        ``continue_after_set``: keep judging frames after ``set_completed`` (the stage stays
        ``exercise``) instead of ending the session there. Live coaching ends the set; replaying
        a recording (:func:`pressup.live.replay.replay_live`) keeps going so that every press-up
        in it is seen."""
        self.spec = spec
        self.variant = variant
        self.continue_after_set = continue_after_set
        #: time of the first frame the engine judged (the replay at the start of the set)
        self.exercise_from_s = math.nan
        self.stage = "setup"
        self.paused = False
        self.coach = Coach(spec, variant_words=VARIANT_WORDS[variant] if variant else None)
        self.gate = CueGate()
        self.view: ViewGeometry | None = None
        self.engine = Engine(spec)
        self.state: EngineState = self.engine.initial()
        self.width = 0
        self.height = 0
        self._t: deque[float] = deque()
        self._lm: deque[Array] = deque()
        self._setup_ok_since = math.nan
        self._start_ok_since = math.nan
        self._checks: list[dict[str, Any]] = []
        self._checked_at = -math.inf
        self._filters = self._new_filters()
        self._light = math.nan
        self.reps: list[dict[str, Any]] = []
        self.last_label = "not_visible"
        #: ratings given so far: press-up number (0 = before the set) -> (pain, place or None)
        self.ratings: dict[int, tuple[int, Location | None]] = {}
        self.stopped: dict[str, Any] | None = None  # {"reason", "rules"} once a rule stopped it

    def _new_filters(self) -> dict[str, OneEuro]:
        s = self.spec.smoothing
        return {name: OneEuro(s.live_min_cutoff_hz, s.live_beta) for name in FEATURES}

    # -- public --------------------------------------------------------------------------------
    def on_frame(
        self,
        t_s: float,
        width: int,
        height: int,
        landmarks: Array | None,
        light: float | None = None,
    ) -> LiveUpdate:
        """Process one frame. ``landmarks``: ``(33, 4)`` in pixels, or None (no person)."""
        self.width, self.height = width, height
        frame = landmarks if landmarks is not None else _empty()
        self._t.append(t_s)
        self._lm.append(frame)
        while self._t and t_s - self._t[0] > MAX_BUFFER_S:
            self._t.popleft()
            self._lm.popleft()
        if light is not None and math.isfinite(light):
            self._light = light
        if self.paused or self.stage == "done":
            upd = LiveUpdate(self.status())
        elif self.stage in ("setup", "start_check"):
            upd = self._before_exercise(t_s)
        else:
            upd = self._exercise(t_s, frame)
        return self._released(t_s, upd)

    def moment(self) -> Moment:
        """The present as the cues see it: the stage, or in the set the engine's phase
        (``rest`` with no press-up under way, ``settle`` counted as ``lowering``; ``rising``
        of the next attempt from the moment a rise is seen, see :func:`rising_seen`), and the
        press-ups started so far."""
        attempt = self.coach.attempt
        if self.paused:
            return Moment("paused", attempt)
        if self.stage != "exercise":
            return Moment(self.stage, attempt)
        phase = self.state.phase
        if self.state.rep is None and phase == "rest" and math.isfinite(self.state.onset_t):
            return Moment("rising", attempt + 1)  # the rise is seen: the next press-up is on
        if self.state.rep is None or phase not in ("rising", "top", "lowering", "settle"):
            return Moment("rest", attempt)
        return Moment("lowering" if phase == "settle" else phase, attempt)

    def _released(self, t_s: float, upd: LiveUpdate) -> LiveUpdate:
        """``upd`` with only the cues the gate lets out now (see the module docstring)."""
        upd.cues = self.gate.release(t_s, upd.cues, self.moment())
        self.coach.on_released(upd.cues)
        return upd

    def _now(self) -> float:
        return self._t[-1] if self._t else 0.0

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def restart_setup(self) -> None:
        """Back to the camera assistant (e.g. the camera was moved)."""
        self.stage = "setup"
        self.view = None
        self._setup_ok_since = self._start_ok_since = math.nan
        self._filters = self._new_filters()

    def status(self) -> dict[str, Any]:
        rep = self.state.rep
        hold = None
        if self.stage == "exercise" and rep is not None and self.state.phase == "top":
            hold = {
                "held_s": round(held_s(self.state), 1),
                "target_s": self.spec.dose.target_hold_s,
                "running": not self.state.lost and not self.paused,
            }
        stage = "paused" if self.paused else self.stage
        if stage == "exercise" and rep is None and self.state.reps_done > 0:
            stage = "rest"
        return {
            "stage": stage,
            "checks": self._checks,
            "label": self.last_label,
            "tracking": not self.state.lost if self.stage == "exercise" else bool(self._checks),
            "reps_done": self.state.reps_done,
            "target_reps": self.spec.dose.target_reps,
            "hold": hold,
            "rep": rep.number if rep is not None else None,
            "stopped": self.stopped,
        }

    # -- pain and symptoms -----------------------------------------------------------------------
    def on_rating(self, rep: int, pain: int | None, location: Location | None = None) -> LiveUpdate:
        """A pain rating: before the set (``rep`` 0) or after press-up ``rep``.

        Args:
            rep: 0 before the set, else the press-up just done (1-based).
            pain: 0..10, or ``None`` when the person skipped the question (nothing to judge).
            location: where the symptoms are felt, or ``None`` when not said.

        Returns:
            Nothing new when no rule fires. When one fires during the set (or before it): the
            set stops, with a ``set_stopped`` event and a safety cue saying why. When it fires
            on the rating after the last press-up: a safety cue only (the set was already done;
            the progression lowers the next target from the stored ratings).
        """
        if pain is None:
            return LiveUpdate(self.status())
        self.ratings[rep] = (pain, location)
        if self.stopped is not None:
            return LiveUpdate(self.status())
        stop = check_rating(self._before(), rep, pain, location, self.spec.pain)
        if stop is None:
            return LiveUpdate(self.status())
        if self.stage == "done":
            t = self._now()
            upd = LiveUpdate(self.status(), cues=self.coach.on_rule_after_set(stop, t))
            return self._released(t, upd)
        return self.stop(stop, after_rep=rep)

    def _before(self) -> SymptomReport | None:
        if 0 not in self.ratings:
            return None
        pain, location = self.ratings[0]
        return SymptomReport(0, pain, location or "none")

    def stop(self, stop: Stop, after_rep: int) -> LiveUpdate:
        """Stop the set now because of ``stop`` (the rating after press-up ``after_rep``)."""
        t = self._now()
        self.stage = "done"
        self.paused = False
        self.stopped = {"reason": stop.message, "rules": list(stop.rules)}
        event = Event(
            t,
            STOP_EVENT,
            rep=after_rep if after_rep > 0 else None,
            data={"reason": stop.message, "rules": list(stop.rules)},
        )
        upd = LiveUpdate(
            self.status(),
            events=[event],
            cues=self.coach.on_stopped(stop, before_set=after_rep == 0, t=t),
        )
        return self._released(t, upd)

    def restore(
        self,
        ratings: dict[int, tuple[int, Location | None]],
        stopped: dict[str, Any] | None,
    ) -> None:
        """Put back ratings and a stop from the store (after a server restart)."""
        self.ratings.update(ratings)
        if stopped is not None:
            self.stopped = stopped
            self.stage = "done"

    # -- before the set ----------------------------------------------------------------------
    def _recent(self, seconds: float) -> tuple[Array, Array]:
        """The frames of the last ``seconds`` (walks back from the newest only)."""
        last = self._t[-1]
        ts: list[float] = []
        lms: list[Array] = []
        for t, lm in zip(reversed(self._t), reversed(self._lm)):
            if t < last - seconds:
                break
            ts.append(t)
            lms.append(lm)
        return np.asarray(ts[::-1]), np.stack(lms[::-1])

    def _before_exercise(self, t_s: float) -> LiveUpdate:
        # the checks look at a second of frames: judging them 5 times a second is enough
        if t_s - self._checked_at < CHECK_EVERY_S:
            return LiveUpdate(self.status())
        self._checked_at = t_s
        _, lm = self._recent(WINDOW_S)
        setup = self.setup_checks(lm)
        setup_ok = all(c["ok"] for c in setup)
        self._setup_ok_since = (
            (self._setup_ok_since if math.isfinite(self._setup_ok_since) else t_s)
            if setup_ok
            else math.nan
        )
        start = self.start_checks(lm) if setup_ok else []
        start_ok = setup_ok and all(c["ok"] for c in start)
        self._start_ok_since = (
            (self._start_ok_since if math.isfinite(self._start_ok_since) else t_s)
            if start_ok
            else math.nan
        )
        if self.stage == "setup" and setup_ok and t_s - self._setup_ok_since >= STABLE_S:
            self.stage = "start_check"
        self._checks = setup if self.stage == "setup" else start
        cues = self.coach.on_checks(t_s, self.stage, self._checks)
        if self.stage == "start_check" and start_ok and t_s - self._start_ok_since >= STABLE_S:
            return self._begin(t_s)
        return LiveUpdate(self.status(), cues=cues)

    def setup_checks(self, lm: Array) -> list[dict[str, Any]]:
        """The camera assistant's checks over recent frames ``lm`` ``(n, 33, 4)`` (pixels)."""
        found = np.isfinite(lm[:, 0, 0])
        person = found.mean() >= 0.8
        checks = [
            _check("person", person, "I can't see you yet. Lie down where the camera can see you.")
        ]
        if not person:
            return checks
        seen = lm[found]
        side, _ = detect_side(seen)
        tracking = self.spec.tracking
        checks.append(_whole_body_check(seen, side, self.width, self.height, tracking))
        checks.extend(_camera_checks(seen, side, self.width, tracking))
        if math.isfinite(self._light):
            checks.append(
                _check(
                    "light",
                    self._light >= 0.2,
                    "It's quite dark. Turn on a light, or face a window.",
                )
            )
        # one person: BlazePose follows one body; another person crossing the picture makes the
        # body's size jump from frame to frame
        hp = seen[:, LANDMARK_INDEX[f"{side}_hip"], :2]
        sh = seen[:, LANDMARK_INDEX[f"{side}_shoulder"], :2]
        sizes = np.linalg.norm(sh - hp, axis=1)
        steady = sizes.size < 3 or float(np.std(sizes) / max(np.mean(sizes), 1e-6)) < 0.25
        checks.append(_check("one_person", steady, "Make sure only you are in the picture."))
        return checks

    def start_checks(self, lm: Array) -> list[dict[str, Any]]:
        """Is the person in the start position? ``lm`` ``(n, 33, 4)`` recent frames."""
        found = np.isfinite(lm[:, 0, 0])
        if not found.any():
            return [_check("lying", False, "Lie face down on the floor.")]
        track = self._as_track(np.arange(len(lm), dtype=np.float64), lm)
        try:
            view = estimate_view(track, self.spec.tracking)
        except PressupError as exc:
            return [_check("lying", False, f"Lie face down on the floor ({exc}).")]
        f = compute_features(
            lm, self.width, self.height, view, self.spec.tracking, names=_START_ANGLES
        )
        med = {  # only the angles judged here (judged 5 times a second)
            k: float(nanmedian(f[k])) if np.isfinite(f[k]).any() else math.nan
            for k in _START_ANGLES
        }
        side = view.side
        sh = lm[:, LANDMARK_INDEX[f"{side}_shoulder"], :2]
        hp = lm[:, LANDMARK_INDEX[f"{side}_hip"], :2]
        wr = lm[:, LANDMARK_INDEX[f"{side}_wrist"], :2]
        ear = lm[:, LANDMARK_INDEX[f"{side}_ear"], :2]
        trunk = np.linalg.norm(sh - hp, axis=1)
        dx = view.floor_dir[0]
        along = nanmedian((wr[:, 0] - sh[:, 0]) * np.sign(dx) / trunk)
        raw_trunk = med["trunk_deg"] + view.trunk_zero_deg
        head_up = nanmedian((sh[:, 1] - ear[:, 1]) / trunk)  # image y is down
        p = self.spec.positions
        lying = (
            raw_trunk < p.max_rest_deg + 5.0
            and not (med["shin_deg"] > p.max_shin_deg)
            and not (med["thigh_deg"] > p.straight_body_thigh_deg)
        )
        return [
            _check("lying", lying, "Lie face down on the floor, legs straight and relaxed."),
            _check(
                "forearms",
                # the forearm flat in the picture, or the elbow bent: from a raised or turned
                # camera a forearm lying on the floor towards the head can look steep
                not (med["forearm_deg"] > p.forearms_max_forearm_deg)
                or bool(med["elbow_deg"] <= p.forearms_max_elbow_deg),
                "Rest your forearms on the floor beside your chest, elbows bent.",
            ),
            _check(
                "hands",
                bool(-HANDS_BEHIND <= along <= HANDS_AHEAD) if math.isfinite(along) else False,
                "Put your hands flat on the floor beside your shoulders or your head.",
            ),
            _check(
                "head",
                bool(head_up < 0.45) if math.isfinite(head_up) else True,
                "Rest your forehead on the floor. A rolled towel or small pillow is fine.",
            ),
        ]

    def _as_track(self, t: Array, lm: Array) -> PoseTrack:
        return PoseTrack(
            t_s=t,
            data=lm,
            source=TrackSource(
                backend="browser",
                model="blazepose_web",
                video=None,
                width=max(self.width, 1),
                height=max(self.height, 1),
                fps=30.0,
            ),
        )

    def _begin(self, t_s: float) -> LiveUpdate:
        """Start position held: fix the view and replay the frames since the checks passed."""
        since = self._setup_ok_since
        t = np.fromiter(self._t, dtype=np.float64)
        lm = np.stack(list(self._lm))
        self.view = estimate_view(self._as_track(t, lm), self.spec.tracking)
        self.stage = "exercise"
        self._checks = []
        upd = LiveUpdate(self.status())
        todo = np.flatnonzero(t >= since)
        self.exercise_from_s = float(t[todo[0]]) if todo.size else t_s
        for i in todo:
            u = self._exercise(float(t[i]), lm[i], replay=True)
            upd.events.extend(u.events)
            upd.cues.extend(u.cues)
            upd.reps.extend(u.reps)
        # the start cue is about the start position, reached at the start of the checks' last
        # stable stretch, and true until the next press-up starts (made after the replay, so a
        # movement while getting into place does not make it stale)
        ok_since = self._start_ok_since if math.isfinite(self._start_ok_since) else t_s
        upd.cues[:0] = self.coach.on_start(ok_since)
        upd.status = self.status()
        return upd

    # -- the set ---------------------------------------------------------------------------------
    def features(self, t_s: float, frame: Array) -> KinFrame:
        """Causally smoothed kinematics of one frame (view must be fixed)."""
        assert self.view is not None
        f = frame_features(frame, self.width, self.height, self.view, self.spec.tracking)
        tracked = f["tracked"] > 0.5
        vals = []
        for name in FEATURES:
            vals.append(self._filters[name](t_s, f[name]) if tracked else math.nan)
        if not tracked:
            for flt in self._filters.values():
                flt(t_s, math.nan)  # reset: never smooth across a gap
        return KinFrame(t_s, tracked, *vals)

    def _exercise(self, t_s: float, frame: Array, replay: bool = False) -> LiveUpdate:
        kin = self.features(t_s, frame)
        before = self.state
        self.state, events = self.engine.step(self.state, kin)
        self.last_label = self.state.label
        rep = self.state.rep
        at_top = rep is not None and self.state.phase == "top" and not self.state.lost
        finished = [
            e.data for e in events if e.kind in ("rep_completed", "rep_unfinished") and e.data
        ]
        self.reps.extend(finished)
        if not self.continue_after_set and any(e.kind == "set_completed" for e in events):
            self.stage = "done"
        cues = []
        if self.state.phase == "rest" and rising_seen(before, self.state):
            cues.extend(self.coach.on_rise_seen(self.state.reps_done + 1, t_s))
        if at_top and before.phase != "top" and rep is not None:
            cues.extend(self.coach.on_top_entered(rep.number, t_s))
        cues.extend(self.coach.on_events(t_s, events, held_s(self.state) if at_top else 0.0))
        if replay:
            # frames from before the start position was held (getting into place): another
            # shape then, or a movement that did not count, is over and not worth saying now
            # (the events and reps are still returned and stored)
            cues = [c for c in cues if not c.id.startswith(("pose:", "not_counted:"))]
        return LiveUpdate(self.status(), events=events, cues=cues, reps=finished)

    def end(self, t_s: float | None = None) -> LiveUpdate:
        """End the session (the person ended it, or the recording is over) at ``t_s`` (default:
        the last frame's time). As the offline analysis does at the end of a track, open faults
        are closed and a press-up still under way is reported as ``rep_unfinished``
        (``not_counted: ended_up``) with a cue saying it did not count."""
        t = t_s if t_s is not None else self._now()
        if self.view is None or self.stage not in ("exercise", "done"):
            self.stage = "done"
            self.gate.clear()
            return LiveUpdate(self.status())
        self.state, events = self.engine.finish(self.state, t)
        self.stage = "done"
        finished = [e.data for e in events if e.kind == "rep_unfinished" and e.data]
        self.reps.extend(finished)
        cues = self.coach.on_events(t, events, 0.0)
        upd = LiveUpdate(self.status(), events=events, cues=cues, reps=finished)
        return self._released(t, upd)


def _empty() -> Array:
    f = np.full((33, 4), np.nan)
    f[:, 3] = 0.0
    return f


def landmarks_to_pixels(lm: npt.ArrayLike, width: int, height: int) -> Array:
    """MediaPipe normalised landmarks ``(33, 4)`` (x, y in 0..1, z relative, visibility) to
    pixels: x and z times ``width``, y times ``height``, visibility clipped to 0..1."""
    out: Array = np.asarray(lm, dtype=np.float64) * np.array([width, height, width, 1.0])
    np.clip(out[:, 3], 0.0, 1.0, out=out[:, 3])
    return out
