"""The progression engine: the next dose from the last sessions, each decision with its reason.

Pure functions over typed inputs: :func:`decide` takes the session history
(:class:`SessionSummary`, one per session, each with its sets' facts), the current
:class:`Prescription` and the protocol spec, and returns a :class:`Decision` with a one-line
reason for the person. No clock, no database.

The ladder (thresholds in ``[progression]`` and ``[dose]`` of the protocol file):

* variant: ``forearms`` -> ``hands_bent`` (hands, elbows bent) -> ``hands_straight`` (hands,
  elbows straight but not locked) (:data:`VARIANTS`);
* hold: ``dose.min_hold_s`` to ``dose.max_hold_s`` in steps of ``progression.hold_step_s``
  (default 5, 10, ..., 30 s);
* reps: ``dose.min_reps`` to ``dose.max_reps`` (default 3 to 5).

Moving up is one step of one of them, in that order of preference: the hold first, then the
reps, then the next variant (which starts again at the shortest hold and fewest reps). Moving
down is one step back: the hold, then the reps, then the previous variant. Never two steps,
never a skipped rung.

Rules, applied to the sessions done since the current prescription began
(:attr:`Prescription.since`):

1. A clinician's prescription (``source="clinician"``) always wins: the decision repeats it
   and says so (advice about bad sessions is still given).
2. The latest session was *bad* (a set stopped, or the pain rules or a spread down the leg
   found in its ratings) -> one step down, and aim a little lower.
3. ``good_sessions_to_progress`` *good* sessions in a row -> one step up. Good: the targets
   met (the variant, every counted press-up done in the rung's posture as the engine saw it
   (:attr:`SetSummary.postures_done`: a person who jumped a step is not moved on because of
   it), the reps, each of them held at least ``hold_met_fraction`` of the target hold); pain
   rated before and after, never above ``max_pain``, and ending at most
   ``max_pain_rise`` above the rating before the set; at most ``max_faults_per_rep`` form
   faults per press-up.
4. Otherwise keep the dose; the reason says what is missing ("Done on the hands, planned on
   the forearms: the dose stays, ..." when the posture was not the plan's; a clinician's
   prescription gets the same line as advice).

How high (target peak trunk angle, degrees): from the latest session on the same variant,
the median peak of its press-ups; plus ``peak_step_deg`` after a comfortable session with good
form (at most ``max_target_trunk_deg``), the same after poor form or more pain, minus
``peak_step_deg`` after a bad session (at least ``positions.min_peak_trunk_deg``). No target on
a variant not yet tried: pain decides.

Symptoms that spread down the leg in ``pain.clinician_after_peripheralising`` of the last
``pain.clinician_window_sets`` sets add advice to see a clinician.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Optional

from pressup.errors import InputError
from pressup.protocol.spec import ProtocolSpec
from pressup.safety.symptoms import (
    RESPONSES,
    Response,
    SymptomReport,
    classify,
    clinician_advice,
    first_stop,
)
from pressup.vocab import (
    LADDER_STEPS,
    POSTURE_OF_STEP,
    POSTURES,
    LadderStep,
    Posture,
    posture_of,
    step_of,
)
from pressup.vocab import PRESCRIPTION_LIMITS as PRESCRIPTION_LIMITS  # re-exported
from pressup.vocab import SOURCES as SOURCES
from pressup.vocab import Action as Action
from pressup.vocab import Source as Source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: The variant ladder, easiest first (:data:`pressup.vocab.LadderStep`).
Variant = LadderStep
VARIANTS: tuple[Variant, ...] = LADDER_STEPS
#: The variants in plain words.
VARIANT_WORDS: dict[Variant, str] = {
    "forearms": "on your forearms",
    "hands_bent": "on your hands, elbows bent",
    "hands_straight": "on your hands, elbows straight but not locked",
}
#: The analysis engine's variant (``dose.variant``: forearms or hands) for each rung
#: (:func:`pressup.vocab.posture_of`).
ENGINE_VARIANT: dict[Variant, Posture] = POSTURE_OF_STEP

NOTES_MAX_LEN = 2000
_EPS = 1e-6


def parse_variant(value: object, *, engine_names: bool = False) -> Variant:
    """A ladder :data:`Variant` from its name.

    With ``engine_names`` the analysis engine's ``"hands"`` is read as ``"hands_bent"`` (for
    stored sessions whose dose names only forearms or hands).

    Raises:
        InputError: not a known variant.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in VARIANTS:
            return text
        if engine_names and text in POSTURES:
            return step_of(text)
    raise InputError(f"variant: expected one of {', '.join(VARIANTS)}, got {value!r}")


