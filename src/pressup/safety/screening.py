"""Safety screening before the first session: the questions, what each answer means, the outcome.

pressup does not diagnose (:data:`STATEMENT`). The questions only check whether the prone
press-up is sensible to try on your own; the decision table is data (:data:`QUESTIONS`): each
question has an id, its wording in plain words, a short label, and what a *yes*, a *no* and an
*unsure* mean. Every question must be answered ``"yes"``, ``"no"`` or ``"unsure"``.

Outcomes, most serious first (:data:`OUTCOMES`); the most serious answer decides:

* ``seek_care`` (locked): any red flag - new bladder or bowel trouble, numbness around the
  groin (saddle area), leg weakness getting worse, fever, a recent fall or accident, a history
  of cancer, weight loss without trying. Stop, seek medical care now. Overrides every other
  answer, a disc included.
* ``ask_clinician`` (locked): spinal arthritis or facet joint problems, pregnancy past the first
  trimester, spondylolisthesis, spinal stenosis, spine surgery in the last 12 months.
* ``advice`` (not locked): any answer "unsure", or unsure whether the exercise suits you: ask a
  doctor or physiotherapist.
* ``go_gently`` (not locked): a herniated disc - usually suits extension; start on the forearms.
* ``clear`` (not locked): every answer "no".

A locked screening unlocks once a clinician's approval is recorded (:class:`Approval`: who
and when), either with the answers or later (``pressup screen --approve NAME``).

Screen again (:func:`rescreen_reason`) every ``rescreen_days`` (default 28) or after
``rescreen_after_stopped_sets`` sets stopped by the pain rules (default 1), both in the
``[screening]`` section of the protocol file. :func:`coach_gate` combines it all: may the coach
start a set now?
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Optional, Protocol, cast

from pressup.errors import InputError
from pressup.protocol.spec import ScreeningRules
from pressup.vocab import ANSWERS as ANSWERS  # re-exported: the old import paths
from pressup.vocab import OUTCOMES as OUTCOMES
from pressup.vocab import QUESTION_IDS as VOCAB_QUESTION_IDS
from pressup.vocab import Answer as Answer
from pressup.vocab import Outcome as Outcome

#: Outcomes that keep the coach locked until a clinician's approval is recorded.
LOCKING: frozenset[Outcome] = frozenset({"seek_care", "ask_clinician"})

#: What pressup is and is not; shown before the questions and with every outcome.
STATEMENT = (
    "pressup does not diagnose. These questions only check whether the prone press-up is "
    "sensible to try on your own; they are not a medical assessment. If anything worries you, "
    "ask a doctor or physiotherapist."
)

#: Longest approval name stored (characters).
APPROVER_MAX_LEN = 200

_SHORTHAND: dict[str, Answer] = {
    "yes": "yes",
    "y": "yes",
    "no": "no",
    "n": "no",
    "unsure": "unsure",
    "u": "unsure",
    "not sure": "unsure",
    "don't know": "unsure",
}


@dataclass(frozen=True)
class Meaning:
    """What one answer means: the outcome it leads to and a line saying why (``""``: none)."""

    outcome: Outcome
    says: str = ""


_CLEAR = Meaning("clear")


@dataclass(frozen=True)
class Question:
    """One screening question.

    Attributes:
        id: stable key in stored answers and ``--answers`` files.
        group: ``red_flag``, ``ask_clinician``, ``suits`` or ``general``.
        text: the question, in plain words.
        label: a few words naming it in messages ("new bladder or bowel trouble").
        yes, no: what those answers mean.
    """

    id: str
    group: Literal["red_flag", "ask_clinician", "suits", "general"]
    text: str
    label: str
    yes: Meaning
    no: Meaning = _CLEAR

    @property
    def unsure(self) -> Meaning:
        """Not sure: ask a doctor or physiotherapist (advice; the coach is not locked)."""
        return Meaning(
            "advice",
            f"You were not sure about {self.label}: ask a doctor or physiotherapist about it.",
        )

    def means(self, answer: Answer) -> Meaning:
        """What ``answer`` to this question means."""
        if answer == "yes":
            return self.yes
        if answer == "no":
            return self.no
        return self.unsure


def _red(qid: str, text: str, label: str, why: str) -> Question:
    return Question(qid, "red_flag", text, label, Meaning("seek_care", why))


def _ask(qid: str, text: str, label: str, why: str) -> Question:
    return Question(qid, "ask_clinician", text, label, Meaning("ask_clinician", why))


#: The decision table, in the order the questions are asked (red flags first).
QUESTIONS: tuple[Question, ...] = (
    _red(
        "bladder_bowel",
        "Since your back trouble began, have you had any new difficulty passing or holding "
        "urine, or controlling your bowels?",
        "new bladder or bowel trouble",
        "New bladder or bowel trouble with back pain can mean pressure on the nerves at the "
        "base of the spine.",
    ),
    _red(
        "saddle_numbness",
        "Do you have numbness or pins and needles around your groin, genitals or back "
        "passage (the area that would touch a saddle)?",
        "numbness around the groin",
        "Numbness around the groin (the saddle area) can mean pressure on the nerves at the "
        "base of the spine.",
    ),
    _red(
        "leg_weakness",
        "Is one of your legs, or both, getting weaker (tripping, a foot that slaps down, "
        "trouble standing on tiptoe)?",
        "leg weakness getting worse",
        "Leg weakness that is getting worse needs a doctor to check the nerves.",
    ),
    _red(
        "fever",
        "Do you have a fever, or feel hot, shivery and unwell, along with your back pain?",
        "fever",
        "A fever with back pain can mean an infection.",
    ),
    _red(
        "recent_trauma",
        "Have you had a fall, an accident or a blow to your back in the last few weeks?",
        "a recent fall or accident",
        "Back pain after a fall or accident needs a check for an injury to the bones first.",
    ),
    _red(
        "cancer_history",
        "Have you ever had cancer?",
        "a history of cancer",
        "Back pain in someone who has had cancer needs a doctor's check first.",
    ),
    _red(
        "weight_loss",
        "Have you lost weight recently without trying?",
        "weight loss without trying",
        "Losing weight without trying, together with back pain, needs a doctor's check.",
    ),
    _ask(
        "arthritis_facet",
        "Has a doctor told you that you have arthritis of the spine or a facet joint problem?",
        "spinal arthritis or facet joint problems",
        "Arching exercises may not suit spinal arthritis or facet joint problems: not advised "
        "unless a doctor or physiotherapist approves.",
    ),
    _ask(
        "pregnancy",
        "Are you pregnant and past the first three months (the first trimester)?",
        "pregnancy past the first trimester",
        "Lying face down and arching the back later in pregnancy needs your midwife's, "
        "doctor's or physiotherapist's approval first.",
    ),
    _ask(
        "spondylolisthesis",
        "Has a doctor told you that you have spondylolisthesis (a vertebra slipped forward "
        "on the one below)?",
        "spondylolisthesis",
        "Arching the back can load a slipped vertebra: ask a clinician first.",
    ),
    _ask(
        "spinal_stenosis",
        "Has a doctor told you that you have spinal stenosis (a narrowed spinal canal)?",
        "spinal stenosis",
        "Arching the back narrows the spinal canal further: ask a clinician first.",
    ),
    _ask(
        "recent_surgery",
        "Have you had an operation on your spine in the last 12 months?",
        "recent spine surgery",
        "After spine surgery, exercise only as your surgeon or physiotherapist advises: ask "
        "them first.",
    ),
    Question(
        "herniated_disc",
        "suits",
        "Has a doctor told you that you have a herniated (slipped or bulging) disc?",
        "a herniated disc",
        Meaning(
            "go_gently",
            "A disc problem usually suits arching exercises like this one: start gently, on "
            "your forearms.",
        ),
    ),
    Question(
        "unsure_suitable",
        "general",
        "Are you unsure whether exercises that arch your back while lying face down are "
        "right for you?",
        "whether this exercise suits you",
        Meaning(
            "advice",
            "Ask a doctor or physiotherapist whether this exercise suits you.",
        ),
    ),
)
QUESTION_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS)
assert QUESTION_IDS == VOCAB_QUESTION_IDS, "pressup.vocab.QuestionId is out of date"
_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


@dataclass(frozen=True)
class Approval:
    """A clinician's approval of the exercise: who, and on which day.

    Raises:
        InputError: empty or over-long name, or ``on`` not a date.
    """

    by: str
    on: date

    def __post_init__(self) -> None:
        if not isinstance(self.by, str) or not self.by.strip():
            raise InputError(f"approved by: expected a name, got {self.by!r}")
        if len(self.by) > APPROVER_MAX_LEN:
            raise InputError(
                f"approved by: expected at most {APPROVER_MAX_LEN} characters, got {len(self.by)}"
            )
        if isinstance(self.on, datetime) or not isinstance(self.on, date):
            raise InputError(f"approved on: expected a date, got {self.on!r}")
        object.__setattr__(self, "by", self.by.strip())


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of one screening.

    Attributes:
        outcome: the most serious outcome among the answers (:data:`OUTCOMES`).
        locked: the coach stays locked (red flag or ask-a-clinician, no approval recorded).
        headline: one line saying what to do.
        messages: why, one line per relevant answer, most serious first. A red flag hides the
            rest (it overrides everything).
        answers: every question id with its normalised answer.
        approval: the clinician's approval, if recorded.
        start_variant: ``"forearms"`` when the person must start on the forearms (a disc), or
            ``None``.
    """

    outcome: Outcome
    locked: bool
    headline: str
    messages: tuple[str, ...]
    answers: dict[str, Answer]
    approval: Optional[Approval]
    start_variant: Optional[str]

    @property
    def allowed(self) -> bool:
        """May the person start coached sets?"""
        return not self.locked

    def flagged(self, outcome: Outcome) -> tuple[str, ...]:
        """Ids of the questions whose answer led to ``outcome``."""
        return tuple(
            qid for qid, a in self.answers.items() if _BY_ID[qid].means(a).outcome == outcome
        )


