"""No internal key in what a person reads: the coach page's words, a report, the history page and
``pressup progress`` / ``pressup sessions list`` name things in plain words, never by a code
(``go_gently``, ``raised_fraction``, ``hands_bent``: any snake_case word)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressup.analysis.run import analyze_track
from pressup.cli import app
from pressup.pose import load_track
from pressup.protocol import ProtocolSpec, load_spec
from pressup.report.history import render_history, session_report
from pressup.report.html import render_report
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.words import page_words, words_js

SPEC = ProtocolSpec()
#: a word with an underscore between letters or digits: ``go_gently``, ``target_hold_s``
SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def _visible(page: str) -> str:
    """The text of an HTML page a person sees: no script, style, SVG or tag."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def _snake(text: str) -> list[str]:
    return sorted(set(SNAKE.findall(text)))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three recorded sets: on the forearms, on the hands (the plan is on the forearms, with a
    form point), and one stopped after its first press-up (pain up from 1 to 4, in the thigh)."""
    tmp = tmp_path_factory.mktemp("plain")
    url = f"sqlite:///{tmp / 'p.db'}"

    def track(variant: str, seed: int, faults: tuple[str, ...] = ()) -> Path:
        reps = [RepScript(variant, 2.0, 6.0, 2.5, 3.0, faults=faults) for _ in range(3)]  # type: ignore[arg-type]
        t, _ = make_session(SessionScript(reps=reps, noise_px=0.5, seed=seed))
        return t.save(tmp / f"{variant}{seed}.npz")

    ok = evaluate(dict.fromkeys(QUESTION_IDS, "no"))
    with Store(url) as store:
        add_screening(store, answers=ok.answers, outcome=ok.outcome, locked=ok.locked)
        fine = [Rating(r, 1, "back") for r in range(4)]
        store_recorded_set(store, SPEC, load_track(track("forearms", 1)), fine)
        store_recorded_set(store, SPEC, load_track(track("hands", 2, ("elbows_locked",))), fine)
        stop = [Rating(0, 1, "back"), Rating(1, 4, "thigh")]
        done = store_recorded_set(store, SPEC, load_track(track("forearms", 3)), stop)
        assert done.stop is not None  # the fixture is what it says
    yield url


def _cli(*args: str) -> str:
    out = CliRunner().invoke(app, list(args), env={"COLUMNS": "300", "NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    return out.stdout


def test_the_scan_finds_a_key() -> None:
    assert _snake("Outcome go_gently, raised_fraction 0.4, hands_bent") == [
        "go_gently",
        "hands_bent",
        "raised_fraction",
    ]
    assert _snake("back only, below the knee, press-ups, 5 s hold") == []


def test_the_coach_page_words_have_no_key() -> None:
    words = [w for table in page_words().values() for w in table.values()]
    assert len(words) > 30
    assert _snake(" ".join(words)) == []
    # and every string literal of the rendered module (the tables as served)
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"\s*[,}\n]', words_js())
    assert _snake(" ".join(lit for lit in literals if " " in lit)) == []


def test_a_report_and_the_history_page_have_no_key(database: str) -> None:
    track, _ = make_session(
        SessionScript(
            reps=[RepScript("hands", 2.0, 6.0, 2.5, 3.0, faults=("elbows_locked", "hips_lifted"))],
            seed=4,
        )
    )
    report = _visible(render_report(analyze_track(track, load_spec())))
    assert "Details for your physiotherapist" in report and "Body tracked" in report
    assert _snake(report) == []
    with Store(database) as store:
        newest = store.list_sessions()[0].id
        pages = {
            "history": _visible(render_history(store, SPEC)),
            "stored report": _visible(session_report(store, newest, SPEC)),
        }
    for name, text in pages.items():
        assert _snake(text) == [], name


def test_progress_and_sessions_list_have_no_key_nor_jargon(database: str) -> None:
    progress = _cli("progress", "--database", database)
    listed = _cli("sessions", "list", "--database", database)
    assert "Next session:" in progress
    assert len(listed.strip().splitlines()) == 3
    for text in (progress, listed):
        assert _snake(text) == [], text
    assert "faults per press-up" not in progress and "moving on needs" not in progress
    stopped = listed.strip().splitlines()[0]  # newest first: the set stopped for safety
    assert "stopped for safety" in stopped, listed
    assert sum("stopped for safety" in line for line in listed.splitlines()) == 1, listed


def test_screening_status_says_the_outcome_in_words(database: str) -> None:
    status = _cli("screen", "--status", "--database", database)
    assert "You may start" in status or "No warning signs" in status, status
    assert "outcome" not in status and _snake(status) == [], status