def dose_words(variant: Variant, reps: int, hold_s: float) -> str:
    """``"3 press-ups, 10 s hold, on your forearms"`` (``"1 press-up, ..."`` for one)."""
    noun = "press-up" if reps == 1 else "press-ups"
    return f"{reps} {noun}, {hold_s:g} s hold, {VARIANT_WORDS[variant]}"


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetSummary:
    """The facts of one set.

    Attributes:
        variant: the rung it was done on.
        target_reps, target_hold_s: the dose asked for (seconds).
        reps_done: press-ups completed.
        holds_s: hold at the top of each press-up done, seconds.
        peak_trunk_deg: highest trunk angle of each press-up, degrees.
        fault_counts: form faults in each press-up.
        symptoms: ratings, ``rep`` 0 before the set and ``k`` after press-up ``k``.
        stopped: the set was stopped early (by the pain rules or the person).
        stop_reason: why, one line (``None`` when not stopped or not known).
        response: centralising, peripheralising or unchanged (see :func:`summarise_set`).
        postures_done: the posture each counted press-up was done in, as the engine saw it
            (``forearms`` or ``hands``; empty when not known). A press-up in another posture
            than the rung's keeps the session from counting toward moving up.
    """

    variant: Variant
    target_reps: int
    target_hold_s: float
    reps_done: int
    holds_s: tuple[float, ...] = ()
    peak_trunk_deg: tuple[float, ...] = ()
    fault_counts: tuple[int, ...] = ()
    symptoms: tuple[SymptomReport, ...] = ()
    stopped: bool = False
    stop_reason: Optional[str] = None
    response: Response = "unchanged"
    postures_done: tuple[Posture, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant", parse_variant(self.variant))
        for p in self.postures_done:
            if p not in POSTURES:
                raise InputError(f"posture: expected one of {', '.join(POSTURES)}, got {p!r}")
        if self.response not in RESPONSES:
            raise InputError(
                f"response: expected one of {', '.join(RESPONSES)}, got {self.response!r}"
            )

    @property
    def pains(self) -> tuple[int, ...]:
        """Every pain rating of the set, in order (0..10)."""
        return tuple(r.pain for r in sorted(self.symptoms, key=lambda r: r.rep))


def summarise_set(
    *,
    variant: Variant,
    target_reps: int,
    target_hold_s: float,
    reps_done: int,
    holds_s: Sequence[float] = (),
    peak_trunk_deg: Sequence[float] = (),
    fault_counts: Sequence[int] = (),
    symptoms: Sequence[SymptomReport] = (),
    stopped: bool = False,
    stop_reason: str | None = None,
    spec: ProtocolSpec | None = None,
    postures_done: Sequence[Posture] = (),
) -> SetSummary:
    """Build a :class:`SetSummary`, deriving the response and the pain stop from the ratings.

    ``stopped``/``stop_reason`` given by the caller are kept; when the ratings break a stop
    rule (``spec.pain``) the set counts as stopped with that rule's message.
    """
    rules = (spec or ProtocolSpec()).pain
    stop = first_stop(symptoms, rules)
    reason = stop_reason
    if stop is not None and reason is None:
        reason = stop.message
    return SetSummary(
        variant=variant,
        target_reps=target_reps,
        target_hold_s=float(target_hold_s),
        reps_done=reps_done,
        holds_s=tuple(float(h) for h in holds_s),
        peak_trunk_deg=tuple(float(a) for a in peak_trunk_deg),
        fault_counts=tuple(int(n) for n in fault_counts),
        symptoms=tuple(symptoms),
        stopped=stopped or stop is not None,
        stop_reason=reason,
        response=classify(symptoms),
        postures_done=tuple(postures_done),
    )


@dataclass(frozen=True)
class SessionSummary:
    """One session: when it started (timezone-aware) and its sets, in order."""

    started_at: datetime
    sets: tuple[SetSummary, ...]
    session_id: Optional[str] = None


@dataclass(frozen=True)
class Prescription:
    """The dose in force.

    Attributes:
        variant: the rung.
        hold_s: target hold at the top, seconds.
        reps: press-ups per set.
        target_peak_trunk_deg: how high to aim, degrees (``None``: as pain allows).
        sessions_per_day: a clinician's frequency (``None``: not prescribed).
        notes: a clinician's notes.
        source: ``"engine"`` or ``"clinician"`` (a clinician's prescription always wins).
        since: when this dose began; only later sessions count towards moving on.

    Raises:
        InputError: unknown variant or source, hold not positive, reps below 1.
    """

    variant: Variant
    hold_s: float
    reps: int
    target_peak_trunk_deg: Optional[float] = None
    sessions_per_day: Optional[int] = None
    notes: str = ""
    source: Source = "engine"
    since: Optional[datetime] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant", parse_variant(self.variant))
        if self.source not in SOURCES:
            raise InputError(f"source: expected engine or clinician, got {self.source!r}")
        if isinstance(self.hold_s, bool) or not isinstance(self.hold_s, (int, float)):
            raise InputError(f"hold_s: expected seconds, got {self.hold_s!r}")
        if not (math.isfinite(self.hold_s) and self.hold_s > 0):
            raise InputError(f"hold_s: expected a positive number of seconds, got {self.hold_s}")
        object.__setattr__(self, "hold_s", float(self.hold_s))
        if isinstance(self.reps, bool) or not isinstance(self.reps, int) or self.reps < 1:
            raise InputError(f"reps: expected a whole number >= 1, got {self.reps!r}")

    def words(self) -> str:
        """The dose in plain words."""
        return dose_words(self.variant, self.reps, self.hold_s)


def starting_prescription(spec: ProtocolSpec) -> Prescription:
    """The bottom of the ladder: forearms, ``dose.min_reps``, ``dose.min_hold_s``."""
    return Prescription(variant="forearms", hold_s=spec.dose.min_hold_s, reps=spec.dose.min_reps)


# -- the decision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The next dose and why.

    Attributes:
        action: ``start``, ``progress``, ``keep``, ``regress`` or ``clinician``.
        variant, target_hold_s (seconds), target_reps: the dose.
        target_peak_trunk_deg: how high to aim, degrees (``None``: as pain allows).
        reason: one line for the person.
        source: ``"clinician"`` when a clinician's prescription set it, else ``"engine"``.
        advice: further lines to show (see a clinician, ...).
        sessions_per_day, notes: from a clinician's prescription.
    """

    action: Action
    variant: Variant
    target_hold_s: float
    target_reps: int
    target_peak_trunk_deg: Optional[float]
    reason: str
    source: Source = "engine"
    advice: tuple[str, ...] = ()
    sessions_per_day: Optional[int] = None
    notes: str = ""

    @property
    def changed(self) -> bool:
        """The dose moved (up or down)."""
        return self.action in ("progress", "regress")

    def words(self) -> str:
        """The dose in plain words."""
        return dose_words(self.variant, self.target_reps, self.target_hold_s)

    def prescription(self, since: datetime | None) -> Prescription:
        """This decision as the prescription in force from ``since``."""
        return Prescription(
            variant=self.variant,
            hold_s=self.target_hold_s,
            reps=self.target_reps,
            target_peak_trunk_deg=self.target_peak_trunk_deg,
            sessions_per_day=self.sessions_per_day,
            notes=self.notes,
            source=self.source,
            since=since,
        )


def hold_ladder(spec: ProtocolSpec) -> tuple[float, ...]:
    """Target holds, seconds: ``dose.min_hold_s`` to ``dose.max_hold_s`` by ``hold_step_s``."""
    lo, hi, step = spec.dose.min_hold_s, spec.dose.max_hold_s, spec.progression.hold_step_s
    out: list[float] = []
    k = 0
    while lo + k * step < hi - _EPS:
        out.append(round(lo + k * step, 6))
        k += 1
    out.append(hi)
    return tuple(out)


def step_up(current: Prescription, spec: ProtocolSpec) -> tuple[Prescription, str] | None:
    """One step up the ladder (hold, else reps, else variant), or ``None`` at the top.

    Returns the new prescription and a few words naming the change.
    """
    holds = hold_ladder(spec)
    up = [h for h in holds if h > current.hold_s + _EPS]
    if up:
        return (
            replace(current, hold_s=up[0], target_peak_trunk_deg=None),
            f"hold {up[0]:g} s now (was {current.hold_s:g} s)",
        )
    if current.reps < spec.dose.max_reps:
        n = current.reps + 1
        return (
            replace(current, reps=n, target_peak_trunk_deg=None),
            f"{n} press-ups now (was {current.reps})",
        )
    i = VARIANTS.index(current.variant)
    if i + 1 < len(VARIANTS):
        v = VARIANTS[i + 1]
        new = replace(
            current,
            variant=v,
            reps=spec.dose.min_reps,
            hold_s=holds[0],
            target_peak_trunk_deg=None,
        )
        return new, f"move up to {VARIANT_WORDS[v]}, starting again at {new.words()}"
    return None


def step_down(current: Prescription, spec: ProtocolSpec) -> tuple[Prescription, str] | None:
    """One step down the ladder (hold, else reps, else variant), or ``None`` at the bottom."""
    holds = hold_ladder(spec)
    down = [h for h in holds if h < current.hold_s - _EPS]
    if down:
        return (
            replace(current, hold_s=down[-1], target_peak_trunk_deg=None),
            f"hold {down[-1]:g} s (was {current.hold_s:g} s)",
        )
    if current.reps > spec.dose.min_reps:
        n = current.reps - 1
        return (
            replace(current, reps=n, target_peak_trunk_deg=None),
            f"{n} press-ups (was {current.reps})",
        )
    i = VARIANTS.index(current.variant)
    if i > 0:
        v = VARIANTS[i - 1]
        return (
            replace(current, variant=v, target_peak_trunk_deg=None),
            f"back to {VARIANT_WORDS[v]}",
        )
    return None


@dataclass(frozen=True)
class _Verdict:
    kind: Literal["good", "bad", "neutral"]
    why: str
    max_pain: Optional[int] = None
    #: the press-ups were done in another posture than planned: ``why`` is a sentence start
    #: ("Done on the hands, planned on the forearms")
    posture_off: bool = False


def posture_mismatch(s: SetSummary, planned: Variant) -> str | None:
    """``"Done on the hands, planned on the forearms"`` when counted press-ups of ``s`` were
    done in another posture than the rung ``planned`` asks for (``"Done on the hands (2 of 3
    press-ups), ..."`` when not all of them), else ``None``."""
    want = posture_of(planned)
    off = [p for p in s.postures_done if p != want]
    if not off:
        return None
    done = max(set(off), key=off.count)
    part = (
        ""
        if len(off) == len(s.postures_done)
        else (f" ({len(off)} of {len(s.postures_done)} press-ups)")
    )
    return f"Done on the {done}{part}, planned on the {want}"


def set_problem(s: SetSummary, spec: ProtocolSpec) -> str | None:
    """Why a set was bad (stopped, pain rules, symptoms spreading), or ``None``.

    The ratings are checked again with ``spec.pain`` whatever the stored flags say.
    """
    stop = first_stop(s.symptoms, spec.pain)
    if stop is not None:
        return stop.message.removeprefix("Stop the set: ").rstrip(".")
    if s.response == "peripheralising" or classify(s.symptoms) == "peripheralising":
        return "symptoms spread down the leg"
    if s.stopped:
        text = (s.stop_reason or "").strip().removeprefix("Stop the set: ").rstrip(".")
        return f"a set was stopped ({text})" if text else "a set was stopped"
    return None


def set_response(s: SetSummary) -> Response:
    """The set's response: the stored one, or peripheralising if the ratings say so."""
    worked = classify(s.symptoms)
    return "peripheralising" if "peripheralising" in (s.response, worked) else s.response


def _dose_shortfall(s: SetSummary, current: Prescription, spec: ProtocolSpec) -> str | None:
    """Why set ``s`` fell short of the dose in force (press-ups, or a hold in seconds below
    the share of the target hold), or ``None``."""
    if s.reps_done < current.reps:
        return f"{s.reps_done} of {current.reps} press-ups were done"
    need = spec.progression.hold_met_fraction * current.hold_s
    held = [h for h in s.holds_s if math.isfinite(h)]
    if len(held) < current.reps or sorted(held, reverse=True)[current.reps - 1] < need - _EPS:
        short = min(held) if held else 0.0
        return f"a hold was {short:.0f} s of the {current.hold_s:g} s asked"
    return None


def _pain_or_form_shortfall(s: SetSummary, spec: ProtocolSpec) -> str | None:
    """Why set ``s`` does not allow moving on by its pain (0..10: rated before and after, at
    most ``max_pain``, rising at most ``max_pain_rise``) or form (faults per press-up), or
    ``None``."""
    g = spec.progression
    before = [r for r in s.symptoms if r.rep == 0]
    after = [r for r in s.symptoms if r.rep > 0]
    if not before or not after:
        return "pain was not rated before and after the set"
    worst = max(r.pain for r in s.symptoms)
    if worst > g.max_pain:
        return f"pain reached {worst}/10"
    last = max(after, key=lambda r: r.rep)
    if last.pain - before[0].pain > g.max_pain_rise:
        return f"pain ended at {last.pain}/10, up from {before[0].pain}/10"
    n_faults = sum(s.fault_counts)
    if n_faults / max(s.reps_done, 1) > g.max_faults_per_rep + _EPS:
        points = "form point" if n_faults == 1 else "form points"
        reps = "press-up" if s.reps_done == 1 else "press-ups"
        return f"there were {n_faults} {points} to work on in {s.reps_done} {reps}"
    return None


def _judge(session: SessionSummary, current: Prescription, spec: ProtocolSpec) -> _Verdict:
    """Good (counts toward stepping up), bad (step down) or neutral (keep), and why."""
    if not session.sets:
        return _Verdict("neutral", "the session has no sets")
    for s in session.sets:
        problem = set_problem(s, spec)
        if problem is not None:
            return _Verdict("bad", problem)
    pains = [p for s in session.sets for p in s.pains]
    max_pain = max(pains) if pains else None
    for s in session.sets:
        if s.variant != current.variant:
            return _Verdict("neutral", f"it was done {VARIANT_WORDS[s.variant]}", max_pain)
        off = posture_mismatch(s, current.variant)
        if off is not None:
            return _Verdict("neutral", off, max_pain, posture_off=True)
        why = _dose_shortfall(s, current, spec) or _pain_or_form_shortfall(s, spec)
        if why is not None:
            return _Verdict("neutral", why, max_pain)
    return _Verdict("good", f"pain at most {max_pain}/10 and good form", max_pain)


def _whole(deg: float) -> float:
    """``deg`` to whole degrees, half up (as the pages' ``Math.round``)."""
    return float(math.floor(deg + 0.5))


def _peak_target(
    history: Sequence[SessionSummary],
    variant: Variant,
    verdict: _Verdict | None,
    spec: ProtocolSpec,
) -> tuple[float | None, str]:
    """Target peak trunk angle (degrees) for ``variant`` and a few words, or ``(None, ...)``."""
    for session in reversed(history):
        peaks = [
            a
            for s in session.sets
            if s.variant == variant
            for a in s.peak_trunk_deg
            if math.isfinite(a)
        ]
        if peaks:
            break
    else:
        return None, "go only as high as stays pain free"
    reached = float(statistics.median(peaks))
    g = spec.progression
    floor = spec.positions.min_peak_trunk_deg
    # whole degrees, rounded half up: every screen says the same number ("about 47 degrees")
    if verdict is not None and verdict.kind == "bad":
        target = _whole(max(floor, reached - g.peak_step_deg))
        words = f"aim a little lower, about {target:.0f} degrees"
    elif verdict is not None and verdict.kind == "good":
        target = _whole(min(g.max_target_trunk_deg, reached + g.peak_step_deg))
        words = f"aim about {target:.0f} degrees high"
    else:
        target = _whole(min(g.max_target_trunk_deg, reached))
        words = f"stay at about {target:.0f} degrees high"
    return round(target, 1), words


def _all_responses(history: Sequence[SessionSummary]) -> list[Response]:
    return [set_response(s) for session in history for s in session.sets]


def _clinician_decision(
    current: Prescription, latest: _Verdict | None, advice: list[str]
) -> Decision:
    """Repeat the clinician's prescription; a bad last session goes into the advice."""
    if latest is not None and latest.kind == "bad":
        advice.append(f"Last session: {latest.why}. Tell your clinician.")
    elif latest is not None and latest.posture_off:
        advice.append(f"Last session: {latest.why[:1].lower()}{latest.why[1:]}.")
    per_day = (
        f", {current.sessions_per_day} session{'s' if current.sessions_per_day != 1 else ''} a day"
        if current.sessions_per_day
        else ""
    )
    return Decision(
        action="clinician",
        variant=current.variant,
        target_hold_s=current.hold_s,
        target_reps=current.reps,
        target_peak_trunk_deg=current.target_peak_trunk_deg,
        reason=(
            f"Your clinician's prescription: {current.words()}{per_day}; pressup does not "
            "change it."
        ),
        source="clinician",
        advice=tuple(advice),
        sessions_per_day=current.sessions_per_day,
        notes=current.notes,
    )


def _decide_unjudged(
    ordered: Sequence[SessionSummary], current: Prescription, spec: ProtocolSpec
) -> tuple[Action, Prescription, float | None, str]:
    """No session at this dose yet: start (no history at all) or keep."""
    n_needed = spec.progression.good_sessions_to_progress
    action: Action = "start" if not ordered else "keep"
    peak, height = _peak_target(ordered, current.variant, None, spec)
    if action == "start":
        reason = f"First sessions: start gently with {current.words()}; {height}."
    else:
        reason = (
            f"Keep {current.words()}: no session at this dose yet "
            f"({n_needed} good ones to move up); {height}."
        )
    return action, current, peak, reason


def _decide_after_bad(
    ordered: Sequence[SessionSummary],
    current: Prescription,
    latest: _Verdict,
    spec: ProtocolSpec,
    advice: list[str],
) -> tuple[Action, Prescription, float | None, str]:
    """The last session went badly: one step back, or advice when already at the bottom."""
    down = step_down(current, spec)
    if down is None:
        peak, height = _peak_target(ordered, current.variant, latest, spec)
        reason = (
            f"In the last session {latest.why}: stay at the gentlest dose, {current.words()}; "
            f"{height}."
        )
        advice.append(
            "You are already at the gentlest dose: if sessions keep going badly, see a "
            "doctor or physiotherapist."
        )
        return "keep", current, peak, reason
    new, change = down
    peak, height = _peak_target(ordered, new.variant, latest, spec)
    reason = f"In the last session {latest.why}: one step back, {change}; {height}."
    return "regress", new, peak, reason


def _decide_after_fine(
    ordered: Sequence[SessionSummary],
    recent: Sequence[SessionSummary],
    current: Prescription,
    latest: _Verdict,
    spec: ProtocolSpec,
) -> tuple[Action, Prescription, float | None, str]:
    """The last session did not go badly: one step up after enough good sessions in a row
    (unless at the top of the programme), else keep."""
    n_needed = spec.progression.good_sessions_to_progress
    good = 0
    for session in reversed(recent):
        if _judge(session, current, spec).kind != "good":
            break
        good += 1
    if good >= n_needed:
        up = step_up(current, spec)
        if up is None:
            peak, height = _peak_target(ordered, current.variant, latest, spec)
            reason = f"You are at the top of the programme: keep {current.words()}; {height}."
            return "keep", current, peak, reason
        new, change = up
        peak, height = _peak_target(ordered, new.variant, latest, spec)
        reason = f"{good} good sessions in a row ({latest.why}): {change}; {height}."
        return "progress", new, peak, reason
    peak, height = _peak_target(ordered, current.variant, latest, spec)
    if latest.posture_off:
        reason = f"{latest.why}: the dose stays, {current.words()}; {height}."
        return "keep", current, peak, reason
    if latest.kind == "good":
        why = f"{good} of {n_needed} good sessions at this dose so far"
    else:
        why = f"in the last session {latest.why}"
    reason = f"Keep {current.words()}: {why}; {height}."
    return "keep", current, peak, reason


def decide(
    history: Sequence[SessionSummary],
    current: Prescription,
    spec: ProtocolSpec,
) -> Decision:
    """The next dose, with a one-line reason.

    Args:
        history: past sessions (any order; sorted by ``started_at`` here).
        current: the prescription in force; sessions after ``current.since`` count toward
            moving on (all of them when ``since`` is ``None``).
        spec: the protocol (``[dose]``, ``[progression]``, ``[pain]``, ``[positions]``).

    Returns:
        The decision; with a clinician's prescription it repeats that prescription
        (``action="clinician"``).
    """
    ordered = sorted(history, key=lambda s: s.started_at)
    recent = [s for s in ordered if current.since is None or s.started_at > current.since]
    advice: list[str] = []
    see = clinician_advice(_all_responses(ordered), spec.pain)
    if see is not None:
        advice.append(see)
    latest = _judge(recent[-1], current, spec) if recent else None

    if current.source == "clinician":
        return _clinician_decision(current, latest, advice)
    if latest is None:
        action, new, peak, reason = _decide_unjudged(ordered, current, spec)
    elif latest.kind == "bad":
        action, new, peak, reason = _decide_after_bad(ordered, current, latest, spec, advice)
    else:
        action, new, peak, reason = _decide_after_fine(ordered, recent, current, latest, spec)
    return Decision(
        action=action,
        variant=new.variant,
        target_hold_s=new.hold_s,
        target_reps=new.reps,
        target_peak_trunk_deg=peak,
        reason=reason,
        source="engine",
        advice=tuple(advice),
    )


# -- clinician's prescription file ----------------------------------------------------------


def prescription_from_dict(raw: Mapping[str, Any], *, where: str = "prescription") -> Prescription:
    """Validate a clinician's prescription.

    Keys: ``variant`` (:data:`VARIANTS`), ``hold_s`` (seconds, 1..120), ``reps`` (1..20),
    optional ``sessions_per_day`` (1..10, default 1) and ``notes`` (text). A top-level
    ``[prescription]`` table is also accepted.

    Raises:
        InputError: unknown or missing key, wrong type, out-of-range value (named).
    """
    if set(raw) == {"prescription"} and isinstance(raw["prescription"], Mapping):
        raw = raw["prescription"]
    known = ("variant", "hold_s", "reps", "sessions_per_day", "notes")
    for key in raw:
        if key not in known:
            raise InputError(f"{where}: unknown key {key!r}; expected: {', '.join(known)}")
    for key in ("variant", "hold_s", "reps"):
        if key not in raw:
            raise InputError(f"{where}: missing key {key!r}")
    variant = parse_variant(raw["variant"])
    values: dict[str, Any] = {}
    for key in ("hold_s", "reps", "sessions_per_day"):
        if key not in raw:
            continue
        value = raw[key]
        whole = key != "hold_s"
        ok = isinstance(value, int) if whole else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            kind = "a whole number" if whole else "a number of seconds"
            raise InputError(f"{where}.{key}: expected {kind}, got {value!r}")
        lo, hi = PRESCRIPTION_LIMITS[key]
        if not lo <= value <= hi:
            raise InputError(f"{where}.{key}: expected a value from {lo} to {hi}, got {value!r}")
        values[key] = value
    notes = raw.get("notes", "")
    if not isinstance(notes, str) or len(notes) > NOTES_MAX_LEN:
        raise InputError(f"{where}.notes: expected text of at most {NOTES_MAX_LEN} characters")
    return Prescription(
        variant=variant,
        hold_s=float(values["hold_s"]),
        reps=int(values["reps"]),
        sessions_per_day=int(values.get("sessions_per_day", 1)),
        notes=notes,
        source="clinician",
    )


def load_prescription(path: str | Path) -> Prescription:
    """Read a clinician's prescription from a TOML file, or JSON when the name ends ``.json``.

    Raises:
        InputError: unreadable file, bad TOML/JSON, or an invalid prescription.
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputError(f"{p}: cannot read prescription file: {exc}") from exc
    try:
        raw: Any = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if p.suffix.lower() == ".json" else "TOML"
        raise InputError(f"{p}: not valid {kind}: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected a table of prescription keys")
    return prescription_from_dict(raw, where=str(p))


def apply_to_spec(spec: ProtocolSpec, prescription: Prescription) -> ProtocolSpec:
    """The protocol with its ``[dose]`` set to ``prescription`` (for the live coach).

    ``dose.variant`` becomes the engine's name (forearms or hands); min/max reps and holds
    widen when a clinician prescribes beyond them.
    """
    d = spec.dose
    dose = replace(
        d,
        variant=posture_of(prescription.variant),
        target_reps=prescription.reps,
        min_reps=min(d.min_reps, prescription.reps),
        max_reps=max(d.max_reps, prescription.reps),
        target_hold_s=prescription.hold_s,
        min_hold_s=min(d.min_hold_s, prescription.hold_s),
        max_hold_s=max(d.max_hold_s, prescription.hold_s),
    )
    return replace(spec, dose=dose)


__all__ = [
    "ENGINE_VARIANT",
    "VARIANTS",
    "VARIANT_WORDS",
    "Action",
    "Decision",
    "Prescription",
    "SessionSummary",
    "SetSummary",
    "Source",
    "Variant",
    "apply_to_spec",
    "decide",
    "dose_words",
    "hold_ladder",
    "load_prescription",
    "parse_variant",
    "posture_mismatch",
    "prescription_from_dict",
    "set_problem",
    "set_response",
    "starting_prescription",
    "step_down",
    "step_up",
    "summarise_set",
]
