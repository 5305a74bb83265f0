"""A set recorded on video (or as a track file), stored as a session with its pain ratings.

The terminal's way through the same loop as the live coach: screen (``pressup screen``), do a
set in front of a camera that records it, then ``pressup sessions add VIDEO`` analyses it with
the dose in force, stores it like a live session (landmark track, repetitions, events), stores
the pain ratings given before the set and after each press-up, applies the same stop rules
(:func:`pressup.safety.symptoms.check_rating`), and reviews the history for the next dose.

A rating that breaks a stop rule before the last press-up is stored as a ``set_stopped`` event
("the set should have stopped here"): the repetitions after it happened and are kept, and the
progression treats the set as stopped. One that breaks a rule after the last press-up is
reported (the set was already over), as the live coach does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from pressup.analysis.result import Analysis
from pressup.analysis.run import analyze_track
from pressup.errors import InputError
from pressup.pose.track import PoseTrack
from pressup.protocol.spec import PainRules, ProtocolSpec
from pressup.safety.symptoms import (
    STOP_EVENT,
    Location,
    Stop,
    SymptomReport,
    check_rating,
    parse_location,
)
from pressup.sessions.plan import Review, plan_session, review
from pressup.sessions.records import add_rating
from pressup.sessions.store import Store


@dataclass(frozen=True)
class Rating:
    """One answer: ``rep`` 0 = before the set; ``pain`` 0..10 or ``None`` (skipped);
    ``location`` where the symptoms are felt, or ``None`` (not said).

    Raises:
        InputError: ``rep`` negative, ``pain`` outside 0..10, unknown ``location``.
    """

    rep: int
    pain: Optional[int]
    location: Optional[Location] = None

    def __post_init__(self) -> None:
        if isinstance(self.rep, bool) or not isinstance(self.rep, int) or self.rep < 0:
            raise InputError(f"rating rep: expected an integer >= 0, got {self.rep!r}")
        if self.pain is not None:
            SymptomReport(self.rep, self.pain, "none")  # validates the score
        if self.location is not None:
            object.__setattr__(self, "location", parse_location(self.location))


@dataclass(frozen=True)
class RecordedSet:
    """What :func:`store_recorded_set` stored and decided."""

    session_id: str
    analysis: Analysis
    stop: Optional[Stop]
    stop_after_rep: Optional[int]  # the press-up after which a rule fired (0 = before the set)
    set_stopped: bool  # the stop came before the last press-up (stored as ``set_stopped``)
    review: Review


def first_rule(ratings: Sequence[Rating], rules: PainRules) -> tuple[Optional[Stop], Optional[int]]:
    """The first stop rule that fires over ``ratings`` in press-up order, and after which
    press-up (0 = before the set); ``(None, None)`` when none does."""
    before: Optional[SymptomReport] = None
    for r in sorted(ratings, key=lambda x: x.rep):
        if r.pain is None:
            continue
        stop = check_rating(before, r.rep, r.pain, r.location, rules)
        if r.rep == 0:
            before = SymptomReport(0, r.pain, r.location or "none")
        if stop is not None:
            return stop, r.rep
    return None, None


def store_recorded_set(
    store: Store,
    spec: ProtocolSpec,
    track: PoseTrack,
    ratings: Sequence[Rating] = (),
    *,
    client: str = "pressup sessions add",
) -> RecordedSet:
    """Analyse ``track`` with the dose in force and store it as a finished session.

    Either the whole session is stored or, when a write fails, none of it (the half-written
    session is deleted before the error is raised).

    Args:
        spec: the protocol (the dose comes from :func:`~pressup.sessions.plan.plan_session`).
        track: the recorded set's landmark track.
        ratings: pain ratings before the set (``rep`` 0) and after press-ups.
    """
    seen = [r.rep for r in ratings]
    if len(seen) != len(set(seen)):
        raise InputError(f"ratings: one rating per press-up expected, got press-ups {seen}")
    plan = plan_session(store, spec)
    analysis = analyze_track(
        track, plan.spec, dose_source=plan.planned.source, dose_reason=plan.planned.reason
    )
    done = analysis.rep_count
    stop, after = first_rule(ratings, spec.pain)
    stopped = stop is not None and after is not None and after < max(done, 1)
    sid = store.create_session(
        client=client,
        dose=plan.dose,
        protocol=spec.summary(),
        target_reps=plan.spec.dose.target_reps,
        width=track.source.width,
        height=track.source.height,
    )
    try:
        store.append_frames(
            sid, track.t_s, track.data, width=track.source.width, height=track.source.height
        )
        for rep in analysis.reps:
            store.upsert_rep(sid, rep)
        store.add_events(sid, analysis.events)
        for r in sorted(ratings, key=lambda x: x.rep):
            add_rating(
                store,
                sid,
                rep=r.rep,
                pain=r.pain,
                location=r.location if r.pain is not None else None,
                t_s=None,
            )
        if stopped and stop is not None:
            store.add_events(
                sid,
                [
                    {
                        "t_s": None,
                        "kind": STOP_EVENT,
                        "rep": after if after else None,
                        "reason": stop.message,
                        "rules": list(stop.rules),
                    }
                ],
            )
        store.update_session(sid, stage="done", reps_done=done, ended=True)
    except BaseException:
        store.delete_session(sid)
        raise
    return RecordedSet(sid, analysis, stop, after, stopped, review(store, spec))


__all__ = ["Rating", "RecordedSet", "first_rule", "store_recorded_set"]
