"""Pain and symptom response during a set: stop rules and McKenzie-style classification.

Before the set (``rep`` 0) and after every press-up (``rep`` 1, 2, ...) the person rates pain
on the 0..10 scale (0 = none, 10 = the worst imaginable) and says where the symptoms are
felt, on an ordered scale from the spine outwards (:data:`LOCATIONS`)::

    none < back < buttock < thigh < below_knee < foot

A set is *centralising* when the symptoms retreat toward the spine (or go), *peripheralising*
when they spread further down the leg than before the set, otherwise *unchanged*.

The stop rules (thresholds in the ``[pain]`` section of the protocol file,
:class:`pressup.protocol.spec.PainRules`), checked after every press-up against the rating
given before the set:

* symptoms further down the leg than before the set (peripheralising) - always;
* pain above ``stop_above`` (default 7);
* pain ``stop_rise_points`` or more above the rating before the set (default 2).

Every function here is pure: no clock, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pressup.protocol.spec import PainRules
from pressup.vocab import LOCATION_WORDS as LOCATION_WORDS
from pressup.vocab import LOCATIONS as LOCATIONS  # re-exported: the old import paths
from pressup.vocab import PAIN_MAX as PAIN_MAX
from pressup.vocab import STOP_EVENT as STOP_EVENT
from pressup.vocab import Location as Location
from pressup.vocab import SymptomReport as SymptomReport
from pressup.vocab import parse_location as parse_location

#: How the symptoms responded to a set.
Response = Literal["centralising", "peripheralising", "unchanged"]
RESPONSES: tuple[Response, ...] = get_args(Response)

#: The responses in plain words, for the person and the clinician.
RESPONSE_WORDS: dict[Response, str] = {
    "centralising": "moved toward the spine",
    "peripheralising": "spread down the leg",
    "unchanged": "unchanged",
}

#: Which rule stopped a set (most serious first).
StopRule = Literal["peripheralising", "pain_limit", "pain_rise"]

_BACK = 1  # rank of "back"


def location_rank(location: Location) -> int:
    """Position on the central-to-peripheral scale: 0 = no symptoms, 5 = foot."""
    return LOCATIONS.index(location)


def spreads(before: Location, after: Location) -> bool:
    """Did the symptoms spread further down the leg (peripheralise)?

    True when ``after`` is further from the spine than ``before`` *and* off the back (buttock
    or beyond): pain appearing in the back itself is judged by the pain rules, not as a
    spread.
    """
    return location_rank(after) > max(location_rank(before), _BACK)


@dataclass(frozen=True)
class Stop:
    """A set must stop: the rule(s) that fired and one line saying why, in plain words."""

    rules: tuple[StopRule, ...]
    message: str

    @property
    def rule(self) -> StopRule:
        """The most serious rule that fired."""
        return self.rules[0]


def check_before(before: SymptomReport, rules: PainRules) -> Stop | None:
    """May the set start? Not when pain before it is already above ``rules.stop_above``."""
    if before.pain > rules.stop_above:
        return Stop(
            ("pain_limit",),
            f"Do not start the set: pain is {before.pain}/10 already, above the limit of "
            f"{rules.stop_above}.",
        )
    return None


def check_rep(before: SymptomReport, after: SymptomReport, rules: PainRules) -> Stop | None:
    """Must the set stop after this press-up? ``None`` means carry on.

    Args:
        before: the rating given before the set (``rep`` 0).
        after: the rating just given after a press-up.
        rules: the ``[pain]`` thresholds.
    """
    fired: list[StopRule] = []
    lines: list[str] = []
    if spreads(before.location, after.location):
        fired.append("peripheralising")
        lines.append(
            "symptoms spread further down the leg "
            f"({LOCATION_WORDS[after.location]} now, {LOCATION_WORDS[before.location]} before)"
        )
    if after.pain > rules.stop_above:
        fired.append("pain_limit")
        lines.append(f"pain is {after.pain}/10, above the limit of {rules.stop_above}")
    rise = after.pain - before.pain
    if rise >= rules.stop_rise_points:
        fired.append("pain_rise")
        lines.append(
            f"pain went up from {before.pain} to {after.pain} "
            f"({rules.stop_rise_points} points or more)"
        )
    if not fired:
        return None
    return Stop(tuple(fired), f"Stop the set: {lines[0]}.")


def check_rating(
    before: SymptomReport | None,
    rep: int,
    pain: int,
    location: Location | None,
    rules: PainRules,
) -> Stop | None:
    """The stop rules for one rating as the live coach receives it.

    Unlike :func:`check_rep`, the place may be unsaid and there may be no rating before the
    set: a rating before the set (``rep`` 0) goes to :func:`check_before`; without a rating
    before the set only the pain limit is checked; without a ``location`` the spread rule is
    skipped (the place is taken as unchanged) and the pain rules still apply.

    Args:
        before: the rating given before the set, if any.
        rep: 0 before the set, else the press-up just done (1-based).
        pain: 0..10.
        location: where the symptoms are felt, or ``None`` when not said.
        rules: the ``[pain]`` thresholds.

    Raises:
        InputError: ``rep`` or ``pain`` out of range.
    """
    now = SymptomReport(rep, pain, location or (before.location if before else "none"))
    if rep == 0:
        return check_before(now, rules)
    if before is None:
        return first_stop([now], rules)
    return check_rep(before, now, rules)


def _split(reports: Sequence[SymptomReport]) -> tuple[SymptomReport | None, list[SymptomReport]]:
    before = next((r for r in reports if r.rep == 0), None)
    after = sorted((r for r in reports if r.rep > 0), key=lambda r: r.rep)
    return before, after


def first_stop(reports: Sequence[SymptomReport], rules: PainRules) -> Stop | None:
    """Replay the stop rules over a set's ratings; the first stop, if any.

    Without a rating before the set only the pain limit can be checked.
    """
    before, after = _split(reports)
    if before is None:
        for r in after:
            if r.pain > rules.stop_above:
                return Stop(
                    ("pain_limit",),
                    f"Stop the set: pain is {r.pain}/10, above the limit of {rules.stop_above}.",
                )
        return None
    stop = check_before(before, rules)
    if stop is not None:
        return stop
    for r in after:
        stop = check_rep(before, r, rules)
        if stop is not None:
            return stop
    return None


def classify(reports: Sequence[SymptomReport]) -> Response:
    """Centralising, peripheralising or unchanged, McKenzie-style.

    Compares each rating after a press-up with the one before the set: any rating further
    down the leg (:func:`spreads`) makes the set *peripheralising* (it should have stopped
    there); otherwise a last rating nearer the spine (or symptom-free) makes it
    *centralising*. Symptoms that newly appear in the back only are not a spread. Without a rating
    before the set, or none after a press-up, the set counts as *unchanged*.
    """
    before, after = _split(reports)
    if before is None or not after:
        return "unchanged"
    if any(spreads(before.location, r.location) for r in after):
        return "peripheralising"
    if location_rank(after[-1].location) < location_rank(before.location):
        return "centralising"
    return "unchanged"


def clinician_advice(responses: Sequence[Response], rules: PainRules) -> str | None:
    """Advice to see a clinician when symptoms spread down the leg too often.

    Args:
        responses: the classification of each set, oldest first.
        rules: ``clinician_after_peripheralising`` sets among the last
            ``clinician_window_sets`` trigger the advice.
    """
    window = list(responses)[-rules.clinician_window_sets :]
    n = sum(1 for r in window if r == "peripheralising")
    if n >= rules.clinician_after_peripheralising:
        return (
            f"Symptoms spread down the leg in {n} of your last {len(window)} sets: "
            "please see a doctor or physiotherapist before you go on."
        )
    return None


__all__ = [
    "LOCATIONS",
    "LOCATION_WORDS",
    "RESPONSES",
    "RESPONSE_WORDS",
    "STOP_EVENT",
    "Location",
    "Response",
    "Stop",
    "StopRule",
    "SymptomReport",
    "check_before",
    "check_rating",
    "check_rep",
    "classify",
    "clinician_advice",
    "first_stop",
    "location_rank",
    "parse_location",
    "spreads",
]
