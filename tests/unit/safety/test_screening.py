"""Screening: the decision table case by case and in combination, re-screening, the coach gate,
the stored record and ``pressup screen``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pressup.cli.safety import register
from pressup.errors import InputError
from pressup.protocol import ProtocolSpec
from pressup.safety.screening import (
    QUESTION_IDS,
    QUESTIONS,
    STATEMENT,
    Approval,
    coach_gate,
    evaluate,
    parse_answers,
    rescreen_reason,
)
from pressup.sessions.plan import STOP_EVENT, gate
from pressup.sessions.records import add_screening, add_symptoms, latest_screening
from pressup.storage import Store

RULES = ProtocolSpec().screening
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
RED = [q.id for q in QUESTIONS if q.group == "red_flag"]
ASK = [q.id for q in QUESTIONS if q.group == "ask_clinician"]


def answers(**yes: str) -> dict[str, str]:
    """Every question "no" except the ones given."""
    out = dict.fromkeys(QUESTION_IDS, "no")
    out.update(yes)
    return out


# -- the table as data -------------------------------------------------------------------------


def test_the_table_covers_the_issue() -> None:
    assert len(set(QUESTION_IDS)) == len(QUESTIONS)
    assert set(RED) == {
        "bladder_bowel",
        "saddle_numbness",
        "leg_weakness",
        "fever",
        "recent_trauma",
        "cancer_history",
        "weight_loss",
    }
    assert set(ASK) == {
        "arthritis_facet",
        "pregnancy",
        "spondylolisthesis",
        "spinal_stenosis",
        "recent_surgery",
    }
    for q in QUESTIONS:
        assert q.text.endswith("?") and q.label and q.yes.says
        assert q.means("unsure").outcome == "advice"
        assert q.means("no").outcome == "clear"
    assert "does not diagnose" in STATEMENT


# -- one answer at a time ----------------------------------------------------------------------


def test_all_no_is_clear() -> None:
    res = evaluate(answers())
    assert (res.outcome, res.locked, res.allowed) == ("clear", False, True)
    assert res.messages == () and res.start_variant is None


@pytest.mark.parametrize("qid", RED)
def test_each_red_flag_stops(qid: str) -> None:
    res = evaluate(answers(**{qid: "yes"}))
    assert res.outcome == "seek_care" and res.locked and not res.allowed
    assert "Seek medical care now" in res.headline
    assert len(res.messages) == 1 and res.flagged("seek_care") == (qid,)


@pytest.mark.parametrize("qid", ASK)
def test_each_ask_a_clinician_condition_locks(qid: str) -> None:
    res = evaluate(answers(**{qid: "yes"}))
    assert res.outcome == "ask_clinician" and res.locked
    assert "approval" in res.headline and len(res.messages) == 1


def test_arthritis_is_not_advised_without_approval() -> None:
    res = evaluate(answers(arthritis_facet="yes"))
    assert res.locked
    assert "not advised unless a doctor or physiotherapist approves" in res.messages[0]


def test_pregnancy_second_trimester_is_locked() -> None:
    res = evaluate(answers(pregnancy="yes"))
    assert res.outcome == "ask_clinician" and res.locked
    assert "pregnancy" in res.messages[0]


def test_disc_starts_gently_on_the_forearms() -> None:
    res = evaluate(answers(herniated_disc="yes"))
    assert (res.outcome, res.locked, res.start_variant) == ("go_gently", False, "forearms")
    assert "forearms" in res.headline and "usually suits" in res.messages[0]


@pytest.mark.parametrize("qid", QUESTION_IDS)
def test_unsure_is_advice_not_a_lock(qid: str) -> None:
    res = evaluate(answers(**{qid: "unsure"}))
    assert res.outcome == "advice" and not res.locked
    assert any("doctor or physiotherapist" in m for m in res.messages)


def test_unsure_whether_it_suits_you_is_advice() -> None:
    res = evaluate(answers(unsure_suitable="yes"))
    assert res.outcome == "advice" and not res.locked


# -- combinations ------------------------------------------------------------------------------


def test_red_flag_plus_disc_stops() -> None:
    res = evaluate(answers(herniated_disc="yes", saddle_numbness="yes"))
    assert res.outcome == "seek_care" and res.locked
    assert res.start_variant is None
    assert not any("disc" in m for m in res.messages)  # the red flag overrides everything


def test_red_flag_overrides_clinician_conditions_and_unsure() -> None:
    res = evaluate(answers(fever="yes", spinal_stenosis="yes", pregnancy="unsure"))
    assert res.outcome == "seek_care" and len(res.messages) == 1


def test_several_red_flags_are_all_listed() -> None:
    res = evaluate(answers(fever="yes", weight_loss="yes", cancer_history="yes"))
    assert len(res.messages) == 3


def test_arthritis_plus_approval_is_allowed() -> None:
    ok = Approval(by="Dr Rivera", on=date(2026, 2, 20))
    res = evaluate(answers(arthritis_facet="yes"), ok)
    assert res.outcome == "ask_clinician" and not res.locked and res.allowed
    assert "Dr Rivera" in res.headline and "2026-02-20" in res.headline
    assert res.approval == ok


def test_ask_clinician_beats_unsure_and_disc() -> None:
    res = evaluate(answers(spondylolisthesis="yes", herniated_disc="yes", fever="unsure"))
    assert res.outcome == "ask_clinician" and res.locked
    assert res.start_variant == "forearms"
    assert len(res.messages) == 3
    assert "spondylolisthesis" in res.messages[0] or "slipped" in res.messages[0]


def test_disc_plus_unsure_is_advice_on_the_forearms() -> None:
    res = evaluate(answers(herniated_disc="yes", recent_surgery="unsure"))
    assert res.outcome == "advice" and not res.locked and res.start_variant == "forearms"
    assert len(res.messages) == 2


# -- answers -----------------------------------------------------------------------------------


def test_answers_are_normalised() -> None:
    raw: dict[str, Any] = dict.fromkeys(QUESTION_IDS, "N")
    raw["fever"] = False
    raw["herniated_disc"] = " Yes "
    raw["pregnancy"] = "u"
    clean = parse_answers(raw)
    assert clean["fever"] == "no" and clean["herniated_disc"] == "yes"
    assert clean["pregnancy"] == "unsure"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({**answers(), "fevr": "no"}, "fevr"),
        ({k: v for k, v in answers().items() if k != "fever"}, "no answer to fever"),
        (answers(fever="maybe"), "fever"),
        (answers(fever=3), "fever"),  # type: ignore[arg-type]
    ],
)
def test_bad_answers_name_the_question(raw: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        evaluate(raw)


def test_approval_needs_a_name_and_a_date() -> None:
    with pytest.raises(InputError, match="name"):
        Approval(by="  ", on=date(2026, 1, 1))
    with pytest.raises(InputError, match="date"):
        Approval(by="Dr A", on="2026-01-01")  # type: ignore[arg-type]


# -- re-screening and the gate -----------------------------------------------------------------


def test_rescreen_after_28_days() -> None:
    assert rescreen_reason(NOW - timedelta(days=27, hours=23), NOW, 0, RULES) is None
    reason = rescreen_reason(NOW - timedelta(days=28), NOW, 0, RULES)
    assert reason is not None and "28 days" in reason
    assert rescreen_reason(NOW - timedelta(days=8), NOW, 0, replace(RULES, rescreen_days=7))


def test_rescreen_after_a_stopped_set() -> None:
    reason = rescreen_reason(NOW - timedelta(days=1), NOW, 1, RULES)
    assert reason is not None and "stopped" in reason
    assert rescreen_reason(NOW, NOW, 1, replace(RULES, rescreen_after_stopped_sets=2)) is None


@pytest.mark.parametrize(
    ("outcome", "locked", "age_days", "stopped", "allowed"),
    [
        ("clear", False, 1, 0, True),
        ("go_gently", False, 27, 0, True),
        ("advice", False, 0, 0, True),
        ("clear", False, 28, 0, False),
        ("clear", False, 2, 1, False),
        ("ask_clinician", True, 0, 0, False),
        ("seek_care", True, 0, 0, False),
        ("ask_clinician", False, 3, 0, True),  # approved
    ],
)
def test_coach_gate(outcome: str, locked: bool, age_days: int, stopped: int, allowed: bool) -> None:
    class Rec:
        created_at = NOW - timedelta(days=age_days)

    Rec.outcome = outcome  # type: ignore[attr-defined]
    Rec.locked = locked  # type: ignore[attr-defined]
    g = coach_gate(Rec(), NOW, stopped, RULES)  # type: ignore[arg-type]
    assert g.allowed is allowed and g.reason
    if outcome == "seek_care":
        assert "medical care" in g.reason


def test_no_screening_means_screen_first() -> None:
    g = coach_gate(None, NOW, 0, RULES)
    assert not g.allowed and "first session" in g.reason


# -- stored ------------------------------------------------------------------------------------


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pressup.db'}"


def test_gate_from_the_store_rescreens_after_a_stopped_set(url: str) -> None:
    spec = ProtocolSpec()
    with Store(url) as store:
        assert not gate(store, spec, datetime.now(timezone.utc)).allowed
        res = evaluate(answers())
        add_screening(store, answers=res.answers, outcome=res.outcome, locked=res.locked)
        assert gate(store, spec, datetime.now(timezone.utc)).allowed
        sid = store.create_session(client="t", dose={}, protocol={}, target_reps=3)
        add_symptoms(
            store,
            sid,
            [
                {"rep": 0, "pain": 2, "location": "back"},
                {"rep": 1, "pain": 2, "location": "thigh"},
            ],
        )
        g = gate(store, spec, datetime.now(timezone.utc))
        assert not g.allowed and "stopped" in g.reason
        # a new screening starts the count again
        add_screening(store, answers=res.answers, outcome=res.outcome, locked=res.locked)
        assert gate(store, spec, datetime.now(timezone.utc)).allowed
        # the live coach may also record a stop as an event
        sid2 = store.create_session(client="t", dose={}, protocol={}, target_reps=3)
        store.add_events(sid2, [{"t_s": 3.0, "kind": STOP_EVENT, "reason": "Stop the set."}])
        assert not gate(store, spec, datetime.now(timezone.utc)).allowed


# -- pressup screen ----------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def version() -> None:  # a second command, as in the real app
        """Print nothing."""

    register(app)
    return app


def _run(app: typer.Typer, args: list[str], stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, args, input=stdin)


def test_screen_from_a_file_stores_the_answers(cli: typer.Typer, url: str, tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answers(herniated_disc="yes")))
    res = _run(cli, ["screen", "--answers", str(f), "--database", url])
    assert res.exit_code == 0, res.output
    assert "gently, on your forearms" in res.output and "does not diagnose" in res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and rec.outcome == "go_gently" and not rec.locked
    assert rec.answers == answers(herniated_disc="yes")
    assert rec.created_at.tzinfo is not None


def test_screen_locked_then_approved(cli: typer.Typer, url: str, tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answers(spinal_stenosis="yes")))
    res = _run(cli, ["screen", "--answers", str(f), "--database", url])
    assert res.exit_code == 0 and "locked" in res.output and "--approve" in res.output
    res = _run(cli, ["screen", "--status", "--database", url])
    assert "stays locked" in res.output.split("\n")[0]
    res = _run(
        cli, ["screen", "--approve", "Dr Okafor", "--approved-on", "2026-01-02", "--database", url]
    )
    assert res.exit_code == 0 and "unlocked" in res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and not rec.locked and rec.approved_by == "Dr Okafor"
    assert rec.approved_at == datetime(2026, 1, 2, tzinfo=timezone.utc)
    res = _run(cli, ["screen", "--status", "--database", url])
    assert "Approved by Dr Okafor" in res.output and "(locked)" not in res.output


def test_screen_file_with_approval(cli: typer.Typer, url: str, tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(
        json.dumps(
            {**answers(pregnancy="yes"), "approval": {"by": "Midwife Ana", "on": "2026-01-05"}}
        )
    )
    res = _run(cli, ["screen", "--answers", str(f), "--database", url])
    assert res.exit_code == 0 and "Approved by Midwife Ana" in res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and rec.outcome == "ask_clinician" and not rec.locked


def test_screen_red_flag(cli: typer.Typer, url: str, tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answers(bladder_bowel="yes", herniated_disc="yes")))
    res = _run(cli, ["screen", "--answers", str(f), "--database", url])
    assert res.exit_code == 0 and "Seek medical care now" in res.output
    assert "forearms" not in res.output


def test_screen_interactive(cli: typer.Typer, url: str) -> None:
    replies = []
    for q in QUESTIONS:
        if q.id == "arthritis_facet":
            replies += ["perhaps", "y"]  # an invalid reply is asked again
        else:
            replies.append("no")
    replies += ["y", "Dr Lee", "2026-01-03"]  # approval: yes, who, when
    res = _run(cli, ["screen", "--database", url], stdin="\n".join(replies) + "\n")
    assert res.exit_code == 0, res.output
    assert res.output.count("does not diagnose") == 2  # before the questions and after
    assert "Please answer yes, no or unsure." in res.output
    assert "Approved by Dr Lee on 2026-01-03" in res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and rec.answers["arthritis_facet"] == "yes" and not rec.locked


def test_screen_interactive_without_approval_stays_locked(cli: typer.Typer, url: str) -> None:
    replies = ["yes" if q.id == "recent_surgery" else "no" for q in QUESTIONS] + ["n"]
    res = _run(cli, ["screen", "--database", url], stdin="\n".join(replies) + "\n")
    assert res.exit_code == 0, res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and rec.locked and rec.outcome == "ask_clinician"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "JSON object"),
        (json.dumps({**answers(), "fevr": "yes"}), "fevr"),
        (json.dumps({**answers(), "approval": {"by": "X", "on": "soon"}}), "approval.on"),
        (json.dumps({**answers(), "approval": {"by": "X", "on": "2999-01-01"}}), "future"),
    ],
)
def test_screen_bad_files_are_one_line_errors(
    cli: typer.Typer, url: str, tmp_path: Path, content: str, needle: str
) -> None:
    f = tmp_path / "a.json"
    f.write_text(content)
    res = _run(cli, ["screen", "--answers", str(f), "--database", url])
    assert res.exit_code == 2
    assert needle in res.output and "Traceback" not in res.output
    with Store(url) as store:
        assert latest_screening(store) is None


def test_approve_without_a_screening_is_an_error(cli: typer.Typer, url: str) -> None:
    res = _run(cli, ["screen", "--approve", "Dr X", "--database", url])
    assert res.exit_code == 2 and "no screening" in res.output


def test_screen_lists_question_ids(cli: typer.Typer) -> None:
    res = _run(cli, ["screen", "--questions"])
    assert res.exit_code == 0
    assert all(qid in res.output for qid in QUESTION_IDS)


def test_a_red_flag_decides_without_the_other_answers() -> None:
    from pressup.safety.screening import QUESTIONS, evaluate

    red = [q.id for q in QUESTIONS if q.group == "red_flag"]
    result = evaluate({red[0]: "no", red[2]: "yes"})
    assert result.outcome == "seek_care" and result.locked
    assert set(result.answers) == {red[0], red[2]}
    with pytest.raises(InputError, match="no answer to"):
        evaluate({red[0]: "no", red[2]: "unsure"})


def test_screen_in_the_terminal_stops_asking_at_a_red_flag(cli: typer.Typer, url: str) -> None:
    """ "no" to the first warning sign, "yes" to the second: seek care now, nothing more asked."""
    res = _run(cli, ["screen", "--database", url], stdin="no\nyes\n")
    assert res.exit_code == 0, res.output
    assert "Seek medical care now" in res.output
    # the third question was never asked ("3/14." as the questions are numbered; not a bare
    # "3/", which a temporary folder's name such as pytest-613/ in the output can hold)
    n = len(QUESTION_IDS)
    assert f"2/{n}." in res.output and f"3/{n}." not in res.output
    with Store(url) as store:
        rec = latest_screening(store)
    assert rec is not None and rec.outcome == "seek_care" and rec.locked
    assert len(rec.answers) == 2