def parse_answer(qid: str, value: object) -> Answer:
    """Normalise one answer (``yes``/``no``/``unsure``; also ``y``/``n``/``u``, booleans).

    Raises:
        InputError: anything else, naming the question.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _SHORTHAND:
            return _SHORTHAND[key]
    raise InputError(f"answer to {qid}: expected yes, no or unsure, got {value!r}")


def parse_answers(raw: Mapping[str, object]) -> dict[str, Answer]:
    """Check a set of answers: every question answered, no unknown ids. One exception: a
    "yes" to a warning sign (a red flag) decides alone (seek care now), so the questions not
    yet answered are not needed then and stay out of the result.

    Raises:
        InputError: an unknown question id, a missing answer (without a red flag), or an
            answer that is not yes/no/unsure (the message names the question).
    """
    for key in raw:
        if key not in _BY_ID:
            raise InputError(
                f"unknown screening question {key!r}; expected: {', '.join(QUESTION_IDS)}"
            )
    given = {qid: parse_answer(qid, raw[qid]) for qid in QUESTION_IDS if qid in raw}
    missing = [qid for qid in QUESTION_IDS if qid not in raw]
    if missing and not red_flag_raised(given):
        raise InputError(f"screening: no answer to {', '.join(missing)}")
    return given


def red_flag_raised(answers: Mapping[str, Answer]) -> bool:
    """True when a warning-sign question is answered "yes"."""
    return any(_BY_ID[q].group == "red_flag" and a == "yes" for q, a in answers.items())


_HEADLINES: dict[Outcome, str] = {
    "seek_care": "Stop: do not do this exercise. Seek medical care now.",
    "ask_clinician": (
        "Ask a clinician first: pressup stays locked until you record a doctor's or "
        "physiotherapist's approval."
    ),
    "advice": "Ask a doctor or physiotherapist about this exercise; you may start gently.",
    "go_gently": "You may start: gently, on your forearms.",
    "clear": "No warning signs in your answers: you may start, gently.",
}


def outcome_headline(outcome: str) -> str:
    """The one sentence a person reads for a screening ``outcome`` (one of :data:`OUTCOMES`,
    as stored; no approval taken into account)."""
    return _HEADLINES[cast(Outcome, outcome)]


def evaluate(answers: Mapping[str, object], approval: Approval | None = None) -> ScreeningResult:
    """Apply the decision table to a full set of answers (or to a red flag's "yes" alone).

    Args:
        answers: question id -> ``"yes"``/``"no"``/``"unsure"`` for every question in
            :data:`QUESTIONS`.
        approval: a clinician's approval; it unlocks a locked outcome (the outcome itself and
            its messages stay, so the record shows what was approved).

    Raises:
        InputError: see :func:`parse_answers`.
    """
    clean = parse_answers(answers)
    meanings = [(_BY_ID[qid], _BY_ID[qid].means(a)) for qid, a in clean.items()]
    outcome: Outcome = min((m.outcome for _, m in meanings), key=OUTCOMES.index)
    if outcome == "seek_care":
        shown = [m.says for _, m in meanings if m.outcome == "seek_care"]
    else:
        shown = [
            m.says
            for _, m in sorted(meanings, key=lambda qm: OUTCOMES.index(qm[1].outcome))
            if m.says
        ]
    locked = outcome in LOCKING and approval is None
    headline = _HEADLINES[outcome]
    if outcome in LOCKING and approval is not None:
        headline = f"Approved by {approval.by} on {approval.on.isoformat()}: you may start, gently."
    disc = clean.get("herniated_disc") == "yes"
    start_variant = "forearms" if disc and outcome != "seek_care" else None
    return ScreeningResult(
        outcome=outcome,
        locked=locked,
        headline=headline,
        messages=tuple(shown),
        answers=clean,
        approval=approval,
        start_variant=start_variant,
    )


def parse_day(text: str, what: str) -> date:
    """A day written ``YYYY-MM-DD``, not in the future; ``what`` names it in the error.

    Raises:
        InputError: not such a date, or a day after today.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what}: expected a date like 2026-03-01, got {text!r}") from None
    if day > date.today():
        raise InputError(f"{what}: {day.isoformat()} is in the future")
    return day


