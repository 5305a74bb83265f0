"""One plan: ``pressup analyze --plan`` judges a video against the dose ``pressup progress``
shows and the coach runs (:func:`pressup.sessions.plan.todays_dose`), and says which dose it
judged against; without ``--plan`` it judges against the protocol file's dose and says so."""

from __future__ import annotations

import html as htmllib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pressup.analysis.io import read_analysis
from pressup.cli import app
from pressup.errors import InputError
from pressup.pose import load_track
from pressup.protocol import ProtocolSpec
from pressup.report.history import session_report
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.plan import plan_session, todays_dose
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening, list_decisions
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = ProtocolSpec()
PLAN_5S = "3 press-ups, 5 s hold, on the forearms"
BY_COACH = f"Judged against your plan: {PLAN_5S} (chosen by the coach from your past sessions)."
PROTOCOL_10S = (
    "Judged against the protocol file: 3 press-ups, 10 s hold, on the forearms "
    "(this video is not linked to anyone's plan)."
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def set_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three press-ups on the forearms held 6 s: done as planned at 5 s, short of 10 s."""
    reps = [RepScript("forearms", 2.0, 6.0, 2.5, 3.0) for _ in range(3)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5, seed=5))
    return track.save(tmp_path_factory.mktemp("tracks") / "set.npz")


@pytest.fixture
def history(tmp_path: Path, set_file: Path) -> tuple[str, str]:
    """A screened person with one stored, comfortable set at the start of the ladder (5 s):
    one good session of the two needed to move on, so the plan stays at 5 s.
    Returns the database URL and the stored session's id."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    ok = evaluate(dict.fromkeys(QUESTION_IDS, "no"))
    with Store(url) as store:
        add_screening(store, answers=ok.answers, outcome=ok.outcome, locked=ok.locked)
        done = store_recorded_set(
            store, SPEC, load_track(set_file), [Rating(r, 1, "back") for r in range(4)]
        )
        assert done.review.decision.action == "keep"
    return url, done.session_id


def _analysis(out: Path) -> tuple[dict[str, Any], str]:
    doc = json.loads((out / "analysis.json").read_text())
    return doc, htmllib.unescape((out / "report.html").read_text())


def test_analyze_with_the_plan_judges_todays_dose(
    set_file: Path, history: tuple[str, str], tmp_path: Path
) -> None:
    db, _ = history
    with Store(db) as store:
        decisions = len(list_decisions(store))
    out = tmp_path / "planned"
    result = run("analyze", set_file, "--out", out, "--plan", "--database", db)
    assert result.exit_code == 0, result.output
    assert BY_COACH in result.stdout
    doc, html = _analysis(out)
    protocol = doc["protocol"]
    assert (protocol["target_reps"], protocol["target_hold_s"]) == (3, 5.0)
    assert protocol["dose_source"] == "progression"
    assert str(protocol["dose_reason"]).startswith("Keep 3 press-ups, 5 s hold")
    assert doc["rep_count"] == 3
    assert not [f for f in doc["faults"] if f["code"] == "short_hold"]
    assert BY_COACH in html
    assert "Every completed press-up was held for the target time." in html
    assert "None reached the target yet" not in html
    with Store(db) as store:  # looking at today's plan stores nothing
        assert len(list_decisions(store)) == decisions
    # the dose judged is the dose `pressup progress` shows
    progress = run("progress", "--database", db)
    assert progress.exit_code == 0, progress.output
    assert "Next session: 3 press-ups, 5 s hold, on your forearms" in progress.stdout


def test_analyze_without_the_plan_judges_the_protocol_file(
    set_file: Path, history: tuple[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "protocol"
    result = run("analyze", set_file, "--out", out)
    assert result.exit_code == 0, result.output
    doc, html = _analysis(out)
    protocol = doc["protocol"]
    assert (protocol["target_hold_s"], protocol["dose_source"]) == (10.0, "protocol")
    short = {f["rep"] for f in doc["faults"] if f["code"] == "short_hold"}
    assert short == {1, 2, 3}
    assert PROTOCOL_10S in html
    assert "None reached the target yet" in html
    assert read_analysis(out).protocol["dose_source"] == "protocol"


def test_analyze_with_the_plan_follows_a_clinicians_prescription(
    set_file: Path, history: tuple[str, str], tmp_path: Path
) -> None:
    db, _ = history
    rx = tmp_path / "rx.toml"
    rx.write_text('variant = "forearms"\nhold_s = 4\nreps = 2\n')
    assert run("progress", "--database", db, "--prescription", rx).exit_code == 0
    out = tmp_path / "rx"
    result = run("analyze", set_file, "--out", out, "--plan", "--database", db)
    assert result.exit_code == 0, result.output
    doc, html = _analysis(out)
    protocol = doc["protocol"]
    assert (protocol["target_reps"], protocol["target_hold_s"]) == (2, 4.0)
    assert protocol["dose_source"] == "prescription"
    assert (
        "Judged against your plan: 2 press-ups, 4 s hold, on the forearms "
        "(set by your clinician)." in html
    )


def test_database_without_plan_is_refused(set_file: Path, tmp_path: Path) -> None:
    result = run("analyze", set_file, "--out", tmp_path / "o", "--database", "sqlite://")
    assert result.exit_code == 2
    assert "--plan" in result.stderr


def test_the_coach_and_progress_share_todays_dose(history: tuple[str, str]) -> None:
    db, _ = history
    with Store(db) as store:
        today = todays_dose(store, SPEC, save=False)
        plan = plan_session(store, SPEC)
        assert today.review is not None
    assert (today.variant, today.reps, today.hold_s, today.source) == (
        "forearms",
        3,
        5.0,
        "progression",
    )
    assert plan.planned.words() == today.words() == today.review.decision.words()
    assert plan.spec.dose.target_hold_s == plan.dose["target_hold_s"] == today.hold_s
    assert plan.dose["reason"] == today.reason


def test_a_stored_sessions_report_judges_its_stored_dose(history: tuple[str, str]) -> None:
    db, sid = history
    with Store(db) as store:
        html = htmllib.unescape(session_report(store, sid, SPEC))
    assert BY_COACH in html
    assert "Every completed press-up was held for the target time." in html


def test_read_analysis_checks_the_dose_source(set_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "a"
    assert run("analyze", set_file, "--out", out).exit_code == 0
    doc = json.loads((out / "analysis.json").read_text())
    doc["protocol"]["dose_source"] = "whim"
    (out / "analysis.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="dose_source"):
        read_analysis(out)
