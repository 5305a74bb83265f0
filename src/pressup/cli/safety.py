"""``pressup screen`` and ``pressup progress``: safety questions and the next dose, in the
terminal.

:func:`register` adds both commands to an app. Every user error is one line on stderr and a
non-zero exit code (:func:`pressup.cli.common.fail`).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer

from pressup.cli.common import database_option, fail, protocol_option, say
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
    load_answers,
    parse_answer,
    parse_day,
)

SAFETY_PROTOCOL_HELP = "protocol TOML file (re-screening and progression settings)"


def register(app: typer.Typer) -> None:
    """Add the commands ``screen`` and ``progress`` to the main ``pressup`` app."""
    app.command("screen")(screen)
    app.command("progress")(progress)


def _ask(q: Question, number: int, total: int) -> str:
    while True:
        text = typer.prompt(f"{number}/{total}. {q.text} [yes/no/unsure]")
        try:
            return parse_answer(q.id, text)
        except InputError:
            say("Please answer yes, no or unsure.", style="yellow")


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
            return Approval(by=name, on=parse_day(text, "approval date"))
        except InputError as exc:
            say(str(exc), style="yellow")


def _show_result(result: ScreeningResult, *, final: bool = True) -> None:
    """The outcome; ``final=False`` before asking for an approval (no closing lines)."""
    style = "bold red" if result.locked else "bold green"
    say()
    say(result.headline, style=style)
    for line in result.messages:
        say(f"  - {line}")
    if not final:
        return
    if result.locked and result.outcome != "seek_care":
        say('Once a clinician approves, record it: pressup screen --approve "THEIR NAME"')
    say()
    say(STATEMENT, style="dim")


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
    database: Optional[str] = database_option(create=True),
    protocol: Optional[Path] = protocol_option(SAFETY_PROTOCOL_HELP),
) -> None:
    """Answer the safety questions (yes / no / unsure); the outcome is stored with the date.

    Asked before the first session, and again every 4 weeks or after a set stopped by pain.
    """
    from pressup.sessions.store import Store

    if questions:
        for q in QUESTIONS:
            say(f"{q.id}: {q.text}")
        return
    try:
        spec = load_spec(protocol)
        with Store(database) as store:
            if approve is not None:
                _record_approval(store, approve, approved_on)
            elif status:
                _show_status(store, spec)
            else:
                _screen_now(store, spec, answers)
    except PressupError as exc:
        raise fail(exc) from None


def _record_approval(store: Any, approve: str, approved_on: str | None) -> None:
    """Record a clinician's approval (``approved_on`` YYYY-MM-DD, default today) of the latest
    screening; it unlocks the coach."""
    from pressup.sessions.records import approve_screening, latest_screening

    latest = latest_screening(store)
    if latest is None:
        raise InputError("no screening to approve yet; run `pressup screen` first")
    day = parse_day(approved_on, "--approved-on") if approved_on else date.today()
    ok = Approval(by=approve, on=day)
    rec = approve_screening(store, latest.id, approved_by=ok.by, approved_at=ok.on)
    say(
        f"Approval by {rec.approved_by} on {day.isoformat()} recorded for the "
        f"screening of {latest.created_at:%Y-%m-%d}: the coach is unlocked.",
        style="bold green",
    )
    if latest.outcome == "seek_care":
        say(
            "Your answers included warning signs that need medical care: record "
            "this only after a clinician has seen you about them.",
            style="yellow",
        )


def _ask_questions() -> ScreeningResult:
    """Ask the questions in the terminal (a warning sign ends them) and, when the answers need
    a clinician's word, whether one has given it."""
    say(STATEMENT, style="bold")
    say("Answer each question yes, no or unsure.")
    total = len(QUESTIONS)
    given: dict[str, str] = {}
    for i, q in enumerate(QUESTIONS, start=1):
        given[q.id] = _ask(q, i, total)
        if q.group == "red_flag" and given[q.id] == "yes":
            break  # a warning sign decides alone: seek care now, ask no more
    result = evaluate(given)
    if result.locked and result.outcome == "ask_clinician":
        _show_result(result, final=False)
        said = _ask_approval()
        if said is not None:
            result = evaluate(given, said)
    return result