def load_answers(path: Path) -> tuple[dict[str, Any], Approval | None]:
    """An answers file: ``{question_id: "yes"|"no"|"unsure", ..., "approval": {by, on}}``.

    The answers come back unchecked (:func:`evaluate` checks them), with the approval given
    in the file, if any (``on`` defaults to today).

    Raises:
        InputError: unreadable file, not a JSON object, or a malformed approval.
    """
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
        approval = Approval(by=given["by"], on=parse_day(on, "approval.on"))
    return raw, approval


# -- re-screening and the coach gate -------------------------------------------------------


class ScreeningStatus(Protocol):
    """What :func:`coach_gate` needs of a stored screening (e.g. a storage record)."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def outcome(self) -> str: ...

    @property
    def locked(self) -> bool: ...


def rescreen_reason(
    screened_at: datetime,
    now: datetime,
    stopped_sets_since: int,
    rules: ScreeningRules,
) -> str | None:
    """Why the questions should be answered again, or ``None`` when the screening still holds.

    Args:
        screened_at: when the last screening was stored (timezone-aware).
        now: the current time (timezone-aware).
        stopped_sets_since: sets stopped by the pain rules since ``screened_at``.
        rules: ``rescreen_days`` and ``rescreen_after_stopped_sets``.
    """
    age = now - screened_at
    if age >= timedelta(days=rules.rescreen_days):
        return (
            f"It is {age.days} days since you answered the safety questions: please answer "
            "them again (things may have changed)."
        )
    if stopped_sets_since >= rules.rescreen_after_stopped_sets:
        sets = "a set was" if stopped_sets_since == 1 else f"{stopped_sets_since} sets were"
        return (
            f"Since your last screening {sets} stopped because of pain or symptoms: please "
            "answer the safety questions again."
        )
    return None


@dataclass(frozen=True)
class Gate:
    """May the coach start a set? ``reason`` is one line for the person."""

    allowed: bool
    reason: str


def coach_gate(
    latest: ScreeningStatus | None,
    now: datetime,
    stopped_sets_since: int,
    rules: ScreeningRules,
) -> Gate:
    """Combine the latest screening, its lock and the re-screening rules.

    Not allowed when there is no screening, when it is locked (``seek_care`` /
    ``ask_clinician`` without a recorded approval), or when it is due again.
    """
    if latest is None:
        return Gate(False, "Please answer the safety questions before your first session.")
    if latest.locked:
        if latest.outcome == "seek_care":
            return Gate(False, _HEADLINES["seek_care"])
        return Gate(False, _HEADLINES["ask_clinician"])
    due = rescreen_reason(latest.created_at, now, stopped_sets_since, rules)
    if due is not None:
        return Gate(False, due)
    return Gate(True, "Screening up to date.")


__all__ = [
    "ANSWERS",
    "LOCKING",
    "OUTCOMES",
    "QUESTIONS",
    "QUESTION_IDS",
    "STATEMENT",
    "Answer",
    "Approval",
    "Gate",
    "Meaning",
    "Outcome",
    "Question",
    "ScreeningResult",
    "ScreeningStatus",
    "coach_gate",
    "evaluate",
    "load_answers",
    "parse_answer",
    "parse_answers",
    "parse_day",
    "rescreen_reason",
]
