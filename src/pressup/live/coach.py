"""The coach's script: what to say, and when, during a guided set.

:class:`Coach` turns engine events and the session's stage into :class:`Cue` objects. It has no
I/O; the web page shows every cue as a caption and speaks it. The script follows the exercise:

* start position reached: breathe in; breathe out while pressing up, only as high as is
  comfortable;
* top reached: hold and keep breathing; a countdown to the prescribed hold (10, 5, 3: marks at
  least 1.5 s apart, so that none is held back by the spacing of cues);
* hold done: breathe in, then breathe out and lower slowly;
* repetition done: "2 of 5", a pain rating, rest, then the next breath in;
* form faults: one cue at a time, by priority, with a cooldown, each at most once a repetition;
* tracking lost: say so (the hold timer stops);
* a repetition that does not count (``rep_abandoned``, ``rep_unfinished``): say what was seen
  and that it did not count; another shape mid-set (``position`` ``other_pose``): say what it
  looks like and what to do. At most one cue per event, and never the same sentence twice within
  ``repeat_after_s`` (10 s);
* a press-up done in another posture than today's plan (on the hands when the plan is on the
  forearms, or the reverse): say so once a set, right after its count (before the pain question,
  which the page also asks on screen: the next press-up often starts before the rest is over)
  ("You went up on your hands; today's plan is on the forearms: stay on the forearms."). The
  planned posture is ``planned``, else the dose's ``variant`` when the plan is known
  (``variant_words`` given); a change on the last press-up is not said (the set is over: the
  report, the done table and the progression show it);
* set complete: well done, and a summary;
* a pain or symptom rule fired: stop, say why, lower down slowly and rest.

Every cue carries its :class:`~pressup.live.cues.CuePriority` (safety > count > phase > form) and
the moment it is about (its time, the phases in which it is still true, the press-up attempt);
the session releases them through a :class:`~pressup.live.cues.CueGate`: only the most important
cue that is still current, at most one every 1.5 s (safety always), nothing stale.

See ``docs/coach-script.md`` for the full table of cues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pressup.engine import Event
from pressup.live.cues import MOVING, Cue, CuePriority
from pressup.protocol import ProtocolSpec
from pressup.safety.symptoms import Stop
from pressup.vocab import POSTURES, Posture
from pressup.wording import (
    FAULT_WORDING,
    not_counted_wording,
    other_pose_cue,
    posture_change_cue,
)

#: Form cues by priority (first = most important to say).
FORM_PRIORITY: tuple[str, ...] = (
    "hips_lifted",
    "elbows_locked",
    "neck_extended",
    "neck_flexed",
    "shoulders_shrugged",
)
#: A rise seen (and its press cue said) this many seconds or less before the press-up starts is
#: that press-up's (a longer gap: it was a movement that came to nothing, say it again).
RISE_SEEN_S = 2.0
#: Seconds left of the hold that are said aloud (only those shorter than the target hold).
COUNTDOWN_MARKS: tuple[int, ...] = (10, 5, 3)

SAFETY, COUNT, PHASE, FORM = (
    CuePriority.SAFETY,
    CuePriority.COUNT,
    CuePriority.PHASE,
    CuePriority.FORM,
)
_REST = frozenset({"rest"})
_RISING = frozenset({"rising"})
_REST_OR_DONE = frozenset({"rest", "done"})


@dataclass
class Coach:
    """Stateful cue scheduler for one session (times in seconds of the session clock).

    ``attempt`` counts the press-ups started so far (``rep_started`` events, those that did
    not count included): each cue about a repetition or the rest after it names its attempt, so
    that it is stale once the next press-up has started."""

    spec: ProtocolSpec
    variant_words: str | None = None  # e.g. "on your forearms": the rung of the ladder
    #: the posture today's plan asks for (forearms or hands); ``None``: taken from the dose
    #: when the plan is known (``variant_words``), else the posture is not checked
    planned: Posture | None = None
    form_cooldown_s: float = 8.0
    check_repeat_s: float = 7.0
    repeat_after_s: float = 10.0  # a not-counted or other-shape sentence is not said again sooner
    attempt: int = 0
    _last_form_t: float = -math.inf
    _said_this_rep: set[str] = field(default_factory=set)
    _last_check: tuple[str, float] = ("", -math.inf)
    _counted: set[int] = field(default_factory=set)
    _hold_done_said: bool = False
    _rest_prompt_at: float = math.inf
    _reps_done: int = 0
    _hold_said_for: int | None = None  # the attempt whose hold cue was released
    _said_at: dict[str, float] = field(default_factory=dict)  # sentence -> when last said
    _posture_off: Posture | None = None  # the last press-up's posture, when not the plan's
    _posture_said: bool = False  # the posture change was said in this set
    #: the press cue of a rise seen before its press-up started: "waiting" (made, not yet
    #: released), "said" (released), "" (none since the last press-up started)
    _rise_press: str = ""
    _rise_seen_t: float = -math.inf  # when that rise was seen (seconds)

    def __post_init__(self) -> None:
        if self.planned is None and self.variant_words is not None:
            self.planned = self.spec.dose.variant

    def _cue(
        self,
        cid: str,
        text: str,
        kind: str,
        priority: CuePriority,
        t: float,
        phases: frozenset[str] = frozenset(),
        *,
        this_attempt: bool = True,
        until_s: float = math.inf,
        speak: bool = True,
    ) -> Cue:
        """A cue about the moment ``t``, true during ``phases`` of this attempt."""
        return Cue(
            cid,
            text,
            kind,
            priority,
            t_s=t,
            phases=phases,
            attempt=self.attempt if this_attempt else None,
            until_s=until_s,
            speak=speak,
        )

    # -- stages ------------------------------------------------------------------------------
    def on_checks(self, t: float, stage: str, checks: list[dict[str, Any]]) -> list[Cue]:
        """Say the first failing set-up or start-position check; repeat it now and then."""
        failing = [c for c in checks if not c["ok"]]
        if not failing:
            return []
        first = failing[0]
        key, when = self._last_check
        if key == first["id"] and t - when < self.check_repeat_s:
            return []
        self._last_check = (first["id"], t)
        cue = self._cue(
            f"{stage}:{first['id']}",
            first["message"],
            "info",
            PHASE,
            t,
            frozenset({stage}),
            this_attempt=False,
        )
        return [cue]

    def on_start(self, t: float = math.nan) -> list[Cue]:
        """The person is in the start position (at ``t``): the set begins. True until the
        first press-up starts."""
        d = self.spec.dose
        how = f" {self.variant_words}" if self.variant_words else ""
        text = (
            f"Good, that's the start position. We'll do {d.target_reps} press-ups{how}, and "
            f"hold each for {d.target_hold_s:.0f} seconds. Breathe in."
        )
        return [self._cue("start", text, "breath", PHASE, t, _REST)]

    # -- engine events -------------------------------------------------------------------------
    def on_events(self, t: float, events: list[Event], held_s: float) -> list[Cue]:
        """The cues for the engine ``events`` of one frame at ``t`` (seconds), then the hold
        countdown (``held_s``: seconds held so far) and the prompt after the rest."""
        cues: list[Cue] = []
        new_faults: list[str] = []
        # a repetition abandoned for another shape also changes the position: say it once
        abandoned = any(e.kind == "rep_abandoned" for e in events)
        for e in events:
            if e.kind == "fault_started":
                if e.data:
                    new_faults.append(str(e.data.get("code", "")))
                continue
            cues.extend(self._on_event(t, e, abandoned))
        form = self._first_form_cue(t, new_faults)
        if form:
            cues.append(form)
        cues.extend(self._countdown(t, held_s, self.spec.dose.target_hold_s))
        if t >= self._rest_prompt_at:
            self._rest_prompt_at = math.inf
            cues.extend(self._posture_cue(t))
            cues.append(
                self._cue("ready", "When you're ready, breathe in.", "breath", PHASE, t, _REST)
            )
        return cues

    def _on_event(self, t: float, e: Event, abandoned: bool) -> list[Cue]:
        """The cues for one engine event other than ``fault_started`` (at most one)."""
        k = e.kind
        if k in ("rep_abandoned", "rep_unfinished") and e.data is not None:
            code = e.data.get("code" if k == "rep_abandoned" else "not_counted")
            text = not_counted_wording(code).cue
            return self._once_list(t, f"not_counted:{code}", text, "count", COUNT)
        if k == "position" and e.data and e.data.get("label") == "other_pose":
            if abandoned:
                return []
            reason = e.data.get("reason")
            return self._once_list(t, f"pose:{reason}", other_pose_cue(reason), "info", PHASE)
        if k == "rep_started":
            return self._on_rep_started(t, e)
        if k == "top_reached":
            return self.on_top_entered(e.rep, e.t_s) if e.rep is not None else []
        if k == "lowering_started" and not self._hold_done_said:
            text = "Lower slowly, all the way down."
            return [self._cue("lower", text, "breath", PHASE, e.t_s, frozenset({"lowering"}))]
        if k == "rep_completed":
            return self._on_rep_completed(t, e)
        if k == "tracking_lost":
            text = "I can't see you. Move back into the picture."
            return [self._cue("lost", text, "safety", SAFETY, t, this_attempt=False)]
        if k == "tracking_regained":
            text = "I can see you again."
            found = self._cue(
                "found", text, "info", PHASE, t, this_attempt=False, until_s=t + 2.0, speak=False
            )
            return [found]
        if k == "set_completed":
            self._rest_prompt_at = math.inf
            text = "That's the set. Well done. Lie still for a moment, then tell me how it went."
            return [self._cue("set_done", text, "count", COUNT, t, _REST_OR_DONE)]
        return []

    def _on_rep_started(self, t: float, e: Event) -> list[Cue]:
        """A new repetition (reported at ``t``, seconds): forget the last one's cues, and
        breathe out while pressing up, unless that was said already when this rise was first
        seen (:meth:`on_rise_seen`, less than :data:`RISE_SEEN_S` before)."""
        self.attempt += 1
        self._said_this_rep = set()
        self._counted = set()
        self._hold_done_said = False
        self._rest_prompt_at = math.inf
        said = self._rise_press == "said" and t - self._rise_seen_t < RISE_SEEN_S
        self._rise_press = ""
        if said:
            return []
        return [self._cue("press", _press_text(e.rep), "breath", PHASE, e.t_s, _RISING)]

    def on_rise_seen(self, rep: int, t: float) -> list[Cue]:
        """The chest is seen rising from the rest at ``t`` (seconds), before the engine starts
        press-up ``rep``: breathe out while pressing up, said at once. It belongs to the next
        attempt and is true while rising (the session's present is ``rising`` from the moment
        the rise is seen, :meth:`LiveSession.moment`); the press-up's own press cue follows
        only if this one was not released (see :meth:`on_released`)."""
        self._rise_press = "waiting"
        self._rise_seen_t = t
        return [
            Cue(
                "press",
                _press_text(rep),
                "breath",
                PHASE,
                t_s=t,
                phases=_RISING,
                attempt=self.attempt + 1,
            )
        ]

    def on_released(self, cues: list[Cue]) -> None:
        """The cues the session's gate let out: a press or hold cue released is not asked
        again for the same press-up."""
        if self._rise_press == "waiting" and any(c.id == "press" for c in cues):
            self._rise_press = "said"
        for c in cues:
            if c.id == "hold":
                self._hold_said_for = c.attempt

    def _on_rep_completed(self, t: float, e: Event) -> list[Cue]:
        """Count the repetition ("2 of 5"); before the last one, ask for a pain rating and
        schedule the next breath in after the rest (seconds)."""
        self._reps_done += 1
        n = self._reps_done
        done = (e.data or {}).get("variant")
        if self.planned is not None and done in POSTURES:
            self._posture_off = done if done != self.planned else None
        target_reps = self.spec.dose.target_reps
        text = f"That's {n} of {target_reps}."
        faults = {f["code"] for f in (e.data or {}).get("faults", [])}
        if "fast_lowering" in faults:
            text += " Next time, take longer to come down."
        cues = [self._cue("rep_done", text, "count", COUNT, t, _REST_OR_DONE)]
        if n < target_reps:
            # said right after the count (before the pain question: the rating dialog asks that
            # on screen too): the next press-up often starts before the rest is over
            cues.extend(self._posture_cue(t))
            text = (
                "How is your back? Tap a number from 0 to 10, then where you feel it. "
                "Or lie still to skip."
            )
            cues.append(self._cue("pain", text, "info", PHASE, t, _REST))
            self._rest_prompt_at = t + self.spec.dose.rest_between_reps_s
        return cues

    def _posture_cue(self, t: float) -> list[Cue]:
        """Once a set, right after the count of a press-up (not the last) done in another
        posture than today's plan (count priority, true during the rest after it)."""
        if self._posture_said or self._posture_off is None or self.planned is None:
            return []
        text = posture_change_cue(self._posture_off, self.planned)
        if text is None:
            return []
        self._posture_said = True
        # count priority: it is about the press-up just counted (it does not count toward moving
        # on), and a breath cue for the next press-up must not push it out
        return [self._cue("posture", text, "info", COUNT, t, _REST)]

    def _first_form_cue(self, t: float, new_faults: list[str]) -> Cue | None:
        """One form cue at a time: the most important of those that just started."""
        for code in sorted(
            new_faults, key=lambda c: FORM_PRIORITY.index(c) if c in FORM_PRIORITY else 99
        ):
            cue = self._form(t, code)
            if cue:
                return cue
        return None

    def on_stopped(self, stop: Stop, before_set: bool, t: float = math.nan) -> list[Cue]:
        """A stop rule fired: say why, and what to do now."""
        self._rest_prompt_at = math.inf
        then = (
            " Please rest today rather than exercise."
            if before_set
            else " Lower yourself down slowly and rest. Next time we'll go gentler."
        )
        text = stop.message + then
        return [self._cue("stopped", text, "safety", SAFETY, t, this_attempt=False)]

    def on_rule_after_set(self, stop: Stop, t: float = math.nan) -> list[Cue]:
        """A stop rule fired on the rating after the last press-up (the set was done)."""
        why = stop.message.removeprefix("Stop the set: ")
        text = f"Thank you. Note that {why} Rest now; next time we'll go gentler."
        return [self._cue("after_set", text, "safety", SAFETY, t, this_attempt=False)]

    def on_top_entered(self, rep: int, t: float = math.nan) -> list[Cue]:
        """The trunk has stopped rising (at ``t``): ask for the hold straight away (the engine
        confirms the hold a moment later). It is asked again on the next top of the same
        repetition only if the gate did not release it (it was dropped when the trunk went on
        rising before it could be said; see :meth:`on_released`)."""
        if self._hold_said_for == self.attempt:
            return []
        text = "Hold it there, and keep breathing."
        return [self._cue("hold", text, "breath", PHASE, t, frozenset({"top"}))]

    def _countdown(self, t: float, held_s: float, target: float) -> list[Cue]:
        """Spoken countdown near the end of the hold (each number true for a second); the hold
        target itself (true until the person is down)."""
        if held_s <= 0:
            return []
        left = math.ceil(target - held_s)
        out: list[Cue] = []
        for mark in COUNTDOWN_MARKS:
            if left == mark and mark < target and mark not in self._counted:
                self._counted.add(mark)
                top = frozenset({"top"})
                out.append(
                    self._cue(f"count{mark}", str(mark), "count", COUNT, t, top, until_s=t + 1.0)
                )
        if held_s >= target and not self._hold_done_said:
            self._hold_done_said = True
            text = "Breathe in... now breathe out and lower yourself slowly."
            out.append(
                self._cue("hold_done", text, "breath", PHASE, t, frozenset({"top", "lowering"}))
            )
        return out

    def _once(self, t: float, cid: str, text: str, kind: str, priority: CuePriority) -> Cue | None:
        """A cue, unless the same sentence was said less than ``repeat_after_s`` ago. True
        until the next press-up starts."""
        if t - self._said_at.get(text, -math.inf) < self.repeat_after_s:
            return None
        self._said_at[text] = t
        return self._cue(cid, text, kind, priority, t, _REST_OR_DONE)

    def _once_list(
        self, t: float, cid: str, text: str, kind: str, priority: CuePriority
    ) -> list[Cue]:
        """:meth:`_once` as a list: empty when the sentence was said too recently."""
        cue = self._once(t, cid, text, kind, priority)
        return [cue] if cue else []

    def _form(self, t: float, code: str) -> Cue | None:
        """A form cue, true while this press-up is under way."""
        if code not in FORM_PRIORITY or code in self._said_this_rep:
            return None
        if t - self._last_form_t < self.form_cooldown_s:
            return None
        self._last_form_t = t
        self._said_this_rep.add(code)
        return self._cue(f"form:{code}", FAULT_WORDING[code].cue, "form", FORM, t, MOVING)


def _press_text(rep: int | None) -> str:
    """What the press cue says for press-up ``rep`` (1-based; the first one says more)."""
    if rep == 1:
        return "Breathe out as you press up. Only go as high as feels comfortable."
    return "Breathe out and press up."
