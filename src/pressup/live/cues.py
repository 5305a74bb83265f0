"""Cues in time: what a cue is about, its priority, and which cues are released (no I/O).

Every :class:`Cue` carries a :class:`CuePriority` (safety > count > phase > form) and the moment
it refers to: ``t_s`` (the time of what it is about, e.g. the start of the press), the phases of
the exercise during which it is still true (``phases``: ``rising``, ``top``, ``lowering``,
``rest``, ``setup``, ``start_check``, ``done``; empty: any), the press-up attempt it belongs to
(``attempt``: the number of presses started so far, ``None``: any) and, for cues that are true
only for a moment such as a countdown number, ``until_s``.

:class:`CueGate` decides what is sent, frame by frame, given the present :class:`Moment`:

* safety cues always pass, at once;
* a cue whose moment is over (:meth:`Cue.is_current` is false) is dropped, never queued;
* of the cues still current, only the most important is released (:func:`rank`: by priority,
  then the newest, then the first produced), and at most one every ``min_gap_s`` (1.5 s, a safety
  cue included in the spacing);
* one cue at most waits in a single slot (the best current cue that could not be released yet, or
  the runner-up of the one just released unless it has the same id); it is released when the gap
  allows if it is *still current* then, and is replaced by anything more important or newer of
  the same priority, or by the same cue (the same id) made again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

#: Minimum time (seconds) between two released cues (a safety cue is never held back).
MIN_GAP_S = 1.5

#: Phases of the present (:attr:`Moment.phase`).
PHASES: tuple[str, ...] = (
    "setup",
    "start_check",
    "rest",
    "rising",
    "top",
    "lowering",
    "done",
    "paused",
)
#: A press-up under way (a form cue is about the repetition, whatever its phase).
MOVING: frozenset[str] = frozenset({"rising", "top", "lowering"})


class CuePriority(IntEnum):
    """How important a cue is. A *lower* value is *more* important: ``sorted`` puts the most
    important first, and the page's speech queue (``static/speech.js``) sorts the same way."""

    SAFETY = 1  # stop, tracking lost: always said, at once
    COUNT = 2  # "That's 2 of 3.", the hold countdown, a press-up that did not count
    PHASE = 3  # what to do now: breathe, press, hold, lower; set-up and start checks
    FORM = 4  # how to do it better: hips, elbows, head, shoulders

    def outranks(self, other: CuePriority) -> bool:
        """More important than ``other``."""
        return self.value < other.value


@dataclass(frozen=True)
class Moment:
    """The present, as far as cues care: the phase of the exercise and the attempt number
    (press-ups started so far, counting those that did not count)."""

    phase: str
    attempt: int = 0


@dataclass(frozen=True)
class Cue:
    """One thing to show and say. ``kind`` (the caption's style): breath, count, form, info or
    safety. See the module docstring for ``priority``, ``t_s``, ``phases``, ``attempt`` and
    ``until_s``."""

    id: str
    text: str
    kind: str
    priority: CuePriority = CuePriority.PHASE
    t_s: float = math.nan
    phases: frozenset[str] = frozenset()
    attempt: int | None = None
    until_s: float = math.inf
    speak: bool = True

    def is_current(self, now: Moment, t_s: float) -> bool:
        """Is what this cue says still true at ``t_s``, in the phase ``now``? (A safety cue
        always is.)"""
        if self.priority is CuePriority.SAFETY:
            return True
        if t_s > self.until_s:
            return False
        if self.phases and now.phase not in self.phases:
            return False
        return self.attempt is None or self.attempt == now.attempt

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "priority": int(self.priority),
            "t_s": round(self.t_s, 3) if math.isfinite(self.t_s) else None,
            "speak": self.speak,
        }


def rank(cues: Sequence[Cue]) -> list[Cue]:
    """``cues`` best first: the most important, then the newest (``t_s``), then the first
    produced."""
    order = sorted(
        range(len(cues)),
        key=lambda i: (
            cues[i].priority.value,
            -cues[i].t_s if math.isfinite(cues[i].t_s) else math.inf,
            i,
        ),
    )
    return [cues[i] for i in order]


def select(cues: Iterable[Cue], now: Moment, t_s: float) -> Cue | None:
    """The selection rule without the spacing: the best of ``cues`` still current at ``t_s``
    (safety cues included), or None."""
    current = [c for c in cues if c.is_current(now, t_s)]
    best = rank(current)
    return best[0] if best else None


@dataclass
class CueGate:
    """What is released, frame by frame (see the module docstring)."""

    min_gap_s: float = MIN_GAP_S
    _last_s: float = -math.inf
    _waiting: Cue | None = None

    @property
    def waiting(self) -> Cue | None:
        """The cue in the slot, if any."""
        return self._waiting

    def release(self, t_s: float, cues: Sequence[Cue], now: Moment) -> list[Cue]:
        """The cues to send now, at ``t_s`` in the present ``now``, of those produced by this
        frame (``cues``, in the order produced) and the one waiting."""
        out = [c for c in cues if c.priority is CuePriority.SAFETY]
        pool = [c for c in cues if c.priority is not CuePriority.SAFETY]
        if self._waiting is not None and all(c.id != self._waiting.id for c in pool):
            pool.insert(0, self._waiting)  # (a cue made again replaces the one waiting)
        self._waiting = None
        best = rank([c for c in pool if c.is_current(now, t_s)])
        if out:
            self._last_s = t_s
        if not best:
            return out
        if not out and t_s - self._last_s >= self.min_gap_s - 1e-9:
            out.append(best[0])
            self._last_s = t_s
            # the runner-up waits, unless it says the same thing (the same id) again
            self._waiting = next((c for c in best[1:] if c.id != best[0].id), None)
        else:
            self._waiting = best[0]
        return out

    def clear(self) -> None:
        """Forget the waiting cue (e.g. the session was paused or went back to the set-up)."""
        self._waiting = None