def _screen_now(store: Any, spec: ProtocolSpec, answers: Path | None) -> None:
    """Screen from the ``answers`` file, or by asking; store and show the outcome, and say why
    the coach is still closed if it is (not for the screening itself)."""
    from pressup.sessions.plan import gate
    from pressup.sessions.records import add_screening

    if answers is not None:
        raw, from_file = load_answers(answers)
        result = evaluate(raw, from_file)
    else:
        result = _ask_questions()
    add_screening(
        store,
        answers=result.answers,
        outcome=result.outcome,
        locked=result.locked,
        approved_by=result.approval.by if result.approval else None,
        approved_at=result.approval.on if result.approval else None,
    )
    _show_result(result)
    g = gate(store, spec, datetime.now(timezone.utc))
    if not g.allowed and not result.locked:
        say(g.reason, style="yellow")


def _show_status(store: Any, spec: ProtocolSpec) -> None:
    from pressup.safety.screening import outcome_headline
    from pressup.sessions.plan import gate
    from pressup.sessions.records import latest_screening

    latest = latest_screening(store)
    if latest is None:
        say("No screening yet: run `pressup screen` before your first session.")
        return
    say(
        f"Last screening: {latest.created_at:%Y-%m-%d %H:%M} UTC. "
        + outcome_headline(latest.outcome),
        style="bold red" if latest.locked else "bold green",
    )
    if latest.approved_by:
        when = f" on {latest.approved_at:%Y-%m-%d}" if latest.approved_at else ""
        say(f"Approved by {latest.approved_by}{when}.")
    g = gate(store, spec, datetime.now(timezone.utc))
    say(g.reason, style=None if g.allowed else "yellow")


def show_decision(decision: Decision, spec: ProtocolSpec) -> None:
    """The next dose with its reason and advice, and the stop rules of the set."""
    head = "Your clinician's prescription" if decision.source == "clinician" else "Next session"
    say(f"{head}: {decision.words()}", style="bold")
    if decision.sessions_per_day:
        per = "session" if decision.sessions_per_day == 1 else "sessions"
        say(f"  {decision.sessions_per_day} {per} a day")
    if decision.target_peak_trunk_deg is not None:
        say(f"  How high: about {decision.target_peak_trunk_deg:.0f} degrees of trunk lift")
    else:
        say("  How high: only as high as stays pain free")
    if decision.notes:
        say(f"  Notes: {decision.notes}")
    say(f"Why: {decision.reason}")
    for line in decision.advice:
        say(f"! {line}", style="bold yellow")
    p = spec.pain
    say(
        f"During the set: stop if pain rises {p.stop_rise_points} points or more, goes above "
        f"{p.stop_above}/10, or spreads further down the leg.",
        style="dim",
    )


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
    database: Optional[str] = database_option(create=True),
    protocol: Optional[Path] = protocol_option(SAFETY_PROTOCOL_HELP),
) -> None:
    """Print the next dose (variant, hold, reps, how high) with its reason; store the decision."""
    from pressup.sessions.plan import gate, prescribe, todays_dose
    from pressup.sessions.records import clear_prescription
    from pressup.sessions.store import Store

    try:
        spec = load_spec(protocol)
        given = load_prescription(prescription) if prescription is not None else None
        with Store(database) as store:
            if clear:
                n = clear_prescription(store)
                say(
                    "Clinician's prescription ended: pressup's progression resumes from it."
                    if n
                    else "No clinician's prescription was active."
                )
            if given is not None:
                prescribe(store, spec, given)
                say("Clinician's prescription recorded; it overrides pressup's progression.")
            g = gate(store, spec, datetime.now(timezone.utc))
            if not g.allowed:
                say(g.reason, style="bold red")
            rv = todays_dose(store, spec).review
            assert rv is not None  # todays_dose always reviews
            show_decision(rv.decision, spec)
    except PressupError as exc:
        raise fail(exc) from None


__all__ = ["SAFETY_PROTOCOL_HELP", "progress", "register", "screen", "show_decision"]
