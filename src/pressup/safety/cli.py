"""``pressup screen`` and ``pressup progress``: safety questions and the next dose, in the terminal.

Wire into the main app (``pressup/cli.py``) with::

    from pressup.safety.cli import register as register_safety
    register_safety(app)

which adds the commands :func:`screen` and :func:`progress`, and :func:`add_session` as
``pressup sessions add`` (a recorded set with its pain ratings). :data:`screen_app` and
:data:`progress_app` are the same commands as stand-alone Typer apps. Every user error is one
line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from pressup.errors import InputError, PressupError
from pressup.protocol import load_spec
from pressup.protocol.spec import ProtocolSpec
from pressup.safety.progression import Decision, load_prescription
from pressup.safety.screening import (
    QUESTIONS,
    STATEMENT,
    Approval,
    Question,
    ScreeningResult,
    evaluate,
    parse_answer,
)

DB_HELP = (
    "SQLAlchemy URL of the session store (default: PRESSUP_DATABASE_URL or the user data folder)"
)
PROTOCOL_HELP = "protocol TOML file (re-screening and progression settings)"

screen_app = typer.Typer(add_completion=False)
progress_app = typer.Typer(add_completion=False)

err = Console(stderr=True)
out = Console()


def register(app: typer.Typer) -> None:
    """Add the commands ``screen`` and ``progress`` to the main ``pressup`` app."""
    app.command("screen")(screen)
    app.command("progress")(progress)


def _fail(exc: PressupError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=exc.exit_code)


def _say(text: str = "", style: str | None = None) -> None:
    out.print(text, style=style, highlight=False, soft_wrap=True)


def _parse_day(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what}: expected a date like 2026-03-01, got {text!r}") from None
    if day > date.today():
        raise InputError(f"{what}: {day.isoformat()} is in the future")
    return day


def _load_answers(path: Path) -> tuple[dict[str, Any], Approval | None]:
    """An answers file: ``{question_id: "yes"|"no"|"unsure", ..., "approval": {by, on}}``."""
    try:
        raw = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read answers file: {exc}") from exc
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object of question id -> answer")
    approval: Approval | None = None
    given = raw.pop("approval", None)
    if given is not None:
        if not isinstance(given, dict) or set(given) - {"by", "on"} or "by" not in given:
            raise InputError(f'{path}: approval: expected {{"by": NAME, "on": "YYYY-MM-DD"}}')
        on = given.get("on", date.today().isoformat())
        if not isinstance(on, str):
            raise InputError(f"{path}: approval.on: expected a date like 2026-03-01")
        approval = Approval(by=given["by"], on=_parse_day(on, "approval.on"))
    return raw, approval


def _ask(q: Question, number: int, total: int) -> str:
    while True:
        text = typer.prompt(f"{number}/{total}. {q.text} [yes/no/unsure]")
        try:
            return parse_answer(q.id, text)
        except InputError:
            _say("Please answer yes, no or unsure.", style="yellow")


def _ask_approval() -> Approval | None:
    if not typer.confirm(
        "Has a doctor or physiotherapist who knows about this said the press-up is fine for you?",
        default=False,
    ):
        return None
    name = typer.prompt("Their name")
    while True:
        text = typer.prompt("When did they say so (YYYY-MM-DD)", default=date.today().isoformat())
        try:
            return Approval(by=name, on=_parse_day(text, "approval date"))
        except InputError as exc:
            _say(str(exc), style="yellow")


def _show_result(result: ScreeningResult, *, final: bool = True) -> None:
    """The outcome; ``final=False`` before asking for an approval (no closing lines)."""
    style = "bold red" if result.locked else "bold green"
    _say()
    _say(result.headline, style=style)
    for line in result.messages:
        _say(f"  - {line}")
    if not final:
        return
    if result.locked and result.outcome != "seek_care":
        _say('Once a clinician approves, record it: pressup screen --approve "THEIR NAME"')
    _say()
    _say(STATEMENT, style="dim")


@screen_app.command()
def screen(
    answers: Optional[Path] = typer.Option(
        None,
        "--answers",
        help='JSON file {question_id: "yes"|"no"|"unsure", ...} instead of asking',
    ),
    approve: Optional[str] = typer.Option(
        None, "--approve", help="record a clinician's approval of your latest screening"
    ),
    approved_on: Optional[str] = typer.Option(
        None, "--approved-on", help="day of that approval, YYYY-MM-DD (default: today)"
    ),
    status: bool = typer.Option(False, "--status", help="show the latest screening only"),
    questions: bool = typer.Option(False, "--questions", help="list the question ids and exit"),
    database: Optional[str] = typer.Option(None, "--database", help=DB_HELP),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help=PROTOCOL_HELP),
) -> None:
    """Answer the safety questions (yes / no / unsure); the outcome is stored with the date.

    Asked before the first session, and again every 4 weeks or after a set stopped by pain.
    """
    from pressup.safety.history import gate
    from pressup.storage import Store
    from pressup.storage.safety import add_screening, approve_screening, latest_screening

    if questions:
        for q in QUESTIONS:
            _say(f"{q.id}: {q.text}")
        return
    try:
        spec = load_spec(protocol)
        with Store(database) as store:
            if approve is not None:
                latest = latest_screening(store)
                if latest is None:
                    raise InputError("no screening to approve yet; run `pressup screen` first")
                day = _parse_day(approved_on, "--approved-on") if approved_on else date.today()
                ok = Approval(by=approve, on=day)
                rec = approve_screening(store, latest.id, approved_by=ok.by, approved_at=ok.on)
                _say(
                    f"Approval by {rec.approved_by} on {day.isoformat()} recorded for the "
                    f"screening of {latest.created_at:%Y-%m-%d}: the coach is unlocked.",
                    style="bold green",
                )
                if latest.outcome == "seek_care":
                    _say(
                        "Your answers included warning signs that need medical care: record "
                        "this only after a clinician has seen you about them.",
                        style="yellow",
                    )
                return
            if status:
                _show_status(store, spec)
                return
            if answers is not None:
                raw, from_file = _load_answers(answers)
                result = evaluate(raw, from_file)
            else:
                _say(STATEMENT, style="bold")
                _say("Answer each question yes, no or unsure.")
                total = len(QUESTIONS)
                given = {q.id: _ask(q, i, total) for i, q in enumerate(QUESTIONS, start=1)}
                result = evaluate(given)
                if result.locked and result.outcome == "ask_clinician":
                    _show_result(result, final=False)
                    said = _ask_approval()
                    if said is not None:
                        result = evaluate(given, said)
            add_screening(
                store,
                answers=result.answers,
                outcome=result.outcome,
                locked=result.locked,
                approved_by=result.approval.by if result.approval else None,
                approved_at=result.approval.on if result.approval else None,
            )
            _show_result(result)
            now = datetime.now(timezone.utc)
            g = gate(store, spec, now)
            if not g.allowed and not result.locked:
                _say(g.reason, style="yellow")
    except PressupError as exc:
        raise _fail(exc) from None


def _show_status(store: Any, spec: ProtocolSpec) -> None:
    from pressup.safety.history import gate
    from pressup.storage.safety import latest_screening

    latest = latest_screening(store)
    if latest is None:
        _say("No screening yet: run `pressup screen` before your first session.")
        return
    _say(
        f"Last screening: {latest.created_at:%Y-%m-%d %H:%M} UTC, outcome {latest.outcome}"
        + (" (locked)" if latest.locked else ""),
        style="bold red" if latest.locked else "bold green",
    )
    if latest.approved_by:
        when = f" on {latest.approved_at:%Y-%m-%d}" if latest.approved_at else ""
        _say(f"Approved by {latest.approved_by}{when}.")
    g = gate(store, spec, datetime.now(timezone.utc))
    _say(g.reason, style=None if g.allowed else "yellow")


def _show_decision(decision: Decision, spec: ProtocolSpec) -> None:
    head = "Your clinician's prescription" if decision.source == "clinician" else "Next session"
    _say(f"{head}: {decision.words()}", style="bold")
    if decision.sessions_per_day:
        per = "session" if decision.sessions_per_day == 1 else "sessions"
        _say(f"  {decision.sessions_per_day} {per} a day")
    if decision.target_peak_trunk_deg is not None:
        _say(f"  How high: about {decision.target_peak_trunk_deg:.0f} degrees of trunk lift")
    else:
        _say("  How high: only as high as stays pain free")
    if decision.notes:
        _say(f"  Notes: {decision.notes}")
    _say(f"Why: {decision.reason}")
    for line in decision.advice:
        _say(f"! {line}", style="bold yellow")
    p = spec.pain
    _say(
        f"During the set: stop if pain rises {p.stop_rise_points} points or more, goes above "
        f"{p.stop_above}/10, or spreads further down the leg.",
        style="dim",
    )


@progress_app.command()
def progress(
    prescription: Optional[Path] = typer.Option(
        None,
        "--prescription",
        help="record a clinician's prescription (TOML, or JSON by suffix): variant, hold_s, "
        "reps, sessions_per_day, notes",
    ),
    clear: bool = typer.Option(
        False, "--clear-prescription", help="end the clinician's prescription (engine resumes)"
    ),
    database: Optional[str] = typer.Option(None, "--database", help=DB_HELP),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help=PROTOCOL_HELP),
) -> None:
    """Print the next dose (variant, hold, reps, how high) with its reason; store the decision."""
    from pressup.safety.history import gate, prescribe, review
    from pressup.storage import Store
    from pressup.storage.safety import clear_prescription

    try:
        spec = load_spec(protocol)
        given = load_prescription(prescription) if prescription is not None else None
        with Store(database) as store:
            if clear:
                n = clear_prescription(store)
                _say(
                    "Clinician's prescription ended: pressup's progression resumes from it."
                    if n
                    else "No clinician's prescription was active."
                )
            if given is not None:
                prescribe(store, spec, given)
                _say("Clinician's prescription recorded; it overrides pressup's progression.")
            g = gate(store, spec, datetime.now(timezone.utc))
            if not g.allowed:
                _say(g.reason, style="bold red")
            decision = review(store, spec).decision
            _show_decision(decision, spec)
    except PressupError as exc:
        raise _fail(exc) from None


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
    from pressup.safety.recorded import Rating
    from pressup.safety.symptoms import parse_location

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
    from pressup.safety.recorded import Rating
    from pressup.safety.symptoms import LOCATION_WORDS, LOCATIONS, parse_location

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
        _say("Please type a whole number from 0 to 10.", style="yellow")
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
            _say(str(exc), style="yellow")


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
    database: Optional[str] = typer.Option(None, "--database", help=DB_HELP),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help=PROTOCOL_HELP),
) -> None:
    """Store a recorded set as a session, with pain ratings; apply the stop rules and print the
    next dose."""
    from pressup.pose import PoseOptions, open_track
    from pressup.safety.history import gate
    from pressup.safety.recorded import store_recorded_set
    from pressup.safety.symptoms import RESPONSE_WORDS, SymptomReport, classify
    from pressup.storage import Store

    try:
        spec = load_spec(protocol)
        ratings = _ratings_from_options(pain_before, where_before, pain, where)
        with Store(database) as store:
            g = gate(store, spec, datetime.now(timezone.utc))
            if not g.allowed:
                raise InputError(f"{g.reason} (run `pressup screen`)")
            track = open_track(source, PoseOptions(model=model))  # type: ignore[arg-type]
            if ask and not ratings:
                first = _ask_rating(0)
                ratings = [first] if first is not None else []
                rep = 1
                while (r := _ask_rating(rep)) is not None:
                    ratings.append(r)
                    rep += 1
            done = store_recorded_set(store, spec, track, ratings)
            a = done.analysis
            holds = ", ".join(
                f"{r.hold_s:.0f} s" if r.hold_s == r.hold_s else "-" for r in a.reps if r.complete
            )
            _say(
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
                _say(f"Your symptoms during the set: {RESPONSE_WORDS[classify(reports)]}.")
            if done.stop is not None:
                when = (
                    "before the set"
                    if done.stop_after_rep == 0
                    else f"after press-up {done.stop_after_rep}"
                )
                lead = "The set should have stopped" if done.set_stopped else "After the set"
                _say(f"{lead} ({when}): {done.stop.message}", style="bold red")
            _show_decision(done.review.decision, spec)
    except PressupError as exc:
        raise _fail(exc) from None


__all__ = ["add_session", "progress", "progress_app", "register", "screen", "screen_app"]
