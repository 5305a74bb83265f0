"""``pressup sessions list``, ``track`` and ``add``: the stored sessions."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from pressup.cli.common import database_option, fail, out, protocol_option, say
from pressup.cli.safety import SAFETY_PROTOCOL_HELP, show_decision
from pressup.errors import InputError, PressupError
from pressup.protocol import load_spec

if TYPE_CHECKING:
    from pressup.sessions.recorded import Rating, RecordedSet

sessions_app = typer.Typer(
    no_args_is_help=True, help="Stored sessions: list, export a track, add a recorded set."
)


@sessions_app.command("list")
def sessions_list(database: Optional[str] = database_option()) -> None:
    """List stored sessions, newest first."""
    from pressup.sessions.outcome import outcomes_of
    from pressup.sessions.store import Store

    try:
        store = Store(database)
        rows = store.list_sessions()
        outcomes = outcomes_of(store, rows)
    except PressupError as exc:
        raise fail(exc) from None
    for r, o in zip(rows, outcomes):
        done = f"{r.reps_done} of {r.target_reps} press-ups"
        state = "stopped for safety" if o.stopped else r.stage
        out.print(
            f"{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {state:<18}  {done}",
            highlight=False,
        )
    if not rows:
        out.print("no sessions stored yet")


@sessions_app.command("track")
def sessions_track(
    session_id: str = typer.Argument(..., help="session id (see `pressup sessions list`)"),
    output: Path = typer.Option(..., "--output", "-o", help="track file to write (.npz)"),
    database: Optional[str] = database_option(),
) -> None:
    """Export a stored session's landmark track; `pressup analyze` re-analyses it."""
    from pressup.sessions.store import Store

    try:
        track = Store(database).load_track(session_id)
        p = track.save(output)
    except PressupError as exc:
        raise fail(exc) from None
    out.print(f"{p}: {track.n_frames} frames; analyse with `pressup analyze {p} --out DIR`")


def _split_list(text: Optional[str], what: str) -> list[str]:
    if text is None or not text.strip():
        return []
    return [x.strip() for x in text.split(",")]


def _ratings_from_options(
    pain_before: Optional[int],
    where_before: Optional[str],
    pain: Optional[str],
    where: Optional[str],
) -> list[Any]:
    from pressup.safety.symptoms import parse_location
    from pressup.sessions.recorded import Rating

    out_: list[Rating] = []
    if pain_before is not None or where_before is not None:
        if pain_before is None:
            raise InputError("--where-before needs --pain-before (the score before the set)")
        out_.append(Rating(0, pain_before, parse_location(where_before) if where_before else None))
    scores = _split_list(pain, "--pain")
    places = _split_list(where, "--where")
    if len(places) > len(scores):
        raise InputError(
            f"--where: expected at most one place per --pain score ({len(scores)}), "
            f"got {len(places)}"
        )
    for i, text in enumerate(scores):
        rep = i + 1
        if text in ("", "-"):
            out_.append(Rating(rep, None))
            continue
        try:
            score = int(text)
        except ValueError:
            raise InputError(
                f"--pain: score {rep}: expected a whole number 0..10 or '-', got {text!r}"
            ) from None
        place = places[i] if i < len(places) and places[i] not in ("", "-") else None
        out_.append(Rating(rep, score, parse_location(place) if place else None))
    return out_


def _ask_rating(rep: int) -> Any:
    """Ask one rating in the terminal; ``None`` when the person has no more to give."""
    from pressup.safety.symptoms import LOCATION_WORDS, LOCATIONS, parse_location
    from pressup.sessions.recorded import Rating

    what = "before the set" if rep == 0 else f"after press-up {rep}"
    while True:
        text = typer.prompt(
            f"Pain {what}, 0 to 10 (Enter to skip"
            + ("" if rep == 0 else ", 'q' when there are no more press-ups")
            + ")",
            default="",
            show_default=False,
        ).strip()
        if rep and text.lower() == "q":
            return None
        if text == "":
            return Rating(rep, None)
        if text.isdigit() and 0 <= int(text) <= 10:
            break
        say("Please type a whole number from 0 to 10.", style="yellow")
    choices = ", ".join(f"{i + 1} {LOCATION_WORDS[loc]}" for i, loc in enumerate(LOCATIONS))
    while True:
        place = typer.prompt(
            f"Where do you feel it, furthest down the leg? {choices} (Enter to skip)",
            default="",
            show_default=False,
        ).strip()
        if place == "":
            return Rating(rep, int(text))
        if place.isdigit() and 1 <= int(place) <= len(LOCATIONS):
            return Rating(rep, int(text), LOCATIONS[int(place) - 1])
        try:
            return Rating(rep, int(text), parse_location(place))
        except InputError as exc:
            say(str(exc), style="yellow")


