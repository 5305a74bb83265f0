"""The posture done is part of the truth: sessions done on the hands when the plan was on the
forearms do not move the person on, and ``pressup progress`` says why."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pressup.cli import app
from pressup.pose import load_track
from pressup.protocol import ProtocolSpec
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = ProtocolSpec()


def _store_sets(url: str, path: Path, n: int) -> list[str]:
    ok = evaluate(dict.fromkeys(QUESTION_IDS, "no"))
    actions = []
    with Store(url) as store:
        add_screening(store, answers=ok.answers, outcome=ok.outcome, locked=ok.locked)
        for _ in range(n):
            done = store_recorded_set(
                store, SPEC, load_track(path), [Rating(r, 1, "back") for r in range(4)]
            )
            actions.append(done.review.decision.action)
    return actions


def _track(tmp_path: Path, variant: str) -> Path:
    reps = [RepScript(variant, 2.0, 6.0, 2.5, 3.0) for _ in range(3)]  # type: ignore[arg-type]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5, seed=5))
    return track.save(tmp_path / f"{variant}.npz")


def test_two_sessions_on_the_hands_planned_on_the_forearms_keep_the_dose(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert _store_sets(url, _track(tmp_path, "hands"), 2) == ["keep", "keep"]
    out = CliRunner().invoke(app, ["progress", "--database", url])
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())
    assert "Next session: 3 press-ups, 5 s hold, on your forearms" in text
    assert "Done on the hands, planned on the forearms: the dose stays" in text


def test_the_same_sessions_on_the_forearms_move_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert _store_sets(url, _track(tmp_path, "forearms"), 2) == ["keep", "progress"]


def test_history_and_the_csv_show_the_posture_of_each_press_up(tmp_path: Path) -> None:
    from pressup.export import tables
    from pressup.report.history import render_history

    url = f"sqlite:///{tmp_path / 'p.db'}"
    _store_sets(url, _track(tmp_path, "hands"), 1)
    with Store(url) as store:
        page = render_history(store, SPEC)
        [sid] = tables.stored_session_ids(store)
        row = tables.stored_summary(store, sid)
        reps = tables.stored_reps(store, sid)
        csv = tables.write_sessions_csv([row], tmp_path / "s.csv").read_text().splitlines()
    assert "Hands (plan: forearms)" in page and "plan: Forearms" in page
    assert row.planned_variant == "forearms" and row.variants_done == ("hands",) * 3
    assert [r.variant for r in reps] == ["hands"] * 3
    header = csv[0].split(",")
    cells = dict(zip(header, csv[1].split(",")))
    assert cells["planned_variant"] == "forearms" and cells["variants_done"] == "hands;hands;hands"
    assert tables.read_sessions_csv(tmp_path / "s.csv") == [row]