def _ask_ratings() -> list[Rating]:
    """Ask the ratings in the terminal: before the set, then after each press-up until the
    person says there are no more."""
    first = _ask_rating(0)
    ratings = [first] if first is not None else []
    rep = 1
    while (r := _ask_rating(rep)) is not None:
        ratings.append(r)
        rep += 1
    return ratings


def _say_stored(done: RecordedSet, ratings: list[Rating]) -> None:
    """What was stored: the press-ups and their holds (seconds), the symptom response, and the
    stop rule that fired, if any."""
    from pressup.safety.symptoms import RESPONSE_WORDS, SymptomReport, classify

    a = done.analysis
    holds = ", ".join(
        f"{r.hold_s:.0f} s" if r.hold_s == r.hold_s else "-" for r in a.reps if r.complete
    )
    say(
        f"Stored session {done.session_id}: {a.rep_count} press-up(s)"
        + (f", holds {holds}" if holds else ""),
        style="bold",
    )
    reports = [
        SymptomReport(r.rep, r.pain, r.location)
        for r in ratings
        if r.pain is not None and r.location is not None
    ]
    if any(r.rep == 0 for r in reports) and any(r.rep > 0 for r in reports):
        say(f"Your symptoms during the set: {RESPONSE_WORDS[classify(reports)]}.")
    if done.stop is not None:
        when = (
            "before the set"
            if done.stop_after_rep == 0
            else f"after press-up {done.stop_after_rep}"
        )
        lead = "The set should have stopped" if done.set_stopped else "After the set"
        say(f"{lead} ({when}): {done.stop.message}", style="bold red")


@sessions_app.command("add")
def add_session(
    source: Path = typer.Argument(..., help="video of the set, or a pressup track file (.npz)"),
    pain_before: Optional[int] = typer.Option(
        None, "--pain-before", min=0, max=10, help="pain before the set, 0 to 10"
    ),
    where_before: Optional[str] = typer.Option(
        None,
        "--where-before",
        help="where it was felt before the set: none, back, buttock, thigh, below_knee, foot",
    ),
    pain: Optional[str] = typer.Option(
        None, "--pain", help="pain after each press-up, comma-separated ('-' = skipped): 2,3,3"
    ),
    where: Optional[str] = typer.Option(
        None, "--where", help="where it was felt after each press-up: back,back,thigh"
    ),
    ask: bool = typer.Option(
        False, "--ask", help="ask the ratings in the terminal (when none are given as options)"
    ),
    model: str = typer.Option("full", "--model", help="pose model: full, heavy or auto"),
    database: Optional[str] = database_option(create=True),
    protocol: Optional[Path] = protocol_option(SAFETY_PROTOCOL_HELP),
) -> None:
    """Store a recorded set as a session, with pain ratings; apply the stop rules and print the
    next dose."""
    from pressup.pose import PoseOptions, open_track
    from pressup.sessions.plan import gate
    from pressup.sessions.recorded import store_recorded_set
    from pressup.sessions.store import Store

    try:
        spec = load_spec(protocol)
        ratings = _ratings_from_options(pain_before, where_before, pain, where)
        with Store(database) as store:
            g = gate(store, spec, datetime.now(timezone.utc))
            if not g.allowed:
                raise InputError(f"{g.reason} (run `pressup screen`)")
            track = open_track(source, PoseOptions(model=model))  # type: ignore[arg-type]
            if ask and not ratings:
                ratings = _ask_ratings()
            done = store_recorded_set(store, spec, track, ratings)
            _say_stored(done, ratings)
            show_decision(done.review.decision, spec)
    except PressupError as exc:
        raise fail(exc) from None
